package dev.registry.e2e.replicas;

import dev.registry.e2e.RegistryProcess;
import dev.registry.storage.driver.s3.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Online garbage collection with three replicas of the packaged server on one S3 bucket, all
 * collecting (interval 2s, grace period 20s: on a loaded test machine three JVMs and s3proxy take
 * up to ten seconds from a push's first blob to its manifest, and a push slower than the grace
 * period is refused, rightly): garbage left by a delete through one replica is
 * removed exactly once (the lease lets one replica collect at a time), while a push whose blobs
 * went through the other replicas, one of them held open as an unfinished chunked upload across
 * the collections, completes and pulls bit for bit from every replica.
 */
class S3OnlineGarbageCollectionE2ETest {
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static S3ProxyServer s3;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<RegistryProcess> replicas = new ArrayList<>();

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start();
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    private String url(int replica, String path) {
        return replicas.get(replica).baseUrl() + path;
    }

    private HttpResponse<byte[]> send(String method, String url, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String sha256(byte[] content) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    private static String text(HttpResponse<byte[]> response) {
        return response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8);
    }

    /** The same upload location, on another replica (no sticky sessions). */
    private String onReplica(int replica, String location) {
        URI uri = URI.create(location);
        return url(replica, uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    }

    private String pushBlob(int replica, String repo, byte[] content) throws Exception {
        String digest = sha256(content);
        HttpResponse<byte[]> started = send("POST", url(replica, "/v2/" + repo + "/blobs/uploads/"), null);
        assertEquals(202, started.statusCode(), text(started));
        String location = started.headers().firstValue("Location").orElseThrow();
        HttpResponse<byte[]> put = send("PUT", onReplica(replica, location) + (location.contains("?") ? "&" : "?") + "digest=" + digest,
                content, "Content-Type", "application/octet-stream");
        assertEquals(201, put.statusCode(), text(put));
        return digest;
    }

    private static String descriptor(String mediaType, String digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    private static byte[] manifest(byte[] config, byte[]... layers) throws Exception {
        StringBuilder list = new StringBuilder();
        for (byte[] layer : layers) {
            list.append(list.isEmpty() ? "" : ",").append(descriptor("application/vnd.oci.image.layer.v1.tar", sha256(layer), layer.length));
        }
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", sha256(config), config.length)
                + ",\"layers\":[" + list + "]}").getBytes(StandardCharsets.UTF_8);
    }

    private String pushImage(int replica, String repo, String tag, byte[] config, byte[]... layers) throws Exception {
        pushBlob(replica, repo, config);
        for (byte[] layer : layers) {
            pushBlob(replica, repo, layer);
        }
        byte[] manifest = manifest(config, layers);
        HttpResponse<byte[]> put = send("PUT", url(replica, "/v2/" + repo + "/manifests/" + tag), manifest, "Content-Type", OCI_MANIFEST);
        assertEquals(201, put.statusCode(), text(put));
        return sha256(manifest);
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static int count(String text, String needle) {
        int count = 0;
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
            count++;
        }
        return count;
    }

    /** Every replica's collections, start to finish, from its log: no two overlap in time. */
    private void assertCollectionsNeverOverlapped(String logs) {
        List<Instant[]> runs = new ArrayList<>();
        for (RegistryProcess replica : replicas) {
            Instant started = null;
            Matcher line = Pattern.compile("(?m)^(\\S+) INFO .*garbage collection (started|finished)").matcher(replica.output());
            while (line.find()) {
                Instant at = OffsetDateTime.parse(line.group(1)).toInstant();
                if (line.group(2).equals("started")) {
                    started = at;
                } else if (started != null) {
                    runs.add(new Instant[]{started, at});
                    started = null;
                }
            }
        }
        assertTrue(runs.size() >= 3, "the replicas ran several collections:\n" + logs);
        runs.sort(java.util.Comparator.comparing(run -> run[0]));
        for (int i = 1; i < runs.size(); i++) {
            assertTrue(!runs.get(i)[0].isBefore(runs.get(i - 1)[1]),
                    "collection from " + runs.get(i)[0] + " overlaps one from " + runs.get(i - 1)[0] + " to " + runs.get(i - 1)[1] + ":\n" + logs);
        }
    }

    @Test
    void replicasCollectOneAtATimeWhilePushesGoThroughTheOthers() throws Exception {
        Path work = RegistryProcess.workDir("s3-online-gc");
        String bucket = s3.createBucket("online-gc");
        for (int i = 0; i < 3; i++) {
            int port = RegistryProcess.freePort();
            Path dir = Files.createDirectories(work.resolve("replica-" + i));
            Path config = RegistryProcess.writeConfig(dir, port, RegistryProcess.s3Storage(s3, bucket, "/registry", false), """
                      maintenance:
                        garbagecollect:
                          enabled: true
                          interval: 2s
                          graceperiod: 20s
                    """);
            replicas.add(RegistryProcess.startWithConfig(config, port, Map.of(), Duration.ofSeconds(90)));
        }
        try {
            byte[] shared = random(200_000, 1);
            byte[] keptConfig = "{\"image\":\"kept\"}".getBytes(StandardCharsets.UTF_8);
            pushImage(0, "team/app", "kept", keptConfig, shared);
            byte[] garbageConfig = "{\"image\":\"garbage\"}".getBytes(StandardCharsets.UTF_8);
            byte[] garbageLayer = random(150_000, 2);
            String garbage = pushImage(1, "team/app", "old", garbageConfig, shared, garbageLayer);
            HttpResponse<byte[]> deleted = send("DELETE", url(1, "/v2/team/app/manifests/" + garbage), null);
            assertEquals(202, deleted.statusCode(), text(deleted));
            Thread.sleep(22_000); // older than the grace period and its 1 s of timestamp slack

            // a push in progress through the other replicas: two blobs, and a chunked upload left open
            byte[] config = "{\"image\":\"new\"}".getBytes(StandardCharsets.UTF_8);
            byte[] layer = random(120_000, 3);
            pushBlob(2, "team/app", config);
            pushBlob(0, "team/app", layer);
            byte[] held = random(6 * 1024 * 1024, 4);
            HttpResponse<byte[]> started = send("POST", url(2, "/v2/team/app/blobs/uploads/"), null);
            assertEquals(202, started.statusCode(), text(started));
            String location = started.headers().firstValue("Location").orElseThrow();
            int half = 5 * 1024 * 1024;
            HttpResponse<byte[]> patched = send("PATCH", onReplica(1, location), Arrays.copyOf(held, half),
                    "Content-Type", "application/octet-stream", "Content-Range", "0-" + (half - 1));
            assertEquals(202, patched.statusCode(), text(patched));
            Thread.sleep(5_000); // collections run on the replicas meanwhile

            String removedLayer = "garbage collection removed blob " + sha256(garbageLayer);
            int removals = 0;
            for (RegistryProcess replica : replicas) {
                removals += count(replica.output(), removedLayer);
            }
            StringBuilder logs = new StringBuilder();
            replicas.forEach(r -> logs.append(r.output()).append("\n----\n"));
            assertEquals(1, removals, "the garbage is removed once, by one replica:\n" + logs);
            assertCollectionsNeverOverlapped(logs.toString());

            String next = patched.headers().firstValue("Location").orElseThrow();
            HttpResponse<byte[]> finished = send("PUT", onReplica(0, next) + (next.contains("?") ? "&" : "?") + "digest=" + sha256(held),
                    Arrays.copyOfRange(held, half, held.length), "Content-Type", "application/octet-stream",
                    "Content-Range", half + "-" + (held.length - 1));
            assertEquals(201, finished.statusCode(), text(finished));
            byte[] manifest = manifest(config, layer, held, shared);
            HttpResponse<byte[]> put = send("PUT", url(1, "/v2/team/app/manifests/new"), manifest, "Content-Type", OCI_MANIFEST);
            assertEquals(201, put.statusCode(), text(put));

            for (int replica = 0; replica < 3; replica++) {
                HttpResponse<byte[]> pulled = send("GET", url(replica, "/v2/team/app/manifests/new"), null, "Accept", OCI_MANIFEST);
                assertArrayEquals(manifest, pulled.body());
                for (byte[] blob : List.of(config, layer, held, shared, keptConfig)) {
                    HttpResponse<byte[]> got = send("GET", url(replica, "/v2/team/app/blobs/" + sha256(blob)), null);
                    assertEquals(200, got.statusCode(), text(got));
                    assertArrayEquals(blob, got.body());
                }
                assertEquals(404, send("GET", url(replica, "/v2/team/app/blobs/" + sha256(garbageLayer)), null).statusCode());
                assertEquals(404, send("GET", url(replica, "/v2/team/app/manifests/" + garbage), null, "Accept", OCI_MANIFEST).statusCode());
            }
        } finally {
            for (RegistryProcess replica : replicas) {
                replica.close();
            }
        }
    }
}
