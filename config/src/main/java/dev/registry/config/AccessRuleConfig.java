package dev.registry.config;

import java.util.List;

/**
 * One entry of {@code auth.access}: the first rule whose repositories and users both match a
 * request decides which actions it may take.
 *
 * @param repositories repository name patterns: {@code *} matches within one path component,
 *                     {@code **} any number of components (so {@code **} matches every repository)
 * @param users user names; {@code anonymous} means callers without credentials and {@code *} any
 *              authenticated user
 * @param actions {@code pull}, {@code push}, {@code delete}, or {@code *} for all three
 */
public record AccessRuleConfig(List<String> repositories, List<String> users, List<String> actions) {
    public AccessRuleConfig {
        repositories = List.copyOf(repositories);
        users = List.copyOf(users);
        actions = List.copyOf(actions);
    }
}
