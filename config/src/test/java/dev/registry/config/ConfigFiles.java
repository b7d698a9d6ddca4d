package dev.registry.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Writes configuration files into a test directory and loads them, collecting warnings. */
final class ConfigFiles {
    final Path dir;
    final List<String> warnings = new ArrayList<>();

    ConfigFiles(Path dir) {
        this.dir = dir;
    }

    RegistryConfig load(String yaml) {
        return load(yaml, Map.of());
    }

    RegistryConfig load(String yaml, Map<String, String> env) {
        return ConfigLoader.load(Optional.of(write("config.yml", yaml)), env, warnings::add);
    }

    ConfigException failure(String yaml) {
        return failure(yaml, Map.of());
    }

    /** The load fails with a one-sentence message, as every configuration error must be. */
    ConfigException failure(String yaml, Map<String, String> env) {
        Path file = write("config.yml", yaml);
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(Optional.of(file), env, warnings::add));
        assertTrue(e.getMessage().endsWith("."), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    Path write(String name, String content) {
        try {
            return Files.writeString(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
