package dev.registry.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the registry configuration the way registry:2 does: a YAML file in CNCF Distribution's
 * {@code config.yml} key tree, then {@code REGISTRY_*} environment variables on top, then
 * validation. Keys that registry:2 knows but this server does not implement are logged as warnings
 * and ignored; anything that would make the server behave differently from what was asked for
 * (an unknown storage driver, a bad port, ...) is a {@link ConfigException}.
 */
public final class ConfigLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);

    /** Used when no file is given: enough to try the registry out from the current directory. */
    static final String DEFAULT_CONFIG = """
            version: 0.1
            log:
              level: info
            storage:
              filesystem:
                rootdirectory: ./data
            http:
              addr: :5000
              headers:
                X-Content-Type-Options: [nosniff]
            """;

    /** registry:2's default when a file configures the filesystem driver without a root directory. */
    static final Path REGISTRY_ROOT = Path.of("/var/lib/registry");

    private ConfigLoader() {
    }

    /**
     * Loads and validates the configuration.
     *
     * @param file the YAML file to read, or empty for the embedded default (filesystem storage under
     *             {@code ./data}, listening on {@code :5000})
     * @param env  the process environment, usually {@link System#getenv()}; variables whose name
     *             starts with {@code REGISTRY_} override keys of the file
     * @return the configuration, with every field set
     * @throws ConfigException if the file cannot be read or parsed, or a setting is invalid; the
     *                         message is one sentence naming the setting and the fix
     */
    public static RegistryConfig load(Optional<Path> file, Map<String, String> env) {
        return load(file, env, LOG::warn);
    }

    /**
     * As {@link #load(Optional, Map)}, handing each warning to {@code warnings} instead of the log (so
     * that they can be logged once {@code log.formatter} is in effect).
     */
    public static RegistryConfig load(Optional<Path> file, Map<String, String> env, Consumer<String> warnings) {
        ObjectNode root = file.map(YamlReader::readFile).orElseGet(ConfigLoader::defaultTree);
        StorageDrivers.normalise(root);
        EnvironmentOverrides.apply(root, env, warnings);
        UnsupportedKeys.report(root, warnings);
        String source = file.map(f -> "configuration file " + f).orElse("the default configuration");
        return ConfigBinder.bind(root, source, file.isPresent() ? REGISTRY_ROOT : Path.of("data"));
    }

    private static ObjectNode defaultTree() {
        try {
            return (ObjectNode) YamlReader.parse(DEFAULT_CONFIG);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the embedded default configuration is not valid YAML", e);
        }
    }
}
