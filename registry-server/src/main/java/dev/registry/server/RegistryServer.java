package dev.registry.server;

import dev.registry.auth.AuthSetup;
import dev.registry.config.ConfigException;
import dev.registry.config.DriverConfig;
import dev.registry.config.FilesystemConfig;
import dev.registry.config.HealthConfig;
import dev.registry.config.GarbageCollectConfig;
import dev.registry.config.GcsConfig;
import dev.registry.config.InMemoryConfig;
import dev.registry.config.RegistryConfig;
import dev.registry.config.S3Config;
import dev.registry.config.UploadPurgingConfig;
import dev.registry.server.api.ApiDispatcher;
import dev.registry.server.debug.DebugListener;
import dev.registry.server.debug.HealthChecks;
import dev.registry.server.metrics.MeteredRequestHandler;
import dev.registry.server.metrics.RegistryMetrics;
import dev.registry.server.http.CleartextHttp2Detector;
import dev.registry.server.http.HeaderReadTimeout;
import dev.registry.server.http.HttpChannelHandler;
import dev.registry.server.http.OpenConnections;
import dev.registry.server.http.RequestHandler;
import dev.registry.server.http.RequestMetrics;
import dev.registry.server.http.Route;
import dev.registry.server.http.StoreTls;
import dev.registry.server.notifications.Notifier;
import dev.registry.server.mirror.Mirror;
import dev.registry.server.tls.Http2Support;
import dev.registry.server.tls.ServerTls;
import dev.registry.storage.OnlineGarbageCollection;
import dev.registry.storage.Registry;
import dev.registry.storage.driver.StorageDriver;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.stream.ChunkedWriteHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.time.Duration;

/**
 * A running registry: the storage services, the Netty HTTP server in front of them, and the
 * background upload purge.
 */
