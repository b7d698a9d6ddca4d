package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns the YAML tree (file plus environment) into {@link RegistryConfig}, by hand rather than by
 * data binding so that every error names the exact key and variable at fault.
 */
final class ConfigBinder {
    static final String VERSION = "0.1";
    private static final ConfigKey LOG = ConfigKey.ROOT.child("log");
    private static final ConfigKey CATALOG = ConfigKey.ROOT.child("catalog");

    private ConfigBinder() {
    }

    /**
     * @param source      what was read, named in the error when storage is missing
     * @param defaultRoot the filesystem root directory when {@code rootdirectory} is not given
     */
    static RegistryConfig bind(ObjectNode root, String source, Path defaultRoot) {
        return new RegistryConfig(
                version(root.get("version")),
                log(Values.section(LOG, root.get("log"))),
                HttpBinder.bind(root.get("http")),
                StorageBinder.bind(root.get("storage"), source, defaultRoot),
                catalog(Values.section(CATALOG, root.get("catalog"))),
                AuthBinder.bind(root.get("auth")),
                ProxyBinder.bind(root.get("proxy")));
    }

    private static String version(JsonNode node) {
        ConfigKey key = ConfigKey.ROOT.child("version");
        Optional<String> version = Values.string(key, node).map(String::trim);
        // registry:2 refuses every other version, because a future one may change what keys mean.
        if (version.isPresent() && !version.get().equals(VERSION)) {
            throw key.invalid(node, "only configuration version " + VERSION + " is supported, so write 'version: "
                    + VERSION + "'");
        }
        return VERSION;
    }

    private static LogConfig log(JsonNode log) {
        JsonNode accessLog = Values.section(LOG.child("accesslog"), Values.field(log, "accesslog"));
        return new LogConfig(
                level(LOG.child("level"), Values.field(log, "level")),
                Values.bool(LOG.child("accesslog").child("disabled"), Values.field(accessLog, "disabled"),
                        LogConfig.defaults().accessLogDisabled()));
    }

    /** Lenient like logrus, which registry:2 uses: its extra levels map to the nearest one we have. */
    private static String level(ConfigKey key, JsonNode node) {
        Optional<String> text = Values.string(key, node);
        if (text.isEmpty()) {
            return LogConfig.defaults().level();
        }
        return switch (text.get().trim().toLowerCase(Locale.ROOT)) {
            case "panic", "fatal", "error" -> "error";
            case "warn", "warning" -> "warn";
            case "info" -> "info";
            case "debug", "trace" -> "debug";
            default -> throw key.invalid(node, "give one of error, warn, info or debug");
        };
    }

    private static CatalogConfig catalog(JsonNode catalog) {
        return new CatalogConfig(Values.positiveInt(CATALOG.child("maxentries"), Values.field(catalog, "maxentries"),
                CatalogConfig.DEFAULT_MAX_ENTRIES));
    }
}
