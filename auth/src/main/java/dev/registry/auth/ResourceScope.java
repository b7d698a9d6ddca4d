package dev.registry.auth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One resource scope of a token request, in the grammar of distribution's token scope
 * documentation: {@code type[(class)]:name:action[,action...]}, such as
 * {@code repository:library/alpine:pull,push}, {@code repository(plugin):vieux/sshfs:pull} or
 * {@code registry:catalog:*}. The name may itself contain {@code :} (a registry host with a port),
 * so the type ends at the first {@code :} and the actions start after the last one.
 *
 * @param resourceClass the class in parentheses, or {@code null}
 */
public record ResourceScope(String type, String resourceClass, String name, List<String> actions) {
    private static final Pattern TYPE = Pattern.compile("([a-z0-9]+)(\\(([a-z0-9]+)\\))?");
    private static final Pattern ACTION = Pattern.compile("[a-z]+|\\*");

    public ResourceScope {
        actions = List.copyOf(actions);
    }

    /**
     * @throws IllegalArgumentException if {@code scope} does not follow the grammar
     */
    public static ResourceScope parse(String scope) {
        int first = scope.indexOf(':');
        int last = scope.lastIndexOf(':');
        if (first <= 0 || last == first || last == scope.length() - 1 || first + 1 == last) {
            throw new IllegalArgumentException("the scope '" + scope + "' is not type:name:actions");
        }
        var type = TYPE.matcher(scope.substring(0, first));
        if (!type.matches()) {
            throw new IllegalArgumentException("the scope '" + scope + "' has an invalid resource type");
        }
        String name = scope.substring(first + 1, last);
        if (name.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new IllegalArgumentException("the scope '" + scope + "' has an invalid resource name");
        }
        LinkedHashSet<String> actions = new LinkedHashSet<>();
        for (String action : scope.substring(last + 1).split(",", -1)) {
            if (!ACTION.matcher(action).matches()) {
                throw new IllegalArgumentException("the scope '" + scope + "' has an invalid action '" + action + "'");
            }
            actions.add(action);
        }
        return new ResourceScope(type.group(1), type.group(3), name, new ArrayList<>(actions));
    }

    /**
     * Every scope of the given {@code scope} parameter values, each of which may hold several
     * separated by spaces (the OAuth2 form sends them that way, {@code GET} as repeated parameters).
     */
    public static List<ResourceScope> parseAll(List<String> values) {
        List<ResourceScope> scopes = new ArrayList<>();
        for (String value : values) {
            for (String scope : value.trim().split(" +")) {
                if (!scope.isEmpty()) {
                    scopes.add(parse(scope));
                }
            }
        }
        return scopes;
    }

    /** The type with its class, as written in a scope: {@code repository(plugin)}. */
    public String typeWithClass() {
        return resourceClass == null ? type : type + "(" + resourceClass + ")";
    }

    @Override
    public String toString() {
        return typeWithClass() + ":" + name + ":" + String.join(",", actions);
    }
}
