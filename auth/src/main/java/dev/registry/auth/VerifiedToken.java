package dev.registry.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The claims of a token whose signature, issuer, audience and dates have been checked.
 *
 * @param subject the {@code sub} claim; empty for anonymous tokens
 * @param access the {@code access} claim: actions by {@code type:name} resource
 * @param claims every claim, for the few callers that need more
 */
record VerifiedToken(String subject, Map<String, Set<String>> access, ObjectNode claims) {

    /** Whether the token grants {@code access}; an action list of {@code *} grants every action. */
    boolean allows(Access required) {
        Set<String> actions = access.get(required.type() + ":" + required.name());
        return actions != null && (actions.contains(required.action()) || actions.contains("*"));
    }

    boolean allowsAll(List<Access> required) {
        return required.stream().allMatch(this::allows);
    }

    Principal principal() {
        return subject.isEmpty() ? Principal.ANONYMOUS : new Principal(subject);
    }
}
