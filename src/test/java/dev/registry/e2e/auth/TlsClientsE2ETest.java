package dev.registry.e2e.auth;

import static dev.registry.e2e.auth.AuthRegistry.ADMIN;
import static dev.registry.e2e.auth.AuthRegistry.CI_PUSH;
import static dev.registry.e2e.auth.AuthRegistry.CLUSTER_PULL;
import static dev.registry.e2e.auth.AuthRegistry.password;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.registry.e2e.clients.Cli;
import dev.registry.e2e.clients.DockerEngine;
import dev.registry.e2e.clients.OciLayoutBuilder;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Real clients against the registry with a generated (self-signed) CA, the built-in token server
 * and the access rules: curl over HTTP/2 and HTTP/1.1, skopeo with {@code --cert-dir}, and docker
 * with {@code /etc/docker/certs.d} (token and, on a second registry, htpasswd-only Basic auth).
 * Each client step that must be refused is checked to leave the storage unchanged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TlsClientsE2ETest {
    private static final Duration CLIENT_TIMEOUT = Duration.ofMinutes(2);
    /** How docker and skopeo report a push or pull the registry refused (403 DENIED, or a token without the scope). */
    private static final String DENIED = "denied: requested access to the resource is denied";

    private AuthRegistry registry;
    /** A directory holding only the registry's {@code ca.crt}: skopeo's {@code --cert-dir}. */
    private Path certDir;

    @BeforeAll
    void startRegistry() throws Exception {
        registry = AuthRegistry.start("tls-clients", AuthRegistry.Mode.TOKEN, true);
        certDir = registry.dir().resolve("client-certs");
        Files.createDirectories(certDir);
        Files.copy(registry.caCertificate(), certDir.resolve("ca.crt"));
    }

    @AfterAll
    void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    // ---- curl ------------------------------------------------------------------------------------

    @Test
    void curlOverHttp2AndHttp11() throws Exception {
        Cli.assumeTools("curl");
        registry.withLog(() -> {
            String base = registry.baseUrl();
            String challenge = "Bearer realm=\"" + registry.tokenRealm() + "\",service=\"" + AuthRegistry.SERVICE + "\"";
            for (String[] version : new String[][] {{"--http2", "2"}, {"--http1.1", "1.1"}}) {
                Curl unauthenticated = curl(version[0], base + "/v2/");
                assertEquals("401 " + version[1], unauthenticated.statusAndVersion(), unauthenticated::toString);
                assertEquals(challenge, unauthenticated.header("www-authenticate"), unauthenticated::toString);

                Curl tokenResponse = curl(version[0], "-u", CI_PUSH + ":" + password(CI_PUSH),
                        base + "/auth/token?service=registry.local&scope=repository:ci/app:pull");
                assertEquals("200 " + version[1], tokenResponse.statusAndVersion(), tokenResponse::toString);
                String token = Http.JSON.readTree(tokenResponse.body()).path("token").asText();
                assertEquals(Map.of("repository:ci/app", java.util.Set.of("pull")),
                        TokenAuthMatrixTest.access(Jwt.parse(token).claims()), "what ci-push asked for");

                Curl authenticated = curl(version[0], "-H", "Authorization: Bearer " + token, base + "/v2/");
                assertEquals("200 " + version[1], authenticated.statusAndVersion(), authenticated::toString);
                assertEquals("{}", authenticated.body().strip());

                Curl wrongScope = curl(version[0], "-H", "Authorization: Bearer " + token,
                        base + "/v2/other/app/tags/list");
                assertEquals("401 " + version[1], wrongScope.statusAndVersion(), wrongScope::toString);
                assertEquals(challenge + ",scope=\"repository:other/app:pull\",error=\"insufficient_scope\"",
                        wrongScope.header("www-authenticate"), wrongScope::toString);
            }
            // without the CA, curl refuses the certificate (exit 60)
            Cli.Result untrusted = Cli.of("curl", "-sS", "--max-time", "20", "-o", "/dev/null", base + "/v2/")
                    .timeout(CLIENT_TIMEOUT).run();
            assertEquals(60, untrusted.exitCode(), untrusted::describe);
        });
    }

    /** One curl call: status line facts, headers and body. */
    private record Curl(Cli.Result result, String statusAndVersion, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name);
        }

        @Override
        public String toString() {
            return result.describe() + "\nheaders: " + headers + "\nbody: " + body;
        }
    }

    private Curl curl(String... args) throws IOException {
        Path headers = Files.createTempFile(registry.dir(), "curl-", ".headers");
        Path body = Files.createTempFile(registry.dir(), "curl-", ".body");
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "30", "--cacert",
                registry.caCertificate().toString(), "-D", headers.toString(), "-o", body.toString(),
                "-w", "%{http_code} %{http_version}"));
        command.addAll(List.of(args));
        Cli.Result result = Cli.of(command).timeout(CLIENT_TIMEOUT).check();
        Map<String, String> parsed = new LinkedHashMap<>();
        for (String line : Files.readAllLines(headers, StandardCharsets.ISO_8859_1)) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                parsed.put(line.substring(0, colon).trim().toLowerCase(), line.substring(colon + 1).trim());
            }
        }
        return new Curl(result, result.stdout().trim(), parsed, Files.readString(body));
    }

    // ---- skopeo ------------------------------------------------------------------------------------

    @Test
    void skopeoWithTheGeneratedCa() throws Exception {
        Cli.assumeTools("skopeo");
        registry.withLog(() -> {
            Path work = registry.dir().resolve("skopeo");
            OciLayoutBuilder layout = new OciLayoutBuilder(work.resolve("layout"));
            OciLayoutBuilder.Image image = layout.image("linux", "amd64", 8 * 1024, 32 * 1024);
            layout.tag(image.manifest(), "v1");
            OciLayoutBuilder.Image other = layout.image("linux", "amd64", 16 * 1024);
            layout.tag(other.manifest(), "other");
            String source = "oci:" + layout.dir() + ":v1";
            String app = "docker://" + registry.hostPort() + "/ci/app";

            // push as ci-push
            skopeo(work, "copy", "--preserve-digests", "--dest-cert-dir", certDir.toString(),
                    "--dest-creds", CI_PUSH + ":" + password(CI_PUSH), source, app + ":v1").check();

            // cluster-pull may look
            byte[] raw = skopeo(work, "inspect", "--raw", "--cert-dir", certDir.toString(),
                    "--creds", CLUSTER_PULL + ":" + password(CLUSTER_PULL), app + ":v1").check().stdoutBytes();
            assertArrayEquals(image.manifestBytes(), raw, "the manifest as pushed");

            // ... but not push
            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            Cli.Result denied = skopeo(work, "copy", "--dest-cert-dir", certDir.toString(),
                    "--dest-creds", CLUSTER_PULL + ":" + password(CLUSTER_PULL), "oci:" + layout.dir() + ":other",
                    app + ":v2").run();
            assertFalse(denied.ok(), () -> "cluster-pull must not push:\n" + denied.describe());
            assertTrue(denied.stderr().contains(DENIED), () -> "the refusal is reported as such:\n" + denied.describe());
            before.assertUnchanged("skopeo push by cluster-pull");

            // anonymous callers may not even look at ci/app
            Cli.Result anonymous = skopeo(work, "inspect", "--raw", "--cert-dir", certDir.toString(), "--no-creds",
                    app + ":v1").run();
            assertFalse(anonymous.ok(), () -> "anonymous inspect of ci/app must fail:\n" + anonymous.describe());
            assertTrue(anonymous.stderr().contains(DENIED), anonymous::describe);
            assertFalse(anonymous.stdout().contains(image.config().digest()), anonymous::describe);

            // public/** is open to anonymous pulls (pushed there by the admin)
            String base = "docker://" + registry.hostPort() + "/public/base";
            skopeo(work, "copy", "--preserve-digests", "--dest-cert-dir", certDir.toString(),
                    "--dest-creds", ADMIN + ":" + password(ADMIN), source, base + ":v1").check();
            byte[] publicRaw = skopeo(work, "inspect", "--raw", "--cert-dir", certDir.toString(), "--no-creds",
                    base + ":v1").check().stdoutBytes();
            assertArrayEquals(image.manifestBytes(), publicRaw);
            Path out = work.resolve("pulled");
            skopeo(work, "copy", "--preserve-digests", "--src-cert-dir", certDir.toString(), "--src-no-creds",
                    base + ":v1", "oci:" + out + ":v1").check();
            assertEquals(image.manifest().digest(), OciLayoutBuilder.indexEntry(out, "v1").path("digest").asText());
            for (String digest : image.blobDigests()) {
                assertArrayEquals(OciLayoutBuilder.readBlob(layout.dir(), digest), OciLayoutBuilder.readBlob(out, digest),
                        "blob " + digest);
            }

            // without the CA, the certificate is not trusted
            Cli.Result untrusted = skopeo(work, "inspect", "--raw", "--no-creds", base + ":v1").run();
            assertFalse(untrusted.ok(), untrusted::describe);
            assertTrue(untrusted.stderr().contains("x509: certificate signed by unknown authority"), untrusted::describe);
        });
    }

    private static Cli skopeo(Path work, String... args) throws IOException {
        return SkopeoCli.of(work, CLIENT_TIMEOUT, args);
    }

    // ---- docker ------------------------------------------------------------------------------------

    @Test
    void dockerWithTokenAuthentication() throws Exception {
        // the token endpoint's 401 for the wrong password, as the daemon reports it
        dockerFlow(registry, "unauthorized: invalid user name or password");
    }

    @Test
    void dockerWithBasicAuthentication() throws Exception {
        DockerEngine.require(registry.dir().resolve("docker-probe"));
        try (AuthRegistry basic = AuthRegistry.start("tls-basic", AuthRegistry.Mode.HTPASSWD, true)) {
            // GET /v2/ with the wrong Basic credentials answers 401
            dockerFlow(basic, "failed with status: 401 Unauthorized");
        }
    }

    /**
     * Docker treats 127.0.0.0/8 as an insecure registry (it then skips certificate checks and never
     * reads certs.d), so the loopback flows above do not show that the generated CA is what makes
     * docker trust the registry. On a non-loopback address docker verifies: without
     * {@code /etc/docker/certs.d/HOST:PORT/ca.crt} the login fails on the certificate, with it
     * login, push and pull work.
     */
    @Test
    void dockerVerifiesTheGeneratedCaOnANonLoopbackAddress() throws Exception {
        DockerEngine.require(registry.dir().resolve("docker-probe"));
        requireCertsD();
        String address = nonLoopbackAddress();
        assumeTrue(address != null, "skipped: this machine has no non-loopback IPv4 address to serve TLS on");
        try (AuthRegistry remote = AuthRegistry.start("tls-remote", AuthRegistry.Mode.HTPASSWD, true, address)) {
            Path work = remote.dir().resolve("docker");
            DockerCli ciPush = new DockerCli(DockerEngine.require(work), work.resolve("config-ci-push"));
            Path certsD = Path.of("/etc/docker/certs.d", remote.hostPort());
            String image = remote.hostPort() + "/ci/verified-" + Content.nonce() + ":v1";
            remote.withLog(() -> {
                try {
                    deleteTree(certsD);
                    Cli.Result untrusted = ciPush.login(remote.hostPort(), CI_PUSH, password(CI_PUSH));
                    assertFalse(untrusted.ok(), () -> "docker must not trust the registry without its CA:\n"
                            + untrusted.describe());
                    assertTrue(untrusted.stderr().contains("x509: certificate signed by unknown authority"),
                            untrusted::describe);

                    Files.createDirectories(certsD);
                    Files.copy(remote.caCertificate(), certsD.resolve("ca.crt"));
                    Cli.Result login = ciPush.login(remote.hostPort(), CI_PUSH, password(CI_PUSH));
                    assertTrue(login.ok() && login.stdout().contains("Login Succeeded"), login::describe);
                    Path rootfs = work.resolve("rootfs.tar");
                    Files.write(rootfs, OciLayoutBuilder.tar(Map.of("data.bin", Content.randomBytes(4 * 1024))));
                    String imageId = ciPush.run("import", rootfs.toString(), image).check().stdout().trim();
                    ciPush.run("push", image).check();
                    ciPush.run("rmi", image).check();
                    ciPush.run("pull", image).check();
                    assertEquals(imageId, ciPush.imageId(image));
                } finally {
                    ciPush.run("rmi", "-f", image).run();
                    deleteTree(certsD);
                }
            });
        }
    }

    /** The first IPv4 address of an interface that is up and not loopback, or {@code null}. */
    static String nonLoopbackAddress() throws IOException {
        for (NetworkInterface network : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!network.isUp() || network.isLoopback()) {
                continue;
            }
            for (InetAddress address : java.util.Collections.list(network.getInetAddresses())) {
                if (address instanceof Inet4Address && !address.isLoopbackAddress() && !address.isLinkLocalAddress()) {
                    return address.getHostAddress();
                }
            }
        }
        return null;
    }

    /**
     * login (and a failing login), import, push, rmi, pull as ci-push; pull as cluster-pull and a
     * refused push.
     */
    private void dockerFlow(AuthRegistry target, String wrongPasswordMessage) throws Exception {
        Path work = target.dir().resolve("docker");
        DockerEngine engine = DockerEngine.require(work);
        requireCertsD();
        String hostPort = target.hostPort();
        Path certsD = Path.of("/etc/docker/certs.d", hostPort);
        String repository = hostPort + "/ci/docker-" + Content.nonce();
        List<String> images = List.of(repository + ":v1", repository + ":v2", repository + ":denied");
        DockerCli ciPush = new DockerCli(engine, work.resolve("config-ci-push"));
        DockerCli clusterPull = new DockerCli(engine, work.resolve("config-cluster-pull"));
        DockerCli wrong = new DockerCli(engine, work.resolve("config-wrong"));
        target.withLog(() -> {
            try {
                Files.createDirectories(certsD);
                Files.copy(target.caCertificate(), certsD.resolve("ca.crt"));

                Cli.Result login = ciPush.login(hostPort, CI_PUSH, password(CI_PUSH));
                assertTrue(login.ok() && login.stdout().contains("Login Succeeded"), login::describe);
                Cli.Result failed = wrong.login(hostPort, CI_PUSH, password(CI_PUSH) + "-wrong");
                assertFalse(failed.ok(), () -> "docker login with a wrong password must fail:\n" + failed.describe());
                assertTrue(failed.stderr().contains(wrongPasswordMessage), failed::describe);

                Path rootfs = work.resolve("rootfs.tar");
                Files.write(rootfs, OciLayoutBuilder.tar(Map.of("etc/e2e-auth", ("auth e2e " + repository + "\n")
                        .getBytes(StandardCharsets.UTF_8), "data.bin", Content.randomBytes(16 * 1024))));
                String imageId = ciPush.run("import", rootfs.toString(), images.get(0)).check().stdout().trim();
                assertTrue(imageId.startsWith("sha256:"), imageId);
                ciPush.run("push", images.get(0)).check();
                ciPush.run("rmi", images.get(0)).check();
                ciPush.run("pull", images.get(0)).check();
                assertEquals(imageId, ciPush.imageId(images.get(0)), "the image id after push, rmi, pull");

                // cluster-pull: pulls, but may not push
                Cli.Result pullLogin = clusterPull.login(hostPort, CLUSTER_PULL, password(CLUSTER_PULL));
                assertTrue(pullLogin.ok(), pullLogin::describe);
                clusterPull.run("rmi", images.get(0)).check();
                clusterPull.run("pull", images.get(0)).check();
                assertEquals(imageId, clusterPull.imageId(images.get(0)), "the image id pulled by cluster-pull");

                Path other = work.resolve("rootfs-denied.tar");
                Files.write(other, OciLayoutBuilder.tar(Map.of("data.bin", Content.randomBytes(8 * 1024))));
                clusterPull.run("import", other.toString(), images.get(2)).check();
                clusterPull.run("tag", images.get(0), images.get(1)).check();
                StorageSnapshot before = StorageSnapshot.of(target.storage());
                for (String image : List.of(images.get(1), images.get(2))) {
                    Cli.Result push = clusterPull.run("push", image).run();
                    assertFalse(push.ok(), () -> "cluster-pull must not push:\n" + push.describe());
                    assertTrue(push.stderr().contains(DENIED), push::describe);
                }
                before.assertUnchanged("docker push by cluster-pull");
            } finally {
                for (String image : images) {
                    ciPush.run("rmi", "-f", image).run();
                }
                deleteTree(certsD);
            }
        });
    }

    /** Skips the calling test unless Docker's {@code certs.d} can be written (the tests run as root). */
    static void requireCertsD() {
        Path certsD = Path.of("/etc/docker/certs.d");
        try {
            Files.createDirectories(certsD);
        } catch (IOException e) {
            assumeTrue(false, "skipped: cannot write " + certsD + " to trust the registry's CA (run as root): " + e);
        }
        assumeTrue(Files.isWritable(certsD), "skipped: " + certsD + " is not writable (run as root)");
    }


    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
