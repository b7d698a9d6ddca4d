package dev.registry.e2e.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.registry.e2e.RegistryProcess;
import dev.registry.e2e.clients.Cli;
import dev.registry.e2e.clients.DockerEngine;
import dev.registry.e2e.clients.OciLayoutBuilder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code http.tls.clientcas} against the packaged server: the registry serves TLS with a
 * self-signed server certificate and requires client certificates issued by a test CA. curl gets
 * {@code 200} with such a certificate, over HTTP/2 and HTTP/1.1, with TLS 1.3 and 1.2, and with
 * BoringSSL and the JDK engine; without a certificate, or with one from another CA, the handshake
 * fails and no HTTP status is ever seen. docker pushes and pulls with
 * {@code /etc/docker/certs.d/HOST:PORT/client.cert} and {@code client.key}, and cannot push
 * without them or with a certificate from the other CA (leaving storage unchanged). A CA file
 * that is not PEM stops the server at startup with one line naming the key.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClientCertificatesE2ETest {
    private static final Duration CLIENT_TIMEOUT = Duration.ofMinutes(2);

    private Path dir;
    /** The CA the registry trusts for clients, and one it does not. */
    private Certificates.Issued clientsCa;
    private Certificates.Issued otherCa;
    /** PEM files: the trusted CA; a client certificate and key from it; a certificate and key from the other CA. */
    private Path clientsCaFile;
    private Path aliceCert;
    private Path aliceKey;
    private Path malloryCert;
    private Path malloryKey;

    @BeforeAll
    void certificates() throws Exception {
        dir = RegistryProcess.workDir("client-certificates");
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant notBefore = now.minus(1, ChronoUnit.HOURS);
        Instant notAfter = now.plus(2, ChronoUnit.DAYS);
        clientsCa = Certificates.selfSigned("Registry clients CA", Certificates.rsa(2048), true, notBefore, notAfter);
        otherCa = Certificates.selfSigned("Some other CA", Certificates.rsa(2048), true, notBefore, notAfter);
        Certificates.Issued alice = Certificates.issue("alice", Certificates.rsa(2048), clientsCa, false, notBefore, notAfter);
        Certificates.Issued mallory = Certificates.issue("mallory", Certificates.rsa(2048), otherCa, false, notBefore, notAfter);
        clientsCaFile = Files.writeString(dir.resolve("clients-ca.pem"), clientsCa.pem());
        aliceCert = Files.writeString(dir.resolve("alice.crt"), alice.pem());
        aliceKey = Files.writeString(dir.resolve("alice.key"), Certificates.pem(alice.keys().getPrivate()));
        malloryCert = Files.writeString(dir.resolve("mallory.crt"), mallory.pem());
        malloryKey = Files.writeString(dir.resolve("mallory.key"), Certificates.pem(mallory.keys().getPrivate()));
    }

    // ---- curl ------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"boringssl", "jdk"})
    void curlNeedsACertificateFromTheConfiguredCa(String engine) throws Exception {
        Cli.assumeTools("curl");
        String javaOptions = engine.equals("jdk") ? "-Dregistry.tls.engine=jdk" : "";
        try (MtlsRegistry registry = MtlsRegistry.start(dir.resolve("curl-" + engine), "127.0.0.1", clientsCaFile, javaOptions)) {
            registry.withLog(() -> {
                String expectedEngine = engine.equals("jdk") ? "TLS engine: JDK SSLEngine" : "TLS engine: BoringSSL";
                assertTrue(registry.output().contains(expectedEngine), registry::output);
                assertTrue(registry.output().contains("client certificates required"), registry::output);
                String url = registry.baseUrl() + "/v2/";
                for (String[] tls : new String[][] {{"--tlsv1.3"}, {"--tlsv1.2", "--tls-max", "1.2"}}) {
                    for (String[] http : new String[][] {{"--http2", "2"}, {"--http1.1", "1.1"}}) {
                        String what = String.join(" ", tls) + " " + http[0];
                        List<String> options = new ArrayList<>(List.of(tls));
                        options.add(http[0]);

                        Curl accepted = curl(registry, options, List.of("--cert", aliceCert.toString(), "--key",
                                aliceKey.toString()), url);
                        assertEquals(0, accepted.result().exitCode(), () -> what + ": " + accepted);
                        assertEquals("200 " + http[1], accepted.status(), () -> what + ": " + accepted);
                        assertEquals("{}", accepted.body().strip(), () -> what + ": " + accepted);

                        assertRefused(curl(registry, options, List.of(), url), what + " without a client certificate");
                        assertRefused(curl(registry, options, List.of("--cert", malloryCert.toString(), "--key",
                                malloryKey.toString()), url), what + " with a certificate from another CA");
                    }
                }
                // A whole API exchange over authenticated connections: push a blob, read it back.
                byte[] blob = Content.randomBytes(256 * 1024 + 3);
                String digest = Content.digest(blob);
                Path blobFile = Files.write(registry.dir().resolve("blob"), blob);
                List<String> alice = List.of("--cert", aliceCert.toString(), "--key", aliceKey.toString());
                Curl push = curl(registry, List.of("--http2", "-X", "POST", "-H", "Content-Type: application/octet-stream",
                        "--data-binary", "@" + blobFile), alice, registry.baseUrl() + "/v2/mtls/app/blobs/uploads/?digest=" + digest);
                assertEquals("201 2", push.status(), push::toString);
                Curl pull = curl(registry, List.of("--http1.1"), alice, registry.baseUrl() + "/v2/mtls/app/blobs/" + digest);
                assertEquals("200 1.1", pull.status(), pull::toString);
                assertEquals(digest, Content.digest(Files.readAllBytes(pull.bodyFile())));
            });
        }
    }

    /** The handshake failed: curl never got an HTTP status, and says it was TLS. */
    private static void assertRefused(Curl curl, String what) {
        assertNotEquals(0, curl.result().exitCode(), () -> what + " must fail: " + curl);
        assertEquals("000 0", curl.status(), () -> what + ": no HTTP status expected: " + curl);
        // 35: the handshake failed (TLS 1.2); 56: the server's alert arrived with the first read (TLS 1.3);
        // 16: the same, seen by curl's HTTP/2 layer; 55: with TLS 1.3 the client finishes its side of
        // the handshake first, so it may be sending when the server's alert and close arrive.
        assertTrue(List.of(35, 56, 16, 55).contains(curl.result().exitCode()), () -> what + ": a TLS failure expected: " + curl);
    }

    /** One curl call: its exit, {@code "<status> <http version>"} and the body it saved. */
    private record Curl(Cli.Result result, String status, Path bodyFile) {
        String body() throws IOException {
            return Files.exists(bodyFile) ? Files.readString(bodyFile) : "";
        }

        @Override
        public String toString() {
            return result.describe();
        }
    }

    private static Curl curl(MtlsRegistry registry, List<String> options, List<String> identity, String url) throws IOException {
        Path body = Files.createTempFile(registry.dir(), "curl-", ".body");
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "30", "--cacert",
                registry.serverCa().toString(), "-o", body.toString(), "-w", "%{http_code} %{http_version}"));
        command.addAll(options);
        command.addAll(identity);
        command.add(url);
        Cli.Result result = Cli.of(command).timeout(CLIENT_TIMEOUT).run();
        return new Curl(result, result.stdout().strip(), body);
    }

    // ---- docker ------------------------------------------------------------------------------------

    /**
     * Docker reads {@code certs.d} only for registries it verifies, which excludes 127.0.0.0/8
     * (an insecure registry by default), so the registry listens on a non-loopback address.
     */
    @Test
    void dockerPushesAndPullsWithCertsDClientCertificate() throws Exception {
        Path work = dir.resolve("docker");
        DockerEngine engine = DockerEngine.require(work);
        TlsClientsE2ETest.requireCertsD();
        String address = TlsClientsE2ETest.nonLoopbackAddress();
        assumeTrue(address != null, "skipped: this machine has no non-loopback IPv4 address to serve TLS on");
        try (MtlsRegistry registry = MtlsRegistry.start(work.resolve("registry"), address, clientsCaFile, "")) {
            DockerCli docker = new DockerCli(engine, work.resolve("docker-config"));
            Path certsD = Path.of("/etc/docker/certs.d", registry.hostPort());
            String image = registry.hostPort() + "/mtls/app-" + Content.nonce() + ":v1";
            registry.withLog(() -> {
                try {
                    TlsClientsE2ETest.deleteTree(certsD);
                    Files.createDirectories(certsD);
                    Files.copy(registry.serverCa(), certsD.resolve("ca.crt"));
                    Path rootfs = work.resolve("rootfs.tar");
                    Files.write(rootfs, OciLayoutBuilder.tar(Map.of("etc/mtls", ("client certificates " + image + "\n")
                            .getBytes(StandardCharsets.UTF_8), "data.bin", Content.randomBytes(16 * 1024))));
                    String imageId = docker.run("import", rootfs.toString(), image).check().stdout().trim();

                    // only the server's CA: docker trusts the registry but has no certificate to show
                    StorageSnapshot empty = StorageSnapshot.of(registry.storage());
                    Cli.Result anonymous = docker.run("push", image).run();
                    assertFalse(anonymous.ok(), () -> "a push without a client certificate must fail:\n" + anonymous.describe());
                    assertTrue(anonymous.stderr().contains("tls: "), anonymous::describe);
                    empty.assertUnchanged("docker push without a client certificate");

                    // a certificate from the other CA
                    Files.copy(malloryCert, certsD.resolve("client.cert"));
                    Files.copy(malloryKey, certsD.resolve("client.key"));
                    Cli.Result wrongCa = docker.run("push", image).run();
                    assertFalse(wrongCa.ok(), () -> "a push with another CA's certificate must fail:\n" + wrongCa.describe());
                    assertTrue(wrongCa.stderr().contains("tls: "), wrongCa::describe);
                    empty.assertUnchanged("docker push with a certificate from another CA");

                    // alice's certificate: push, remove, pull back the same image
                    Files.copy(aliceCert, certsD.resolve("client.cert"), StandardCopyOption.REPLACE_EXISTING);
                    Files.copy(aliceKey, certsD.resolve("client.key"), StandardCopyOption.REPLACE_EXISTING);
                    docker.run("push", image).check();
                    docker.run("rmi", image).check();
                    docker.run("pull", image).check();
                    assertEquals(imageId, docker.imageId(image), "the image id after push, rmi, pull");
                } finally {
                    docker.run("rmi", "-f", image).run();
                    TlsClientsE2ETest.deleteTree(certsD);
                }
            });
        }
    }

    // ---- startup errors ----------------------------------------------------------------------------

    @Test
    void aCaFileThatIsNotPemStopsStartupNamingTheKey() throws Exception {
        Path work = dir.resolve("bad-ca");
        Files.createDirectories(work);
        Path notPem = Files.writeString(work.resolve("clients-ca.pem"), "this is not a certificate\n");
        Path config = MtlsRegistry.writeConfig(work, "127.0.0.1", RegistryProcess.freePort(), notPem);
        Cli.Result result = Cli.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                RegistryProcess.jar().toString(), "serve", config.toString()).timeout(Duration.ofMinutes(1)).run();
        assertEquals(3, result.exitCode(), () -> "exit code 3 is a configuration error: " + result.describe());
        String expected = "http.tls.clientcas (REGISTRY_HTTP_TLS_CLIENTCAS): client CA file " + notPem
                + " is not PEM (no '-----BEGIN CERTIFICATE-----' block): give the PEM certificates of the CAs that issue"
                + " client certificates.";
        String output = result.stdout() + result.stderr();
        assertTrue(output.lines().anyMatch(line -> line.endsWith(expected)), () -> "expected '" + expected + "' in:\n" + output);
    }

    // ---- the registry ------------------------------------------------------------------------------

    /** The packaged jar with self-signed TLS and {@code http.tls.clientcas}, no authentication. */
    private record MtlsRegistry(Path dir, String host, int port, Process process, Path log) implements AutoCloseable {
        static MtlsRegistry start(Path dir, String host, Path clientCas, String javaOptions) throws Exception {
            Files.createDirectories(dir);
            int port = RegistryProcess.freePort();
            Path config = writeConfig(dir, host, port, clientCas);
            Path log = dir.resolve("server.log");
            ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-jar", RegistryProcess.jar().toString(), "serve", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            if (!javaOptions.isEmpty()) {
                builder.environment().put("JAVA_TOOL_OPTIONS", javaOptions);
            }
            MtlsRegistry registry = new MtlsRegistry(dir, host, port, builder.start(), log);
            try {
                registry.awaitListening();
            } catch (Exception | Error e) {
                registry.close();
                throw e;
            }
            return registry;
        }

        static Path writeConfig(Path dir, String host, int port, Path clientCas) throws IOException {
            List<String> hosts = new ArrayList<>(List.of("localhost", "127.0.0.1"));
            if (!hosts.contains(host)) {
                hosts.add(host);
            }
            return Files.writeString(dir.resolve("config.yml"), """
                    version: 0.1
                    log:
                      level: debug
                    http:
                      addr: %s:%d
                      tls:
                        selfsigned:
                          hosts: [%s]
                          directory: %s
                        clientcas:
                          - %s
                    storage:
                      filesystem:
                        rootdirectory: %s
                      maintenance:
                        uploadpurging:
                          enabled: false
                    """.formatted(host, port, String.join(", ", hosts), dir.resolve("tls"), clientCas, dir.resolve("storage")));
        }

        private void awaitListening() throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (output().contains("registry listening on")) {
                    return;
                }
                if (!process.isAlive()) {
                    fail("registry exited with " + process.exitValue() + ":\n" + output());
                }
                Thread.sleep(50);
            }
            fail("registry did not start within 60 s:\n" + output());
        }

        Path serverCa() {
            return dir.resolve("tls").resolve("ca.crt");
        }

        Path storage() {
            return dir.resolve("storage");
        }

        String hostPort() {
            return host + ":" + port;
        }

        String baseUrl() {
            return "https://" + hostPort();
        }

        String output() {
            try {
                return Files.exists(log) ? Files.readString(log) : "";
            } catch (IOException e) {
                return "(could not read " + log + ": " + e + ")";
            }
        }

        void withLog(AuthRegistry.Body body) throws Exception {
            try {
                body.run();
            } catch (Throwable failure) {
                String text = output();
                int max = 6_000;
                failure.addSuppressed(new AssertionError("server log " + log + " (last " + max + " chars):\n"
                        + (text.length() > max ? text.substring(text.length() - max) : text)));
                throw failure;
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
