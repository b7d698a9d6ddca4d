package dev.registry.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Applies registry:2 style {@code REGISTRY_*} environment variables to the YAML tree: the variable
 * for {@code storage.filesystem.rootdirectory} is {@code REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY}.
 *
 * <p>Names are resolved against {@link KeySchema} rather than split on {@code _}, because a key
 * may itself contain {@code _}. Values are set as text; the binders convert them.
 */
final class EnvironmentOverrides {
    private static final String PREFIX = "REGISTRY_";
    /**
     * What Kubernetes puts in every pod's environment for a Service named {@code registry}
     * ({@code REGISTRY_SERVICE_HOST}, {@code REGISTRY_PORT_5000_TCP_ADDR}, ...), after the prefix.
     */
    private static final Pattern KUBERNETES_SERVICE_LINK = Pattern.compile(
            "SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?");

    /** How the value of a resolved variable goes into the tree. */
    private enum Form { TEXT, YAML, HEADER_VALUES, SECTION }

    private record Target(List<String> path, Form form) {
    }

    private EnvironmentOverrides() {
    }

    static void apply(ObjectNode root, Map<String, String> env, Consumer<String> warnings) {
        // Sorted so that REGISTRY_STORAGE (which picks the driver) comes before the
        // REGISTRY_STORAGE_<DRIVER>_* variables that configure it, whatever the map's order.
        for (Map.Entry<String, String> variable : new TreeMap<>(env).entrySet()) {
            String name = variable.getKey();
            if (!name.startsWith(PREFIX)) {
                continue;
            }
            String rest = name.substring(PREFIX.length());
            if (rest.equals("STORAGE")) {
                selectDriver(root, variable.getValue());
                continue;
            }
            Optional<Target> target = resolve(KeySchema.ROOT, rest, List.of());
            if (target.isEmpty() && KUBERNETES_SERVICE_LINK.matcher(rest).matches()) {
                continue; // set by Kubernetes for a Service named "registry", not by the user
            }
            if (target.isEmpty()) {
                warnings.accept("environment variable '" + name + "' matches no configuration key and is ignored");
                continue;
            }
            String key = String.join(".", target.get().path());
            switch (target.get().form()) {
                case TEXT -> set(root, target.get().path(), TextNode.valueOf(variable.getValue()));
                case YAML -> set(root, target.get().path(), yaml(name, key, variable.getValue(), example(key)));
                case HEADER_VALUES -> set(root, spelledAsInFile(root, target.get().path()),
                        headerValues(name, key, variable.getValue()));
                case SECTION -> warnings.accept("environment variable '" + name + "' names the section '" + key
                        + "' rather than one setting and is ignored; set the keys under it one by one");
            }
        }
    }

    private static void selectDriver(ObjectNode root, String value) {
        String driver = value.trim();
        if (driver.isEmpty() || !StorageDrivers.isDriver(driver)) {
            throw new ConfigException("storage (REGISTRY_STORAGE) is '" + value
                    + "': name a storage driver, such as 'filesystem'.");
        }
        StorageDrivers.select(root, driver);
    }

