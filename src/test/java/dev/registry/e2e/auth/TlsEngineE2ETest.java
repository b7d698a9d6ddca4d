package dev.registry.e2e.auth;

import dev.registry.e2e.RegistryProcess;
import dev.registry.e2e.clients.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The packaged jar serves HTTPS with whichever TLS engine it can use: BoringSSL from the bundled
 * netty-tcnative library on linux-x86_64, and the JDK's engine when that library cannot load (here
 * made to fail as on a host whose temporary directory is not usable: Netty's native work directory
 * is a regular file) or when {@code -Dregistry.tls.engine=jdk} asks for it. Each start logs the
 * engine, and curl pushes a blob over HTTP/2 and pulls it back, whole and a range of it, over HTTP/1.1
 * and HTTP/2 bit for bit.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class TlsEngineE2ETest {
    private static final Duration CLIENT_TIMEOUT = Duration.ofMinutes(1);

    @Test
    void bundledBoringSslIsUsedOnLinuxX8664() throws Exception {
        boolean bundled = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                && List.of("amd64", "x86_64").contains(System.getProperty("os.arch", ""));
        org.junit.jupiter.api.Assumptions.assumeTrue(bundled, "BoringSSL is bundled for linux-x86_64 only");
        servesAndLogs("boringssl", "", "TLS engine: BoringSSL via netty-tcnative");
    }

    @Test
    void jdkEngineServesWhenTheNativeLibraryCannotLoad() throws Exception {
        Path dir = RegistryProcess.workDir("tls-engine-noload");
        Path notADirectory = dir.resolve("native-workdir-is-a-file");
        Files.writeString(notADirectory, "Netty cannot extract its native libraries here");
        servesAndLogs("noload", "-Dio.netty.native.workdir=" + notADirectory,
                "TLS engine: JDK SSLEngine (BoringSSL unavailable: ");
    }

    @Test
    void jdkEngineServesWhenChosen() throws Exception {
        servesAndLogs("jdk", "-Dregistry.tls.engine=jdk", "TLS engine: JDK SSLEngine (chosen by -Dregistry.tls.engine=jdk)");
    }

    /**
     * {@code http.tls.ciphersuites}, given as registry:2 users do through the environment, limits
     * TLS 1.2 to the suites listed, on both engines; TLS 1.3 keeps its own.
     */
    @Test
    void configuredCipherSuitesAreTheOnlyTls12Ones() throws Exception {
        Cli.assumeTools("curl");
        for (String engine : List.of("auto", "jdk")) {
            try (TlsServer server = TlsServer.start("tls-ciphers-" + engine, Map.of(
                    "JAVA_TOOL_OPTIONS", "-Dregistry.tls.engine=" + engine,
                    "REGISTRY_HTTP_TLS_CIPHERSUITES",
                    "[TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]"))) {
                String expected = "TLS 1.2 cipher suites, from http.tls.ciphersuites: "
                        + "[TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]";
                assertTrue(server.output().contains(expected), "expected '" + expected + "' in the log:\n" + server.output());
                Path ca = server.ca();
                String url = server.base() + "/v2/";

                Cli.Result listed = curl(ca, "--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256",
                        "-o", "/dev/null", "-w", "%{http_code}", url);
                assertEquals("200", listed.stdout().strip(), listed::describe);
                Cli.Result unlisted = Cli.of("curl", "-sS", "--max-time", "30", "--cacert", ca.toString(), "--tls-max", "1.2",
                        "--ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384", "-o", "/dev/null", url).timeout(CLIENT_TIMEOUT).run();
                assertEquals(35, unlisted.exitCode(), "curl's 'SSL connect error' for a suite not listed: " + unlisted.describe());
                Cli.Result tls13 = curl(ca, "--tlsv1.3", "--tls13-ciphers", "TLS_AES_256_GCM_SHA384", "-o", "/dev/null",
                        "-w", "%{http_code}", url);
                assertEquals("200", tls13.stdout().strip(), tls13::describe);
            }
        }
    }

    /** The packaged jar serving self-signed TLS for 127.0.0.1 from its own work directory. */
    private record TlsServer(Process process, Path dir, int port, Path log) implements AutoCloseable {
        static TlsServer start(String name, Map<String, String> env) throws Exception {
            Path dir = RegistryProcess.workDir(name);
            int port = RegistryProcess.freePort();
            Path config = dir.resolve("config.yml");
            Files.writeString(config, """
                    version: 0.1
                    log:
                      level: info
                    http:
                      addr: 127.0.0.1:%d
                      tls:
                        selfsigned:
                          hosts: [127.0.0.1]
                          directory: %s
                    storage:
                      filesystem:
                        rootdirectory: %s
                    """.formatted(port, dir.resolve("tls"), dir.resolve("storage")));
            Path log = dir.resolve("server.log");
            ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-jar", RegistryProcess.jar().toString(), "serve", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(env);
            TlsServer server = new TlsServer(builder.start(), dir, port, log);
            try {
                awaitListening(server.process(), log);
            } catch (Throwable e) {
                server.close();
                throw e;
            }
            return server;
        }

        String base() {
            return "https://127.0.0.1:" + port;
        }

        Path ca() {
            return dir.resolve("tls").resolve("ca.crt");
        }

        String output() throws IOException {
            return Files.readString(log);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private void servesAndLogs(String name, String javaOptions, String expectedLogLine) throws Exception {
        Cli.assumeTools("curl");
        try (TlsServer server = TlsServer.start("tls-engine-" + name,
                javaOptions.isEmpty() ? Map.of() : Map.of("JAVA_TOOL_OPTIONS", javaOptions))) {
            String output = server.output();
            assertTrue(output.lines().anyMatch(line -> line.contains(expectedLogLine)), "expected '" + expectedLogLine
                    + "' in the log:\n" + output);
            Path dir = server.dir();
            Path ca = server.ca();
            String base = server.base();

            byte[] blob = new byte[3 * 1024 * 1024 + 7];
            new SecureRandom().nextBytes(blob);
            String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
            Path blobFile = dir.resolve("blob");
            Files.write(blobFile, blob);

            Cli.Result post = curl(ca, "--http2", "-X", "POST", "-D", "-", "-o", "/dev/null",
                    base + "/v2/engine/test/blobs/uploads/");
            String location = post.stdout().lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("location:"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst()
                    .orElseThrow(() -> new AssertionError("no Location in " + post.stdout()));
            String upload = (location.startsWith("https://") ? location : base + location)
                    + (location.contains("?") ? "&" : "?") + "digest=" + digest;
            Cli.Result put = curl(ca, "--http2", "-X", "PUT", "-H", "Content-Type: application/octet-stream",
                    "--data-binary", "@" + blobFile, "-o", "/dev/null", "-w", "%{http_code} %{http_version}", upload);
            assertEquals("201 2", put.stdout().strip(), put::describe);

            for (String[] version : new String[][] {{"--http1.1", "1.1"}, {"--http2", "2"}}) {
                Path pulled = dir.resolve("pulled-" + version[1]);
                Cli.Result get = curl(ca, version[0], "-o", pulled.toString(), "-w", "%{http_code} %{http_version}",
                        base + "/v2/engine/test/blobs/" + digest);
                assertEquals("200 " + version[1], get.stdout().strip(), get::describe);
                assertArrayEquals(blob, Files.readAllBytes(pulled), "the blob pulled over HTTP/" + version[1]);

                // A range starts mid-file and ends before its end (read at an offset, not from the start).
                Path part = dir.resolve("part-" + version[1]);
                Cli.Result range = curl(ca, version[0], "-r", "1000001-2500000", "-o", part.toString(),
                        "-w", "%{http_code} %{http_version}", base + "/v2/engine/test/blobs/" + digest);
                assertEquals("206 " + version[1], range.stdout().strip(), range::describe);
                assertArrayEquals(java.util.Arrays.copyOfRange(blob, 1_000_001, 2_500_001), Files.readAllBytes(part),
                        "bytes 1000001-2500000 over HTTP/" + version[1]);
            }
        }
    }

    private static Cli.Result curl(Path ca, String... args) {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "30", "--cacert", ca.toString()));
        command.addAll(List.of(args));
        return Cli.of(command).timeout(CLIENT_TIMEOUT).check();
    }

    private static void awaitListening(Process process, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String output = Files.exists(log) ? Files.readString(log) : "";
            if (output.contains("registry listening on")) {
                return;
            }
            if (!process.isAlive()) {
                fail("registry exited with " + process.exitValue() + ":\n" + output);
            }
            Thread.sleep(50);
        }
        fail("registry did not start within 60 s:\n" + Files.readString(log));
    }
}
