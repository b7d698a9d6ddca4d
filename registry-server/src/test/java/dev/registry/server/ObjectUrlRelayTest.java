package dev.registry.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.registry.config.InMemoryConfig;
import dev.registry.config.RegistryConfig;
import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With redirects off, a blob whose store can sign a URL is relayed from that URL by the server
 * (see {@code ObjectUrlRelay}). Here the "store" is a small HTTP server that serves what the
 * in-memory driver holds, so each case can make it misbehave: the client must get exact bytes
 * whenever the store's URL fails before the response starts (through the driver's reader), and
 * a broken-off connection, never a complete-looking wrong body, when it fails after.
 */
class ObjectUrlRelayTest {
    private static final byte[] BLOB = new byte[5 * 1024 * 1024 + 123];
    private static final InMemoryDriver memory = new InMemoryDriver();
    private static final SigningDriver driver = new SigningDriver(memory);
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static HttpServer store;
    private static RegistryServer server;
    private static String base;
    private static String digest;

    /** What the store does with the next requests. */
    enum Behaviour { SERVE, FORBIDDEN, IGNORE_RANGE, SHORT_BODY }

    private static volatile Behaviour behaviour = Behaviour.SERVE;
    private static final AtomicInteger storeRequests = new AtomicInteger();
    private static final Set<String> storeConnections = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void start() throws Exception {
        new Random(11).nextBytes(BLOB);
        digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(BLOB));
        store = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        store.createContext("/", ObjectUrlRelayTest::serve);
        store.start();
        RegistryConfig config = TestServers.config(new InMemoryConfig(), true);
        server = RegistryServer.start(config, driver);
        base = "http://127.0.0.1:" + server.port();
        assertEquals(digest, TestServers.pushBlob(http, base, "relay/test", BLOB));
    }

    @AfterAll
    static void stop() {
        server.close();
        store.stop(0);
    }

    @BeforeEach
    void reset() {
        behaviour = Behaviour.SERVE;
        driver.signingHost = "127.0.0.1:" + store.getAddress().getPort();
        driver.readerOpens.set(0);
        storeRequests.set(0);
        storeConnections.clear();
    }

    @Test
    void wholeBlobIsRelayedFromTheSignedUrlWithoutTheDriversReader() throws Exception {
        HttpResponse<byte[]> response = get(null);
        assertEquals(200, response.statusCode());
        assertArrayEquals(BLOB, response.body());
        assertEquals(String.valueOf(BLOB.length), response.headers().firstValue("Content-Length").orElseThrow());
        assertEquals(digest, response.headers().firstValue("Docker-Content-Digest").orElseThrow());
        assertEquals(1, storeRequests.get(), "one GET of the signed URL");
        assertEquals(0, driver.readerOpens.get(), "the driver's reader was not used");
    }

    @Test
    void rangesAreRelayedAsRanges() throws Exception {
        HttpResponse<byte[]> response = get("bytes=1000-1048575");
        assertEquals(206, response.statusCode());
        assertArrayEquals(Arrays.copyOfRange(BLOB, 1000, 1048576), response.body());
        assertEquals("bytes 1000-1048575/" + BLOB.length, response.headers().firstValue("Content-Range").orElseThrow());
        HttpResponse<byte[]> suffix = get("bytes=-10");
        assertEquals(206, suffix.statusCode());
        assertArrayEquals(Arrays.copyOfRange(BLOB, BLOB.length - 10, BLOB.length), suffix.body());
        assertEquals(0, driver.readerOpens.get());
    }

    @Test
    void storeConnectionsAreReusedBetweenPulls() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(BLOB, get(null).body());
        }
        assertEquals(5, storeRequests.get());
        // one event loop may serve each client connection; never one store connection per pull
        assertTrue(storeConnections.size() <= 2, "store connections used: " + storeConnections);
    }

    @Test
    void aStoreThatRefusesFallsBackToTheDriver() throws Exception {
        behaviour = Behaviour.FORBIDDEN;
        HttpResponse<byte[]> response = get("bytes=7-99");
        assertEquals(206, response.statusCode());
        assertArrayEquals(Arrays.copyOfRange(BLOB, 7, 100), response.body());
        assertEquals(1, driver.readerOpens.get());
    }

    @Test
    void aStoreThatIgnoresTheRangeFallsBackToTheDriver() throws Exception {
        behaviour = Behaviour.IGNORE_RANGE;
        HttpResponse<byte[]> response = get("bytes=5-");
        assertEquals(206, response.statusCode());
        assertArrayEquals(Arrays.copyOfRange(BLOB, 5, BLOB.length), response.body());
        assertEquals(1, driver.readerOpens.get());
    }

    @Test
    void anUnreachableStoreFallsBackToTheDriver() throws Exception {
        try (ServerSocket closed = new ServerSocket(0)) {
            driver.signingHost = "127.0.0.1:" + closed.getLocalPort();
        }
        HttpResponse<byte[]> response = get(null);
        assertEquals(200, response.statusCode());
        assertArrayEquals(BLOB, response.body());
        assertEquals(1, driver.readerOpens.get());
    }

    @Test
    void aStoreWhoseTlsFailsIsNotTriedOnEveryPull() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket notTls = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                while (!notTls.isClosed()) {
                    try (Socket socket = notTls.accept()) {
                        connections.incrementAndGet();
                        socket.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            driver.signingScheme = "https";
            driver.signingHost = "127.0.0.1:" + notTls.getLocalPort();
            try {
                for (int i = 0; i < 3; i++) {
                    HttpResponse<byte[]> response = get(null);
                    assertEquals(200, response.statusCode());
                    assertArrayEquals(BLOB, response.body());
                }
            } finally {
                driver.signingScheme = "http";
                notTls.close();
                acceptor.join(5_000);
            }
        }
        assertEquals(3, driver.readerOpens.get(), "every pull came through the driver");
        assertEquals(1, connections.get(), "the failed origin was not tried again for the next pulls");
    }

    @Test
    void aBodyThatBreaksOffBreaksTheClientConnectionOff() throws Exception {
        behaviour = Behaviour.SHORT_BODY;
        // a raw client, so that a short body cannot be mistaken for a whole one
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /v2/relay/test/blobs/" + digest + " HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] all = socket.getInputStream().readAllBytes();
            String text = new String(all, 0, Math.min(all.length, 512), StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200"), text);
            int bodyStart = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) + 4;
            assertTrue(all.length - bodyStart < BLOB.length,
                    "the connection closed after " + (all.length - bodyStart) + " of " + BLOB.length + " bytes");
        }
        // and the server still serves
        behaviour = Behaviour.SERVE;
        assertArrayEquals(BLOB, get(null).body());
    }

    @Test
    void headIsAnsweredWithoutTheStore() throws Exception {
        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/relay/test/blobs/" + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(200, head.statusCode());
        assertEquals(String.valueOf(BLOB.length), head.headers().firstValue("Content-Length").orElseThrow());
        assertEquals(0, storeRequests.get());
    }

    private static HttpResponse<byte[]> get(String range) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/v2/relay/test/blobs/" + digest));
        if (range != null) {
            request.header("Range", range);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void serve(HttpExchange exchange) throws IOException {
        storeRequests.incrementAndGet();
        storeConnections.add(String.valueOf(exchange.getRemoteAddress()));
        String path = exchange.getRequestURI().getPath();
        byte[] object;
        try {
            object = memory.getContent(path);
        } catch (IOException e) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        if (behaviour == Behaviour.FORBIDDEN) {
            byte[] error = "<Error><Code>AccessDenied</Code></Error>".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(403, error.length);
            exchange.getResponseBody().write(error);
            exchange.close();
            return;
        }
        String range = exchange.getRequestHeaders().getFirst("Range");
        long start = 0;
        long end = object.length - 1;
        if (range != null && behaviour != Behaviour.IGNORE_RANGE) {
            String[] bounds = range.substring("bytes=".length()).split("-");
            start = Long.parseLong(bounds[0]);
            end = Long.parseLong(bounds[1]);
            exchange.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + end + "/" + object.length);
        }
        int length = (int) (end - start + 1);
        exchange.sendResponseHeaders(range != null && behaviour != Behaviour.IGNORE_RANGE ? 206 : 200, length);
        OutputStream out = exchange.getResponseBody();
        if (behaviour == Behaviour.SHORT_BODY) {
            out.write(object, (int) start, length / 2);
            out.flush();
            // closing a fixed-length body short drops the connection, as a failing store would
            try {
                exchange.close();
            } catch (RuntimeException ignored) {
                // "insufficient bytes written": expected
            }
            return;
        }
        out.write(object, (int) start, length);
        out.close();
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The in-memory driver, signing "URLs" of its objects on the test's store and counting reader opens. */
    static final class SigningDriver extends ForwardingDriver {
        volatile String signingHost;
        volatile String signingScheme = "http";
        final AtomicInteger readerOpens = new AtomicInteger();

        SigningDriver(StorageDriver delegate) {
            super(delegate);
        }

        @Override
        public Optional<URI> redirectUrl(String path, String method, Duration validFor) {
            return Optional.of(URI.create(signingScheme + "://" + signingHost + path + "?X-Signature=test"));
        }

        @Override
        public ReadableByteChannel reader(String path, long offset) throws IOException {
            if (path.contains("/blobs/") && path.endsWith("/data")) {
                readerOpens.incrementAndGet();
            }
            return delegate.reader(path, offset);
        }
    }
}
