package dev.registry.e2e.clients;

import dev.registry.e2e.RegistryProcess;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The reference CNCF Distribution server (Debian package {@code docker-registry}, 2.8.x), run as
 * {@code docker-registry serve CONFIG.yml} on a free loopback port with filesystem storage.
 */
public final class DistributionRegistry implements RegistryUnderTest {
    public static final String BINARY = "docker-registry";

    private final Process process;
    private final int port;
    private final Path log;

    private DistributionRegistry(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts docker-registry storing under {@code root}; returns once {@code GET /v2/} answers 200. */
    public static DistributionRegistry start(Path root) throws Exception {
        Files.createDirectories(root);
        return start(root.resolveSibling(root.getFileName() + "-docker-registry"), """
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                """.formatted(root));
    }

    /**
     * Starts docker-registry with {@code storageYaml} (a top-level {@code storage:} section, such
     * as an {@code s3} one), its config and log in a new directory beside {@code dirPrefix}.
     */
    public static DistributionRegistry start(Path dirPrefix, String storageYaml) throws Exception {
        return start(dirPrefix, storageYaml, null);
    }

    /** As {@link #start(Path, String)}, with {@code http.secret} set to {@code secret} unless it is null. */
    public static DistributionRegistry start(Path dirPrefix, String storageYaml, String secret) throws Exception {
        Path binary = Cli.which(BINARY).orElseThrow(() -> new AssertionError(BINARY + " not found on PATH"));
        int port = RegistryProcess.freePort();
        Path dir = dirPrefix.resolveSibling(dirPrefix.getFileName() + "-" + port);
        Files.createDirectories(dir);
        Path config = dir.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: info
                  accesslog:
                    disabled: true
                %s
                http:
                  addr: 127.0.0.1:%d
                %s""".formatted(storageYaml.strip(), port, secret == null ? "" : "  secret: " + secret + "\n"));
        Path log = dir.resolve("docker-registry.log");
        ProcessBuilder builder = new ProcessBuilder(binary.toString(), "serve", config.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // 2.8's aws-sdk-go panics at startup when AWS_CA_BUNDLE is set (it cannot load a CA bundle
        // into the registry's own HTTP transport); the tests' S3 server is plain http anyway.
        builder.environment().remove("AWS_CA_BUNDLE");
        Process process = builder.start();
        DistributionRegistry registry = new DistributionRegistry(process, port, log);
        registry.awaitReady();
        return registry;
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(BINARY + " exited with " + process.exitValue() + ":\n" + output());
                }
                try {
                    HttpResponse<Void> response = client.send(
                            HttpRequest.newBuilder(URI.create(baseUrl() + "/v2/")).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding());
                    if (response.statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(50);
            }
        }
        close();
        throw new IllegalStateException(BINARY + " did not answer /v2/ within 30s:\n" + output());
    }

    @Override
    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    @Override
    public String output() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(could not read " + log + ": " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return BINARY + " on " + hostPort();
    }
}
