package dev.registry.server.mirror;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code WWW-Authenticate} challenge as registries send it: {@code Bearer realm="...",
 * service="...",scope="..."} for the token flow, or {@code Basic realm="..."}.
 *
 * @param scheme     {@code bearer} or {@code basic}, lower case
 * @param parameters the auth-params, names lower case, values unquoted
 */
record BearerChallenge(String scheme, Map<String, String> parameters) {

    /** Parses the first challenge of the header; empty if there is none it understands. */
    static Optional<BearerChallenge> parse(String header) {
        if (header == null) {
            return Optional.empty();
        }
        String text = header.trim();
        int space = text.indexOf(' ');
        String scheme = (space < 0 ? text : text.substring(0, space)).toLowerCase(Locale.ROOT);
        if (!scheme.equals("bearer") && !scheme.equals("basic")) {
            return Optional.empty();
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        int i = space < 0 ? text.length() : space + 1;
        while (i < text.length()) {
            while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == ',')) {
                i++;
            }
            int equals = text.indexOf('=', i);
            if (equals < 0) {
                break;
            }
            String name = text.substring(i, equals).trim().toLowerCase(Locale.ROOT);
            i = equals + 1;
            StringBuilder value = new StringBuilder();
            if (i < text.length() && text.charAt(i) == '"') {
                i++;
                while (i < text.length() && text.charAt(i) != '"') {
                    if (text.charAt(i) == '\\' && i + 1 < text.length()) {
                        i++;
                    }
                    value.append(text.charAt(i++));
                }
                i++; // closing quote
            } else {
                while (i < text.length() && text.charAt(i) != ',') {
                    value.append(text.charAt(i++));
                }
            }
            parameters.put(name, value.toString().trim());
        }
        return Optional.of(new BearerChallenge(scheme, parameters));
    }

    boolean isBearer() {
        return scheme.equals("bearer");
    }

    String realm() {
        return parameters.get("realm");
    }
}
