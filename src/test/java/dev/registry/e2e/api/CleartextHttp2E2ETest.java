package dev.registry.e2e.api;

import dev.registry.e2e.RegistryProcess;
import dev.registry.e2e.clients.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code http.h2c.enabled}: the plain-HTTP port also speaks HTTP/2 to clients that start with its
 * preface ("prior knowledge"), as proxies in front of a registry do (Envoy, cloud load balancers
 * with HTTP/2 backends). curl pushes a blob and pulls it back, whole and a range, over HTTP/2
 * without TLS; HTTP/1.1 keeps working on the same port; and without the setting HTTP/2 is refused.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CleartextHttp2E2ETest {

    @Test
    void h2cServesPushesAndPullsBesideHttp11() throws Exception {
        Cli.assumeTools("curl");
        Path work = RegistryProcess.workDir("h2c");
        RegistryProcess registry = RegistryProcess.start(work.resolve("storage"), "", Map.of("REGISTRY_HTTP_H2C_ENABLED", "true"));
        try {
            String base = registry.baseUrl();
            assertTrue(registry.output().contains("HTTP/2 with prior knowledge (h2c)"), registry.output());
            assertEquals("200 2", curl("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                    base + "/v2/").stdout().strip());

            byte[] blob = new byte[3 * 1024 * 1024 + 5];
            new Random(11).nextBytes(blob);
            String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
            Path file = work.resolve("blob");
            Files.write(file, blob);

            Cli.Result post = curl("--http2-prior-knowledge", "-X", "POST", "-D", "-", "-o", "/dev/null",
                    base + "/v2/h2c/test/blobs/uploads/");
            String location = post.stdout().lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("location:"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst()
                    .orElseThrow(() -> new AssertionError("no Location in " + post.stdout()));
            String upload = (location.startsWith("http") ? location : base + location)
                    + (location.contains("?") ? "&" : "?") + "digest=" + digest;
            assertEquals("201 2", curl("--http2-prior-knowledge", "-X", "PUT", "-H", "Content-Type: application/octet-stream",
                    "--data-binary", "@" + file, "-o", "/dev/null", "-w", "%{http_code} %{http_version}", upload).stdout().strip());

            for (String protocol : List.of("--http2-prior-knowledge", "--http1.1")) {
                Path pulled = work.resolve("pulled" + protocol);
                Cli.Result get = curl(protocol, "-o", pulled.toString(), "-w", "%{http_code} %{http_version}",
                        base + "/v2/h2c/test/blobs/" + digest);
                assertEquals(protocol.equals("--http1.1") ? "200 1.1" : "200 2", get.stdout().strip(), get::describe);
                assertArrayEquals(blob, Files.readAllBytes(pulled), "the blob pulled with " + protocol);
            }
            Path part = work.resolve("part");
            assertEquals("206 2", curl("--http2-prior-knowledge", "-r", "1000000-2000000", "-o", part.toString(),
                    "-w", "%{http_code} %{http_version}", base + "/v2/h2c/test/blobs/" + digest).stdout().strip());
            assertArrayEquals(Arrays.copyOfRange(blob, 1_000_000, 2_000_001), Files.readAllBytes(part));
        } finally {
            registry.close();
        }
    }

    @Test
    void withoutH2cTheCleartextPortSpeaksHttp11Only() throws Exception {
        Cli.assumeTools("curl");
        RegistryProcess registry = RegistryProcess.start(RegistryProcess.workDir("no-h2c").resolve("storage"));
        try {
            Cli.Result refused = Cli.of("curl", "-sS", "--max-time", "20", "--http2-prior-knowledge", "-o", "/dev/null",
                    "-w", "%{http_version}", registry.baseUrl() + "/v2/").timeout(Cli.DEFAULT_TIMEOUT).run();
            assertNotEquals("2", refused.stdout().strip(), refused.describe());
            assertEquals("200 1.1", curl("--http1.1", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                    registry.baseUrl() + "/v2/").stdout().strip());
        } finally {
            registry.close();
        }
    }

    private static Cli.Result curl(String... args) {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "30"));
        command.addAll(List.of(args));
        return Cli.of(command).check();
    }
}
