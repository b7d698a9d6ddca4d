package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Binds and checks {@code notifications.*}. */
final class NotificationsBinder {
    private static final ConfigKey NOTIFICATIONS = ConfigKey.ROOT.child("notifications");
    private static final ConfigKey ENDPOINTS = NOTIFICATIONS.child("endpoints");
    private static final Set<String> ENDPOINT_KEYS = Set.of("name", "disabled", "url", "headers", "timeout",
            "threshold", "backoff", "ignoredmediatypes", "ignore");
    private static final Set<String> IGNORE_KEYS = Set.of("mediatypes", "actions");
    private static final String EXAMPLE = "[{name: ci, url: 'https://ci.example/registry-events'}]";

    private NotificationsBinder() {
    }

    static NotificationsConfig bind(JsonNode notifications) {
        Values.section(NOTIFICATIONS, notifications);
        JsonNode events = Values.section(NOTIFICATIONS.child("events"), Values.field(notifications, "events"));
        JsonNode queue = Values.section(NOTIFICATIONS.child("queue"), Values.field(notifications, "queue"));
        Path directory = Values.path(NOTIFICATIONS.child("queue").child("directory"), Values.field(queue, "directory"),
                "give the path of a directory the registry may write, such as /var/lib/registry-events")
                .orElse(null);
        int defaultMax = directory == null ? NotificationsConfig.DEFAULT_MAX_EVENTS_IN_MEMORY
                : NotificationsConfig.DEFAULT_MAX_EVENTS_ON_DISK;
        return new NotificationsConfig(
                endpoints(Values.field(notifications, "endpoints")),
                Values.bool(NOTIFICATIONS.child("events").child("includereferences"),
                        Values.field(events, "includereferences"), false),
                directory,
                Values.positiveInt(NOTIFICATIONS.child("queue").child("maxevents"), Values.field(queue, "maxevents"),
                        defaultMax));
    }

