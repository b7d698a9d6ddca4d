package dev.registry.server.tls;

import dev.registry.config.ConfigException;
import dev.registry.config.TlsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerTlsTest {
    @TempDir
    Path temp;

    private static TlsConfig selfSigned(List<String> hosts, Path directory) {
        return new TlsConfig(null, null, new TlsConfig.SelfSignedConfig(hosts, directory), "tls1.2");
    }

    @Test
    void selfSignedServesHttp2ThroughInitChannel() throws Exception {
        ServerTls tls = ServerTls.open(selfSigned(List.of("127.0.0.1"), temp.resolve("tls")));
        SelfSignedCertificates.Result generated = tls.selfSigned().orElseThrow();
        assertTrue(generated.caGenerated());
        assertEquals(TlsTestSupport.leaf(generated.certificate()), tls.context().certificate());

        try (TestTlsServer server = new TestTlsServer(tls::initChannel);
             HttpClient client = HttpClient.newBuilder().sslContext(TlsTestSupport.trusting(generated.caCertificate())).build()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + server.port() + "/v2/")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(HttpClient.Version.HTTP_2, response.version());
            assertTrue(response.body().startsWith("ok h2 "), response.body());
        }

        assertFalse(ServerTls.open(selfSigned(List.of("127.0.0.1"), temp.resolve("tls"))).selfSigned().orElseThrow().generated(),
                "a restart reuses the files");
    }

    @Test
    void http2DisabledLeavesHttp11Only() throws Exception {
        SelfSignedCertificates.Result files = SelfSignedCertificates.ensure(List.of("127.0.0.1"), temp.resolve("tls"));
        for (TlsEngine engine : engines()) {
            ServerTls tls = ServerTls.open(new TlsConfig(files.certificate(), files.key(), null, "tls1.2", List.of(), List.of(),
                    false), engine);
            try (TestTlsServer server = new TestTlsServer(tls::initChannel);
                 HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                         .sslContext(TlsTestSupport.trusting(files.caCertificate())).build()) {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                        URI.create("https://127.0.0.1:" + server.port() + "/v2/")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(HttpClient.Version.HTTP_1_1, response.version(), engine.description());
                assertTrue(response.body().startsWith("ok http/1.1 "), response.body());
            }
        }
    }

    @Test
    void configuredCertificateIsServed() {
        SelfSignedCertificates.Result files = SelfSignedCertificates.ensure(List.of("registry.example"), temp);
        ServerTls tls = ServerTls.open(new TlsConfig(files.certificate(), files.key(), null, "tls1.3"));
        assertTrue(tls.selfSigned().isEmpty());
        assertEquals(TlsTestSupport.leaf(files.certificate()), tls.context().certificate());
    }

    @Test
    void cipherSuitesTheEngineLacksAreLeftOutAndNoneAtAllStopsStartup() {
        SelfSignedCertificates.Result files = SelfSignedCertificates.ensure(List.of("registry.example"), temp);
        for (TlsEngine engine : engines()) {
            // the configuration admits registry:2's names only; the engine check is for names it lacks
            TlsConfig some = new TlsConfig(files.certificate(), files.key(), null, "tls1.2", List.of(),
                    List.of("TLS_NOT_A_REAL_SUITE", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"));
            List<String> enabled = ServerTls.open(some, engine).context().enabledCipherSuites();
            assertTrue(enabled.contains("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"), engine + ": " + enabled);
            assertFalse(enabled.contains("TLS_NOT_A_REAL_SUITE"), engine + ": " + enabled);
            assertFalse(enabled.contains("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), engine + ": " + enabled);

            TlsConfig unknownToTheEngine = new TlsConfig(files.certificate(), files.key(), null, "tls1.2", List.of(),
                    List.of("TLS_NOT_A_REAL_SUITE"));
            String message = assertThrows(ConfigException.class, () -> ServerTls.open(unknownToTheEngine, engine)).getMessage();
            assertTrue(message.startsWith("http.tls.ciphersuites (REGISTRY_HTTP_TLS_CIPHERSUITES): the TLS engine ("
                    + engine.description() + ") implements none of [TLS_NOT_A_REAL_SUITE], so TLS 1.2 clients could not "
                    + "connect: add a suite such as "), message);

            TlsConfig tls13Only = new TlsConfig(files.certificate(), files.key(), null, "tls1.3", List.of(),
                    List.of("TLS_NOT_A_REAL_SUITE"));
            assertEquals(List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"),
                    ServerTls.open(tls13Only, engine).context().enabledCipherSuites(), engine.description());
        }
    }

    private static List<TlsEngine> engines() {
        TlsEngine system = TlsEngine.fromSystem();
        TlsEngine jdk = TlsEngine.choose("jdk", true, null);
        return system.isOpenSsl() ? List.of(system, jdk) : List.of(jdk);
    }

    @Test
    void problemsNameTheSetting() throws Exception {
        SelfSignedCertificates.Result files = SelfSignedCertificates.ensure(List.of("registry.example"), temp);
        Path missing = temp.resolve("missing.key");

        assertEquals("http.tls.key (REGISTRY_HTTP_TLS_KEY): TLS key file " + missing + " does not exist: check the path.",
                assertThrows(ConfigException.class,
                        () -> ServerTls.open(new TlsConfig(files.certificate(), missing, null, "tls1.2"))).getMessage());
        assertTrue(assertThrows(ConfigException.class,
                () -> ServerTls.open(new TlsConfig(temp.resolve("nope.crt"), files.key(), null, "tls1.2"))).getMessage()
                .startsWith("http.tls.certificate (REGISTRY_HTTP_TLS_CERTIFICATE): TLS certificate file "));
        assertTrue(assertThrows(ConfigException.class,
                () -> ServerTls.open(new TlsConfig(files.certificate(), null, null, "tls1.2"))).getMessage()
                .startsWith("http.tls.key (REGISTRY_HTTP_TLS_KEY) is required"));
        assertTrue(assertThrows(ConfigException.class,
                () -> ServerTls.open(new TlsConfig(files.certificate(), files.key(), null, "tls1.0"))).getMessage()
                .startsWith("http.tls.minimumtls (REGISTRY_HTTP_TLS_MINIMUMTLS): minimum TLS version 'tls1.0' is not supported"));
        assertTrue(assertThrows(ConfigException.class,
                () -> ServerTls.open(selfSigned(List.of("bad host"), temp.resolve("x")))).getMessage()
                .startsWith("http.tls.selfsigned.hosts (REGISTRY_HTTP_TLS_SELFSIGNED_HOSTS): host 'bad host'"));

        Path notADirectory = Files.writeString(temp.resolve("file"), "x");
        assertTrue(assertThrows(ConfigException.class,
                () -> ServerTls.open(selfSigned(List.of("localhost"), notADirectory))).getMessage()
                .equals("http.tls.selfsigned.directory (REGISTRY_HTTP_TLS_SELFSIGNED_DIRECTORY): cannot keep TLS certificates in "
                        + notADirectory + " (" + notADirectory + " exists and is not a directory): give a directory this process may write."));

        assertThrows(IllegalArgumentException.class, () -> ServerTls.open(TlsConfig.DISABLED));
    }
}
