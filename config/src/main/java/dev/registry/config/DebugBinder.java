package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.Set;

/** Binds and checks {@code http.debug.*}. */
final class DebugBinder {
    private static final ConfigKey DEBUG = ConfigKey.ROOT.child("http").child("debug");
    private static final ConfigKey PROMETHEUS = DEBUG.child("prometheus");
    /** Paths the debug listener answers itself, which the metrics may not take. */
    static final Set<String> RESERVED_PATHS = Set.of("/debug/health", "/livez", "/readyz");

    private DebugBinder() {
    }

    /** @param api the API's own {@code http.addr}, which the debug listener may not share */
    static DebugConfig bind(JsonNode debug, HttpBinder.ListenAddress api) {
        Values.section(DEBUG, debug);
        JsonNode prometheus = Values.section(PROMETHEUS, Values.field(debug, "prometheus"));
        DebugConfig.PrometheusConfig metrics = new DebugConfig.PrometheusConfig(
                Values.bool(PROMETHEUS.child("enabled"), Values.field(prometheus, "enabled"), false),
                path(PROMETHEUS.child("path"), Values.field(prometheus, "path")));
        ConfigKey addrKey = DEBUG.child("addr");
        JsonNode addrNode = Values.field(debug, "addr");
        Optional<String> addrText = Values.text(addrKey, addrNode);
        if (addrText.isEmpty()) {
            return new DebugConfig(false, "", 0, metrics);
        }
        HttpBinder.ListenAddress addr = HttpBinder.addr(addrKey, addrNode);
        if (addr.port() == api.port() && (addr.host().equals(api.host()) || addr.host().isEmpty() || api.host().isEmpty())) {
            throw addrKey.invalid(addrNode, "it is the API's own address (http.addr), so give the debug listener "
                    + "another port, such as ':5001'");
        }
        return new DebugConfig(true, addr.host(), addr.port(), metrics);
    }

    private static String path(ConfigKey key, JsonNode node) {
        Optional<String> text = Values.text(key, node);
        if (text.isEmpty()) {
            return DebugConfig.PrometheusConfig.DEFAULT_PATH;
        }
        String path = text.get();
        if (!path.startsWith("/") || path.chars().anyMatch(c -> Character.isWhitespace(c) || c == '?' || c == '#')) {
            throw key.invalid(node, "give a URL path such as '/metrics'");
        }
        if (RESERVED_PATHS.contains(path)) {
            throw key.invalid(node, "the debug listener serves its health checks there, so give another path, "
                    + "such as '/metrics'");
        }
        return path;
    }
}
