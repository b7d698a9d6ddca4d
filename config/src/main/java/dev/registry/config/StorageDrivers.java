package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which keys under {@code storage:} name a driver. As in registry:2, every key that is not one of
 * the registry-wide storage settings is a driver name, so a misspelt driver is reported as an
 * unknown driver rather than silently ignored.
 */
final class StorageDrivers {
    /** The keys under {@code storage:} that are settings rather than drivers. */
    static final Set<String> SETTINGS = Set.of("delete", "maintenance", "redirect", "cache", "tag");

    private StorageDrivers() {
    }

    static boolean isDriver(String key) {
        return !SETTINGS.contains(key);
    }

    static List<String> driversIn(JsonNode storage) {
        List<String> drivers = new ArrayList<>();
        storage.fieldNames().forEachRemaining(name -> {
            if (isDriver(name)) {
                drivers.add(name);
            }
        });
        return drivers;
    }

    /**
     * Rewrites registry:2's short form {@code storage: filesystem} as {@code storage: {filesystem: {}}}
     * so that later steps only deal with the mapping form.
     */
    static void normalise(ObjectNode root) {
        JsonNode storage = root.get("storage");
        if (storage != null && storage.isTextual()) {
            ObjectNode expanded = JsonNodeFactory.instance.objectNode();
            expanded.putObject(storage.asText().trim());
            root.set("storage", expanded);
        }
    }

    /**
     * Makes {@code name} the only driver, keeping its parameters if it was already configured and
     * the registry-wide settings either way; this is what {@code REGISTRY_STORAGE=name} means.
     */
    static void select(ObjectNode root, String name) {
        JsonNode existing = root.get("storage");
        ObjectNode storage = existing instanceof ObjectNode object ? object : root.putObject("storage");
        List<String> others = driversIn(storage);
        others.remove(name);
        storage.remove(others);
        if (!storage.has(name)) {
            storage.putObject(name);
        }
    }
}
