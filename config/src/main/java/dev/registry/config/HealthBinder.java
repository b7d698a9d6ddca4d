package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Binds and checks {@code health.*}. */
final class HealthBinder {
    private static final ConfigKey HEALTH = ConfigKey.ROOT.child("health");
    private static final ConfigKey STORAGE_DRIVER = HEALTH.child("storagedriver");
    private static final ConfigKey FILE = HEALTH.child("file");
    private static final ConfigKey HTTP = HEALTH.child("http");
    private static final ConfigKey TCP = HEALTH.child("tcp");
    private static final Set<String> TCP_KEYS = Set.of("addr", "timeout", "interval", "threshold");
    private static final Set<String> FILE_KEYS = Set.of("file", "interval");
    private static final Set<String> HTTP_KEYS = Set.of("uri", "headers", "statuscode", "timeout", "interval", "threshold");
    static final String FILE_EXAMPLE = "[{file: /etc/registry/down, interval: 10s}]";
    static final String HTTP_EXAMPLE = "[{uri: 'http://backend:8080/health', statuscode: 200, interval: 10s}]";
    static final String TCP_EXAMPLE = "[{addr: 'redis:6379', timeout: 3s, interval: 10s}]";

    private HealthBinder() {
    }

    static HealthConfig bind(JsonNode health) {
        Values.section(HEALTH, health);
        JsonNode storage = Values.section(STORAGE_DRIVER, Values.field(health, "storagedriver"));
        HealthConfig.StorageDriverCheck defaults = HealthConfig.StorageDriverCheck.DEFAULTS;
        return new HealthConfig(
                new HealthConfig.StorageDriverCheck(
                        Values.bool(STORAGE_DRIVER.child("enabled"), Values.field(storage, "enabled"), defaults.enabled()),
                        interval(STORAGE_DRIVER.child("interval"), Values.field(storage, "interval")),
                        threshold(STORAGE_DRIVER.child("threshold"), Values.field(storage, "threshold"))),
                files(Values.field(health, "file")),
                httpChecks(Values.field(health, "http")),
                tcpChecks(Values.field(health, "tcp")));
    }

    private static List<HealthConfig.TcpCheck> tcpChecks(JsonNode node) {
        List<HealthConfig.TcpCheck> checks = new ArrayList<>();
        for (Entry entry : entries(TCP, node, TCP_KEYS, TCP_EXAMPLE)) {
            if (Values.isAbsent(entry.node().get("addr"))) {
                throw TCP.problem(entry.name() + " has no addr: give one, such as '" + inner(TCP_EXAMPLE) + "'");
            }
            HttpBinder.ListenAddress addr = entry.read("addr", HealthBinder::tcpAddr);
            Duration interval = entry.read("interval", HealthBinder::interval);
            Duration timeout = entry.read("timeout", (key, value) -> Values.nonNegativeDuration(key, value, Duration.ZERO));
            checks.add(new HealthConfig.TcpCheck(addr.host(), addr.port(), timeout.isZero() ? interval : timeout, interval,
                    entry.read("threshold", HealthBinder::threshold)));
        }
        return List.copyOf(checks);
    }

    /** {@code host:port} of a server to connect to: unlike a listen address, the host is required. */
    private static HttpBinder.ListenAddress tcpAddr(ConfigKey key, JsonNode node) {
        HttpBinder.ListenAddress addr;
        try {
            addr = HttpBinder.addr(key, node);
        } catch (ConfigException e) {
            throw key.invalid(node, "give host:port, such as 'redis:6379' or '[::1]:6379'");
        }
        if (addr.host().isEmpty()) {
            throw key.invalid(node, "give host:port, such as 'redis:6379' or '[::1]:6379'");
        }
        return addr;
    }

    private static List<HealthConfig.FileCheck> files(JsonNode node) {
        List<HealthConfig.FileCheck> checks = new ArrayList<>();
        for (Entry entry : entries(FILE, node, FILE_KEYS, FILE_EXAMPLE)) {
            Optional<Path> file = entry.read("file", (key, value) -> Values.path(key, value,
                    "give the path of the file whose presence marks the registry unhealthy"));
            if (file.isEmpty()) {
                throw FILE.problem(entry.name() + " has no file: give one, such as '" + inner(FILE_EXAMPLE) + "'");
            }
            checks.add(new HealthConfig.FileCheck(file.get(), entry.read("interval", HealthBinder::interval)));
        }
        return List.copyOf(checks);
    }

