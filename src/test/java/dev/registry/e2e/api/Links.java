package dev.registry.e2e.api;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 5988 {@code Link} headers as pagination uses them. */
final class Links {
    private static final Pattern NEXT = Pattern.compile("<([^>]*)>\\s*;\\s*rel=\"?next\"?");

    private Links() {
    }

    /** The target of the {@code rel="next"} link, or {@code null} when the response has none. */
    static String next(ApiResponse response) {
        for (String value : response.headerValues("Link")) {
            Matcher m = NEXT.matcher(value);
            if (m.find()) {
                return m.group(1);
            }
        }
        return null;
    }

    static String requireNext(ApiResponse response) {
        String next = next(response);
        assertNotNull(next, () -> "expected a Link header with rel=\"next\": " + response);
        return next;
    }

    static String path(RegistryClient client, String link) {
        return client.uri(link).getPath();
    }

    /** The decoded query parameters of a link (first value of each). */
    static Map<String, String> query(RegistryClient client, String link) {
        Map<String, String> params = new LinkedHashMap<>();
        String raw = client.uri(link).getRawQuery();
        if (raw == null) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.putIfAbsent(name, value);
        }
        return params;
    }

    static void assertNoNext(ApiResponse response) {
        assertTrue(next(response) == null, () -> "expected no next link: " + response);
    }

    static URI uri(RegistryClient client, String link) {
        return client.uri(link);
    }
}
