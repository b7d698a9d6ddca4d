package dev.registry.server.metrics;

import com.github.benmanes.caffeine.cache.Cache;
import dev.registry.server.http.RequestMetrics;
import dev.registry.server.http.Route;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.server.mirror.MirrorCounters;
import dev.registry.server.notifications.EndpointCounters;
import dev.registry.storage.GarbageCollector;
import dev.registry.storage.OnlineGarbageCollection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpMethod;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Histogram;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The registry's Prometheus metrics ({@code http.debug.prometheus}): HTTP requests, bytes, uploads,
 * storage operations, caches, authentication failures and the JVM's own.
 *
 * <p>Micrometer's Prometheus registry holds everything and binds the JVM's meters and the caches.
 * The families recorded on every request (latency, bytes, storage operations) are the Prometheus
 * client's own histograms and counters, registered in that same registry: an observation costs
 * about a third of a Micrometer timer's, which keeps its fixed-window maximum and percentile
 * machinery up to date on every call. Each series a request touches is resolved once and kept in
 * an array indexed by method, route and status class, so a request costs an array read and a few
 * atomic additions, never a label list or a registry lookup.
 *
 * <p>Other parts of the server add their own meters through {@link #registry()} or, for a cache
 * that is not a Caffeine cache, {@link #cacheCounters(String)}.
 */
public final class RegistryMetrics implements RequestMetrics, AutoCloseable {

    /** The HTTP methods the API uses; anything else is counted as {@code other}. */
    private static final String[] METHODS = {"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "other"};
    private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    private static final Route.Kind[] ROUTES = Route.Kind.values();
    /** Seconds, from 1 ms to 2 minutes. */
    private static final double[] REQUEST_BUCKETS = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
    private static final double NANOS_PER_SECOND = 1e9;

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private final Histogram requestSeconds;
    private final AtomicReferenceArray<DistributionDataPoint> requests =
            new AtomicReferenceArray<>(METHODS.length * ROUTES.length * STATUS_CLASSES.length);
    private final CounterDataPoint[] receivedBytes = new CounterDataPoint[ROUTES.length];
    private final CounterDataPoint[] sentBytes = new CounterDataPoint[ROUTES.length];
    private final Histogram storageSeconds;
    private final AtomicInteger uploadsInProgress = new AtomicInteger();
    private final Map<AuthFailure, Counter> authFailures = new java.util.EnumMap<>(AuthFailure.class);

    /** Why a request was refused for want of the right credentials. */
    public enum AuthFailure {
        /** 401 to a request without credentials: the first step of every client's login, not an attack. */
        MISSING_CREDENTIALS,
        /** 401 to a request with credentials: a wrong password, or a token that is invalid, expired or too narrow. */
        INVALID_CREDENTIALS,
        /** 403: the caller is known but may not do this. */
        DENIED,
        /** 429: too many failed logins from this address or for this user. */
        THROTTLED;

        final String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private RegistryMetrics() {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry); // heap and non-heap pools, and the buffer pools
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        requestSeconds = Histogram.builder()
                .name("registry_http_requests_seconds")
                .help("HTTP API requests, from the request head to the answer written")
                .labelNames("method", "route", "status")
                .classicOnly().classicUpperBounds(REQUEST_BUCKETS).withoutExemplars()
                .register(registry.getPrometheusRegistry());
        io.prometheus.metrics.core.metrics.Counter received = io.prometheus.metrics.core.metrics.Counter.builder()
                .name("registry_http_request_bytes_total").help("Request body bytes received")
                .labelNames("route").withoutExemplars().register(registry.getPrometheusRegistry());
        io.prometheus.metrics.core.metrics.Counter sent = io.prometheus.metrics.core.metrics.Counter.builder()
                .name("registry_http_response_bytes_total").help("Response body bytes sent")
                .labelNames("route").withoutExemplars().register(registry.getPrometheusRegistry());
        for (Route.Kind route : ROUTES) {
            receivedBytes[route.ordinal()] = received.labelValues(routeLabel(route));
            sentBytes[route.ordinal()] = sent.labelValues(routeLabel(route));
        }
        storageSeconds = MeteredStorageDriver.histogram(registry.getPrometheusRegistry());
        Gauge.builder("registry.uploads.in.progress", uploadsInProgress, AtomicInteger::get)
                .description("Blob upload requests (POST, PATCH, PUT) whose body is being received and stored")
                .register(registry);
        for (AuthFailure reason : AuthFailure.values()) {
            authFailures.put(reason, Counter.builder("registry.auth.failures")
                    .description("Requests refused for want of credentials or rights, by reason")
                    .tag("reason", reason.label()).register(registry));
        }
    }

    /** Metrics with the JVM's meters bound, ready to serve in Prometheus text format. */
    public static RegistryMetrics create() {
        return new RegistryMetrics();
    }

    /** The registry to add meters to. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Everything, in Prometheus text format (version 0.0.4). */
    public String scrape() {
        return registry.scrape();
    }

    /** {@code route} label value of a route. */
    static String routeLabel(Route.Kind route) {
        return switch (route) {
            case BASE -> "base";
            case CATALOG -> "catalog";
            case TAGS -> "tags";
            case MANIFEST -> "manifest";
            case BLOB -> "blob";
            case UPLOAD_START, UPLOAD -> "blob_upload";
            case REFERRERS -> "referrers";
            case TOKEN -> "token";
            case NOT_FOUND -> "other";
        };
    }

    @Override
    public void completed(HttpMethod method, Route.Kind route, int status, long received, long sent, long nanos) {
        int statusClass = Math.min(Math.max(status / 100, 1), 5) - 1;
        int index = (methodIndex(method) * ROUTES.length + route.ordinal()) * STATUS_CLASSES.length + statusClass;
        DistributionDataPoint series = requests.get(index);
        if (series == null) {
            series = requestSeries(index);
        }
        series.observe(nanos / NANOS_PER_SECOND);
        if (received > 0) {
            receivedBytes[route.ordinal()].inc(received);
        }
        if (sent > 0) {
            sentBytes[route.ordinal()].inc(sent);
        }
    }

    /**
     * First request of its kind. A series appears in the scrape from its first use, so the
     * combinations that never happen cost nothing; the histogram hands out one series per label
     * set, so a race here is harmless.
     */
    private DistributionDataPoint requestSeries(int index) {
        int statusClass = index % STATUS_CLASSES.length;
        int route = index / STATUS_CLASSES.length % ROUTES.length;
        int method = index / STATUS_CLASSES.length / ROUTES.length;
        DistributionDataPoint series = requestSeconds.labelValues(METHODS[method], routeLabel(ROUTES[route]),
                STATUS_CLASSES[statusClass]);
        requests.set(index, series);
        return series;
    }

    private static int methodIndex(HttpMethod method) {
        // HttpMethod constants are shared instances, so identity is the common, cheap case
        if (method == HttpMethod.GET) {
            return 0;
        } else if (method == HttpMethod.HEAD) {
            return 1;
        } else if (method == HttpMethod.PUT) {
            return 2;
        } else if (method == HttpMethod.POST) {
            return 3;
        } else if (method == HttpMethod.PATCH) {
            return 4;
        } else if (method == HttpMethod.DELETE) {
            return 5;
        }
        for (int i = 0; i < METHODS.length - 1; i++) {
            if (METHODS[i].equals(method.name())) {
                return i;
            }
        }
        return METHODS.length - 1;
    }

    /** An upload request started storing its body; pair with {@link #uploadEnded()}. */
    void uploadStarted() {
        uploadsInProgress.incrementAndGet();
    }

    void uploadEnded() {
        uploadsInProgress.decrementAndGet();
    }

    void authFailure(AuthFailure reason) {
        authFailures.get(reason).increment();
    }

    /** The driver with every operation timed under its name; see {@link MeteredStorageDriver}. */
    public StorageDriver meter(StorageDriver driver) {
        return new MeteredStorageDriver(driver, storageSeconds);
    }

    /**
     * Exports a Caffeine cache's hits, misses, puts, evictions and size as {@code cache_*{cache="name"}}.
     * The cache must be built with {@code recordStats()}, or only its size is exported.
     */
    public void monitor(String name, Cache<?, ?> cache) {
        CaffeineCacheMetrics.monitor(registry, cache, name);
    }

    /**
     * Hit and miss counters for a cache that is not a Caffeine cache (or whose lookups are counted
     * by hand), in the same {@code cache_gets_total{cache, result}} family as the Caffeine caches.
     */
    public CacheCounters cacheCounters(String name) {
        return new CacheCounters(
                Counter.builder("cache.gets").tag("cache", name).tag("result", "hit")
                        .description("the number of times cache lookup methods have returned a cached value").register(registry),
                Counter.builder("cache.gets").tag("cache", name).tag("result", "miss")
                        .description("the number of times cache lookup methods have returned an uncached (newly loaded) value or null")
                        .register(registry));
    }

    /** Pre-resolved hit and miss counters of one cache. */
    public record CacheCounters(Counter hits, Counter misses) {
        /** Counts nothing: for code that runs with metrics off ({@code http.debug.prometheus} disabled). */
        public static final CacheCounters NONE = new CacheCounters(
                new io.micrometer.core.instrument.noop.NoopCounter(new io.micrometer.core.instrument.Meter.Id(
                        "cache.gets", io.micrometer.core.instrument.Tags.of("result", "hit"), null, null,
                        io.micrometer.core.instrument.Meter.Type.COUNTER)),
                new io.micrometer.core.instrument.noop.NoopCounter(new io.micrometer.core.instrument.Meter.Id(
                        "cache.gets", io.micrometer.core.instrument.Tags.of("result", "miss"), null, null,
                        io.micrometer.core.instrument.Meter.Type.COUNTER)));

        public void hit() {
            hits.increment();
        }

        public void miss() {
            misses.increment();
        }
    }

    /**
     * Exports what the online garbage collection of this replica did: {@code registry_gc_runs_total},
     * {@code registry_gc_skipped_total} (another replica held the lease), {@code registry_gc_failures_total},
     * {@code registry_gc_removed_total{kind}} and {@code registry_gc_reclaimed_bytes_total}.
     */
    public void monitorGarbageCollection(OnlineGarbageCollection.Counters counters) {
        FunctionCounter.builder("registry.gc.runs", counters, OnlineGarbageCollection.Counters::runs)
                .description("Online garbage collections this replica completed").register(registry);
        FunctionCounter.builder("registry.gc.skipped", counters, OnlineGarbageCollection.Counters::skipped)
                .description("Online garbage collection rounds skipped because another replica held the lease").register(registry);
        FunctionCounter.builder("registry.gc.failures", counters, OnlineGarbageCollection.Counters::failures)
                .description("Online garbage collection rounds that ended on a storage error").register(registry);
        FunctionCounter.builder("registry.gc.reclaimed", counters, OnlineGarbageCollection.Counters::bytesReclaimed)
                .baseUnit("bytes").description("Blob bytes the online garbage collection deleted").register(registry);
        for (GarbageCollector.Kind kind : GarbageCollector.Kind.values()) {
            FunctionCounter.builder("registry.gc.removed", counters, c -> c.removed(kind))
                    .tag("kind", kind.name().toLowerCase(java.util.Locale.ROOT))
                    .description("Items the online garbage collection removed, by kind").register(registry);
        }
    }

    /**
     * Exports the mirror's cache hits and misses per remote, {@code registry_proxy_requests_total{remote,
     * kind=manifest|blob, result=hit|miss}}, with {@code registry_proxy_stale_served_total{remote}} and
     * {@code registry_proxy_upstream_failures_total{remote}}.
     */
    public void monitorMirror(MirrorCounters counters, java.util.List<String> remotes) {
        for (String remote : remotes) {
            MirrorCounters.Remote counts = counters.remote(remote);
            proxyRequests(remote, "manifest", "hit", counts, MirrorCounters.Remote::manifestHits);
            proxyRequests(remote, "manifest", "miss", counts, MirrorCounters.Remote::manifestMisses);
            proxyRequests(remote, "blob", "hit", counts, MirrorCounters.Remote::blobHits);
            proxyRequests(remote, "blob", "miss", counts, MirrorCounters.Remote::blobMisses);
            FunctionCounter.builder("registry.proxy.stale.served", counts, MirrorCounters.Remote::staleServed)
                    .tag("remote", remote)
                    .description("Cached tags served past their ttl because the remote was unavailable").register(registry);
            FunctionCounter.builder("registry.proxy.upstream.failures", counts, MirrorCounters.Remote::upstreamFailures)
                    .tag("remote", remote)
                    .description("Requests to the remote that failed: unreachable, or a server error").register(registry);
        }
    }

    private void proxyRequests(String remote, String kind, String result, MirrorCounters.Remote counts,
                               java.util.function.ToDoubleFunction<MirrorCounters.Remote> count) {
        FunctionCounter.builder("registry.proxy.requests", counts, count)
                .tag("remote", remote).tag("kind", kind).tag("result", result)
                .description("Manifests and blobs the mirror served from its cache (hit) or fetched upstream (miss)")
                .register(registry);
    }

    /**
     * Exports each notification endpoint's {@code registry_notifications_events_total{endpoint,
     * outcome=delivered|dropped}}, {@code registry_notifications_failures_total{endpoint}} (failed POSTs,
     * retried) and {@code registry_notifications_pending{endpoint}} (events queued).
     */
    public void monitorNotifications(java.util.Map<String, EndpointCounters> endpoints) {
        endpoints.forEach((endpoint, counters) -> {
            FunctionCounter.builder("registry.notifications.events", counters, EndpointCounters::delivered)
                    .tag("endpoint", endpoint).tag("outcome", "delivered")
                    .description("Events by what became of them: acknowledged by the endpoint, or dropped on a full queue")
                    .register(registry);
            FunctionCounter.builder("registry.notifications.events", counters, EndpointCounters::dropped)
                    .tag("endpoint", endpoint).tag("outcome", "dropped")
                    .description("Events by what became of them: acknowledged by the endpoint, or dropped on a full queue")
                    .register(registry);
            FunctionCounter.builder("registry.notifications.failures", counters, EndpointCounters::failures)
                    .tag("endpoint", endpoint)
                    .description("Envelope POSTs that failed and will be retried").register(registry);
            Gauge.builder("registry.notifications.pending", counters, EndpointCounters::pending)
                    .tag("endpoint", endpoint)
                    .description("Events queued for the endpoint, not yet delivered").register(registry);
        });
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
