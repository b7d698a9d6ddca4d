package dev.registry.e2e.mirror;

import static dev.registry.e2e.clients.E2eAssertions.assertImageInLayout;
import static dev.registry.e2e.clients.E2eAssertions.assertIndexInLayout;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.e2e.RegistryProcess;
import dev.registry.e2e.ops.PrometheusText;
import dev.registry.e2e.clients.Cli;
import dev.registry.e2e.clients.DistributionRegistry;
import dev.registry.e2e.clients.OciLayoutBuilder;
import dev.registry.e2e.clients.Skopeo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The pull-through mirror ({@code proxy.remotes}) against real upstream registries on loopback:
 * docker-registry with htpasswd ({@code basic/}), our own registry with its token server
 * ({@code tok/}), a docker-registry without auth that the tests stop ({@code flaky/}, short ttl),
 * and one without auth as the default remote ({@code hub}). What the mirror asked upstream is
 * read from the upstreams' access logs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class MirrorE2ETest {
    private static final int KIB = 1024;
    private static final String MIRROR_USER = "mirror";
    private static final String MIRROR_PASSWORD = "mirror-pw-1";
    private static final String PUSHER = "pusher";
    private static final String PUSHER_PASSWORD = "pusher-pw-1";
    /** The flaky remote's ttl: long enough that a pull right after a fetch is inside it on a slow machine. */
    private static final Duration FLAKY_TTL = Duration.ofSeconds(6);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Path work;
    private Upstream basic;
    private Upstream token;
    private Upstream flaky;
    private Upstream hub;
    private RegistryProcess mirror;
    private Path mirrorRoot;
    /** The mirror's debug listener, for its Prometheus metrics. */
    private int debugPort;
    /** The OCI layout each pushed image came from, by manifest digest. */
    private final Map<String, Path> layouts = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeAll
    void start() throws Exception {
        Cli.assumeTools(Skopeo.BINARY, DistributionRegistry.BINARY);
        work = RegistryProcess.workDir("mirror");
        basic = Upstream.distribution("basic", PUSHER, PUSHER_PASSWORD);
        flaky = Upstream.distribution("flaky", null, null);
        hub = Upstream.distribution("hub", null, null);
        token = Upstream.tokenServer("token", Map.of(PUSHER, PUSHER_PASSWORD, MIRROR_USER, MIRROR_PASSWORD), """
                  access:
                    - { repositories: ["**"], users: [pusher], actions: ["*"] }
                    - { repositories: ["team/**"], users: [mirror], actions: [pull] }
                    - { repositories: ["public/**"], users: [anonymous, "*"], actions: [pull] }
                """);
        Path passwordFile = Files.writeString(work.resolve("basic-password"), PUSHER_PASSWORD + "\n");
        mirrorRoot = work.resolve("mirror-storage");
        debugPort = RegistryProcess.freePort();
        mirror = RegistryProcess.start(mirrorRoot, """
                proxy:
                  remotes:
                    - name: basic
                      url: %s
                      credentials:
                        - repositories: ['team/**']
                          username: %s
                          passwordfile: %s
                    - name: tok
                      url: %s
                      credentials:
                        - repositories: ['team/**']
                          username: %s
                          password: %s
                    - name: flaky
                      url: %s
                      ttl: %ds
                    - name: hub
                      url: %s
                      ttl: 1h
                  default: hub
                """.formatted(basic.baseUrl(), PUSHER, passwordFile, token.baseUrl(), MIRROR_USER, MIRROR_PASSWORD,
                flaky.baseUrl(), FLAKY_TTL.toSeconds(), hub.baseUrl()),
                Map.of("REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:" + debugPort, "REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true"));
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable server : new AutoCloseable[] {mirror, basic, token, flaky, hub}) {
            if (server != null) {
                server.close();
            }
        }
    }

    private String mirrorRef(String nameAndTag) {
        return "docker://" + mirror.hostPort() + "/" + nameAndTag;
    }

    private OciLayoutBuilder.Image pushImage(Upstream upstream, String nameAndTag, String creds, int... layerSizes)
            throws Exception {
        OciLayoutBuilder layout = new OciLayoutBuilder(work.resolve("src-" + System.nanoTime()));
        OciLayoutBuilder.Image image = layout.image("linux", "amd64", layerSizes);
        layout.tag(image.manifest(), "t");
        layouts.put(image.manifest().digest(), layout.dir());
        List<String> options = new ArrayList<>(List.of("--preserve-digests"));
        if (creds != null) {
            options.addAll(List.of("--dest-creds", creds));
        }
        Skopeo.copy("oci:" + layout.dir() + ":t", "docker://" + upstream.hostPort() + "/" + nameAndTag,
                options.toArray(String[]::new));
        return image;
    }

    private HttpResponse<byte[]> get(String path, String accept) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(mirror.baseUrl() + path)).timeout(Duration.ofSeconds(60));
        if (accept != null) {
            request.header("Accept", accept);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<String> send(String method, String path, byte[] body, String contentType) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(mirror.baseUrl() + path))
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private PrometheusText scrape() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + debugPort + "/metrics"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return PrometheusText.parse(response.body());
    }

    /** How much {@code registry_proxy_requests_total} of remote {@code hub} grew between two scrapes. */
    private static double delta(PrometheusText before, PrometheusText after, String kind, String result) {
        String[] labels = {"remote", "hub", "kind", kind, "result", result};
        return after.value("registry_proxy_requests_total", labels) - before.value("registry_proxy_requests_total", labels);
    }

    private String failureContext() {
        return "\n--- mirror log ---\n" + mirror.output();
    }

    @Test
    void basicAuthRemoteServesExactManifestAndBlobsAndMarksTheCache() throws Exception {
        OciLayoutBuilder.Image image = pushImage(basic, "team/app:v1", PUSHER + ":" + PUSHER_PASSWORD, 2 * KIB, 300 * KIB);

        assertArrayEquals(image.manifestBytes(), Skopeo.inspectRaw(mirrorRef("basic/team/app:v1")), failureContext());
        Path out = work.resolve("basic-out");
        Skopeo.copy(mirrorRef("basic/team/app:v1"), "oci:" + out + ":v1", "--preserve-digests");
        assertImageInLayout(out, "v1", layouts.get(image.manifest().digest()), image);

        Path marker = mirrorRoot.resolve("docker/registry/v2/repositories/basic/team/app/_proxy/cache");
        assertTrue(Files.isRegularFile(marker), "the cached repository is marked as a cache");
        String mark = Files.readString(marker);
        assertTrue(mark.contains("\"remote\":\"basic\"") && mark.contains("\"upstream\":\"team/app\"")
                && mark.contains("\"lastPulled\""), mark);
        for (String digest : image.blobDigests()) {
            String hex = digest.substring("sha256:".length());
            assertTrue(Files.isRegularFile(mirrorRoot.resolve("docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/"
                    + hex + "/data")), "blob " + digest + " is stored in the ordinary layout");
        }
        assertTrue(basic.output().contains("auth.user.name=" + PUSHER), "docker-registry saw the configured user");
        assertFalse(mirror.output().contains(PUSHER_PASSWORD), "the password never reaches the log");

        // team/** has credentials, other/** has none: docker-registry refuses anonymous pulls
        pushImage(basic, "other/app:v1", PUSHER + ":" + PUSHER_PASSWORD, KIB);
        HttpResponse<byte[]> refused = get("/v2/basic/other/app/manifests/v1", OciLayoutBuilder.OCI_MANIFEST);
        assertEquals(403, refused.statusCode(), new String(refused.body()));
        assertTrue(new String(refused.body()).contains("DENIED"), new String(refused.body()));
    }

    @Test
    void tokenFlowSendsCredentialsOnlyWhereTheirGlobMatches() throws Exception {
        String pusher = PUSHER + ":" + PUSHER_PASSWORD;
        OciLayoutBuilder.Image team = pushImage(token, "team/svc:v1", pusher, 4 * KIB, 64 * KIB);
        OciLayoutBuilder.Image open = pushImage(token, "public/lib:v1", pusher, 8 * KIB);

        assertArrayEquals(team.manifestBytes(), Skopeo.inspectRaw(mirrorRef("tok/team/svc:v1")), failureContext());
        Skopeo.copy(mirrorRef("tok/team/svc:v1"), "oci:" + work.resolve("tok-team") + ":v1", "--preserve-digests");
        Skopeo.copy(mirrorRef("tok/public/lib:v1"), "oci:" + work.resolve("tok-public") + ":v1", "--preserve-digests");
        assertArrayEquals(open.manifestBytes(), Skopeo.inspectRaw(mirrorRef("tok/public/lib:v1")));

        // the mirror's own requests (the pushes above were the pusher's)
        List<String> mirrorTokens = token.requests("/auth/token").stream()
                .filter(line -> line.contains("ua=\"oci-registry-mirror\"")).toList();
        List<String> teamTokens = mirrorTokens.stream().filter(line -> line.contains("team%2Fsvc")).toList();
        List<String> publicTokens = mirrorTokens.stream().filter(line -> line.contains("public%2Flib")).toList();
        assertFalse(teamTokens.isEmpty(), "the mirror got tokens for team/svc:\n" + token.output());
        assertFalse(publicTokens.isEmpty(), "the mirror got tokens for public/lib:\n" + token.output());
        assertTrue(teamTokens.stream().allMatch(line -> line.contains("user=" + MIRROR_USER)), String.join("\n", teamTokens));
        assertTrue(publicTokens.stream().noneMatch(line -> line.contains("user=" + MIRROR_USER)),
                "no credentials for a repository no glob matches:\n" + String.join("\n", publicTokens));
        List<String> teamBlobs = token.requests("/v2/team/svc/blobs/").stream()
                .filter(line -> line.contains("ua=\"oci-registry-mirror\"")).toList();
        assertFalse(teamBlobs.isEmpty());
        assertTrue(teamBlobs.stream().allMatch(line -> line.contains("user=" + MIRROR_USER) && line.contains("\" 200 ")),
                String.join("\n", teamBlobs));
        // one token per scope, reused: not one token request per blob
        assertTrue(teamTokens.size() <= 2, String.join("\n", teamTokens));
    }

    @Test
    void indexAndChildrenPassThroughByteForByteWithCopyAll() throws Exception {
        OciLayoutBuilder layout = new OciLayoutBuilder(work.resolve("index-src"));
        OciLayoutBuilder.Image amd64 = layout.image("linux", "amd64", 16 * KIB, 100 * KIB);
        OciLayoutBuilder.Image arm64 = layout.image("linux", "arm64", 12 * KIB);
        OciLayoutBuilder.Index index = layout.index(List.of(amd64, arm64));
        layout.tag(index.descriptor(), "1");
        Skopeo.copy("oci:" + layout.dir() + ":1", "docker://" + hub.hostPort() + "/multi/app:1", "--all", "--preserve-digests");

        assertArrayEquals(index.bytes(), Skopeo.inspectRaw(mirrorRef("multi/app:1")), failureContext());
        Path out = work.resolve("index-out");
        Skopeo.copy(mirrorRef("multi/app:1"), "oci:" + out + ":1", "--all", "--preserve-digests");
        assertIndexInLayout(out, "1", layout.dir(), index);

        HttpResponse<byte[]> child = get("/v2/multi/app/manifests/" + arm64.manifest().digest(), OciLayoutBuilder.OCI_MANIFEST);
        assertEquals(200, child.statusCode());
        assertArrayEquals(arm64.manifestBytes(), child.body());
        assertEquals(arm64.manifest().digest(), child.headers().firstValue("Docker-Content-Digest").orElse(null));
        assertEquals(OciLayoutBuilder.OCI_MANIFEST, child.headers().firstValue("Content-Type").orElse(null));
        HttpResponse<byte[]> top = get("/v2/multi/app/manifests/1", OciLayoutBuilder.OCI_INDEX);
        assertEquals(OciLayoutBuilder.OCI_INDEX, top.headers().firstValue("Content-Type").orElse(null));
        assertEquals(index.descriptor().digest(), top.headers().firstValue("Docker-Content-Digest").orElse(null));
    }

    @Test
    void eightParallelPullsOfAnUncachedImageCauseOneUpstreamDownloadPerBlob() throws Exception {
        OciLayoutBuilder.Image image = pushImage(hub, "par/app:1", null, 16 * KIB * KIB, 64 * KIB);
        String bigLayer = image.layers().get(0).digest();

        PrometheusText before = scrape();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Cli.Result>> pulls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Path out = work.resolve("par-out-" + i);
                pulls.add(pool.submit(() -> Skopeo.copy(mirrorRef("par/app:1"), "oci:" + out + ":1", "--preserve-digests")));
            }
            for (Future<Cli.Result> pull : pulls) {
                pull.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < 8; i++) {
            Path blob = OciLayoutBuilder.blobPath(work.resolve("par-out-" + i), bigLayer);
            assertEquals(bigLayer, OciLayoutBuilder.sha256(blob), "pull " + i + " got the layer's exact bytes");
        }
        for (String digest : image.blobDigests()) {
            int downloads = hub.requests("\"GET /v2/par/app/blobs/" + digest).size();
            assertTrue(downloads >= 1 && downloads <= 2, "blob " + digest + " was downloaded " + downloads
                    + " times upstream for 8 parallel pulls:\n" + String.join("\n", hub.requests("/v2/par/app/")));
        }
        int blobs = image.blobDigests().size();
        PrometheusText afterFirst = scrape();
        double misses = delta(before, afterFirst, "blob", "miss");
        assertTrue(misses >= blobs && misses <= 2.0 * blobs, "blob misses " + misses + " for " + blobs + " blobs");
        assertEquals(8.0 * blobs, misses + delta(before, afterFirst, "blob", "hit"), 0.0,
                "every blob request of the 8 pulls is a hit or a miss");
        assertTrue(delta(before, afterFirst, "manifest", "miss") >= 1);
        int blobGetsBefore = hub.requests("\"GET /v2/par/app/blobs/").size();
        int manifestGetsBefore = hub.requests("\"GET /v2/par/app/manifests/sha256:").size();

        Skopeo.copy(mirrorRef("par/app:1"), "oci:" + work.resolve("par-out-again") + ":1", "--preserve-digests");
        HttpResponse<byte[]> byDigest = get("/v2/par/app/manifests/" + image.manifest().digest(), OciLayoutBuilder.OCI_MANIFEST);
        assertArrayEquals(image.manifestBytes(), byDigest.body());

        assertEquals(blobGetsBefore, hub.requests("\"GET /v2/par/app/blobs/").size(), "a cached blob is a hit");
        assertEquals(manifestGetsBefore, hub.requests("\"GET /v2/par/app/manifests/sha256:").size(),
                "a manifest by digest is served from the cache");
        PrometheusText afterSecond = scrape();
        assertEquals(0, delta(afterFirst, afterSecond, "blob", "miss"), 0.0);
        assertEquals(blobs, delta(afterFirst, afterSecond, "blob", "hit"), 0.0);
        assertTrue(delta(afterFirst, afterSecond, "manifest", "hit") >= 2, "by tag and by digest");
    }

    @Test
    void tagMovedUpstreamIsSeenAfterTtlAndCachedContentOutlivesTheUpstream() throws Exception {
        OciLayoutBuilder.Image first = pushImage(flaky, "app/x:v1", null, 20 * KIB);
        assertArrayEquals(first.manifestBytes(), Skopeo.inspectRaw(mirrorRef("flaky/app/x:v1")));
        long fetched = System.nanoTime();

        OciLayoutBuilder.Image second = pushImage(flaky, "app/x:v1", null, 30 * KIB);
        if (System.nanoTime() - fetched < FLAKY_TTL.toNanos() / 2) {
            assertArrayEquals(first.manifestBytes(), Skopeo.inspectRaw(mirrorRef("flaky/app/x:v1")),
                    "inside its ttl the cached tag is served without asking upstream");
        }
        Thread.sleep(Math.max(0, FLAKY_TTL.toMillis() - (System.nanoTime() - fetched) / 1_000_000 + 500));
        Path before = work.resolve("flaky-before");
        Skopeo.copy(mirrorRef("flaky/app/x:v1"), "oci:" + before + ":v1", "--preserve-digests");
        assertEquals(second.manifest().digest(), OciLayoutBuilder.indexEntry(before, "v1").path("digest").asText(),
                "after its ttl the tag is checked upstream and the moved tag is seen" + failureContext());
        assertFalse(flaky.requests("\"HEAD /v2/app/x/manifests/v1").isEmpty(), "the tag was re-checked with a HEAD");

        flaky.close();
        Thread.sleep(FLAKY_TTL.toMillis() + 500);
        for (int i = 0; i < 3; i++) {
            Path after = work.resolve("flaky-after-" + i);
            Skopeo.copy(mirrorRef("flaky/app/x:v1"), "oci:" + after + ":v1", "--preserve-digests");
            assertEquals(second.manifest().digest(), OciLayoutBuilder.indexEntry(after, "v1").path("digest").asText());
        }
        assertArrayEquals(first.manifestBytes(), get("/v2/flaky/app/x/manifests/" + first.manifest().digest(),
                OciLayoutBuilder.OCI_MANIFEST).body(), "manifests by digest too");
        HttpResponse<byte[]> uncached = get("/v2/flaky/app/x/manifests/never-pulled", OciLayoutBuilder.OCI_MANIFEST);
        assertEquals(503, uncached.statusCode(), new String(uncached.body()));
        assertTrue(new String(uncached.body()).contains("UNAVAILABLE"));

        long downLines = mirror.output().lines().filter(line -> line.contains("remote flaky") && line.contains("is unavailable"))
                .count();
        assertEquals(1, downLines, "the log says once that the remote is down, not once per request:" + failureContext());
    }

    @Test
    void namesUnderARemoteAreReadOnlyAndLocalPushesWorkBesideTheCaches() throws Exception {
        HttpResponse<String> start = send("POST", "/v2/basic/team/new/blobs/uploads/", new byte[0], null);
        assertEquals(405, start.statusCode(), start.body());
        assertTrue(start.body().contains("UNSUPPORTED"), start.body());
        HttpResponse<String> manifest = send("PUT", "/v2/hub/some/app/manifests/1",
                "{\"schemaVersion\":2}".getBytes(), OciLayoutBuilder.OCI_MANIFEST);
        assertEquals(405, manifest.statusCode(), manifest.body());
        OciLayoutBuilder layout = new OciLayoutBuilder(work.resolve("push-src"));
        OciLayoutBuilder.Image image = layout.image("linux", "amd64", 4 * KIB);
        layout.tag(image.manifest(), "1");
        Cli.Result refused = Cli.of(Skopeo.BINARY, "--insecure-policy", "copy", "--retry-times", "0",
                "--dest-tls-verify=false", "oci:" + layout.dir() + ":1", mirrorRef("basic/team/new:1")).run();
        assertFalse(refused.ok(), refused.describe());
        assertFalse(Files.exists(mirrorRoot.resolve("docker/registry/v2/repositories/basic/team/new")),
                "a refused push stores nothing");
        assertFalse(Files.exists(mirrorRoot.resolve("docker/registry/v2/repositories/hub/some")));

        // a name that no remote's prefix claims is pushed here and then served from here
        Skopeo.copy("oci:" + layout.dir() + ":1", mirrorRef("mine/app:1"), "--preserve-digests");
        assertArrayEquals(image.manifestBytes(), Skopeo.inspectRaw(mirrorRef("mine/app:1")));
        assertTrue(hub.requests("/v2/mine/app/manifests/").isEmpty(), "a local repository is not fetched from the default remote");
    }

    /**
     * {@code storage.maintenance.garbagecollect.cacheexpiry}: a cached repository that clients keep
     * pulling stays, one nobody pulled for the expiry is removed with its blobs, and the next pull
     * fetches it from upstream again.
     */
    @Test
    void onlineCollectionExpiresCachedRepositoriesNobodyPulled() throws Exception {
        OciLayoutBuilder.Image image = pushImage(hub, "expiring/app:1", null, 24 * KIB);
        Path dir = work.resolve("expiring");
        Path root = dir.resolve("storage");
        try (RegistryProcess expiring = RegistryProcess.start(root, """
                  maintenance:
                    garbagecollect:
                      enabled: true
                      interval: 1s
                      graceperiod: 4s
                      cacheexpiry: 8s
                proxy:
                  remotes:
                    - name: hub
                      url: %s
                      ttl: 1h
                  default: hub
                """.formatted(hub.baseUrl()))) {
            String ref = "docker://" + expiring.hostPort() + "/expiring/app:1";
            Path layer = root.resolve("docker/registry/v2/blobs/sha256/" + image.layers().get(0).digest().substring(7, 9) + "/"
                    + image.layers().get(0).digest().substring(7) + "/data");
            Skopeo.copy(ref, "oci:" + dir.resolve("first") + ":1", "--preserve-digests");
            assertTrue(Files.exists(layer), "the layer is cached");
            int layerGets = hub.requests("\"GET /v2/expiring/app/blobs/" + image.layers().get(0).digest()).size();
            assertEquals(1, layerGets);

            // pulled every second for twice the expiry: it stays
            long keepUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(16);
            while (System.nanoTime() < keepUntil) {
                assertArrayEquals(image.manifestBytes(), Skopeo.inspectRaw(ref));
                Thread.sleep(1_000);
            }
            assertTrue(Files.exists(layer), "a cache in use is kept:\n" + expiring.output());
            assertFalse(expiring.output().contains("removed cached repository"), expiring.output());

            // left alone: removed within the expiry plus a few collections
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (Files.exists(layer) && System.nanoTime() < deadline) {
                Thread.sleep(500);
            }
            assertFalse(Files.exists(layer), "the layer of an expired cache is collected:\n" + expiring.output());
            assertTrue(expiring.output().contains("garbage collection removed cached repository expiring/app"), expiring.output());
            assertFalse(Files.exists(root.resolve("docker/registry/v2/repositories/expiring/app/_proxy/cache")));

            Path again = dir.resolve("again");
            Skopeo.copy(ref, "oci:" + again + ":1", "--preserve-digests");
            assertEquals(image.manifest().digest(), OciLayoutBuilder.indexEntry(again, "1").path("digest").asText());
            assertEquals(layerGets + 1, hub.requests("\"GET /v2/expiring/app/blobs/" + image.layers().get(0).digest()).size(),
                    "the expired layer is fetched upstream again");
            assertTrue(Files.exists(layer));
        }
    }

    @Test
    void accessRulesApplyToCachedRepositoriesBeforeAnythingIsFetched() throws Exception {
        OciLayoutBuilder.Image allowed = pushImage(hub, "allowed/app:1", null, 4 * KIB);
        pushImage(hub, "denied/app:1", null, 4 * KIB);
        Path dir = work.resolve("guarded");
        Files.createDirectories(dir);
        Path htpasswd = dir.resolve("htpasswd");
        Upstream.writeHtpasswd(htpasswd, "alice", "alice-pw-1");
        try (RegistryProcess guarded = RegistryProcess.start(dir.resolve("storage"), """
                auth:
                  htpasswd:
                    realm: mirror
                    path: %s
                  access:
                    - { repositories: ["hub/allowed/**"], users: [alice], actions: [pull] }
                proxy:
                  remotes:
                    - name: hub
                      url: %s
                """.formatted(htpasswd, hub.baseUrl()))) {
            String base = "docker://" + guarded.hostPort() + "/hub/";
            byte[] pulled = Cli.of(Skopeo.BINARY, "--insecure-policy", "inspect", "--raw", "--tls-verify=false",
                    "--creds", "alice:alice-pw-1", base + "allowed/app:1").timeout(Duration.ofMinutes(2)).check().stdoutBytes();
            assertArrayEquals(allowed.manifestBytes(), pulled);

            Cli.Result denied = Cli.of(Skopeo.BINARY, "--insecure-policy", "inspect", "--raw", "--tls-verify=false",
                    "--creds", "alice:alice-pw-1", base + "denied/app:1").timeout(Duration.ofMinutes(2)).run();
            assertFalse(denied.ok(), denied.describe());
            Cli.Result anonymous = Cli.of(Skopeo.BINARY, "--insecure-policy", "inspect", "--raw", "--tls-verify=false",
                    "--no-creds", base + "allowed/app:1").timeout(Duration.ofMinutes(2)).run();
            assertFalse(anonymous.ok(), anonymous.describe());
            assertTrue(hub.requests("/v2/denied/app/manifests/").stream().noneMatch(line -> line.contains("oci-registry-mirror")),
                    "a refused pull fetches nothing upstream");
            assertFalse(Files.exists(dir.resolve("storage/docker/registry/v2/repositories/hub/denied")));
        }
    }
}
