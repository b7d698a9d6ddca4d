package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
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
                HealthBinder.bind(root.get("health")),
                NotificationsBinder.bind(root.get("notifications")),

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
                        LogConfig.defaults().accessLogDisabled()),
                formatter(LOG.child("formatter"), Values.field(log, "formatter")),
                fields(LOG.child("fields"), Values.field(log, "fields")));
    }

    private static LogConfig.Formatter formatter(ConfigKey key, JsonNode node) {
        Optional<String> text = Values.string(key, node);
        if (text.isEmpty()) {
            return LogConfig.Formatter.TEXT;
        }
        return switch (text.get().trim().toLowerCase(Locale.ROOT)) {
            case "text" -> LogConfig.Formatter.TEXT;
            case "json" -> LogConfig.Formatter.JSON;
            // registry:2's logstash format has its own field names (@timestamp, @version), which we do not write.
            case "logstash" -> throw key.invalid(node, "the logstash format is not supported, so give json (one "
                    + "JSON object per line, which Logstash reads too) or text");
            default -> throw key.invalid(node, "give text or json");
        };
    }

    /** A mapping of field name to scalar value; names that the lines already use are refused. */
    private static Map<String, String> fields(ConfigKey key, JsonNode node) {
        if (Values.isAbsent(node)) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw key.invalid(node, "give a mapping of field names to values, such as '{service: registry, "
                    + "environment: production}'");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            ConfigKey fieldKey = key.child(field.getKey());
            if (LogConfig.RESERVED_FIELDS.contains(field.getKey())) {
                throw fieldKey.problem("names a field the JSON lines already have: choose another name");
            }
            Optional<String> value = Values.string(fieldKey, field.getValue());
            fields.put(field.getKey(), value.orElse(""));
        }
        return fields;
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
