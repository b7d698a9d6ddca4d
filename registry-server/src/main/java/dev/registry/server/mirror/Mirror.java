package dev.registry.server.mirror;

import dev.registry.config.ProxyConfig;
import dev.registry.config.ProxyRemoteConfig;
import dev.registry.server.http.ApiRequest;
import dev.registry.server.http.ApiResponse;
import dev.registry.storage.BlobIngest;
import dev.registry.storage.Digest;
import dev.registry.storage.ErrorCode;
import dev.registry.storage.MediaTypes;
import dev.registry.storage.Registry;
import dev.registry.storage.RegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pull-through mirror ({@code proxy.*}): decides which repository names are caches of which
 * remote, and fills the cache from the remote before the registry's ordinary endpoints serve a
 * pull from storage. Cached content is ordinary content of the storage layout, marked as cached
 * ({@link dev.registry.storage.CachedRepositories}).
 *
 * <p>The rules:
 * <ul>
 *   <li>The first name component selects a remote by its name ({@code gitlab/group/app} fetches
 *       {@code group/app} from remote {@code gitlab}); other names go to the default remote, if
 *       any. In registry:2's form every name goes to the one remote. On Docker Hub a
 *       single-component name is {@code library/<name>}.
 *   <li>A repository that exists here and is not a cache was pushed here, and is served as is.
 *   <li>Manifests by digest are fetched once and served from the cache for as long as their bytes
 *       are stored; tags are fetched, and checked again with a {@code HEAD} once their remote's
 *       {@code ttl} has passed (in registry:2's form, on every pull). When the remote is
 *       unavailable, whatever is cached is served, tags due for a check included.
 *   <li>Blobs stream to the client while they are stored ({@link UpstreamBlobChannel}); concurrent
 *       requests for a blob that is being downloaded wait for that download and are then served
 *       from storage, so one download serves them all.
 *   <li>Names under a named remote, cached repositories, and in registry:2's form every name, are
 *       read-only.
 * </ul>
 *
 * Every method blocks (storage and upstream I/O) and runs on request worker threads.
 */
public final class Mirror {
    private static final Logger log = LoggerFactory.getLogger(Mirror.class);
    /** Every manifest type the registry can store, so that the upstream never converts to something else. */
    static final String MANIFEST_ACCEPT = String.join(", ", MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST,
            MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.DOCKER_MANIFEST);
    /** How long a request waits for another request's download of the same blob. */
    private static final Duration FOLLOWER_WAIT = Duration.ofHours(1);
    private static final int REFERRERS_LIMIT = 4 * 1024 * 1024;
    /** How long a blob download may receive nothing from the upstream before it is abandoned. */
    static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);
    private static final java.util.concurrent.ScheduledExecutorService STALL_CHECKS =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "mirror-stall-check");
                thread.setDaemon(true);
                return thread;
            });

    private final ProxyConfig config;
    private final Registry registry;
    private final Clock clock;
    private final Map<String, UpstreamRegistry> remotes = new LinkedHashMap<>();
    private final UpstreamRegistry defaultRemote;
    private final MirrorCounters counters = new MirrorCounters();
    private final ConcurrentMap<String, Download> downloads = new ConcurrentHashMap<>();
    /**
     * Manifest look-ups upstream in progress, by repository and reference: a request for the same
     * manifest meanwhile waits for that one's outcome instead of asking the upstream again. A
     * cold cache that many nodes pull one image from at once (a rollout) then costs one manifest
     * request upstream, which is what Docker Hub's pull limit counts, instead of one per node.
     */
    private final ConcurrentMap<String, CompletableFuture<Optional<ApiResponse>>> manifestChecks = new ConcurrentHashMap<>();
    /** Blob downloads in progress, checked for stalls. */
    private final java.util.Set<UpstreamBlobChannel> streaming = ConcurrentHashMap.newKeySet();
    private final Duration stallTimeout;

    /** Where a name's content comes from: a remote and the repository's name there. */
    record Target(UpstreamRegistry remote, String upstream) {
    }

    /** A blob download in progress, which other requests for the same blob wait for. */
    private static final class Download {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final AtomicInteger waiting = new AtomicInteger();
    }

    Mirror(ProxyConfig config, Registry registry, HttpClient client, Clock clock) {
        this(config, registry, client, clock, STALL_TIMEOUT);
    }

    /**
     * @param stallTimeout how long a blob download may receive nothing before it is abandoned, and
     *                     how long a manifest's or token's body may take once its head arrived
     */
    Mirror(ProxyConfig config, Registry registry, HttpClient client, Clock clock, Duration stallTimeout) {
        this.stallTimeout = stallTimeout;
        long checkMillis = Math.max(100, stallTimeout.toMillis() / 4);
        STALL_CHECKS.scheduleWithFixedDelay(this::cutStalledDownloads, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
        this.config = config;
        this.registry = registry;
        this.clock = clock;
        for (ProxyRemoteConfig remote : config.remotes()) {
            remotes.put(remote.name(), new UpstreamRegistry(remote, client, clock, stallTimeout));
        }
        this.defaultRemote = config.defaultRemote().map(remotes::get).orElse(null);
    }

    /** The mirror {@code config} describes, over {@code registry}; {@code null} if there is none. */
    public static Mirror create(ProxyConfig config, Registry registry) {
        if (!config.enabled()) {
            return null;
        }
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        return new Mirror(config, registry, client, Clock.systemUTC());
    }

    /** The names of the configured remotes, in configuration order. */
    public java.util.List<String> remoteNames() {
        return java.util.List.copyOf(remotes.keySet());
    }

    /** The hit and miss counts, for a metrics registry to expose. */
    public MirrorCounters counters() {
        return counters;
    }

    /** One line for the startup log; never shows credentials. */
    public String describe() {
        if (config.wholeRegistry()) {
            ProxyRemoteConfig remote = config.remotes().get(0);
            return "read-only pull-through cache of " + remote.url() + " (tags checked upstream on every pull)";
        }
        StringBuilder text = new StringBuilder("pull-through cache of ");
        config.remotes().forEach(remote -> text.append(remote.name()).append("/ = ").append(remote.url())
                .append(" (ttl ").append(remote.ttl()).append(", ").append(remote.credentials().size())
                .append(" credential rules), "));
        text.append(defaultRemote == null ? "no default remote" : "default remote " + defaultRemote.name());
        return text.toString();
    }

    /** The remote and upstream name for {@code name}, if the mirror handles it at all. */
    Optional<Target> route(String name) {
        if (config.wholeRegistry()) {
            return Optional.of(target(defaultRemote, name));
        }
        int slash = name.indexOf('/');
        if (slash > 0) {
            UpstreamRegistry named = remotes.get(name.substring(0, slash));
            if (named != null) {
                return Optional.of(target(named, name.substring(slash + 1)));
            }
        }
        return defaultRemote == null ? Optional.empty() : Optional.of(target(defaultRemote, name));
    }

    /**
     * {@code upstream} of {@code remote}; on Docker Hub a single-component name is an official
     * image, which Hub keeps under {@code library/} (the Docker daemon asks a mirror for
     * {@code library/busybox} itself, other clients for {@code busybox}). Other registries get the
     * name as it is, as registry:2's proxy sends it.
     */
    private static Target target(UpstreamRegistry remote, String upstream) {
        return new Target(remote, remote.isDockerHub() && upstream.indexOf('/') < 0 ? "library/" + upstream : upstream);
    }

    /**
     * Why a write to {@code name} is refused, if it is: the whole registry is a cache, the name is
     * under a named remote, or the repository is a cache.
     */
    public Optional<String> refusesWrites(String name) throws IOException {
        if (config.wholeRegistry()) {
            return Optional.of("the registry is a read-only pull-through cache (proxy.remoteurl)");
        }
        Optional<Target> target = route(name);
        if (target.isEmpty()) {
            return Optional.empty();
        }
        if (target.get().remote() != defaultRemote || name.startsWith(defaultRemote.name() + "/")) {
            return Optional.of(name + " is a read-only pull-through cache of remote " + target.get().remote().name());
        }
        if (registry.cached().mark(name).isPresent()) {
            return Optional.of(name + " is a read-only pull-through cache of remote " + target.get().remote().name());
        }
        return Optional.empty();
    }

    /** The target for a pull of {@code name}, unless the mirror leaves it to local storage. */
    private Optional<Target> pullTarget(String name) throws IOException {
        Optional<Target> target = route(name);
        if (target.isEmpty() || registry.cached().isLocal(name)) {
            return Optional.empty();
        }
        return target;
    }

    /**
     * Makes sure the manifest {@code reference} of {@code name} is in the cache, fetching it
     * upstream if needed. Empty means: serve it from storage as usual (the local repository, or
     * the cache now filled); otherwise the answer to send.
     */
    public Optional<ApiResponse> manifest(String name, String reference) throws IOException {
        String key = name + "@" + reference;
        CompletableFuture<Optional<ApiResponse>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<ApiResponse>> leader = manifestChecks.putIfAbsent(key, mine);
        if (leader != null) {
            Optional<ApiResponse> shared = awaitLeader(leader);
            if (shared.isEmpty()) {
                return shared; // the manifest is in the cache now: served from storage
            }
            return checkManifest(name, reference); // an answer is not shared: one body per client
        }
        try {
            Optional<ApiResponse> answer = checkManifest(name, reference);
            mine.complete(answer);
            return answer;
        } catch (IOException | RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            manifestChecks.remove(key, mine);
        }
    }

    /**
     * The outcome of another request's manifest look-up: its answer, or the same failure; waited
     * for as a blob download is ({@link #FOLLOWER_WAIT}, an interrupt ends the wait).
     */
    private static Optional<ApiResponse> awaitLeader(CompletableFuture<Optional<ApiResponse>> leader) throws IOException {
        try {
            return leader.get(FOLLOWER_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RegistryException registryError) {
                // a copy, so that each request's error is its own object
                throw new RegistryException(registryError.code(), registryError.status(),
                        registryError.getMessage(), registryError.detail());
            }
            throw new IOException("the manifest look-up this request waited for failed", cause);
        } catch (TimeoutException e) {
            throw new RegistryException(ErrorCode.UNAVAILABLE, "the manifest is still being looked up upstream; try again later",
                    null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a manifest look-up", e);
        }
    }

    private Optional<ApiResponse> checkManifest(String name, String reference) throws IOException {
        Optional<Target> routed = pullTarget(name);
        if (routed.isEmpty()) {
            return Optional.empty();
        }
        Target target = routed.get();
        String remote = target.remote().name();
        if (Digest.looksLikeDigest(reference)) {
            Digest digest = Digest.parse(reference);
            if (isCached(name, digest)) {
                hit(name, target, "manifest " + digest);
                return Optional.empty();
            }
            fetchManifest(name, target, reference, null, Optional.empty());
            return Optional.empty();
        }
        Optional<Digest> cached = registry.tags().resolve(name, reference);
        if (cached.isPresent() && !isCached(name, cached.get())) {
            log.info("proxy: the cached manifest {} of {}:{} has no data left (removed by a garbage collection?); fetching it again",
                    cached.get(), name, reference);
            cached = Optional.empty();
        }
        if (cached.isEmpty()) {
            fetchManifest(name, target, reference, reference, Optional.empty());
            return Optional.empty();
        }
        Instant now = clock.instant();
        Duration freshness = tagFreshness(target.remote());
        Optional<Instant> checked = freshness.isZero() ? Optional.empty() : registry.cached().tagChecked(name, reference);
        if (checked.isPresent() && now.isBefore(checked.get().plus(freshness))) {
            hit(name, target, "tag " + reference);
            return Optional.empty();
        }
        try (UpstreamRegistry.Response head = target.remote().send("HEAD", target.upstream(), "/manifests/" + reference,
                MANIFEST_ACCEPT)) {
            int status = head.statusCode();
            if (status == 200 && head.header("Docker-Content-Digest").map(cached.get().toString()::equals).orElse(false)) {
                if (!freshness.isZero()) {
                    registry.cached().recordTagCheck(name, reference, now);
                }
                hit(name, target, "tag " + reference + " (unchanged upstream)");
                return Optional.empty();
            }
            if (status == 404) {
                throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown to remote " + remote,
                        Map.of("reference", reference));
            }
            if (status == 401 || status == 403) {
                log.debug("proxy: remote {} refused HEAD of {}:{} ({}); serving the cached tag", remote, target.upstream(),
                        reference, status);
                counters.staleServed(remote);
                return Optional.empty();
            }
        } catch (UpstreamRegistry.UnavailableException e) {
            counters.upstreamFailure(remote);
            counters.staleServed(remote);
            log.debug("proxy: serving the cached tag {} of {} unchecked: {}", reference, name, e.getMessage());
            registry.cached().recordPull(name, remote, target.upstream(), now);
            return Optional.empty();
        }
        try {
            fetchManifest(name, target, reference, reference, cached);
        } catch (UpstreamRegistry.UnavailableException e) {
            counters.staleServed(remote);
        }
        return Optional.empty();
    }

    /**
     * Counts a manifest look-up that found the remote unavailable; with no cached tag to serve
     * instead, throws the error for what is not cached.
     */
    private void failUnlessStale(UpstreamRegistry.UnavailableException e, String remote, String name, String reference,
                                 Optional<Digest> stale) {
        counters.upstreamFailure(remote);
        if (stale.isEmpty()) {
            throw notCached(e, name + ":" + reference);
        }
    }

    /**
     * The error for content that is not cached while its remote is unavailable: {@code 503
     * UNAVAILABLE}, or {@code 429 TOOMANYREQUESTS} when the remote limited the rate, which clients
     * show as such (Docker Hub's pull rate limit) and may retry later.
     */
    private static RegistryException notCached(UpstreamRegistry.UnavailableException e, String what) {
        return new RegistryException(e.rateLimited() ? ErrorCode.TOOMANYREQUESTS : ErrorCode.UNAVAILABLE,
                e.getMessage() + "; " + what + " is not cached", null);
    }

    /**
     * Whether manifest {@code digest} of {@code name} can be served from the cache: linked in the
     * repository and its bytes still stored. A garbage collection that ran while the mirror stored
     * a manifest can leave the link without the bytes; trusting the link alone would answer
     * {@code MANIFEST_UNKNOWN} for that tag until somebody removed it.
     */
    private boolean isCached(String name, Digest digest) throws IOException {
        return registry.manifests().exists(name, digest) && registry.blobs().statGlobal(digest).isPresent();
    }

    /**
     * How long a cached tag of {@code remote} is served without asking upstream. In registry:2's
     * form ({@code remoteurl}) not at all: registry:2's proxy checks a tag upstream on every pull
     * (a {@code HEAD}, which Docker Hub does not count against its pull limit), and its {@code ttl}
     * is how long cached content is kept, not how long a tag is trusted; a registry:2
     * configuration's {@code ttl: 168h} would otherwise serve a moved {@code latest} for a week.
     * A named remote's {@code ttl} is that window.
     */
    private Duration tagFreshness(UpstreamRegistry remote) {
        return config.wholeRegistry() ? Duration.ZERO : remote.config().ttl();
    }

    private void hit(String name, Target target, String what) throws IOException {
        counters.manifestHit(target.remote().name());
        log.debug("proxy: hit {} of {} (remote {})", what, name, target.remote().name());
        registry.cached().recordPull(name, target.remote().name(), target.upstream(), clock.instant());
    }

    /**
     * GETs the manifest upstream and stores it (under {@code tag} if not null).
     *
     * @param stale the tag's cached digest, served if the remote is unavailable; without one that is a 503
     */
    private void fetchManifest(String name, Target target, String reference, String tag, Optional<Digest> stale)
            throws IOException {
        String remote = target.remote().name();
        UpstreamRegistry.Response response;
        try {
            response = target.remote().send("GET", target.upstream(), "/manifests/" + reference, MANIFEST_ACCEPT);
        } catch (UpstreamRegistry.UnavailableException e) {
            failUnlessStale(e, remote, name, reference, stale);
            throw e;
        }
        try (response) {
            checkStatus(response, target, "manifest " + reference, ErrorCode.MANIFEST_UNKNOWN, Map.of("reference", reference));
            byte[] content;
            try {
                content = target.remote().readBody(response, dev.registry.storage.ManifestService.MAX_MANIFEST_BYTES + 1);
            } catch (UpstreamRegistry.UnavailableException e) {
                failUnlessStale(e, remote, name, reference, stale);
                throw e;
            }
            if (content.length > dev.registry.storage.ManifestService.MAX_MANIFEST_BYTES) {
                throw new RegistryException(ErrorCode.MANIFEST_INVALID, 502, "remote " + remote + " sent a manifest larger than "
                        + dev.registry.storage.ManifestService.MAX_MANIFEST_BYTES + " bytes", null);
            }
            Digest digest;
            if (tag == null) {
                digest = Digest.parse(reference);
            } else {
                digest = response.header("Docker-Content-Digest").filter(d -> {
                    try {
                        Digest.parse(d);
                        return true;
                    } catch (RegistryException e) {
                        return false;
                    }
                }).map(Digest::parse).orElseGet(() -> Digest.sha256(content));
            }
            Instant now = clock.instant();
            // the mark first: from the first stored byte on, the repository is known to be a cache
            registry.cached().recordPull(name, remote, target.upstream(), now);
            try {
                registry.manifests().putFetched(name, tag, digest, response.header("Content-Type").orElse(null), content);
            } catch (RegistryException e) {
                throw new RegistryException(e.code(), 502, "remote " + remote + " sent a manifest that cannot be stored: "
                        + e.getMessage(), e.detail());
            }
            if (tag != null && !tagFreshness(target.remote()).isZero()) {
                registry.cached().recordTagCheck(name, tag, now);
            }
            counters.manifestMiss(remote);
            log.debug("proxy: miss {}:{} fetched from remote {} as {} ({})", name, reference, remote, target.upstream(), digest);
        }
    }

    /** Turns an upstream refusal into the matching error; returns on 200. */
    private static void checkStatus(UpstreamRegistry.Response response, Target target, String what, ErrorCode unknown,
                                    Map<String, String> detail) {
        int status = response.statusCode();
        String remote = target.remote().name();
        if (status == 200) {
            return;
        }
        if (status == 404) {
            throw new RegistryException(unknown, what + " unknown to remote " + remote, detail);
        }
        if (status == 401 || status == 403) {
            throw new RegistryException(ErrorCode.DENIED, "remote " + remote + " refused access to " + target.upstream()
                    + " (status " + status + "): check the proxy credentials for it", null);
        }
        throw new RegistryException(ErrorCode.UNKNOWN, 502, "remote " + remote + " answered " + what + " of "
                + target.upstream() + " with status " + status, null);
    }

    /**
     * Makes sure blob {@code digest} of {@code name} can be served: empty to serve it from storage
     * as usual, or the answer to send (a download streaming to this client, or a HEAD's answer).
     */
    public Optional<ApiResponse> blob(ApiRequest request, String name, Digest digest) throws IOException {
        Optional<Target> routed = pullTarget(name);
        if (routed.isEmpty()) {
            return Optional.empty();
        }
        Target target = routed.get();
        String remote = target.remote().name();
        if (registry.blobs().stat(name, digest).isPresent()) {
            counters.blobHit(remote);
            log.debug("proxy: hit blob {} of {} (remote {})", digest, name, remote);
            return Optional.empty();
        }
        if (request.isHead() || registry.blobs().statGlobal(digest).isPresent()) {
            // Stored for another repository, or a HEAD: ask the upstream whether this repository
            // has it (a digest alone must not open another repository's content).
            UpstreamRegistry.Response head;
            try {
                head = target.remote().send("HEAD", target.upstream(), "/blobs/" + digest, null);
            } catch (UpstreamRegistry.UnavailableException e) {
                counters.upstreamFailure(remote);
                throw notCached(e, "blob " + digest + " of " + name);
            }
            try (head) {
                checkStatus(head, target, "blob " + digest, ErrorCode.BLOB_UNKNOWN, Map.of("digest", digest.toString()));
                if (!request.isHead() || registry.blobs().statGlobal(digest).isPresent()) {
                    registry.blobs().link(name, digest);
                    counters.blobHit(remote);
                    return Optional.empty();
                }
                return Optional.of(blobHeaders(ApiResponse.of(200), digest).headersOnly(Math.max(0, head.contentLength())));
            }
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            Download mine = new Download();
            String key = name + "@" + digest;
            Download running = downloads.putIfAbsent(key, mine);
            if (running == null) {
                return download(name, target, digest, key, mine);
            }
            running.waiting.incrementAndGet();
            try {
                running.done.get(FOLLOWER_WAIT.toSeconds(), TimeUnit.SECONDS);
                counters.blobHit(remote);
                log.debug("proxy: blob {} of {} served after another request's download", digest, name);
                return Optional.empty();
            } catch (ExecutionException failed) {
                log.debug("proxy: the download of blob {} this request waited for failed: {}", digest,
                        String.valueOf(failed.getCause()));
            } catch (TimeoutException e) {
                throw new RegistryException(ErrorCode.UNAVAILABLE, "blob " + digest + " is still being downloaded from remote "
                        + remote + "; try again later", null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for blob " + digest, e);
            } finally {
                running.waiting.decrementAndGet();
            }
        }
        throw new RegistryException(ErrorCode.UNAVAILABLE, "downloading blob " + digest + " from remote " + remote
                + " failed twice; try again later", null);
    }

    private Optional<ApiResponse> download(String name, Target target, Digest digest, String key, Download download)
            throws IOException {
        String remote = target.remote().name();
        UpstreamRegistry.Response response = null;
        BlobIngest ingest = null;
        try {
            try {
                response = target.remote().send("GET", target.upstream(), "/blobs/" + digest, null);
            } catch (UpstreamRegistry.UnavailableException e) {
                counters.upstreamFailure(remote);
                throw notCached(e, "blob " + digest + " of " + name);
            }
            checkStatus(response, target, "blob " + digest, ErrorCode.BLOB_UNKNOWN, Map.of("digest", digest.toString()));
            long size = response.contentLength();
            if (size < 0) {
                throw new RegistryException(ErrorCode.UNKNOWN, 502, "remote " + remote + " sent blob " + digest
                        + " without a Content-Length", null);
            }
            registry.cached().recordPull(name, remote, target.upstream(), clock.instant());
            ingest = registry.blobs().ingest(name, digest, size);
            counters.blobMiss(remote);
            log.debug("proxy: miss blob {} of {} ({} bytes) streaming from remote {}", digest, name, size, remote);
            if (size == 0) {
                ingest.complete();
                response.close();
                finish(key, download, null);
                return Optional.empty();
            }
            UpstreamBlobChannel[] self = new UpstreamBlobChannel[1];
            UpstreamBlobChannel channel = new UpstreamBlobChannel(response, ingest, size,
                    () -> download.waiting.get() > 0, failure -> {
                        streaming.remove(self[0]);
                        finish(key, download, failure);
                    });
            self[0] = channel;
            streaming.add(channel);
            return Optional.of(blobHeaders(ApiResponse.of(200), digest).stream(channel, 0, size));
        } catch (IOException | RuntimeException e) {
            if (ingest != null) {
                ingest.abort();
            }
            if (response != null) {
                response.close();
            }
            finish(key, download, e);
            throw e;
        }
    }

    private void cutStalledDownloads() {
        long now = System.nanoTime();
        for (UpstreamBlobChannel channel : streaming) {
            if (channel.stalled(now, stallTimeout.toNanos())) {
                streaming.remove(channel);
                channel.cutStalled();
            }
        }
    }

    private void finish(String key, Download download, Throwable failure) {
        downloads.remove(key, download);
        if (failure == null) {
            download.done.complete(null);
        } else {
            download.done.completeExceptionally(failure);
        }
    }

    private static ApiResponse blobHeaders(ApiResponse response, Digest digest) {
        return response.header("Docker-Content-Digest", digest.toString())
                .header("Content-Type", "application/octet-stream")
                .header("ETag", "\"" + digest + "\"")
                .header("Cache-Control", "max-age=31536000");
    }

    /**
     * The upstream's referrers of {@code subject}, byte for byte, when the remote answers them;
     * empty to answer from the cache (the remote has no referrers API, or is unavailable).
     */
    public Optional<ApiResponse> referrers(ApiRequest request, String name, Digest subject) throws IOException {
        Optional<Target> routed = pullTarget(name);
        if (routed.isEmpty()) {
            return Optional.empty();
        }
        Target target = routed.get();
        String artifactType = request.query("artifactType");
        String path = "/referrers/" + subject + (artifactType == null ? ""
                : "?artifactType=" + URLEncoder.encode(artifactType, StandardCharsets.UTF_8));
        try (UpstreamRegistry.Response response = target.remote().send("GET", target.upstream(), path, MediaTypes.OCI_INDEX)) {
            if (response.statusCode() != 200) {
                return Optional.empty();
            }
            byte[] body = target.remote().readBody(response, REFERRERS_LIMIT + 1);
            if (body.length > REFERRERS_LIMIT) {
                return Optional.empty();
            }
            ApiResponse answer = ApiResponse.of(200).body(body, response.header("Content-Type").orElse(MediaTypes.OCI_INDEX));
            response.header("OCI-Filters-Applied").ifPresent(filters -> answer.header("OCI-Filters-Applied", filters));
            return Optional.of(answer);
        } catch (UpstreamRegistry.UnavailableException e) {
            counters.upstreamFailure(target.remote().name());
            return Optional.empty();
        }
    }
}
