package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.config.AccessRuleConfig;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AccessRulesTest {
    private static final Principal ALICE = new Principal("alice");
    private static final Principal BOB = new Principal("bob");

    private static AccessRuleConfig rule(List<String> repositories, List<String> users, List<String> actions) {
        return new AccessRuleConfig(repositories, users, actions);
    }

    private final AccessRules rules = AccessRules.from(List.of(
            rule(List.of("public/**"), List.of("anonymous"), List.of("pull")),
            rule(List.of("public/**"), List.of("alice"), List.of("*")),
            rule(List.of("public/**"), List.of("*"), List.of("pull")),
            rule(List.of("team/*"), List.of("alice", "bob"), List.of("pull", "push")),
            rule(List.of("**"), List.of("alice"), List.of("pull"))));

    @Test
    void withoutRulesAuthenticatedUsersMayDoEverythingAndAnonymousNothing() {
        assertEquals(Set.of("pull", "push", "delete"), AccessRules.NONE.granted(ALICE, "any/repo"));
        assertEquals(Set.of(), AccessRules.NONE.granted(Principal.ANONYMOUS, "any/repo"));
        assertTrue(AccessRules.NONE.allows(BOB, Access.delete("x")));
        assertFalse(AccessRules.NONE.allows(Principal.ANONYMOUS, Access.pull("x")));
    }

    @Test
    void firstMatchingRuleWins() {
        assertEquals(Set.of("pull", "push", "delete"), rules.granted(ALICE, "public/app"),
                "alice's own rule comes before the '*' rule");
        assertEquals(Set.of("pull"), rules.granted(BOB, "public/app"));
        assertEquals(Set.of("pull", "push"), rules.granted(ALICE, "team/app"),
                "the team rule decides; alice's later '**' rule is not consulted");
    }

    @Test
    void noMatchingRuleGrantsNothing() {
        assertEquals(Set.of(), rules.granted(BOB, "private/thing"));
        assertEquals(Set.of(), rules.granted(new Principal("carol"), "team/app"));
        assertEquals(Set.of("pull"), rules.granted(ALICE, "private/thing"));
    }

    @Test
    void anonymousMatchesOnlyAnonymousAndStarOnlyAuthenticatedUsers() {
        assertEquals(Set.of("pull"), rules.granted(Principal.ANONYMOUS, "public/app"));
        assertEquals(Set.of(), rules.granted(Principal.ANONYMOUS, "team/app"));
        AccessRules starOnly = AccessRules.from(List.of(rule(List.of("**"), List.of("*"), List.of("pull"))));
        assertEquals(Set.of(), starOnly.granted(Principal.ANONYMOUS, "x"));
        assertEquals(Set.of("pull"), starOnly.granted(BOB, "x"));
    }

    @Test
    void allowsChecksTheAction() {
        assertTrue(rules.allows(BOB, Access.push("team/app")));
        assertFalse(rules.allows(BOB, Access.delete("team/app")));
        assertFalse(rules.allows(BOB, new Access("repository", "team/app", "*")), "'*' is not an action to check");
        assertFalse(rules.allows(ALICE, new Access("plugin", "team/app", "pull")), "unknown resource types get nothing");
    }

    @Test
    void catalogIsOpenToAuthenticatedUsersAndFilteredByPull() {
        assertTrue(rules.allows(BOB, Access.catalog()));
        assertFalse(rules.allows(Principal.ANONYMOUS, Access.catalog()));
        assertTrue(rules.mayPull(BOB, "team/app"));
        assertFalse(rules.mayPull(BOB, "private/thing"));
    }
}
