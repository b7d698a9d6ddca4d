package dev.registry.e2e.mirror;

import dev.registry.e2e.RegistryProcess;
import dev.registry.e2e.clients.Cli;
import dev.registry.e2e.clients.DistributionRegistry;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An upstream registry for the mirror tests, on a free loopback port, with its access log on so
 * that tests can count what the mirror asked it for: Debian's {@code docker-registry} (CNCF
 * Distribution 2.8), with or without htpasswd, or our own jar with its built-in token server.
 */
final class Upstream implements AutoCloseable {
    private final Process process;
    private final RegistryProcess ours;
    private final int port;
    private final Path log;
    private final Path root;

    private Upstream(Process process, RegistryProcess ours, int port, Path log, Path root) {
        this.process = process;
        this.ours = ours;
        this.port = port;
        this.log = log;
        this.root = root;
    }

    /** docker-registry storing under a new directory; with {@code user} set, htpasswd Basic auth for that one user. */
    static Upstream distribution(String name, String user, String password) throws Exception {
        Path binary = Cli.which(DistributionRegistry.BINARY).orElseThrow(() -> new AssertionError("docker-registry not on PATH"));
        Path dir = RegistryProcess.workDir("mirror-upstream-" + name);
        int port = RegistryProcess.freePort();
        StringBuilder config = new StringBuilder("""
                version: 0.1
                log:
                  level: info
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                """.formatted(dir.resolve("storage"), port));
        if (user != null) {
            Path htpasswd = dir.resolve("htpasswd");
            writeHtpasswd(htpasswd, user, password);
            config.append("""
                    auth:
                      htpasswd:
                        realm: upstream
                        path: %s
                    """.formatted(htpasswd));
        }
        Files.writeString(dir.resolve("config.yml"), config);
        Path log = dir.resolve("docker-registry.log");
        Process process = new ProcessBuilder(binary.toString(), "serve", dir.resolve("config.yml").toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        Upstream upstream = new Upstream(process, null, port, log, dir.resolve("storage"));
        upstream.awaitReady();
        return upstream;
    }

    /**
     * Our jar with htpasswd users, {@code auth.tokenserver} (so clients get bearer tokens from
     * {@code /auth/token}) and {@code rules} as {@code auth.access}.
     */
    static Upstream tokenServer(String name, Map<String, String> users, String rules) throws Exception {
        Path dir = RegistryProcess.workDir("mirror-upstream-" + name);
        Path htpasswd = dir.resolve("htpasswd");
        for (Map.Entry<String, String> user : users.entrySet()) {
            writeHtpasswd(htpasswd, user.getKey(), user.getValue());
        }
        int port = RegistryProcess.freePort();
        Path config = RegistryProcess.writeConfig(dir, port, dir.resolve("storage"), """
                auth:
                  htpasswd:
                    realm: upstream
                    path: %s
                  token:
                    realm: http://127.0.0.1:%d/auth/token
                    service: upstream.test
                  tokenserver:
                    enabled: true
                    signingkey: %s
                    expiration: 5m
                %s""".formatted(htpasswd, port, dir.resolve("token.key"), rules.stripTrailing()));
        RegistryProcess process = RegistryProcess.startWithConfig(config, port, Map.of());
        return new Upstream(null, process, port, config.resolveSibling("server.log"), dir.resolve("storage"));
    }

    /** Adds {@code user} to {@code htpasswd} with the server jar's own {@code htpasswd} command (bcrypt). */
    static void writeHtpasswd(Path htpasswd, String user, String password) throws Exception {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                RegistryProcess.jar().toString(), "htpasswd", htpasswd.toString(), user)
                .redirectErrorStream(true)
                .start();
        process.getOutputStream().write((password + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError("htpasswd failed: " + output);
        }
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("docker-registry exited:\n" + output());
                }
                try {
                    int status = client.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/v2/")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                    if (status == 200 || status == 401) {
                        return;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(50);
            }
        }
        close();
        throw new IllegalStateException("docker-registry did not answer /v2/ within 30s:\n" + output());
    }

    String hostPort() {
        return "127.0.0.1:" + port;
    }

    String baseUrl() {
        return "http://" + hostPort();
    }

    /** The storage root directory. */
    Path root() {
        return root;
    }

    String output() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(could not read " + log + ": " + e + ")";
        }
    }

    /** Access log lines (both servers log one per request, with method and path in quotes) containing {@code text}. */
    List<String> requests(String text) {
        List<String> lines = new ArrayList<>();
        for (String line : output().split("\n")) {
            boolean accessLine = line.contains("\"GET /") || line.contains("\"HEAD /") || line.contains("\"POST /")
                    || line.contains("\"PUT /") || line.contains("\"PATCH /");
            if (accessLine && line.contains(text)) {
                lines.add(line);
            }
        }
        return lines;
    }

    /** Stops the server; the tests also use this to take an upstream away mid-test. */
    @Override
    public void close() throws InterruptedException {
        if (ours != null) {
            ours.close();
            return;
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
