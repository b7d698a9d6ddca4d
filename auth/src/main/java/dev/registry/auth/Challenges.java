package dev.registry.auth;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Builds {@code WWW-Authenticate} values. */
final class Challenges {
    private Challenges() {
    }

    /** An RFC 7230 quoted string. */
    static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /**
     * The {@code scope} parameter for {@code required}: one entry per resource with its actions
     * merged, such as {@code repository:a:pull,push registry:catalog:*}, in the order first required.
     */
    static String scope(List<Access> required) {
        Map<String, Set<String>> actions = new LinkedHashMap<>();
        for (Access access : required) {
            actions.computeIfAbsent(access.type() + ":" + access.name(), k -> new LinkedHashSet<>()).add(access.action());
        }
        return actions.entrySet().stream()
                .map(e -> e.getKey() + ":" + String.join(",", e.getValue()))
                .collect(Collectors.joining(" "));
    }

    /**
     * {@code Bearer realm="...",service="..."[,scope="..."][,error="..."]}, as registry:2 sends it.
     *
     * @param error {@code invalid_token}, {@code insufficient_scope} or {@code null}
     */
    static String bearer(String realm, String service, List<Access> required, String error) {
        StringBuilder challenge = new StringBuilder("Bearer realm=").append(quote(realm))
                .append(",service=").append(quote(service));
        if (!required.isEmpty()) {
            challenge.append(",scope=").append(quote(scope(required)));
        }
        if (error != null) {
            challenge.append(",error=").append(quote(error));
        }
        return challenge.toString();
    }
}