public final class RegistryServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RegistryServer.class);

    private final RegistryConfig config;
    private final Registry registry;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ExecutorService requestThreads = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService maintenance;
    /** Online garbage collection, when {@code storage.maintenance.garbagecollect.enabled}. */
    private final OnlineGarbageCollection garbageCollection;
    private Channel serverChannel;
    private final OpenConnections connections = new OpenConnections();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The unmetered driver, for the health checks (their probes are not traffic). */
    private final StorageDriver driver;
    /**
     * {@code http.debug.prometheus}, or {@code null} when it is off. Code built here that counts
     * something of its own (a pull-through cache's hits per remote) takes its meters from it, or
     * {@link RegistryMetrics.CacheCounters#NONE} when it is null.
     */
    private final RegistryMetrics metrics;
    private HealthChecks health;
    private DebugListener debugListener;
    /** Sends notification events; {@code null} until {@link #bind()} starts it. */
    private Notifier notifier;
    /** How long events still queued in memory may take to go out when the server stops. */
    private static final Duration NOTIFICATION_GRACE = Duration.ofSeconds(5);

    private RegistryServer(RegistryConfig config, StorageDriver driver) {
        this.config = config;
        this.driver = driver;
        this.metrics = config.http().debug().enabled() && config.http().debug().prometheus().enabled()
                ? RegistryMetrics.create() : null;
        StorageDriver metered = metrics == null ? driver : metrics.meter(driver);
        GarbageCollectConfig gc = config.storage().garbageCollect();
        // in read-only mode nothing is pushed, so requests need not refresh links for the collector
        this.registry = new Registry(metered, config.storage().deleteEnabled(), Clock.systemUTC(),
                gc.enabled() && !config.storage().readOnly() ? gc.gracePeriod() : null, gc.cacheExpiry(),
                uploadsSharedWithRegistry2(config), remoteStore(config.storage().driver()));
        if (metrics != null) {
            registry.manifests().caches().forEach(metrics::monitor);
            metrics.monitor("upload_state", registry.uploads().stateCache());
        }
        this.garbageCollection = gc.enabled()
                ? new OnlineGarbageCollection(metered, Clock.systemUTC(), gc.interval(), gc.gracePeriod(), gc.deleteUntagged(),
                        gc.cacheExpiry())
                : null;
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.boss = new MultiThreadIoEventLoopGroup(1, io);
        this.workers = new MultiThreadIoEventLoopGroup(io);
        this.maintenance = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "registry-maintenance");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Opens storage, binds the listening socket and starts serving; fails with a {@link ConfigException} naming the setting at fault. */
    public static RegistryServer start(RegistryConfig config) throws InterruptedException {
        return start(config, openStorage(config));
    }

    /** As {@link #start(RegistryConfig)}, over a driver opened by the caller (tests). */
    static RegistryServer start(RegistryConfig config, StorageDriver driver) throws InterruptedException {
        RegistryServer server = new RegistryServer(config, driver);
        try {
            server.bind();
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /**
     * Whether each storage operation is a network round trip, so that the lookups a request needs
     * are made at once. Exhaustive over the drivers: a new one must decide.
     */
    private static boolean remoteStore(DriverConfig driver) {
        return switch (driver) {
            case S3Config s3 -> true;
            case GcsConfig gcs -> true;
            case FilesystemConfig filesystem -> false;
            case InMemoryConfig memory -> false;
        };
    }

    /**
     * How the server's relays check the store's certificate: as the driver is configured to, so
     * that relayed pulls work wherever the driver's requests do ({@code skipverify} on S3).
     */
    private static StoreTls storeTls(DriverConfig driver) {
        return switch (driver) {
            case S3Config s3 -> s3.skipVerify() ? StoreTls.UNVERIFIED : StoreTls.VERIFIED;
            case GcsConfig gcs -> StoreTls.VERIFIED;
            case FilesystemConfig filesystem -> StoreTls.VERIFIED;
            case InMemoryConfig memory -> StoreTls.VERIFIED;
        };
    }

    /**
     * Whether registry:2 instances may take part in our uploads: they need a shared
     * {@code http.secret} to accept our upload URLs, and they keep uploads in progress as we do
     * only on a directory and on S3 (on GCS they keep them differently, and memory is not shared).
     */
    private static boolean uploadsSharedWithRegistry2(RegistryConfig config) {
        return !config.http().secret().isEmpty()
                && (config.storage().driver() instanceof FilesystemConfig || config.storage().driver() instanceof S3Config);
    }

    private static StorageDriver openStorage(RegistryConfig config) {
        return StorageDriverFactory.open(config.storage().driver());
    }

    private void bind() throws InterruptedException {
        AuthSetup auth = AuthSetup.from(config.auth());
        ServerTls tls = config.http().tls().enabled() ? ServerTls.open(config.http().tls()) : null;
        if (tls != null && config.http().h2c()) {
            log.warn("http.h2c.enabled is ignored: the port speaks TLS, where HTTP/2 is chosen through ALPN "
                    + "(see http.http2.disabled)");
        }
        notifier = Notifier.start(config.notifications(), config.http().port());
        Mirror mirror = Mirror.create(config.proxy(), registry);
        ApiDispatcher api = new ApiDispatcher(registry, auth.accessController(), config.storage().readOnly(),
                config.http().host(), config.http().relativeUrls(), config.http().prefix(), config.catalog().maxEntries(),
                auth.tokenService().orElse(null), !config.storage().redirectDisabled(), notifier,
                config.notifications().includeReferences(), mirror, config.http().secret());
        if (metrics != null) {
            metrics.monitorNotifications(notifier.counters());
            if (mirror != null) {
                metrics.monitorMirror(mirror.counters(), mirror.remoteNames());
            }
            if (garbageCollection != null) {
                metrics.monitorGarbageCollection(garbageCollection.counters());
            }
        }
        RequestHandler dispatcher = metrics == null ? api : new MeteredRequestHandler(api, metrics);
        RequestMetrics requestMetrics = metrics == null ? RequestMetrics.NONE : metrics;
        boolean accessLog = !config.log().accessLogDisabled();
        StoreTls storeTls = storeTls(config.storage().driver());
        Duration headerLimit = config.http().headerTimeout();
        Consumer<ChannelPipeline> http1 = pipeline -> {
            HeaderReadTimeout headerTimeout = headerLimit.isZero() ? null : new HeaderReadTimeout(headerLimit);
            if (headerTimeout != null) {
                pipeline.addLast("headertimeout", headerTimeout);
            }
            pipeline.addLast("codec", new HttpServerCodec(8192, 64 * 1024, 1024 * 1024))
                    .addLast("continue", new HttpServerExpectContinueHandler())
                    .addLast("chunked", new ChunkedWriteHandler())
                    .addLast("api", new HttpChannelHandler(dispatcher, requestThreads, config.http().prefix(),
                            config.http().headers(), accessLog, connections, headerTimeout, requestMetrics, storeTls));
        };
        // HTTP/2 streams already carry the HTTP/1-object codec and chunked writer (see Http2Support).
        Consumer<ChannelPipeline> http2Stream = pipeline -> pipeline
                .addLast("continue", new HttpServerExpectContinueHandler())
                .addLast("api", new HttpChannelHandler(dispatcher, requestThreads, config.http().prefix(),
                        config.http().headers(), accessLog, connections, null, requestMetrics, storeTls));
        Class<? extends ServerChannel> channelType = Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Blob uploads arrive faster than 64 KiB reads can take them: let a read grow to
                // 1 MiB so a big body costs fewer reads, chunks and wake-ups of its worker.
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(512, 16 * 1024, 1024 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        connections.add(channel);
                        if (tls == null && config.http().h2c()) {
                            channel.pipeline().addLast("h2c-detect", new CleartextHttp2Detector(http1,
                                    pipeline -> Http2Support.configure(pipeline, http2Stream), headerLimit));
                        } else if (tls == null) {
                            http1.accept(channel.pipeline());
                        } else {
                            tls.initChannel(channel, http1, http2Stream);
                        }
                    }
                });
        String host = config.http().bindHost();
        InetSocketAddress address = host == null || host.isEmpty()
                ? new InetSocketAddress(config.http().port())
                : new InetSocketAddress(host, config.http().port());
        // before the API: once the API answers, probes and metrics are there too
        startDebugListener(channelType);
        try {
            serverChannel = bootstrap.bind(address).sync().channel();
        } catch (Exception e) {
            if (e instanceof BindException || e.getCause() instanceof BindException
                    || String.valueOf(e.getMessage()).contains("Address already in use")) {
                throw new ConfigException("http.addr (REGISTRY_HTTP_ADDR): " + describe(address)
                        + " is already in use: stop the other server or choose another address.");
            }
            throw new ConfigException("http.addr (REGISTRY_HTTP_ADDR): cannot listen on " + describe(address) + " (" + e.getMessage()
                    + "): choose an address of this machine and a free port.");
        }
        schedulePurge(config.storage().uploadPurging());
        scheduleGarbageCollection(config.storage().garbageCollect());
        String listening = describe((InetSocketAddress) serverChannel.localAddress());
        log.info("registry listening on {} ({}, {} transport)", listening,
                tls == null ? (config.http().h2c() ? "http, HTTP/2 with prior knowledge (h2c)" : "http")
                        : "https" + (config.http().tls().http2() ? " with HTTP/2" : "") + ", " + config.http().tls().minimumVersion() + "+"
                        + (tls.requiresClientCertificates() ? ", client certificates required" : ""),
                Epoll.isAvailable() ? "epoll" : "nio");
        if (tls != null) {
            tls.selfSigned().ifPresent(selfSigned -> {
                java.util.List<String> hosts = config.http().tls().selfSigned().hosts();
                String hostPort = (hosts.isEmpty() ? "localhost" : hosts.get(0)) + ":" + port();
                log.info("TLS: self-signed certificate {} ({}), CA at {}; clients trust it with: {}",
                        selfSigned.certificate(), selfSigned.generated() ? "generated now" : "reused",
                        selfSigned.caCertificate(), selfSigned.dockerTrustCommand(hostPort));
            });
        }
        log.info("auth: {}", describeAuth(auth));
        if (mirror != null) {
            log.info("proxy: {}", mirror.describe());
        }
        if (config.storage().driver() instanceof InMemoryConfig) {
            log.warn("storage: inmemory keeps every image in this process's memory; everything is lost when it stops");
        }
        log.info("storage: {}; delete {}; read-only {}; access log {}", StorageDriverFactory.describe(config.storage().driver()),
                config.storage().deleteEnabled() ? "enabled" : "disabled", config.storage().readOnly() ? "on" : "off",
                accessLog ? "on" : "off");
        logJvm();
    }

    /**
     * What the JVM made of its limits: in a container the heap and processor count follow the
     * cgroup's memory and CPU limits, and this line is how an operator checks the flags fit.
     */
    private static void logJvm() {
        Runtime runtime = Runtime.getRuntime();
        log.info("JVM: Java {}, max heap {} MiB, {} processor(s)", Runtime.version().feature(),
                runtime.maxMemory() / (1024 * 1024), runtime.availableProcessors());
    }

    /** {@code http.debug.addr}: metrics and health on their own port, or nothing when it is not set. */
    private void startDebugListener(Class<? extends ServerChannel> channelType) {
        if (!config.http().debug().enabled()) {
            if (!config.health().equals(HealthConfig.DEFAULTS)) {
                log.warn("health checks are configured but http.debug.addr is not set, so nothing runs or serves them");
            }
            if (config.http().debug().prometheus().enabled()) {
                log.warn("http.debug.prometheus is enabled but http.debug.addr is not set, so no metrics are served");
            }
            return;
        }
        health = HealthChecks.start(config.health(), driver);
        debugListener = DebugListener.start(config.http().debug(), boss, workers, channelType, metrics, health,
                connections::draining, requestThreads);
        log.info("debug listener on {}:{}: health at /debug/health, /livez, /readyz; metrics {}",
                config.http().debug().bindHost(), debugListener.port(),
                metrics == null ? "off (http.debug.prometheus.enabled)" : "at " + config.http().debug().prometheus().path());
    }

    private String describeAuth(AuthSetup auth) {
        if (!config.auth().enabled()) {
            return "none (anyone may pull and push)";
        }
        String loginTokens = config.auth().tokens() == null ? ""
                : "; login tokens from " + config.auth().tokens().path();
        if (config.auth().token() == null) {
            return "htpasswd basic auth, realm '" + config.auth().htpasswd().realm() + "'" + loginTokens;
        }
        return "bearer tokens from " + config.auth().token().realm()
                + auth.tokenService().map(t -> " (built-in token server at " + Route.TOKEN_PATH + ")").orElse("")
                + loginTokens;
    }

    private void schedulePurge(UploadPurgingConfig purging) {
        if (!purging.enabled()) {
            log.info("upload purging disabled");
            return;
        }
        long interval = Math.max(1, purging.interval().toMillis());
        maintenance.scheduleWithFixedDelay(() -> {
            try {
                int purged = registry.uploads().purge(purging.age(), purging.dryRun());
                if (purged > 0) {
                    log.info("upload purge {} {} upload(s) older than {}", purging.dryRun() ? "found" : "removed", purged, describe(purging.age()));
                }
            } catch (IOException | RuntimeException e) {
                log.warn("upload purge failed: {}", e.toString());
            }
        }, interval, interval, TimeUnit.MILLISECONDS);
        log.info("upload purging every {} for uploads older than {}{}", describe(purging.interval()), describe(purging.age()),
                purging.dryRun() ? " (dry run)" : "");
    }

    private void scheduleGarbageCollection(GarbageCollectConfig gc) {
        if (garbageCollection == null) {
            return;
        }
        long interval = Math.max(1, gc.interval().toMillis());
        maintenance.scheduleWithFixedDelay(() -> {
            try {
                garbageCollection.runOnce();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                log.warn("garbage collection failed: {}", e.toString());
            }
        }, interval, interval, TimeUnit.MILLISECONDS);
        log.info("online garbage collection every {}, grace period {}{}", describe(gc.interval()), describe(gc.gracePeriod()),
                (gc.deleteUntagged() ? ", untagged manifests deleted" : "")
                        + (gc.expiresCache() ? ", cached repositories not pulled for " + describe(gc.cacheExpiry()) + " removed" : ""));
    }

    /** Online garbage collection and its counters, if enabled (for a metrics exporter). */
    public java.util.Optional<OnlineGarbageCollection> garbageCollection() {
        return java.util.Optional.ofNullable(garbageCollection);
    }

    private static String describe(InetSocketAddress address) {
        if (address.getAddress() != null && address.getAddress().isAnyLocalAddress()) {
            return ":" + address.getPort();
        }
        return (address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress()) + ":" + address.getPort();
    }

    /** A duration the way the configuration file writes it ({@code 168h}, {@code 90s}). */
    private static String describe(java.time.Duration duration) {
        return duration.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public Registry registry() {
        return registry;
    }

    /** Blocks until the server channel closes. */
    public void awaitClose() throws InterruptedException {
        serverChannel.closeFuture().sync();
    }

    /**
     * Stops the server: refuses new connections, closes idle ones, lets requests in progress
     * finish for up to {@code http.draintimeout}, then stops the event loops. Returns when done.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        maintenance.shutdownNow();
        Duration drainTimeout = config.http().drainTimeout();
        int open = connections.size();
        try {
            if (open > 0 && !drainTimeout.isZero()) {
                log.info("waiting up to {} for requests in progress on {} connection(s)", describe(drainTimeout), open);
            }
            if (!connections.drain(drainTimeout) && !drainTimeout.isZero()) {
                log.warn("requests still in progress after http.draintimeout ({}) were cut off", describe(drainTimeout));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // the debug listener outlives the drain, so that probes see the shutdown (/readyz 503)
        if (debugListener != null) {
            debugListener.close();
        }
        if (health != null) {
            health.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(6, TimeUnit.SECONDS);
        requestThreads.shutdown();
        if (notifier != null) {
            // After the requests, whose events it still takes.
            notifier.close(NOTIFICATION_GRACE);
        }
        log.info("stopped");
    }
}