    private static List<NotificationEndpointConfig> endpoints(JsonNode node) {
        if (Values.isAbsent(node)) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ENDPOINTS.invalid(node, "give a list of endpoints, such as '" + EXAMPLE + "'");
        }
        List<NotificationEndpointConfig> endpoints = new ArrayList<>();
        // Names become queue directory names, so two that differ only in case would share one.
        Map<String, String> names = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < node.size(); i++) {
            NotificationEndpointConfig endpoint = endpoint("endpoint " + (i + 1), node.get(i));
            String earlier = names.putIfAbsent(endpoint.name(), endpoint.name());
            if (earlier != null) {
                throw ENDPOINTS.problem("endpoint " + (i + 1) + " repeats the name '" + earlier
                        + "': give each endpoint its own name");
            }
            endpoints.add(endpoint);
        }
        return List.copyOf(endpoints);
    }

    /** Errors name the list's key and the endpoint's position, which is how the file and the variable both show it. */
    private static NotificationEndpointConfig endpoint(String which, JsonNode node) {
        if (!node.isObject()) {
            throw ENDPOINTS.problem(which + " is not a mapping: give name and url, such as '"
                    + EXAMPLE.substring(1, EXAMPLE.length() - 1) + "'");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            // A misspelt key would silently change where events go or which are dropped.
            if (!ENDPOINT_KEYS.contains(field.getKey())) {
                throw ENDPOINTS.problem(which + " has the unknown key '" + field.getKey() + "': give only "
                        + String.join(", ", List.of("name", "url", "headers", "timeout", "threshold", "backoff",
                        "ignoredmediatypes", "ignore", "disabled")));
            }
        }
        ConfigKey key = ENDPOINTS;
        String name = scalar(which, "name", node).map(String::trim).orElse("");
        if (name.isEmpty() || !name.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') || name.startsWith(".")) {
            throw key.problem(which + " needs a name of letters, digits, '-', '_' and '.', such as 'ci'");
        }
        String named = which + " ('" + name + "')";
        URI url = url(named, scalar(named, "url", node).map(String::trim).orElse(""));
        ConfigKey headersKey = key.child(name).child("headers");
        Map<String, List<String>> headers;
        try {
            headers = HttpBinder.headers(headersKey, node.get("headers"));
        } catch (ConfigException e) {
            throw key.problem(named + " has headers that are not valid: give a mapping of header names (letters, "
                    + "digits and '-') to lists of values on one line each, such as '{Authorization: [Bearer secret]}'");
        }
        Duration timeout = duration(named, "timeout", node, NotificationEndpointConfig.DEFAULT_TIMEOUT);
        Duration backoff = duration(named, "backoff", node, NotificationEndpointConfig.DEFAULT_BACKOFF);
        int threshold = threshold(named, node);
        JsonNode ignore = node.get("ignore");
        if (!Values.isAbsent(ignore) && !ignore.isObject()) {
            throw key.problem(named + " has an ignore that is not a mapping: give mediatypes and actions under it");
        }
        if (ignore != null && ignore.isObject()) {
            for (Map.Entry<String, JsonNode> field : ignore.properties()) {
                if (!IGNORE_KEYS.contains(field.getKey())) {
                    throw key.problem(named + " has the unknown key 'ignore." + field.getKey()
                            + "': give only ignore.mediatypes and ignore.actions");
                }
            }
        }
        Set<String> mediaTypes = new LinkedHashSet<>(list(named, "ignoredmediatypes", node.get("ignoredmediatypes")));
        mediaTypes.addAll(list(named, "ignore.mediatypes", Values.field(ignore, "mediatypes")));
        Set<String> actions = new LinkedHashSet<>();
        for (String action : list(named, "ignore.actions", Values.field(ignore, "actions"))) {
            String lower = action.toLowerCase(Locale.ROOT);
            if (!NotificationEndpointConfig.ACTIONS.contains(lower)) {
                throw key.problem(named + " has the unknown action '" + action
                        + "' in ignore.actions: give push, pull, mount or delete");
            }
            actions.add(lower);
        }
        boolean disabled;
        try {
            disabled = Values.bool(key, node.get("disabled"), false);
        } catch (ConfigException e) {
            throw key.problem(named + " has disabled '" + node.get("disabled").asText() + "': give true or false");
        }
        return new NotificationEndpointConfig(name, url, headers, timeout, threshold, backoff,
                Set.copyOf(mediaTypes), Set.copyOf(actions), disabled);
    }

    private static java.util.Optional<String> scalar(String which, String field, JsonNode node) {
        JsonNode value = node.get(field);
        if (Values.isAbsent(value)) {
            return java.util.Optional.empty();
        }
        if (!value.isValueNode()) {
            throw ENDPOINTS.problem(which + " has a " + field + " that is not a single value");
        }
        return java.util.Optional.of(value.asText());
    }

    private static URI url(String which, String text) {
        String problem = which + " needs a url that is an absolute http or https URL, such as "
                + "'https://ci.example/registry-events'";
        if (text.isEmpty()) {
            throw ENDPOINTS.problem(problem);
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw ENDPOINTS.problem(problem);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getRawFragment() != null) {
            throw ENDPOINTS.problem(problem);
        }
        return uri;
    }

    /** registry:2 takes zero (or less) as "use the default"; so do we. */
    private static Duration duration(String which, String field, JsonNode node, Duration defaultValue) {
        String problem = which + " has a " + field + " that is not a Go duration: give one such as '1s' or '500ms'";
        String text = scalar(which, field, node).map(String::trim).orElse("");
        if (text.isEmpty()) {
            return defaultValue;
        }
        Duration value;
        try {
            value = GoDuration.parse(text);
        } catch (IllegalArgumentException e) {
            throw ENDPOINTS.problem(problem);
        }
        return value.isNegative() || value.isZero() ? defaultValue : value;
    }

    private static int threshold(String which, JsonNode node) {
        String text = scalar(which, "threshold", node).map(String::trim).orElse("");
        if (text.isEmpty()) {
            return NotificationEndpointConfig.DEFAULT_THRESHOLD;
        }
        int value;
        try {
            value = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw ENDPOINTS.problem(which + " has a threshold that is not a whole number: give one such as 5");
        }
        return value <= 0 ? NotificationEndpointConfig.DEFAULT_THRESHOLD : value;
    }

    private static List<String> list(String which, String field, JsonNode node) {
        try {
            return Values.stringList(ENDPOINTS, node, "").orElse(List.of());
        } catch (ConfigException e) {
            throw ENDPOINTS.problem(which + " has a " + field + " that is not a list of names, such as "
                    + (field.endsWith("actions") ? "'[pull]'" : "'[application/octet-stream]'"));
        }
    }
}
