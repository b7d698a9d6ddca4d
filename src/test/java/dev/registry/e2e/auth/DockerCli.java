package dev.registry.e2e.auth;

import dev.registry.e2e.clients.Cli;
import dev.registry.e2e.clients.DockerEngine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The docker CLI against the test's engine, with its own config directory so each login is kept apart. */
record DockerCli(DockerEngine engine, Path config) {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    /** {@code docker login}, the password on standard input as CI systems pass it. */
    Cli.Result login(String hostPort, String user, String password) {
        return Commands.run(List.of("docker", "login", hostPort, "-u", user, "--password-stdin"), env(), password, TIMEOUT);
    }

    Cli run(String... args) {
        List<String> command = new ArrayList<>();
        command.add("docker");
        command.addAll(List.of(args));
        return Cli.of(command).env(env()).timeout(TIMEOUT);
    }

    String imageId(String image) {
        return run("image", "inspect", "--format", "{{.Id}}", image).check().stdout().trim();
    }

    private Map<String, String> env() {
        try {
            Files.createDirectories(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("DOCKER_HOST", engine.host(), "DOCKER_CONFIG", config.toString());
    }
}
