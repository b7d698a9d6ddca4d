package dev.registry.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.registry.config.RegistryConfig;
import dev.registry.config.S3Config;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A store served over https with a certificate no trust store knows (an in-cluster MinIO with a
 * self-signed one): with {@code storage.s3.skipverify} the server's relay of blob bodies trusts it
 * as the driver does, and pulls are relayed from the signed URL; without it, the relay refuses the
 * certificate and pulls come, whole, through the driver's reader.
 */
class StoreTlsRelayTest {
    private static final byte[] BLOB = new byte[3 * 1024 * 1024 + 17];
    private static final InMemoryDriver memory = new InMemoryDriver();
    private static final AtomicInteger storeRequests = new AtomicInteger();
    private static final HttpClient http = HttpClient.newHttpClient();
    private static SelfSignedCertificate certificate;
    private static HttpsServer store;
    private static String digest;

    @BeforeAll
    static void startStore() throws Exception {
        new Random(5).nextBytes(BLOB);
        digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(BLOB));
        certificate = new SelfSignedCertificate("store.test");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("store", certificate.key(), new char[0], new Certificate[] {certificate.cert()});
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, new char[0]);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), null, null);
        store = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        store.setHttpsConfigurator(new HttpsConfigurator(tls));
        store.createContext("/", StoreTlsRelayTest::serve);
        store.start();
    }

    @AfterAll
    static void stopStore() {
        store.stop(0);
        certificate.delete();
    }

    @Test
    void withSkipVerifyPullsAreRelayedFromTheStoresSignedUrl() throws Exception {
        ObjectUrlRelayTest.SigningDriver driver = signingDriver();
        try (RegistryServer server = RegistryServer.start(config(true), driver)) {
            String base = withBlob(server);
            for (int i = 0; i < 2; i++) {
                assertWholeBlob(pull(base));
            }
            assertEquals(2, storeRequests.get(), "both pulls were fetched from the signed https URL");
            assertEquals(0, driver.readerOpens.get(), "the driver's reader was not used");
        }
    }

    @Test
    void withoutSkipVerifyTheUnknownCertificateIsRefusedAndPullsComeThroughTheDriver() throws Exception {
        ObjectUrlRelayTest.SigningDriver driver = signingDriver();
        try (RegistryServer server = RegistryServer.start(config(false), driver)) {
            assertWholeBlob(pull(withBlob(server)));
            assertEquals(0, storeRequests.get(), "no request reached the store past the refused handshake");
            assertEquals(1, driver.readerOpens.get(), "the pull came through the driver's reader");
        }
    }

    private static ObjectUrlRelayTest.SigningDriver signingDriver() {
        ObjectUrlRelayTest.SigningDriver driver = new ObjectUrlRelayTest.SigningDriver(memory);
        driver.signingScheme = "https";
        driver.signingHost = "127.0.0.1:" + store.getAddress().getPort();
        return driver;
    }

    /** An S3 configuration (only its {@code skipverify} matters: the driver is the test's) with redirects off. */
    private static RegistryConfig config(boolean skipVerify) {
        return TestServers.config(new S3Config("key", "secret", null, "us-east-1", URI.create("https://127.0.0.1:1"), true, "bucket",
                "", false, null, true, skipVerify, 5 * 1024 * 1024, 32L << 20, 10, 32L << 20, "STANDARD", false, "off"), true);
    }

    /** Pushes the blob through {@code server}, then forgets the store's requests so far; returns the server's base URL. */
    private static String withBlob(RegistryServer server) throws Exception {
        String base = "http://127.0.0.1:" + server.port();
        assertEquals(digest, TestServers.pushBlob(http, base, "tls/relay", BLOB));
        storeRequests.set(0);
        return base;
    }

    /** What a client checks of a blob pull: the status, the length, the digest header and every byte. */
    private static void assertWholeBlob(HttpResponse<byte[]> pulled) {
        assertEquals(200, pulled.statusCode());
        assertEquals(String.valueOf(BLOB.length), pulled.headers().firstValue("Content-Length").orElseThrow());
        assertEquals(digest, pulled.headers().firstValue("Docker-Content-Digest").orElseThrow());
        assertArrayEquals(BLOB, pulled.body());
    }

    private static HttpResponse<byte[]> pull(String base) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/v2/tls/relay/blobs/" + digest)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Serves the in-memory driver's objects, honouring the relay's {@code Range}. */
    private static void serve(HttpExchange exchange) throws IOException {
        storeRequests.incrementAndGet();
        byte[] object;
        try {
            object = memory.getContent(exchange.getRequestURI().getPath());
        } catch (IOException e) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        String range = exchange.getRequestHeaders().getFirst("Range");
        int start = 0;
        int end = object.length - 1;
        if (range != null) {
            String[] bounds = range.substring("bytes=".length()).split("-");
            start = Integer.parseInt(bounds[0]);
            end = Integer.parseInt(bounds[1]);
            exchange.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + end + "/" + object.length);
        }
        exchange.sendResponseHeaders(range != null ? 206 : 200, end - start + 1);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(object, start, end - start + 1);
        }
    }
}
