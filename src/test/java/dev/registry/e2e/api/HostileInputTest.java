package dev.registry.e2e.api;

import dev.registry.e2e.RegistryProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A barrage of malformed and hostile requests over raw sockets, each held to the same standard:
 * no 5xx (505 only for a request line that is not HTTP/1.x), an answer or a closed connection
 * within 10 s, every 4xx with the spec's JSON {@code errors} body, the process still up, nothing
 * written outside the storage layout, and an image pushed before the barrage still pulling bit
 * for bit. Then slowloris: clients dribbling their headers do not slow anybody else down and
 * lose their connections after {@code http.headertimeout}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {
    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(2);
    private static final int ANSWER_WITHIN_MS = 10_000;
    private static final String LAYOUT = "docker/registry/v2/";

    private Path work;
    private Path root;
    private RegistryProcess process;
    private RegistryClient client;
    private int port;

    @BeforeAll
    void start() throws Exception {
        work = RegistryProcess.workDir("HostileInputTest");
        root = work.resolve("jail").resolve("storage");
        Files.createDirectories(root);
        port = RegistryProcess.freePort();
        Path config = work.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: info
                  accesslog:
                    disabled: true
                http:
                  addr: 127.0.0.1:%d
                  headertimeout: %ds
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                """.formatted(port, HEADER_TIMEOUT.toSeconds(), root));
        process = RegistryProcess.startWithConfig(config, port, Map.of());
        client = new RegistryClient(process.baseUrl());
    }

    @AfterAll
    void stop() throws Exception {
        if (process != null) {
            process.close();
        }
    }

    /** What came back for one hostile request: a response, or a connection closed without one. */
    private record Outcome(String label, ApiResponse response) {
        boolean closed() {
            return response == null;
        }
    }

    @Test
    void hostileRequestsGetCleanRefusalsAndLeaveStoredDataIntact() throws Exception {
        // an image pushed before the barrage
        String victim = "victim/app";
        Descriptor config = client.pushBlob(victim, Manifests.uniqueConfig(), Manifests.OCI_CONFIG);
        byte[] layerBytes = Digests.randomBytes(70_000);
        Descriptor layer = client.pushBlob(victim, layerBytes, Manifests.OCI_LAYER);
        byte[] manifest = Manifests.ociManifest(config, List.of(layer));
        client.pushManifest(victim, "v1", Manifests.OCI_MANIFEST, manifest);
        String manifestDigest = Digests.sha256(manifest);
        // an upload in progress in another repository, and one in the victim's
        String otherUpload = uploadId(client.location(client.startUpload("other/repo")));
        String victimUpload = uploadId(client.location(client.startUpload(victim)));
        assertEquals(202, client.patch("/v2/" + victim + "/blobs/uploads/" + victimUpload,
                "first".getBytes(StandardCharsets.US_ASCII), "Content-Type", "application/octet-stream").status());

        Set<String> before = listFiles(work.resolve("jail"));
        List<byte[]> requests = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        hostileRequests(victim, layer.digest(), manifest, otherUpload, victimUpload, labels, requests);
        assertTrue(requests.size() >= 150, "the barrage has " + requests.size() + " requests");

        List<String> failures = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            Outcome outcome = exchange(labels.get(i), requests.get(i), failures);
            if (outcome != null) {
                check(outcome, requests.get(i), failures);
            }
        }
        assertTrue(process.process().isAlive(), "the registry process died:\n" + process.output());
        assertTrue(failures.isEmpty(), failures.size() + " of " + requests.size() + " requests broke the rules:\n"
                + String.join("\n", failures));

        // the victim image pulls bit for bit
        ApiResponse pulled = client.getManifest(victim, "v1");
        assertEquals(200, pulled.status(), pulled::toString);
        assertArrayEquals(manifest, pulled.body());
        assertEquals(manifestDigest, pulled.header("Docker-Content-Digest"));
        ApiResponse blob = client.get("/v2/" + victim + "/blobs/" + layer.digest());
        assertEquals(200, blob.status(), blob::toString);
        assertArrayEquals(layerBytes, blob.body());
        assertEquals(200, client.get("/v2/" + victim + "/blobs/" + config.digest()).status());
        // the victim's upload still holds exactly what was sent to it
        ApiResponse status = client.get("/v2/" + victim + "/blobs/uploads/" + victimUpload);
        assertEquals(204, status.status(), status::toString);
        assertEquals("0-4", status.header("Range"));

        // nothing new outside the storage layout
        Set<String> after = listFiles(work.resolve("jail"));
        List<String> outside = after.stream().filter(path -> !before.contains(path))
                .filter(path -> !path.startsWith("storage/" + LAYOUT)).toList();
        assertEquals(List.of(), outside, "files written outside " + root.resolve(LAYOUT));
    }

    private static String uploadId(String location) {
        String path = URI.create(location).getPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private void hostileRequests(String victim, String layerDigest, byte[] manifest, String otherUpload,
                                 String victimUpload, List<String> labels, List<byte[]> requests) {
        String hex = layerDigest.substring("sha256:".length());
        List<String> badDigests = List.of(
                "sha256:zz", "sha256:" + hex.substring(1), "sha256:" + hex + "0", "sha256:" + hex.toUpperCase(),
                "SHA256:" + hex, "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256", ":" + hex, "sha256:",
                "sha512:" + hex, "sha256:" + "a".repeat(6000), "sha256:" + hex.substring(0, 60) + "%00%00%00%00",
                "sha256:" + hex.substring(0, 63) + "g", "sha256:..%2f..%2f" + hex.substring(6));
        for (String digest : badDigests) {
            add(labels, requests, "bad digest " + abbreviate(digest), "GET", "/v2/" + victim + "/blobs/" + digest, null);
            add(labels, requests, "bad digest HEAD", "HEAD", "/v2/" + victim + "/blobs/" + digest, null);
            add(labels, requests, "bad digest DELETE", "DELETE", "/v2/" + victim + "/blobs/" + digest, null);
            add(labels, requests, "bad digest manifest", "GET", "/v2/" + victim + "/manifests/" + digest, null);
            add(labels, requests, "bad digest monolithic", "POST", "/v2/" + victim + "/blobs/uploads/?digest=" + digest,
                    "abc".getBytes(StandardCharsets.US_ASCII));
            add(labels, requests, "bad digest mount", "POST", "/v2/" + victim + "/blobs/uploads/?mount=" + digest
                    + "&from=other/repo", null);
            add(labels, requests, "bad digest automatic mount", "POST", "/v2/" + victim + "/blobs/uploads/?mount=" + digest, null);
            add(labels, requests, "bad digest referrers", "GET", "/v2/" + victim + "/referrers/" + digest, null);
        }
        List<String> badNames = List.of("../victim/app", "%2e%2e/victim/app", "victim/%2e%2e/victim/app", "victim%2Fapp",
                "%252e%252e/victim", "victim%00app", "victim\\app", "victim/../../etc", "./victim", "victim//app",
                "Victim/App", "-victim", "victim/app/", "%2fetc%2fpasswd", "victim/app%5c..%5c..",
                "n" + "x".repeat(255), "a/".repeat(130) + "b");
        for (String name : badNames) {
            add(labels, requests, "bad name " + abbreviate(name) + " tags", "GET", "/v2/" + name + "/tags/list", null);
            add(labels, requests, "bad name manifest", "GET", "/v2/" + name + "/manifests/v1", null);
            add(labels, requests, "bad name manifest PUT", "PUT", "/v2/" + name + "/manifests/v1", manifest,
                    "Content-Type", Manifests.OCI_MANIFEST);
            add(labels, requests, "bad name upload", "POST", "/v2/" + name + "/blobs/uploads/", null);
            add(labels, requests, "bad name blob", "GET", "/v2/" + name + "/blobs/" + layerDigest, null);
        }
        List<String> badReferences = List.of("../v1", "%2e%2e", "..%2fv1", "%2F", "v1%00", "v1\\..", "%252e%252e",
                ".INVALID_MANIFEST_NAME", "t" + "x".repeat(128), "-v1", "v1%20", "%C3%A9");
        for (String reference : badReferences) {
            add(labels, requests, "bad reference " + abbreviate(reference), "GET", "/v2/" + victim + "/manifests/" + reference, null);
            add(labels, requests, "bad reference HEAD", "HEAD", "/v2/" + victim + "/manifests/" + reference, null);
            add(labels, requests, "bad reference PUT", "PUT", "/v2/" + victim + "/manifests/" + reference, manifest,
                    "Content-Type", Manifests.OCI_MANIFEST);
            add(labels, requests, "bad reference DELETE", "DELETE", "/v2/" + victim + "/manifests/" + reference, null);
        }
        String put = "/v2/" + victim + "/manifests/hostile";
        List<byte[]> badManifests = List.of(new byte[0], bytes("{"), bytes("null"), bytes("[]"), bytes("{\"schemaVersion\":2}"),
                bytes("{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"y\",\"fsLayers\":[]}"),
                bytes("[".repeat(100_000) + "]".repeat(100_000)), bytes("{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000)),
                Digests.randomBytes(4096), bytes("{\"schemaVersion\":2,\"mediaType\":\"" + Manifests.OCI_MANIFEST
                        + "\",\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:zz\",\"size\":-1},\"layers\":[]}"),
                bytes("{\"schemaVersion\":2,\"mediaType\":\"" + Manifests.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"x\",\"digest\":\""
                        + Digests.randomSha256() + "\",\"size\":2},\"layers\":[]}"),
                new byte[5 * 1024 * 1024]);
        for (byte[] body : badManifests) {
            add(labels, requests, "invalid manifest of " + body.length + " bytes", "PUT", put, body,
                    "Content-Type", Manifests.OCI_MANIFEST);
        }
        for (String type : List.of("text/plain", "", "application/vnd.oci.image.manifest.v1+json; charset=utf-8; x=\"",
                ";;;", "application/vnd.docker.distribution.manifest.v1+prettyjws", "a/b/c", "\u00ff\u00fe")) {
            add(labels, requests, "wrong media type '" + type + "'", "PUT", put, manifest, "Content-Type", type);
        }
        String victimSession = "/v2/" + victim + "/blobs/uploads/" + victimUpload;
        for (String range : List.of("bytes=abc", "0-", "-", "5-2", "99999999999999999999-1", "0-0/", "a-b", "1-3",
                "0--1", "-1-3", "bytes 0-2/*", "\u00ff")) {
            add(labels, requests, "Content-Range " + range, "PATCH", victimSession, bytes("xyz"),
                    "Content-Range", range, "Content-Type", "application/octet-stream");
        }
        for (String length : List.of("abc", "-1", "1,2", "99999999999999999999999", "0x10")) {
            add(labels, requests, "Content-Length " + length, "PATCH", victimSession, null, "Content-Length", length);
        }
        for (String id : List.of("not-a-uuid", otherUpload, UUID.randomUUID().toString(), "..%2f..%2fother",
                "%2e%2e", "x".repeat(1000), victimUpload.toUpperCase(), victimUpload + "%00")) {
            String session = "/v2/" + victim + "/blobs/uploads/" + id;
            add(labels, requests, "upload id " + abbreviate(id), "GET", session, null);
            add(labels, requests, "upload id PATCH", "PATCH", session, bytes("data"), "Content-Type", "application/octet-stream");
            add(labels, requests, "upload id PUT", "PUT", session + "?digest=" + Digests.sha256(bytes("data")), bytes("data"));
            add(labels, requests, "upload id DELETE", "DELETE", session, null);
        }
        for (String query : List.of("n=-1", "n=abc", "n=99999999999999999999", "n=", "last=%00", "last=..%2F..",
                "last=" + "z".repeat(300), "n=1&n=2", "last=%zz", "n=%2B1")) {
            add(labels, requests, "tags " + query, "GET", "/v2/" + victim + "/tags/list?" + query, null);
            add(labels, requests, "catalog " + query, "GET", "/v2/_catalog?" + query, null);
        }
        for (String method : List.of("FOO", "PROPFIND", "TRACE", "CONNECT", "OPTIONS", "M-SEARCH", "get")) {
            add(labels, requests, "method " + method, method, "/v2/" + victim + "/manifests/v1", null);
        }
        add(labels, requests, "HEAD upload start", "HEAD", "/v2/" + victim + "/blobs/uploads/", null);
        add(labels, requests, "GET with bad Accept", "GET", "/v2/" + victim + "/manifests/v1", null, "Accept", ",,;;q=x");
        add(labels, requests, "Range garbage", "GET", "/v2/" + victim + "/blobs/" + layerDigest, null, "Range", "bytes=9-1,zz");
        add(labels, requests, "query escape", "GET", "/v2/" + victim + "/tags/list?n=%G1", null);
        add(labels, requests, "64 KiB header", "GET", "/v2/", null, "X-Big", "a".repeat(64 * 1024));
        add(labels, requests, "16 KiB request line", "GET", "/v2/" + victim + "/manifests/" + "a".repeat(16 * 1024), null);
        add(labels, requests, "absolute form, foreign host", "GET", "http://evil.example:1/v2/" + victim + "/tags/list", null);
        add(labels, requests, "asterisk form", "GET", "*", null);
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            many.append("X-H").append(i).append(": ").append("v".repeat(20)).append("\r\n");
        }
        raw(labels, requests, "200 headers", "GET /v2/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n" + many + "\r\n");
        StringBuilder huge = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            huge.append("X-H").append(i).append(": ").append("v".repeat(400)).append("\r\n");
        }
        raw(labels, requests, "200 headers of 400 bytes", "GET /v2/ HTTP/1.1\r\nHost: h\r\n" + huge + "\r\n");
        raw(labels, requests, "HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        raw(labels, requests, "HTTP/2.0 request line", "GET /v2/ HTTP/2.0\r\nHost: h\r\n\r\n");
        raw(labels, requests, "HTTP/9.9 request line", "GET /v2/ HTTP/9.9\r\nHost: h\r\n\r\n");
        raw(labels, requests, "garbage version", "GET /v2/ HTTX/1.1\r\nHost: h\r\n\r\n");
        raw(labels, requests, "no Host", "GET /v2/ HTTP/1.1\r\n\r\n");
        raw(labels, requests, "two Hosts", "GET /v2/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
        raw(labels, requests, "binary garbage", "\u0000\u0001\u0002\u00ff\r\n\r\n");
        raw(labels, requests, "bare LF", "GET /v2/ HTTP/1.1\nHost: h\n\n");
        raw(labels, requests, "space in header name", "GET /v2/ HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n");
        raw(labels, requests, "header folding", "GET /v2/ HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n");
        raw(labels, requests, "CL and TE", "PATCH " + victimSession + " HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        raw(labels, requests, "two Content-Lengths", "PATCH " + victimSession + " HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                + "Content-Length: 4\r\n\r\nabcd");
        raw(labels, requests, "TE gzip", "PATCH " + victimSession + " HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\nabc");
        String session = "/v2/" + victim + "/blobs/uploads/" + otherUpload;
        for (String target : List.of(session, put)) {
            for (String chunk : List.of("zz\r\nabc\r\n0\r\n\r\n", "-5\r\nabcde\r\n0\r\n\r\n", "0x5\r\nabcde\r\n0\r\n\r\n",
                    "3\r\nabcXY0\r\n\r\n", "3\r\nabc\r\n0\r\nbad trailer\r\n\r\n", "ffffffffffffffffff\r\nab\r\n0\r\n\r\n",
                    "3;" + "e".repeat(70_000) + "\r\nabc\r\n0\r\n\r\n")) {
                raw(labels, requests, "bad chunk " + abbreviate(chunk.replace("\r\n", "|")) + " to " + abbreviate(target),
                        (target.equals(put) ? "PUT " : "PATCH ") + target + " HTTP/1.1\r\nHost: h\r\nContent-Type: "
                                + Manifests.OCI_MANIFEST + "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk);
            }
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String abbreviate(String text) {
        return text.length() > 40 ? text.substring(0, 37) + "..." : text;
    }

    private void add(List<String> labels, List<byte[]> requests, String label, String method, String target, byte[] body,
                     String... headers) {
        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(port).append("\r\nConnection: close\r\n");
        boolean hasLength = false;
        for (int i = 0; i < headers.length; i += 2) {
            head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            hasLength |= headers[i].equalsIgnoreCase("Content-Length");
        }
        if (!hasLength && (body != null || List.of("PUT", "POST", "PATCH").contains(method))) {
            head.append("Content-Length: ").append(body == null ? 0 : body.length).append("\r\n");
        }
        head.append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            out.writeBytes(body);
        }
        labels.add(label + " (" + method + " " + abbreviate(target) + ")");
        requests.add(out.toByteArray());
        if (body != null && body.length > 8 && body.length < 1024 * 1024) {
            // the same request cut short: Content-Length promises more than comes before the close
            labels.add(label + ", body cut short (" + method + " " + abbreviate(target) + ")");
            requests.add(java.util.Arrays.copyOf(out.toByteArray(), out.size() - body.length / 2));
        }
    }

    private static void raw(List<String> labels, List<byte[]> requests, String label, String request) {
        labels.add(label);
        requests.add(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * Sends one request, closes the sending side, and reads the answer. A connection closed
     * without an answer is fine; one still silent after 10 s is a hang.
     */
    private Outcome exchange(String label, byte[] request, List<String> failures) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(ANSWER_WITHIN_MS);
            OutputStream out = socket.getOutputStream();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    out.write(request);
                    out.flush();
                    if (!label.startsWith("bad chunk")) {
                        // the end of input ends a body that promised more; a broken chunk must end the connection by itself
                        socket.shutdownOutput();
                    }
                } catch (IOException ignored) {
                    // the server refused early and closed; its answer is what counts
                }
            });
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            String method = new String(request, 0, Math.max(0, indexOf(request, (byte) ' ')), StandardCharsets.ISO_8859_1);
            try {
                ApiResponse response = RawHttp.readResponse(in, method, label);
                if (label.startsWith("bad chunk") && !closesWithin(in)) {
                    // the decoder cannot find the next request after broken framing: waiting would hang
                    failures.add(label + ": answered " + response.status() + " but the connection stayed open");
                }
                return new Outcome(label, response);
            } catch (SocketTimeoutException hang) {
                failures.add(label + ": no answer and no close within " + ANSWER_WITHIN_MS + " ms");
                return null;
            } catch (EOFException | SocketException closed) {
                return new Outcome(label, null);
            } finally {
                try {
                    writer.join(ANSWER_WITHIN_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Whether the server closes the connection (rather than leaving it silent) within 10 s. */
    private static boolean closesWithin(InputStream in) throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException silent) {
            return false;
        } catch (SocketException reset) {
            return true;
        }
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < Math.min(bytes.length, 64); i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return 0;
    }

    private void check(Outcome outcome, byte[] request, List<String> failures) {
        if (outcome.closed()) {
            return;
        }
        ApiResponse response = outcome.response();
        int status = response.status();
        String requestLine = new String(request, 0, Math.min(request.length, 200), StandardCharsets.ISO_8859_1);
        requestLine = requestLine.contains("\n") ? requestLine.substring(0, requestLine.indexOf('\n')) : requestLine;
        boolean notHttp1 = !requestLine.trim().endsWith("HTTP/1.1") && !requestLine.trim().endsWith("HTTP/1.0");
        if (status >= 500 && !(status == 505 && notHttp1)) {
            failures.add(outcome.label() + ": server error " + status + " " + response.text());
            return;
        }
        if (status >= 400 && !response.method().equals("HEAD")) {
            try {
                Asserts.assertErrorBody(response);
            } catch (AssertionError e) {
                failures.add(outcome.label() + ": " + status + " without the spec's JSON errors body: " + e.getMessage());
            }
        }
    }

    /** Every file and directory below {@code dir}, relative to it, with {@code /} separators. */
    private static Set<String> listFiles(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            Set<String> names = new TreeSet<>();
            paths.forEach(p -> names.add(dir.relativize(p).toString().replace('\\', '/')
                    + (Files.isDirectory(p) ? "/" : "")));
            return names;
        }
    }

    @Test
    void slowHeadersDelayNobodyAndAreCutOffAfterTheHeaderTimeout() throws Exception {
        int slowClients = 20;
        List<CompletableFuture<Long>> slow = new ArrayList<>();
        for (int i = 0; i < slowClients; i++) {
            slow.add(CompletableFuture.supplyAsync(this::dribbleHeaders, r -> Thread.ofVirtual().start(r)));
        }
        Thread.sleep(300);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long slowest = 0;
        for (int i = 0; i < 10; i++) {
            long started = System.nanoTime();
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(process.baseUrl() + "/v2/"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertEquals(200, response.statusCode());
            slowest = Math.max(slowest, millis);
            Thread.sleep(100);
        }
        assertTrue(slowest < 1000, "GET /v2/ took " + slowest + " ms while " + slowClients + " clients dribbled headers");
        for (CompletableFuture<Long> client : slow) {
            long closedAfter = client.get(30, TimeUnit.SECONDS);
            assertTrue(closedAfter >= HEADER_TIMEOUT.toMillis() - 200 && closedAfter < HEADER_TIMEOUT.toMillis() + 3_000,
                    "a slow client's connection closed after " + closedAfter + " ms, http.headertimeout is " + HEADER_TIMEOUT);
        }
        assertEquals(200, client.get("/v2/").status());
    }

    /**
     * Sends a request head a byte every 100 ms (it would take about 10 s in all); returns how
     * many milliseconds passed until the server closed the connection.
     */
    private long dribbleHeaders() {
        byte[] head = ("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " + "s".repeat(60) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        long started = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(50);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            for (byte b : head) {
                out.write(b);
                out.flush();
                try {
                    if (in.read() < 0) {
                        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                    }
                    fail("the server answered a request whose head never ended");
                } catch (SocketTimeoutException stillOpen) {
                    Thread.sleep(50);
                }
            }
            fail("the server kept a connection open for " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)
                    + " ms while its headers dribbled in");
            return -1;
        } catch (IOException closed) {
            // a write after the server closed: reset by peer
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
