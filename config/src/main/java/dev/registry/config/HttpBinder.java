package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Binds and checks {@code http.*}. */
final class HttpBinder {
    private static final ConfigKey HTTP = ConfigKey.ROOT.child("http");
    private static final int DEFAULT_PORT = 5000;
    private static final String HEADER_NAME_SYMBOLS = "!#$%&'*+-.^_`|~";

    record ListenAddress(String host, int port) {
    }

    private HttpBinder() {
    }

    static HttpConfig bind(JsonNode http) {
        Values.section(HTTP, http);
        ListenAddress addr = addr(HTTP.child("addr"), Values.field(http, "addr"));
        return new HttpConfig(
                addr.host(),
                addr.port(),
                host(HTTP.child("host"), Values.field(http, "host")),
                Values.string(HTTP.child("secret"), Values.field(http, "secret")).orElse(""),
                Values.bool(HTTP.child("relativeurls"), Values.field(http, "relativeurls"), false),
                prefix(HTTP.child("prefix"), Values.field(http, "prefix")),
                headers(HTTP.child("headers"), Values.field(http, "headers")),
                TlsBinder.bind(Values.field(http, "tls"), Values.field(http, "http2")),
                Values.nonNegativeDuration(HTTP.child("draintimeout"), Values.field(http, "draintimeout"),
                        HttpConfig.DEFAULT_DRAIN_TIMEOUT),
                Values.nonNegativeDuration(HTTP.child("headertimeout"), Values.field(http, "headertimeout"),
                        HttpConfig.DEFAULT_HEADER_TIMEOUT),
                DebugBinder.bind(Values.field(http, "debug"), addr),
                h2c(Values.field(http, "h2c")));
    }

    /** {@code http.h2c.enabled}, registry:2's (3.x) switch for HTTP/2 on plain-HTTP connections. */
    private static boolean h2c(JsonNode h2c) {
        Values.section(HTTP.child("h2c"), h2c);
        return Values.bool(HTTP.child("h2c").child("enabled"), Values.field(h2c, "enabled"), false);
    }

    /** Go's {@code host:port} syntax: {@code :5000}, {@code 0.0.0.0:5000}, {@code [::1]:5000}. */
    static ListenAddress addr(ConfigKey key, JsonNode node) {
        Optional<String> text = Values.string(key, node);
        if (text.isEmpty()) {
            return new ListenAddress("", DEFAULT_PORT);
        }
        String addr = text.get().trim();
        String fix = "give host:port with a port from 1 to 65535, such as ':5000'";
        int colon = addr.lastIndexOf(':');
        if (colon < 0) {
            throw key.invalid(node, fix);
        }
        String host = addr.substring(0, colon);
        String port = addr.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]") && host.length() > 2) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":") || host.contains("[") || host.contains("]")) {
            throw key.invalid(node, "write an IPv6 host in brackets, such as '[::1]:5000'");
        }
        if (host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/')) {
            throw key.invalid(node, fix);
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw key.invalid(node, fix);
        }
        int number = Integer.parseInt(port);
        if (number < 1 || number > 65535) {
            throw key.invalid(node, fix);
        }
        return new ListenAddress(host, number);
    }

    private static String host(ConfigKey key, JsonNode node) {
        Optional<String> text = Values.string(key, node).map(String::trim);
        if (text.isEmpty() || text.get().isEmpty()) {
            return "";
        }
        String fix = "give an absolute http or https URL, such as 'https://registry.example:5000'";
        URI uri;
        try {
            uri = new URI(text.get());
        } catch (URISyntaxException e) {
            throw key.invalid(node, fix);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw key.invalid(node, fix);
        }
        // Location headers are built by appending "/v2/...", so a trailing slash would double up.
        String host = text.get();
        while (host.endsWith("/")) {
            host = host.substring(0, host.length() - 1);
        }
        return host;
    }

    private static String prefix(ConfigKey key, JsonNode node) {
        String prefix = Values.string(key, node).map(String::trim).orElse("");
        if (prefix.chars().anyMatch(c -> Character.isWhitespace(c) || c == '?' || c == '#')) {
            throw key.invalid(node, "give a URL path such as '/registry/'");
        }
        if (!prefix.startsWith("/")) {
            prefix = "/" + prefix;
        }
        if (!prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        return prefix;
    }

    /** Also used for each notification endpoint's {@code headers}, which registry:2 writes the same way. */
    static Map<String, List<String>> headers(ConfigKey key, JsonNode node) {
        if (Values.isAbsent(node)) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw key.invalid(node, "give a mapping of header name to a list of values, "
                    + "such as 'X-Content-Type-Options: [nosniff]'");
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        Map<String, String> seen = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Map.Entry<String, JsonNode> header : node.properties()) {
            ConfigKey headerKey = key.child(header.getKey());
            if (!isHeaderName(header.getKey())) {
                throw headerKey.problem("is not a valid HTTP header name: use letters, digits and '-' only");
            }
            String earlier = seen.putIfAbsent(header.getKey(), header.getKey());
            if (earlier != null) {
                throw headerKey.problem("repeats the header " + earlier
                        + ": HTTP header names ignore case, so give its values under one name");
            }
            headers.put(header.getKey(), headerValues(headerKey, header.getValue()));
        }
        return Collections.unmodifiableMap(headers);
    }

    private static List<String> headerValues(ConfigKey key, JsonNode node) {
        String fix = "give a list of values, such as '[nosniff]'";
        // registry:2 wants a list; a single scalar is accepted because it can only mean one value.
        List<JsonNode> items = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(items::add);
        } else if (node.isValueNode() && !node.isNull()) {
            items.add(node);
        } else {
            throw key.invalid(node, fix);
        }
        List<String> values = new ArrayList<>();
        for (JsonNode item : items) {
            if (!item.isValueNode() || item.isNull()) {
                throw key.invalid(node, fix);
            }
            String value = item.asText();
            if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                throw key.problem("has a value with a line break: give each value on one line");
            }
            values.add(value);
        }
        return List.copyOf(values);
    }

    private static boolean isHeaderName(String name) {
        return !name.isEmpty() && name.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9') || HEADER_NAME_SYMBOLS.indexOf(c) >= 0);
    }
}
