package dev.registry.e2e.clients;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Docker engine the tests push with: {@code $DOCKER_HOST} if set (as {@code .ci/run} does
 * after starting its own dockerd), else {@code /var/run/docker.sock}. The docker CLI gets a private
 * {@code DOCKER_CONFIG} so no user credential helper or config interferes.
 */
public final class DockerEngine {
    public static final String BINARY = "docker";
    private static final Path DEFAULT_SOCKET = Path.of("/var/run/docker.sock");
    private static volatile String unavailable;
    private static volatile String checkedHost;

    private final String host;
    private final Path config;

    private DockerEngine(String host, Path config) {
        this.host = host;
        this.config = config;
    }

    /**
     * The reachable engine, with {@code workDir/docker-config} as the CLI's config directory;
     * skips the calling test (naming what is missing) if there is no docker CLI or engine.
     */
    public static DockerEngine require(Path workDir) throws IOException {
        Cli.assumeTools(BINARY);
        String host = locate();
        assumeTrue(host != null, "skipped: no Docker engine: DOCKER_HOST is not set and " + DEFAULT_SOCKET
                + " does not exist (.ci/run starts a dockerd and exports DOCKER_HOST)");
        synchronized (DockerEngine.class) {
            if (!host.equals(checkedHost)) {
                Cli.Result version = Cli.of(BINARY, "version", "--format", "{{.Server.Version}}")
                        .env("DOCKER_HOST", host).timeout(Duration.ofSeconds(30)).run();
                unavailable = version.ok() ? null : version.describe();
                checkedHost = host;
            }
        }
        String reason = unavailable;
        assumeTrue(reason == null, () -> "skipped: Docker engine at " + host + " does not answer:\n" + reason);
        Path config = workDir.resolve("docker-config");
        Files.createDirectories(config);
        return new DockerEngine(host, config);
    }

    /** {@code $DOCKER_HOST} if set, else {@code unix:///var/run/docker.sock} if it exists, else null. */
    static String locate() {
        String env = System.getenv("DOCKER_HOST");
        if (env != null && !env.isBlank()) {
            if (env.startsWith("unix://") && !Files.exists(Path.of(env.substring("unix://".length())))) {
                return null;
            }
            return env;
        }
        return Files.exists(DEFAULT_SOCKET) ? "unix://" + DEFAULT_SOCKET : null;
    }

    public String host() {
        return host;
    }

    /** {@code docker ARGS...} against this engine. */
    public Cli docker(String... args) {
        List<String> command = new ArrayList<>();
        command.add(BINARY);
        command.addAll(List.of(args));
        return Cli.of(command).env("DOCKER_HOST", host).env("DOCKER_CONFIG", config.toString())
                .timeout(Duration.ofMinutes(4));
    }
}
