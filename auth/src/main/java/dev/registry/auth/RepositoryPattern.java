package dev.registry.auth;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A repository name pattern of an access rule: {@code *} matches any part of one path component,
 * {@code **} any number of whole components, including none. So {@code team/**} matches
 * {@code team}, {@code team/app} and {@code team/a/b}; {@code team/*} matches {@code team/app}
 * only; {@code **} matches every repository.
 */
public final class RepositoryPattern {
    private final String pattern;
    /** One entry per component; {@code null} stands for {@code **}. */
    private final List<Pattern> components;

    private RepositoryPattern(String pattern, List<Pattern> components) {
        this.pattern = pattern;
        this.components = components;
    }

    public static RepositoryPattern compile(String pattern) {
        List<Pattern> components = new ArrayList<>();
        for (String component : pattern.split("/", -1)) {
            if (component.equals("**")) {
                components.add(null);
            } else {
                StringBuilder regex = new StringBuilder();
                for (String literal : component.split("\\*", -1)) {
                    if (!regex.isEmpty()) {
                        regex.append("[^/]*");
                    }
                    regex.append(Pattern.quote(literal));
                }
                components.add(Pattern.compile(regex.toString()));
            }
        }
        return new RepositoryPattern(pattern, Collections.unmodifiableList(components)); // holds nulls
    }

    public boolean matches(String repository) {
        return matches(0, repository.split("/", -1), 0);
    }

    private boolean matches(int p, String[] name, int n) {
        if (p == components.size()) {
            return n == name.length;
        }
        Pattern component = components.get(p);
        if (component == null) {
            for (int skip = n; skip <= name.length; skip++) {
                if (matches(p + 1, name, skip)) {
                    return true;
                }
            }
            return false;
        }
        return n < name.length && component.matcher(name[n]).matches() && matches(p + 1, name, n + 1);
    }

    @Override
    public String toString() {
        return pattern;
    }
}
