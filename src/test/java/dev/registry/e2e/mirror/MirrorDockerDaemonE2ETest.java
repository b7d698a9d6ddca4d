package dev.registry.e2e.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.registry.e2e.RegistryProcess;
import dev.registry.e2e.clients.Cli;
import dev.registry.e2e.clients.DistributionRegistry;
import dev.registry.e2e.clients.OciLayoutBuilder;
import dev.registry.e2e.clients.Skopeo;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real Docker daemon, started by the test with {@code --registry-mirror} pointing at the
 * registry in registry:2's mirror form ({@code proxy.remoteurl}), pulls {@code busybox:1}. There is
 * no internet: the image exists only in the test's upstream, as {@code library/busybox:1}, so the
 * pull can only succeed through the mirror.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class MirrorDockerDaemonE2ETest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void dockerDaemonPullsDockerHubImagesThroughTheMirror() throws Exception {
        Cli.assumeTools(Skopeo.BINARY, DistributionRegistry.BINARY, "docker");
        assumeTrue(Cli.which("dockerd").isPresent(), "skipped: dockerd is not installed (Debian package docker.io)");
        assumeTrue("root".equals(System.getProperty("user.name")), "skipped: starting a Docker daemon needs root");
        Path work = RegistryProcess.workDir("mirror-docker");

        try (Upstream upstream = Upstream.distribution("dockerhub", null, null)) {
            OciLayoutBuilder layout = new OciLayoutBuilder(work.resolve("busybox"));
            OciLayoutBuilder.Image image = layout.image("linux", "amd64", 64 * 1024);
            layout.tag(image.manifest(), "1");
            // Docker schema 2, as Docker Hub serves busybox; the image ID is then the config digest
            Skopeo.copy("oci:" + layout.dir() + ":1", "docker://" + upstream.hostPort() + "/library/busybox:1",
                    "--format", "v2s2");
            JsonNode manifest = JSON.readTree(Skopeo.inspectRaw("docker://" + upstream.hostPort() + "/library/busybox:1"));
            String configDigest = manifest.path("config").path("digest").asText();

            try (RegistryProcess mirror = RegistryProcess.start(work.resolve("mirror-storage"),
                    "proxy:\n  remoteurl: " + upstream.baseUrl() + "\n  ttl: 1h\n")) {
                // registry:2's form: the whole registry is a read-only cache
                Cli.Result push = Cli.of(Skopeo.BINARY, "--insecure-policy", "copy", "--retry-times", "0",
                        "--dest-tls-verify=false", "oci:" + layout.dir() + ":1", "docker://" + mirror.hostPort() + "/mine:1").run();
                assertFalse(push.ok(), push.describe());

                try (Dockerd dockerd = Dockerd.start(work, "http://" + mirror.hostPort())) {
                    Cli.Result pull = dockerd.docker("pull", "busybox:1").timeout(Duration.ofMinutes(4)).run();
                    assertTrue(pull.ok(), pull.describe() + "\n--- mirror log ---\n" + mirror.output()
                            + "\n--- dockerd log ---\n" + dockerd.output());
                    String id = dockerd.docker("image", "inspect", "--format", "{{.Id}}", "busybox:1").check().stdout().trim();
                    assertEquals(configDigest, id, "the daemon has the upstream's image");
                }
                assertTrue(mirror.output().contains("/v2/library/busybox/manifests/1\" 200"), mirror.output());
                assertFalse(upstream.requests("\"GET /v2/library/busybox/blobs/").isEmpty(),
                        "the blobs came from the upstream, through the mirror");
            }
        }
    }

    /** A Docker daemon of the test's own: its own data root, exec root and socket, no iptables, no bridge. */
    private static final class Dockerd implements AutoCloseable {
        private final Process process;
        private final Path dir;
        private final Path execRoot;
        private final String host;
        private final Path log;

        private Dockerd(Process process, Path dir, Path execRoot, String host, Path log) {
            this.process = process;
            this.dir = dir;
            this.execRoot = execRoot;
            this.host = host;
            this.log = log;
        }

        static Dockerd start(Path work, String mirrorUrl) throws Exception {
            Path dir = work.resolve("dockerd");
            Files.createDirectories(dir);
            // unix socket paths are limited to 108 bytes, and containerd puts long ones under the exec root
            Path execRoot = Files.createTempDirectory(Path.of("/tmp"), "mdx");
            Path socket = execRoot.resolve("docker.sock");
            String host = "unix://" + socket;
            Path log = dir.resolve("dockerd.log");
            Process process = new ProcessBuilder("dockerd",
                    "--data-root", dir.resolve("data").toString(),
                    "--exec-root", execRoot.resolve("exec").toString(),
                    "--pidfile", execRoot.resolve("docker.pid").toString(),
                    "-H", host,
                    "--storage-driver=vfs", "--iptables=false", "--ip6tables=false", "--bridge=none",
                    "--registry-mirror", mirrorUrl)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            Dockerd dockerd = new Dockerd(process, dir, execRoot, host, log);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    String output = dockerd.output();
                    dockerd.close();
                    throw new AssertionError("dockerd exited:\n" + output);
                }
                if (Files.exists(socket) && dockerd.docker("version").timeout(Duration.ofSeconds(10)).run().ok()) {
                    return dockerd;
                }
                Thread.sleep(200);
            }
            String output = dockerd.output();
            dockerd.close();
            throw new AssertionError("dockerd did not answer within 60s:\n" + output);
        }

        Cli docker(String... args) {
            List<String> command = new java.util.ArrayList<>(List.of("docker", "-H", host));
            command.addAll(List.of(args));
            return Cli.of(command).env("DOCKER_CONFIG", dir.resolve("cli-config").toString());
        }

        String output() {
            try {
                return Files.readString(log);
            } catch (Exception e) {
                return "(no dockerd log: " + e + ")";
            }
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            deleteTree(execRoot);
            deleteTree(dir.resolve("data"));
        }

        private static void deleteTree(Path root) {
            if (!Files.exists(root)) {
                return;
            }
            try (Stream<Path> paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (Exception ignored) {
                // a leftover directory under target/ or /tmp is harmless
            }
        }
    }
}
