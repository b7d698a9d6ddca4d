package dev.registry.server.tls;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real handshakes against a Netty server wired with {@link ReloadingSslContext} and {@link HttpProtocolNegotiationHandler},
 * with BoringSSL, the engine the server uses where its native library loads; {@link JdkEngineTlsHandshakeTest} runs the
 * same tests with the JDK engine, the fallback.
 */
class TlsHandshakeTest {
    private static final List<String> HOSTS = List.of("localhost", "127.0.0.1", "::1");

    @TempDir
    Path temp;

    private SelfSignedCertificates.Result files;
    private ReloadingSslContext tls;
    private TestTlsServer server;
    private SSLContext trusting;

    /** The engine under test: BoringSSL, which must load on linux-x86_64 (its native library is bundled for it). */
    TlsEngine engine() {
        TlsTestSupport.assumeOpenSslBundledOrAvailable();
        TlsEngine engine = TlsEngine.fromSystem();
        assertTrue(engine.isOpenSsl(), engine.description());
        return engine;
    }

    @BeforeEach
    void start() throws Exception {
        files = SelfSignedCertificates.ensure(HOSTS, temp.resolve("certs"));
        // Check on every connection so rotation tests need not wait.
        tls = ReloadingSslContext.open(files.certificate(), files.key(), "tls1.2", engine(), Duration.ZERO, System::nanoTime);
        server = new TestTlsServer(tls);
        trusting = TlsTestSupport.trusting(files.caCertificate());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private URI uri(String path) {
        return URI.create("https://127.0.0.1:" + server.port() + path);
    }

    private HttpClient client(HttpClient.Version version) {
        return HttpClient.newBuilder().version(version).sslContext(trusting).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Test
    void javaClientNegotiatesHttp2() throws Exception {
        try (HttpClient client = client(HttpClient.Version.HTTP_2)) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri("/v2/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, response.version());
            assertEquals("ok h2 host=127.0.0.1:" + server.port() + " body=0 encrypted=true", response.body());
            assertFalse(response.headers().firstValue("connection").isPresent(), "connection headers are not allowed in HTTP/2");

            HttpResponse<String> byName = client.send(HttpRequest.newBuilder(
                    URI.create("https://localhost:" + server.port() + "/v2/")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(HttpClient.Version.HTTP_2, byName.version());
            assertEquals("ok h2 host=localhost:" + server.port() + " body=0 encrypted=true", byName.body());
        }
        TestTlsServer.Seen seen = server.requests.get(0);
        assertEquals(new TestTlsServer.Seen("h2", "GET", "/v2/", "127.0.0.1:" + server.port(), 0, true), seen);
    }

    @Test
    void javaClientCanStillUseHttp11() throws Exception {
        try (HttpClient client = client(HttpClient.Version.HTTP_1_1)) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri("/v2/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(HttpClient.Version.HTTP_1_1, response.version());
            assertEquals("ok http/1.1 host=127.0.0.1:" + server.port() + " body=0 encrypted=true", response.body());
        }
    }

    @Test
    void largeBodiesFlowBothWaysOverHttp2() throws Exception {
        byte[] upload = new byte[3 * 1024 * 1024 + 17];
        new SecureRandom().nextBytes(upload);
        try (HttpClient client = client(HttpClient.Version.HTTP_2)) {
            HttpResponse<String> put = client.send(HttpRequest.newBuilder(uri("/v2/a/blobs/uploads/x"))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(HttpClient.Version.HTTP_2, put.version());
            assertTrue(put.body().contains("body=" + upload.length), put.body());

            HttpResponse<byte[]> big = client.send(HttpRequest.newBuilder(uri("/big?5000001")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(HttpClient.Version.HTTP_2, big.version());
            assertEquals(5_000_001, big.body().length);
            assertEquals("5000001", big.headers().firstValue("content-length").orElseThrow());
        }
        try (HttpClient client = client(HttpClient.Version.HTTP_1_1)) {
            HttpResponse<byte[]> big = client.send(HttpRequest.newBuilder(uri("/big?5000001")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(HttpClient.Version.HTTP_1_1, big.version());
            assertEquals(5_000_001, big.body().length);
        }
    }

    @Test
    void concurrentStreamsOnOneConnection() throws Exception {
        try (HttpClient client = client(HttpClient.Version.HTTP_2)) {
            // One request first so the rest share the negotiated HTTP/2 connection.
            client.send(HttpRequest.newBuilder(uri("/warm")).build(), HttpResponse.BodyHandlers.discarding());
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                responses.add(client.sendAsync(HttpRequest.newBuilder(uri("/v2/r" + i)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> response : responses) {
                HttpResponse<String> done = response.get(20, TimeUnit.SECONDS);
                assertEquals(HttpClient.Version.HTTP_2, done.version());
                assertEquals(200, done.statusCode());
            }
        }
        assertEquals(51, server.requests.size());
    }

    @Test
    void clientWithoutTheCaRefusesTheCertificate() {
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            IOException error = assertThrows(IOException.class,
                    () -> client.send(HttpRequest.newBuilder(uri("/v2/")).build(), HttpResponse.BodyHandlers.ofString()));
            assertTrue(error instanceof SSLHandshakeException || error.getCause() instanceof SSLHandshakeException, error.toString());
        }
    }

    @Test
    void clientWithoutAlpnGetsHttp11() throws Exception {
        try (SSLSocket socket = (SSLSocket) trusting.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET /plain HTTP/1.1\r\nHost: plain.test\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 200 OK"), response);
            assertTrue(response.endsWith("ok http/1.1 host=plain.test body=0 encrypted=true"), response);
            assertEquals("", socket.getApplicationProtocol());
        }
    }

    @Test
    void tls12ClientNegotiatesH2WithForwardSecrecy() throws Exception {
        try (SSLSocket socket = handshake(trusting, "TLSv1.2")) {
            assertEquals("TLSv1.2", socket.getSession().getProtocol());
            assertEquals("h2", socket.getApplicationProtocol());
            assertTrue(socket.getSession().getCipherSuite().startsWith("TLS_ECDHE_ECDSA_WITH_"), socket.getSession().getCipherSuite());
        }
        try (SSLSocket socket = handshake(trusting, "TLSv1.3")) {
            assertEquals("TLSv1.3", socket.getSession().getProtocol());
            assertEquals("h2", socket.getApplicationProtocol());
        }
    }

    @Test
    void byDefaultTls12OffersNoCbcSuites() throws Exception {
        assertThrows(SSLHandshakeException.class, () -> handshake(trusting, "TLSv1.2",
                "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA").close());
    }

    @Test
    void configuredCipherSuitesAreTheOnlyTls12Ones() throws Exception {
        server.close();
        tls = ReloadingSslContext.open(files.certificate(), files.key(), ReloadingSslContext.Settings.of("tls1.2").withCipherSuites(
                List.of("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256")),
                engine(), Duration.ZERO, System::nanoTime);
        server = new TestTlsServer(tls);

        assertEquals(List.of("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"), tls.enabledCipherSuites());
        assertThrows(SSLHandshakeException.class, () -> handshake(trusting, "TLSv1.2",
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256").close());
        try (SSLSocket socket = handshake(trusting, "TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")) {
            assertEquals("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", socket.getSession().getCipherSuite());
        }
        try (SSLSocket socket = handshake(trusting, "TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")) {
            assertEquals("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", socket.getSession().getCipherSuite());
        }
        // TLS 1.3's suites cannot be restricted: all three stay on, as with registry:2
        try (SSLSocket socket = handshake(trusting, "TLSv1.3", "TLS_AES_256_GCM_SHA384")) {
            assertEquals("TLS_AES_256_GCM_SHA384", socket.getSession().getCipherSuite());
            assertEquals("h2", socket.getApplicationProtocol());
        }
    }

    private SSLSocket handshake(SSLContext context, String protocol, String... cipherSuites) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", server.port());
        socket.setSoTimeout(5000);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setProtocols(new String[] {protocol});
        if (cipherSuites.length > 0) {
            parameters.setCipherSuites(cipherSuites);
        }
        parameters.setApplicationProtocols(new String[] {"h2", "http/1.1"});
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    @Test
    void tls11IsRefused() throws Exception {
        // The JDK client will not even offer TLS 1.1 any more, so speak it by hand.
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(tls11ClientHello());
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int contentType;
            try {
                contentType = in.readUnsignedByte();
            } catch (EOFException closed) {
                return; // Hanging up is a refusal too.
            }
            assertNotEquals(0x16, contentType, "the server must not answer with a ServerHello");
            assertEquals(0x15, contentType, "expected a TLS alert");
            in.readUnsignedShort(); // record version
            assertEquals(2, in.readUnsignedShort());
            assertEquals(2, in.readUnsignedByte(), "fatal");
            int description = in.readUnsignedByte();
            assertTrue(description == 70 || description == 40, "protocol_version or handshake_failure, got " + description);
        }
    }

    /** A minimal TLS 1.1 ClientHello offering ECDHE and plain RSA CBC suites on P-256. */
    private static byte[] tls11ClientHello() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(0x03);
        body.write(0x02); // TLS 1.1
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        body.writeBytes(random);
        body.write(0); // no session id
        int[] suites = {0xC009, 0xC00A, 0xC013, 0xC014, 0x002F, 0x0035};
        writeShort(body, suites.length * 2);
        for (int suite : suites) {
            writeShort(body, suite);
        }
        body.write(1);
        body.write(0); // null compression
        byte[] extensions = {0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00};
        writeShort(body, extensions.length);
        body.writeBytes(extensions);
        byte[] hello = body.toByteArray();
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.writeBytes(new byte[] {0x16, 0x03, 0x01});
        writeShort(record, hello.length + 4);
        record.write(0x01); // ClientHello
        record.write(0);
        writeShort(record, hello.length);
        record.writeBytes(hello);
        return record.toByteArray();
    }

    private static void writeShort(ByteArrayOutputStream out, int value) {
        out.write(value >>> 8);
        out.write(value & 0xff);
    }

    @Test
    void minimumTls13RefusesTls12() throws Exception {
        server.close();
        tls = ReloadingSslContext.open(files.certificate(), files.key(), "tls1.3", engine(), Duration.ZERO, System::nanoTime);
        server = new TestTlsServer(tls);
        assertThrows(IOException.class, () -> handshake(trusting, "TLSv1.2").close());
        try (SSLSocket socket = handshake(trusting, "TLSv1.3")) {
            assertEquals("TLSv1.3", socket.getSession().getProtocol());
        }
    }

    @Test
    void newConnectionsSeeARotatedCertificate() throws Exception {
        X509Certificate before = servedCertificate(trusting);
        assertEquals(TlsTestSupport.leaf(files.certificate()), before);

        // Rotate in place, as cert-manager would: a new certificate from the same CA, new hosts.
        SelfSignedCertificates.ensure(List.of("rotated.local", "127.0.0.1"), temp.resolve("certs"));
        X509Certificate after = servedCertificate(trusting);
        assertNotEquals(before.getSerialNumber(), after.getSerialNumber());
        assertTrue(SubjectAltNames.parse(List.of("rotated.local", "127.0.0.1")).matchExactly(after));

        // A broken replacement is not served; the last good certificate is.
        Files.writeString(files.certificate(), "oops");
        assertEquals(after, servedCertificate(trusting));

        // A certificate from a different CA entirely (say, a real CA now) is picked up too.
        Path other = temp.resolve("other");
        SelfSignedCertificates.Result replacement = SelfSignedCertificates.ensure(HOSTS, other);
        Files.copy(replacement.key(), files.key(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(replacement.certificate(), files.certificate(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        X509Certificate fromOtherCa = servedCertificate(TlsTestSupport.trusting(replacement.caCertificate()));
        assertEquals(TlsTestSupport.leaf(replacement.certificate()), fromOtherCa);
    }

    private X509Certificate servedCertificate(SSLContext context) throws Exception {
        try (SSLSocket socket = handshake(context, "TLSv1.3")) {
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    @Test
    void curlTrustsCaAndSpeaksBothProtocols() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl not installed");
        String url = "https://127.0.0.1:" + server.port() + "/v2/";
        String ca = files.caCertificate().toString();

        Result h2 = run("curl", "-sS", "--cacert", ca, "--http2", "-w", "\n%{http_version}", url);
        assertEquals(0, h2.exit(), h2.output());
        assertEquals("ok h2 host=127.0.0.1:" + server.port() + " body=0 encrypted=true\n2", h2.output());

        Result h1 = run("curl", "-sS", "--cacert", ca, "--http1.1", "-w", "\n%{http_version}", url);
        assertEquals(0, h1.exit(), h1.output());
        assertEquals("ok http/1.1 host=127.0.0.1:" + server.port() + " body=0 encrypted=true\n1.1", h1.output());

        Result byName = run("curl", "-sS", "--cacert", ca, "-w", "\n%{http_version}", "https://localhost:" + server.port() + "/v2/");
        assertEquals(0, byName.exit(), byName.output());
        assertTrue(byName.output().endsWith("\n2"), byName.output());

        Path upload = temp.resolve("upload.bin");
        Files.write(upload, new byte[2 * 1024 * 1024]);
        Result put = run("curl", "-sS", "--cacert", ca, "--http2", "-H", "Expect: 100-continue", "-X", "PUT",
                "--data-binary", "@" + upload, "-w", "\n%{http_version}", url);
        assertEquals(0, put.exit(), put.output());
        assertEquals("ok h2 host=127.0.0.1:" + server.port() + " body=" + (2 * 1024 * 1024) + " encrypted=true\n2", put.output());

        Result untrusted = run("curl", "-sS", "-o", "/dev/null", url);
        assertEquals(60, untrusted.exit(), "curl's 'peer certificate cannot be authenticated': " + untrusted.output());

        Result tls13 = run("curl", "-sS", "--cacert", ca, "--tlsv1.3", "-o", "/dev/null", "-w", "%{http_version}", url);
        assertEquals(0, tls13.exit(), tls13.output());
    }

    @Test
    void opensslVerifiesChainAndAlpn() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl not installed");
        String address = "127.0.0.1:" + server.port();
        Result ok = run("openssl", "s_client", "-connect", address, "-CAfile", files.caCertificate().toString(), "-alpn", "h2,http/1.1",
                "-verify_return_error", "-verify_ip", "127.0.0.1", "-servername", "localhost");
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().contains("Verify return code: 0 (ok)"), ok.output());
        assertTrue(ok.output().contains("ALPN protocol: h2"), ok.output());
        assertTrue(ok.output().contains("Certificate chain") && ok.output().contains(" 1 s:"), "server sends the CA too: " + ok.output());

        Result tls11 = run("openssl", "s_client", "-connect", address, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
        assertNotEquals(0, tls11.exit(), tls11.output());
        assertTrue(tls11.output().contains("alert protocol version"), tls11.output());
    }

    @Test
    void goClientsTrustTheCa() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/skopeo")), "skopeo not installed");
        // Docker and skopeo read every *.crt in the directory as a CA, like /etc/docker/certs.d/HOST:PORT.
        Path certsDirectory = Files.createDirectories(temp.resolve("certs.d/127.0.0.1:" + server.port()));
        Files.copy(files.caCertificate(), certsDirectory.resolve("ca.crt"));

        Result inspect = run("skopeo", "inspect", "--raw", "--cert-dir", certsDirectory.toString(),
                "docker://127.0.0.1:" + server.port() + "/library/test:latest");
        assertFalse(inspect.output().contains("x509") || inspect.output().contains("tls:"), inspect.output());
        assertTrue(server.requests.stream().anyMatch(seen -> seen.uri().equals("/v2/")), server.requests + " " + inspect.output());

        Result untrusted = run("skopeo", "inspect", "--raw", "docker://127.0.0.1:" + server.port() + "/library/test:latest");
        assertTrue(untrusted.output().contains("x509"), untrusted.output());
    }

    private record Result(int exit, String output) {
    }

    private static Result run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close(); // s_client waits for stdin; closing it ends the session
        InputStream in = process.getInputStream();
        String output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
        return new Result(process.exitValue(), output);
    }
}