    private static List<HealthConfig.HttpCheck> httpChecks(JsonNode node) {
        List<HealthConfig.HttpCheck> checks = new ArrayList<>();
        for (Entry entry : entries(HTTP, node, HTTP_KEYS, HTTP_EXAMPLE)) {
            JsonNode check = entry.node();
            Optional<URI> uri = entry.read("uri", HealthBinder::uri);
            if (uri.isEmpty()) {
                throw HTTP.problem(entry.name() + " has no uri: give one, such as '" + inner(HTTP_EXAMPLE) + "'");
            }
            Duration interval = entry.read("interval", HealthBinder::interval);
            Duration timeout = entry.read("timeout", (key, value) -> Values.nonNegativeDuration(key, value, Duration.ZERO));
            checks.add(new HealthConfig.HttpCheck(
                    uri.get(),
                    entry.read("headers", HttpBinder::headers),
                    entry.read("statuscode", HealthBinder::statusCode),
                    // registry:2 waits without limit; bounding it by the interval keeps checks from piling up
                    timeout.isZero() ? interval : timeout,
                    interval,
                    entry.read("threshold", HealthBinder::threshold)));
        }
        return List.copyOf(checks);
    }

    /** One mapping of a check list. */
    private record Entry(ConfigKey list, int index, JsonNode node) {
        String name() {
            return "entry " + (index + 1);
        }

        /**
         * Reads field {@code field} with a {@link Values} reader; its error is restated to name
         * this entry and field, since the list's variable is the only way to set them.
         */
        <T> T read(String field, java.util.function.BiFunction<ConfigKey, JsonNode, T> reader) {
            try {
                return reader.apply(list, node.get(field));
            } catch (ConfigException e) {
                String prefix = list.named() + " is ";
                String reason = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
                if (reason.endsWith(".")) {
                    reason = reason.substring(0, reason.length() - 1);
                }
                throw list.problem(name() + " has the " + field + " " + reason);
            }
        }
    }

    private static List<Entry> entries(ConfigKey key, JsonNode node, Set<String> allowed, String example) {
        if (Values.isAbsent(node)) {
            return List.of();
        }
        if (!node.isArray()) {
            throw key.invalid(node, "give a list of checks, such as '" + example + "'");
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            Entry entry = new Entry(key, i, node.get(i));
            if (!entry.node().isObject()) {
                throw key.problem(entry.name() + " is not a mapping: give one such as '" + inner(example) + "'");
            }
            for (Map.Entry<String, JsonNode> field : entry.node().properties()) {
                // A misspelt key would silently turn a check into a different one.
                if (!allowed.contains(field.getKey())) {
                    throw key.problem(entry.name() + " has the unknown key '" + field.getKey() + "': give only "
                            + String.join(", ", allowed.stream().sorted().toList()));
                }
            }
            entries.add(entry);
        }
        return entries;
    }

    private static String inner(String example) {
        return example.substring(1, example.length() - 1);
    }

    /** registry:2 reads a zero interval as the default. */
    private static Duration interval(ConfigKey key, JsonNode node) {
        Duration interval = Values.nonNegativeDuration(key, node, HealthConfig.DEFAULT_INTERVAL);
        return interval.isZero() ? HealthConfig.DEFAULT_INTERVAL : interval;
    }

    private static int threshold(ConfigKey key, JsonNode node) {
        return wholeNumber(key, node, 0, 0, 1_000_000, "give a whole number of consecutive failures, such as 3");
    }

    private static int statusCode(ConfigKey key, JsonNode node) {
        return wholeNumber(key, node, 200, 100, 599, "give an HTTP status code from 100 to 599, such as 200");
    }

    private static int wholeNumber(ConfigKey key, JsonNode node, int defaultValue, int min, int max, String fix) {
        return (int) Values.wholeNumber(key, node, defaultValue, min, max, fix);
    }

    private static Optional<URI> uri(ConfigKey key, JsonNode node) {
        Optional<String> text = Values.text(key, node);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            URI uri = new URI(text.get());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw key.invalid(node, "give an absolute http or https URL, such as 'http://backend:8080/health'");
    }
}