    private static Optional<Target> resolve(KeySchema.Key parent, String rest, List<String> path) {
        for (KeySchema.Key key : parent.children()) {
            String upper = key.name().toUpperCase(Locale.ROOT);
            List<String> keyPath = append(path, List.of(key.name()));
            if (rest.equals(upper)) {
                Form form = switch (key.kind()) {
                    case SECTION -> Form.SECTION;
                    case HEADERS, YAML, MAPPING -> Form.YAML;
                    case VALUE, UNSUPPORTED, REJECTED -> Form.TEXT;
                };
                return Optional.of(new Target(keyPath, form));
            }
            if (!rest.startsWith(upper + "_")) {
                continue;
            }
            String tail = rest.substring(upper.length() + 1);
            Optional<Target> found = switch (key.kind()) {
                case SECTION -> resolve(key, tail, keyPath);
                case HEADERS -> headerName(tail).map(header ->
                        new Target(append(keyPath, List.of(header)), Form.HEADER_VALUES));
                // Anything may sit under a key we do not implement; keep it so the warning names it.
                case UNSUPPORTED, REJECTED -> lowerCaseKeys(tail).map(keys ->
                        new Target(append(keyPath, keys), Form.TEXT));
                case MAPPING -> Optional.of(new Target(append(keyPath, List.of(tail.toLowerCase(Locale.ROOT))),
                        Form.TEXT));
                case VALUE, YAML -> Optional.empty();
            };
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /** {@code X_CONTENT_TYPE_OPTIONS} → {@code X-Content-Type-Options}, as a variable name cannot hold '-'. */
    private static Optional<String> headerName(String tail) {
        List<String> words = new ArrayList<>();
        for (String word : tail.split("_", -1)) {
            if (word.isEmpty()) {
                return Optional.empty();
            }
            words.add(word.substring(0, 1).toUpperCase(Locale.ROOT) + word.substring(1).toLowerCase(Locale.ROOT));
        }
        return Optional.of(String.join("-", words));
    }

    private static Optional<List<String>> lowerCaseKeys(String tail) {
        List<String> keys = new ArrayList<>();
        for (String key : tail.split("_", -1)) {
            if (key.isEmpty()) {
                return Optional.empty();
            }
            keys.add(key.toLowerCase(Locale.ROOT));
        }
        return Optional.of(keys);
    }

    private static String example(String key) {
        return switch (key) {
            case "http.tls.clientcas" -> "a list of files such as '[/etc/registry/client-ca.pem]'";
            case "http.tls.ciphersuites" -> "a list such as '[TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]'";
            case "http.headers" -> "a mapping such as '{X-Content-Type-Options: [nosniff]}'";
            case "notifications.endpoints" -> "a list such as '[{name: ci, url: \"https://ci.example/events\"}]'";
            case "log.fields" -> "a mapping such as '{service: registry, environment: production}'";
            case "auth.access" -> "a list such as '[{repositories: [\"**\"], users: [\"*\"], actions: [pull, push]}]'";
            case "health.file" -> "a list such as '" + HealthBinder.FILE_EXAMPLE + "'";
            case "health.http" -> "a list such as '" + HealthBinder.HTTP_EXAMPLE + "'";
            case "health.tcp" -> "a list such as '" + HealthBinder.TCP_EXAMPLE + "'";
            default -> "a list such as '[a, b]'";
        };
    }

    private static JsonNode yaml(String variable, String key, String value, String example) {
        try {
            return YamlReader.parse(value);
        } catch (JsonProcessingException e) {
            throw new ConfigException(key + " (" + variable + ") is not valid YAML: give " + example + ".", e);
        }
    }

    /** A YAML list such as {@code [a, b]} gives several values; anything else is one value, as is. */
    private static JsonNode headerValues(String variable, String key, String value) {
        return value.trim().startsWith("[")
                ? yaml(variable, key, value, "a list such as '[nosniff]' or a single value")
                : TextNode.valueOf(value);
    }

    /** Header names ignore case: override the file's spelling of the header rather than add a second one. */
    private static List<String> spelledAsInFile(ObjectNode root, List<String> path) {
        String header = path.get(path.size() - 1);
        Iterator<String> names = root.path("http").path("headers").fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (name.equalsIgnoreCase(header)) {
                return append(path.subList(0, path.size() - 1), List.of(name));
            }
        }
        return path;
    }

    private static void set(ObjectNode root, List<String> path, JsonNode value) {
        ObjectNode parent = root;
        for (String name : path.subList(0, path.size() - 1)) {
            // The environment wins over the file, even where the file put a scalar instead of a section.
            parent = parent.get(name) instanceof ObjectNode child ? child : parent.putObject(name);
        }
        parent.set(path.get(path.size() - 1), value.isMissingNode() ? JsonNodeFactory.instance.nullNode() : value);
    }

    private static List<String> append(List<String> path, List<String> more) {
        List<String> joined = new ArrayList<>(path);
        joined.addAll(more);
        return List.copyOf(joined);
    }
}
