package dev.registry.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Prints the typed configuration (the {@code RegistryConfig} records, whatever sections they hold)
 * as YAML-like text, field by field, with secret values replaced by {@value #MASK}. A value is
 * secret when its field's (or map key's) name says so ({@link #SECRET_NAMES}); file paths are
 * printed, since the path of a key file is not the key and this never reads files.
 */
final class ConfigPrinter {
    static final String MASK = "********";
    /** Parts of a field or map-key name, lower case, that mark its value as secret. */
    static final List<String> SECRET_NAMES = List.of("password", "secret", "sessiontoken", "credentials", "signingkey",
            "privatekey", "apikey", "authorization", "cookie");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigPrinter() {
    }

    static String print(Record config) {
        StringBuilder out = new StringBuilder();
        fields(config, 0, out);
        return out.toString();
    }

    static boolean isSecret(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return SECRET_NAMES.stream().anyMatch(lower::contains);
    }

    private static void fields(Record record, int depth, StringBuilder out) {
        for (RecordComponent component : record.getClass().getRecordComponents()) {
            Object value;
            try {
                value = component.getAccessor().invoke(record);
            } catch (IllegalAccessException | InvocationTargetException e) {
                value = "<unreadable: " + e + ">";
            }
            entry(component.getName(), value, depth, out);
        }
    }

    private static void entry(String name, Object value, int depth, StringBuilder out) {
        String indent = "  ".repeat(depth);
        if (value instanceof Optional<?> optional) {
            value = optional.orElse(null);
        }
        if (value != null && isSecret(name) && !(value instanceof Path) && !(value instanceof Record)
                && !(value instanceof Boolean)) {
            out.append(indent).append(name).append(": ").append(MASK).append('\n');
        } else if (value instanceof Record record) {
            String kind = record.getClass().getRecordComponents().length == 0 ? " {}" : "";
            out.append(indent).append(name).append(":").append(kind).append("  # ").append(record.getClass().getSimpleName()).append('\n');
            fields(record, depth + 1, out);
        } else if (value instanceof Map<?, ?> map) {
            out.append(indent).append(name).append(map.isEmpty() ? ": {}\n" : ":\n");
            map.forEach((key, item) -> entry(String.valueOf(key), item, depth + 1, out));
        } else if (value instanceof Collection<?> list) {
            out.append(indent).append(name).append(list.isEmpty() ? ": []\n" : ":\n");
            for (Object item : list) {
                if (item instanceof Record record) {
                    out.append(indent).append("  -  # ").append(record.getClass().getSimpleName()).append('\n');
                    fields(record, depth + 2, out);
                } else {
                    out.append(indent).append("  - ").append(scalar(item)).append('\n');
                }
            }
        } else {
            out.append(indent).append(name).append(": ").append(scalar(value)).append('\n');
        }
    }

    private static String scalar(Object value) {
        if (value == null) {
            return "~";
        }
        if (value instanceof Duration duration) {
            return duration.isZero() ? "0s" : duration.toString().substring(2).toLowerCase(Locale.ROOT);
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        if (value instanceof char[] || value instanceof byte[]) {
            return MASK;
        }
        try {
            return JSON.writeValueAsString(value.toString());
        } catch (JsonProcessingException e) {
            return "\"?\"";
        }
    }
}
