package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * One dotted configuration key such as {@code http.addr}; knows its {@code REGISTRY_*}
 * variable so that every error can name both ways of setting it.
 */
record ConfigKey(String path) {

    static final ConfigKey ROOT = new ConfigKey("");

    ConfigKey child(String name) {
        return new ConfigKey(path.isEmpty() ? name : path + "." + name);
    }

    String envVar() {
        // Header names may contain '-', which a variable name cannot.
        return "REGISTRY_" + path.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** {@code "http.addr (REGISTRY_HTTP_ADDR)"}. */
    String named() {
        return path + " (" + envVar() + ")";
    }

    /** An error for a value that was given but cannot be used; {@code fix} completes the sentence. */
    ConfigException invalid(JsonNode value, String fix) {
        return new ConfigException(named() + " is " + show(value) + ": " + fix + ".");
    }

    /** An error that is not about one bad value; {@code problem} completes the sentence. */
    ConfigException problem(String problem) {
        return new ConfigException(named() + " " + problem + ".");
    }

    private static String show(JsonNode value) {
        if (value.isObject()) {
            return "a mapping";
        }
        if (value.isArray()) {
            return "a list";
        }
        return "'" + value.asText() + "'";
    }
}
