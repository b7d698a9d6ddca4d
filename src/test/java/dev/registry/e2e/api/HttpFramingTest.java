package dev.registry.e2e.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static dev.registry.e2e.api.Asserts.assertBody;
import static dev.registry.e2e.api.Asserts.assertError;
import static dev.registry.e2e.api.Asserts.assertErrorBody;
import static dev.registry.e2e.api.Asserts.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/1 message rules a client depends on (RFC 9112): HTTP/1.0 keep-alive, absolute-form
 * targets, HEAD answers with the GET's headers, broken chunked bodies answered and closed,
 * ambiguous framing closed, Host and version checks.
 */
class HttpFramingTest extends ApiTestBase {

    private RawHttp raw() {
        return client.raw();
    }

    private URI base() {
        return URI.create(registry.baseUrl());
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(base().getHost(), base().getPort()), 5_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Whether the server closed the connection: the next read ends (rather than timing out). */
    private static boolean closedByServer(InputStream in) throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketException reset) {
            return true;
        }
    }

    /**
     * A request answered before its body ends (here a PATCH to an upload that does not exist,
     * answered from its head), while the client goes on sending: the client reads the answer,
     * then the end of the connection (a FIN or, with bytes still arriving, a reset).
     */
    @Test
    void anAnswerSentBeforeTheBodyEndedReachesAClientThatGoesOnSending() throws Exception {
        String target = "/v2/" + repo("early-answer") + "/blobs/uploads/" + java.util.UUID.randomUUID();
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            out.write(("PATCH " + target + " HTTP/1.1\r\nHost: registry\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + (64 << 20) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            // the body goes on after the answer is out, as a client streaming a layer does
            Thread sender = Thread.ofVirtual().start(() -> {
                byte[] piece = Digests.randomBytes(64 << 10);
                try {
                    for (int i = 0; i < 1024; i++) {
                        out.write(piece);
                    }
                } catch (IOException closed) {
                    // the server stopped taking it
                }
            });
            Thread.sleep(300); // the server has answered and closed by now
            ApiResponse answer = RawHttp.readResponse(in, "PATCH", target);
            assertError(answer, 404, "BLOB_UPLOAD_UNKNOWN");
            assertTrue(closedByServer(in), "the connection ends after the answer");
            sender.join(10_000);
        }
    }

    @Test
    void http10KeepAliveIsConfirmedAndTheConnectionServesTheNextRequest() throws Exception {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            out.write("GET /v2/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            ApiResponse first = RawHttp.readResponse(in, "GET", "/v2/");
            assertStatus(200, first);
            assertEquals("keep-alive", first.header("Connection").toLowerCase(java.util.Locale.ROOT));
            assertEquals("2", first.header("Content-Length"));
            out.write("GET /v2/ HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            ApiResponse second = RawHttp.readResponse(in, "GET", "/v2/");
            assertStatus(200, second);
            assertBody("{}".getBytes(StandardCharsets.US_ASCII), second);
            assertTrue(closedByServer(in), "HTTP/1.0 without keep-alive must be closed after the answer");
        }
    }

    @Test
    void absoluteFormTargetsAreServedAndLocationsNameTheirAuthority() throws Exception {
        String repo = repo("absolute");
        String authority = base().getHost() + ":" + base().getPort();
        ApiResponse baseCheck = raw().request("GET", "http://" + authority + "/v2/").send();
        assertStatus(200, baseCheck);
        ApiResponse start = raw().request("POST", "HTTP://" + authority + "/v2/" + repo + "/blobs/uploads/").send();
        assertStatus(202, start);
        String location = start.header("Location");
        assertTrue(location.startsWith("http://" + authority + "/v2/" + repo + "/blobs/uploads/"), location);
        byte[] data = Digests.randomBytes(1000);
        // the Location sent back as written, absolute
        ApiResponse patch = raw().request("PATCH", location).header("Content-Type", "application/octet-stream")
                .body(data).send();
        assertStatus(202, patch);
        String digest = Digests.sha256(data);
        ApiResponse put = raw().request("PUT", patch.header("Location") + "?digest=" + digest).send();
        assertStatus(201, put);
        assertBody(data, client.get("/v2/" + repo + "/blobs/" + digest));
        ApiResponse tags = raw().request("GET", "http://" + authority + "/v2/" + repo + "/tags/list?n=1").send();
        assertStatus(200, tags);
        assertEquals(repo, tags.json().get("name").asText(), "the query of an absolute-form target is read");
    }

    @Test
    void headCarriesTheHeadersOfGet() throws Exception {
        String repo = repo("head");
        Image image = pushImage(repo, "v1");
        List<String> paths = List.of("/v2/", "/v2/" + repo + "/manifests/v1", "/v2/" + repo + "/blobs/" + image.layer().digest(),
                "/v2/" + repo + "/tags/list", "/v2/_catalog", "/v2/" + repo + "/manifests/missing",
                "/v2/" + repo + "/blobs/" + Digests.randomSha256(), "/v2/" + repo + "/referrers/" + image.digest(),
                "/v2/nosuch/repo/tags/list");
        for (String path : paths) {
            ApiResponse get = raw().request("GET", path).header("Accept", RegistryClient.ACCEPT_MANIFESTS).send();
            ApiResponse head = raw().request("HEAD", path).header("Accept", RegistryClient.ACCEPT_MANIFESTS).send();
            assertEquals(get.status(), head.status(), path);
            assertEquals(String.valueOf(get.body().length), get.header("Content-Length"), path);
            for (String name : List.of("Content-Length", "Content-Type", "Docker-Content-Digest", "ETag")) {
                assertEquals(get.header(name), head.header(name), path + ": " + name);
            }
        }
    }

    /** An upload with {@code held} stored, then a PATCH whose chunked framing breaks after {@code good}. */
    static Stream<Arguments> brokenChunks() {
        // the broken framing, and the data bytes of a chunk that was whole before it broke
        return Stream.of(Arguments.of("zz\r\nabc\r\n0\r\n\r\n", ""), Arguments.of("-5\r\nabcde\r\n0\r\n\r\n", ""),
                Arguments.of("0x5\r\nabcde\r\n0\r\n\r\n", ""), Arguments.of("3\r\nabcXY0\r\n\r\n", "abc"),
                Arguments.of("0\r\nbad trailer line\r\n\r\n", ""));
    }

    @ParameterizedTest
    @MethodSource("brokenChunks")
    void brokenChunkedUploadIsA400ThenCloseAndTheUploadStaysConsistent(String broken, String dataBeforeBreak) throws Exception {
        String repo = repo("badchunk");
        String location = client.location(client.startUpload(repo));
        byte[] held = Digests.randomBytes(2000);
        assertStatus(202, client.patch(location, held, "Content-Type", "application/octet-stream"));
        byte[] good = Digests.randomBytes(700);
        String path = URI.create(location).getRawPath();
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(("PATCH " + path + " HTTP/1.1\r\nHost: " + base().getAuthority()
                + "\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(good.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        request.writeBytes(good);
        request.writeBytes(("\r\n" + broken + "GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        try (Socket socket = connect()) {
            socket.getOutputStream().write(request.toByteArray());
            socket.getOutputStream().flush();
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            ApiResponse response = RawHttp.readResponse(in, "PATCH", path);
            assertError(response, 400, "BLOB_UPLOAD_INVALID");
            assertEquals("close", response.header("Connection"));
            assertTrue(closedByServer(in), "the connection must close after a broken chunked body");
        }
        // The upload holds what it held plus at most a prefix of the chunk data sent before the
        // break, never a byte of the broken framing; finishing it with those bytes verifies.
        ApiResponse status = client.get(location);
        assertStatus(204, status);
        int stored = Integer.parseInt(status.header("Range").substring(2)) + 1;
        byte[] sent = (new String(good, StandardCharsets.ISO_8859_1) + dataBeforeBreak).getBytes(StandardCharsets.ISO_8859_1);
        assertTrue(stored >= held.length && stored <= held.length + sent.length, "stored " + stored + " bytes");
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        whole.writeBytes(held);
        whole.write(sent, 0, stored - held.length);
        byte[] rest = Digests.randomBytes(300);
        whole.writeBytes(rest);
        ApiResponse last = client.patch(status.header("Location"), rest, "Content-Type", "application/octet-stream");
        assertStatus(202, last);
        String digest = Digests.sha256(whole.toByteArray());
        assertStatus(201, client.put(RegistryClient.withDigest(last.header("Location"), digest), new byte[0]));
        assertBody(whole.toByteArray(), client.get("/v2/" + repo + "/blobs/" + digest));
    }

    @Test
    void brokenChunkedManifestIsA400ThenClose() throws Exception {
        String repo = repo("badchunkmanifest");
        Image image = pushImage(repo, "v1");
        String path = "/v2/" + repo + "/manifests/v2";
        byte[] head = ("PUT " + path + " HTTP/1.1\r\nHost: " + base().getAuthority() + "\r\nContent-Type: " + image.mediaType()
                + "\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n").getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(head);
            out.write(Arrays.copyOf(image.manifest(), 16));
            out.write("\r\nzz\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            ApiResponse response = RawHttp.readResponse(in, "PUT", path);
            assertEquals(400, response.status(), response::toString);
            assertErrorBody(response);
            assertTrue(closedByServer(in));
        }
        assertError(client.getManifest(repo, "v2"), 404, "MANIFEST_UNKNOWN");
        assertBody(image.manifest(), client.getManifest(repo, "v1"));
    }

    @Test
    void contentLengthWithTransferEncodingIsClosedAfterTheAnswer() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(("GET /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            ApiResponse response = RawHttp.readResponse(in, "GET", "/v2/");
            assertTrue(response.status() == 200 || response.status() == 400, response::toString);
            assertTrue(closedByServer(in), "a request framed two ways must not be followed by another");
        }
    }

    @Test
    void missingOrDuplicateHostIsA400() throws Exception {
        for (String headers : List.of("", "Host: a\r\nHost: b\r\n")) {
            try (Socket socket = connect()) {
                socket.getOutputStream().write(("GET /v2/ HTTP/1.1\r\n" + headers + "\r\n").getBytes(StandardCharsets.US_ASCII));
                InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
                ApiResponse response = RawHttp.readResponse(in, "GET", "/v2/");
                assertError(response, 400);
                assertTrue(closedByServer(in));
            }
        }
        try (Socket socket = connect()) {
            socket.getOutputStream().write("GET /v2/ HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertStatus(200, RawHttp.readResponse(socket.getInputStream(), "GET", "/v2/"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET /v2/ HTTP/2.0\r\nHost: x\r\n\r\n", "GET /v2/ HTTP/9.9\r\nHost: x\r\n\r\n",
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"})
    void unsupportedVersionsAre505(String request) throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            ApiResponse response = RawHttp.readResponse(in, "GET", "/v2/");
            assertError(response, 505);
            assertTrue(closedByServer(in));
        }
    }

    @Test
    void overlongRequestLineIs414AndOverlongHeadersAre431() throws Exception {
        ApiResponse line = raw().request("GET", "/v2/x/manifests/" + "a".repeat(16 * 1024)).sendAllowingClose();
        assertNotNull(line);
        assertError(line, 414);
        ApiResponse header = raw().request("GET", "/v2/").header("X-Big", "b".repeat(64 * 1024)).sendAllowingClose();
        assertNotNull(header);
        assertError(header, 431);
    }

}
