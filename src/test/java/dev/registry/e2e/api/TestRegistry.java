package dev.registry.e2e.api;

import dev.registry.e2e.RegistryProcess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The registry a test class talks to. By default the packaged jar ({@link RegistryProcess}) on a
 * fresh storage directory. Two system properties change that:
 * <ul>
 *   <li>{@code registry.url=http://host:port}: an already-running registry; nothing is started,
 *       and tests that must restart, reconfigure or look at the storage directory are skipped;</li>
 *   <li>{@code registry.impl=docker-registry}: CNCF Distribution's {@code docker-registry} binary
 *       from {@code PATH} instead of the jar, with the same configuration, to check the tests
 *       against the reference implementation.</li>
 * </ul>
 */
final class TestRegistry implements AutoCloseable {
    enum Kind { JAR, DOCKER_REGISTRY, EXTERNAL }

    private final Kind kind;
    private final Path root;
    private final boolean deleteEnabled;
    private RegistryProcess jar;
    private Process reference;
    private String baseUrl;

    private TestRegistry(Kind kind, Path root, boolean deleteEnabled) {
        this.kind = kind;
        this.root = root;
        this.deleteEnabled = deleteEnabled;
    }

    static Kind kind() {
        String url = System.getProperty("registry.url", "").trim();
        if (!url.isEmpty()) {
            return Kind.EXTERNAL;
        }
        return "docker-registry".equals(System.getProperty("registry.impl", "jar").trim())
                ? Kind.DOCKER_REGISTRY : Kind.JAR;
    }

    /** A registry with delete enabled. */
    static TestRegistry start(String name) throws Exception {
        return start(name, true);
    }

    static TestRegistry start(String name, boolean deleteEnabled) throws Exception {
        Kind kind = kind();
        if (kind == Kind.EXTERNAL) {
            TestRegistry external = new TestRegistry(kind, null, deleteEnabled);
            String url = System.getProperty("registry.url").trim();
            external.baseUrl = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
            return external;
        }
        // <work>/jail/storage: the parent directories leave room to plant files outside the root
        Path work = RegistryProcess.workDir(name);
        Path root = work.resolve("jail").resolve("storage");
        Files.createDirectories(root);
        TestRegistry registry = new TestRegistry(kind, root, deleteEnabled);
        registry.launch();
        return registry;
    }

    /** Whether this run started the registry itself (so it can restart it and see its files). */
    boolean managed() {
        return kind != Kind.EXTERNAL;
    }

    Kind registryKind() {
        return kind;
    }

    String baseUrl() {
        return baseUrl;
    }

    /** The storage root directory (only when {@link #managed()}). */
    Path root() {
        return root;
    }

    /** The directory the tests own around the storage root. */
    Path workDir() {
        return root == null ? null : root.getParent().getParent();
    }

    /** Stops the registry gracefully and starts it again on the same storage (new port). */
    void restart() throws Exception {
        stop(false);
        launch();
    }

    /** Kills the registry as a crash would and starts it again on the same storage. */
    void crashAndRestart() throws Exception {
        stop(true);
        launch();
    }

    String output() {
        try {
            if (jar != null) {
                return jar.output();
            }
            return "";
        } catch (RuntimeException e) {
            return "";
        }
    }

    private void launch() throws Exception {
        switch (kind) {
            case JAR -> {
                if (deleteEnabled) {
                    jar = RegistryProcess.start(root);
                } else {
                    int port = RegistryProcess.freePort();
                    jar = RegistryProcess.startWithConfig(writeConfig(port), port, Map.of());
                }
                baseUrl = jar.baseUrl();
            }
            case DOCKER_REGISTRY -> {
                int port = RegistryProcess.freePort();
                Path config = writeConfig(port);
                ProcessBuilder builder = new ProcessBuilder(List.of("docker-registry", "serve", config.toString()))
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(config.resolveSibling("server.log").toFile()));
                reference = builder.start();
                baseUrl = "http://127.0.0.1:" + port;
                awaitReady();
            }
            case EXTERNAL -> throw new IllegalStateException("an external registry cannot be started");
        }
    }

    private Path writeConfig(int port) throws IOException {
        Path dir = root.getParent().resolve(root.getFileName() + "-conf-" + port);
        Files.createDirectories(dir);
        Path config = dir.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: info
                  accesslog:
                    disabled: true
                http:
                  addr: 127.0.0.1:%d
                  secret: conformance-test-secret
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: %s
                """.formatted(port, root, deleteEnabled));
        return config;
    }

    private void awaitReady() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!reference.isAlive()) {
                throw new IllegalStateException("docker-registry exited with " + reference.exitValue());
            }
            try {
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(baseUrl + "/v2/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("docker-registry did not answer within 30s");
    }

    private void stop(boolean kill) throws InterruptedException {
        if (jar != null) {
            if (kill) {
                jar.kill();
            } else {
                jar.close();
            }
            jar = null;
        }
        if (reference != null) {
            if (kill) {
                reference.destroyForcibly();
            } else {
                reference.destroy();
            }
            if (!reference.waitFor(10, TimeUnit.SECONDS)) {
                reference.destroyForcibly();
                reference.waitFor(10, TimeUnit.SECONDS);
            }
            reference = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop(false);
    }
}
