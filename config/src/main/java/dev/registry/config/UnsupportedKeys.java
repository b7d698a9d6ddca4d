package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Warns about every key in the tree that this server ignores: registry:2 keys it does not implement
 * yet (one warning per leaf, so the warning names exactly what was set) and keys it does not know at
 * all (one warning per key, since the whole subtree is likely a typo).
 */
final class UnsupportedKeys {
    private UnsupportedKeys() {
    }

    static void report(JsonNode root, Consumer<String> warnings) {
        walk(KeySchema.ROOT, root, ConfigKey.ROOT, warnings);
    }

    private static void walk(KeySchema.Key schema, JsonNode node, ConfigKey key, Consumer<String> warnings) {
        if (!node.isObject()) {
            return; // a scalar where a section belongs is the binder's error to report
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String name = field.getKey();
            ConfigKey childKey = key.child(name);
            if (key.path().equals("storage") && StorageDrivers.isDriver(name)
                    && schema.child(name).map(driver -> driver.kind() != KeySchema.Kind.SECTION).orElse(true)) {
                continue; // a driver this server does not implement is a startup error, reported by the binder
            }
            if (key.path().equals("auth") && schema.child(name).isEmpty()) {
                continue; // an unknown authentication kind is a startup error: ignoring it would leave the registry open
            }
            Optional<KeySchema.Key> childSchema = schema.child(name);
            if (childSchema.isEmpty()) {
                warnings.accept("configuration key '" + childKey.path() + "' is unknown and is ignored");
                continue;
            }
            switch (childSchema.get().kind()) {
                case SECTION -> walk(childSchema.get(), field.getValue(), childKey, warnings);
                case UNSUPPORTED -> leaves(field.getValue(), childKey, warnings);
                case VALUE, HEADERS, YAML, MAPPING, REJECTED -> {
                }
            }
        }
    }

    private static void leaves(JsonNode node, ConfigKey key, Consumer<String> warnings) {
        if (node.isObject() && !node.isEmpty()) {
            node.properties().forEach(field -> leaves(field.getValue(), key.child(field.getKey()), warnings));
        } else {
            warnings.accept("configuration key '" + key.path() + "' is not supported yet and is ignored");
        }
    }
}
