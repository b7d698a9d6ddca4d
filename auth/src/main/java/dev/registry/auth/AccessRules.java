package dev.registry.auth;

import dev.registry.config.AccessRuleConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code auth.access} rules: which actions a principal may take on a repository.
 *
 * <ul>
 *   <li>The first rule whose repositories and users both match decides; later rules are not consulted.
 *       No matching rule grants nothing.
 *   <li>In {@code users}, {@code anonymous} matches callers without credentials and {@code *} any
 *       authenticated user (not anonymous ones).
 *   <li>With no rules at all ({@link #NONE}), every authenticated user may pull, push and delete
 *       everything, and anonymous callers nothing: registry:2's htpasswd behaviour.
 *   <li>The catalog ({@code registry:catalog:*}) is open to every authenticated user; it is then
 *       filtered with {@link #mayPull}.
 * </ul>
 */
public final class AccessRules {
    public static final String PULL = "pull";
    public static final String PUSH = "push";
    public static final String DELETE = "delete";
    /** Every repository action, in the order scopes list them. */
    public static final Set<String> ALL_ACTIONS = Collections.unmodifiableSet(new LinkedHashSet<>(List.of(PULL, PUSH,
            DELETE)));

    /** No rules configured. */
    public static final AccessRules NONE = new AccessRules(List.of());

    private final List<Rule> rules;

    private record Rule(List<RepositoryPattern> repositories, Set<String> users, Set<String> actions) {
        boolean matches(Principal principal, String repository) {
            boolean user = principal.isAnonymous()
                    ? users.contains(Principal.ANONYMOUS.name())
                    : users.contains(principal.name()) || users.contains("*");
            return user && repositories.stream().anyMatch(p -> p.matches(repository));
        }
    }

    private AccessRules(List<Rule> rules) {
        this.rules = rules;
    }

    /** The rules as configured (already validated by the config module). */
    public static AccessRules from(List<AccessRuleConfig> config) {
        List<Rule> rules = new ArrayList<>();
        for (AccessRuleConfig rule : config) {
            Set<String> actions = new LinkedHashSet<>();
            for (String action : rule.actions()) {
                if (action.equals("*")) {
                    actions.addAll(ALL_ACTIONS);
                } else if (ALL_ACTIONS.contains(action)) {
                    actions.add(action);
                } else {
                    throw new IllegalArgumentException("unknown action '" + action + "'");
                }
            }
            rules.add(new Rule(rule.repositories().stream().map(RepositoryPattern::compile).toList(),
                    Set.copyOf(rule.users()), Collections.unmodifiableSet(actions)));
        }
        return new AccessRules(List.copyOf(rules));
    }

    /** The repository actions ({@code pull}, {@code push}, {@code delete}) {@code principal} has on {@code repository}. */
    public Set<String> granted(Principal principal, String repository) {
        if (rules.isEmpty()) {
            return principal.isAnonymous() ? Set.of() : ALL_ACTIONS;
        }
        for (Rule rule : rules) {
            if (rule.matches(principal, repository)) {
                return rule.actions();
            }
        }
        return Set.of();
    }

    /** Whether {@code principal} may pull {@code repository}: what the catalog is filtered by. */
    public boolean mayPull(Principal principal, String repository) {
        return granted(principal, repository).contains(PULL);
    }

    /** Whether {@code principal} has the right {@code access}; other resource types than repositories and the catalog have none. */
    public boolean allows(Principal principal, Access access) {
        if (isCatalog(access.type(), access.name())) {
            return !principal.isAnonymous();
        }
        return access.type().equals("repository") && granted(principal, access.name()).contains(access.action());
    }

    static boolean isCatalog(String type, String name) {
        return type.equals("registry") && name.equals("catalog");
    }
}
