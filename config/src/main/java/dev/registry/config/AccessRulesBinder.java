package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Binds and checks {@code auth.access}, the list of access rules. */
final class AccessRulesBinder {
    static final Set<String> ACTIONS = Set.of("pull", "push", "delete", "*");
    private static final Set<String> RULE_KEYS = Set.of("repositories", "users", "actions");
    /** A pattern component: {@code **} on its own, or repository name characters with single {@code *}s. */
    private static final Pattern COMPONENT = Pattern.compile("\\*\\*|[a-z0-9._-]*(\\*[a-z0-9._-]+)*\\*?");
    private static final Pattern USER = Pattern.compile("[^\\s:]+");
    private static final String EXAMPLE = "[{repositories: ['team/**'], users: [alice], actions: [pull, push]}]";

    private AccessRulesBinder() {
    }

    static List<AccessRuleConfig> bind(ConfigKey key, JsonNode node) {
        if (Values.isAbsent(node)) {
            return List.of();
        }
        if (!node.isArray()) {
            throw key.invalid(node, "give a list of rules, such as '" + EXAMPLE + "'");
        }
        List<AccessRuleConfig> rules = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            rules.add(rule(key, "rule " + (i + 1), node.get(i)));
        }
        return List.copyOf(rules);
    }

    /** Errors name the list's key and the rule's position, which is how the file and the variable both show it. */
    private static AccessRuleConfig rule(ConfigKey key, String rule, JsonNode node) {
        if (!node.isObject()) {
            throw key.problem(rule + " is not a mapping: give repositories, users and actions, such as '"
                    + EXAMPLE.substring(1, EXAMPLE.length() - 1) + "'");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            // A misspelt key would silently widen or narrow the rule, so it is an error, not a warning.
            if (!RULE_KEYS.contains(field.getKey())) {
                throw key.problem(rule + " has the unknown key '" + field.getKey()
                        + "': give only repositories, users and actions");
            }
        }
        List<String> repositories = list(key, rule, "repositories", node,
                "give a list of repository name patterns, such as ['team/**', 'library/*']");
        for (String pattern : repositories) {
            for (String component : pattern.split("/", -1)) {
                if (component.isEmpty() || !COMPONENT.matcher(component).matches()) {
                    throw key.problem(rule + " has the repository pattern '" + pattern + "', which is not valid: use lower-case repository names with '*' for part of one path component "
                            + "and '**' for any number of components, such as 'team/**'");
                }
            }
        }
        List<String> users = list(key, rule, "users", node,
                "give a list of user names, 'anonymous' or '*' (any authenticated user)");
        for (String user : users) {
            if (!USER.matcher(user).matches()) {
                throw key.problem(rule + " has the user '" + user + "', which is not a user name: give htpasswd "
                        + "user names, 'anonymous' or '*'");
            }
        }
        List<String> actions = list(key, rule, "actions", node,
                "give a list of pull, push, delete or '*'");
        for (String action : actions) {
            if (!ACTIONS.contains(action)) {
                throw key.problem(rule + " has the unknown action '" + action
                        + "': give pull, push, delete or '*'");
            }
        }
        return new AccessRuleConfig(repositories, users, actions);
    }

    private static List<String> list(ConfigKey key, String rule, String name, JsonNode node, String fix) {
        JsonNode list = node.get(name);
        String problem = rule + " has no " + name + ": " + fix;
        if (Values.isAbsent(list)) {
            throw key.problem(problem);
        }
        List<String> values;
        try {
            values = Values.stringList(key, list, fix).orElseThrow();
        } catch (ConfigException e) {
            throw key.problem(rule + " has " + name + " that are not a list of names: " + fix);
        }
        if (values.isEmpty()) {
            throw key.problem(problem);
        }
        return values;
    }
}
