package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RepositoryPatternTest {
    @ParameterizedTest
    @CsvSource({
            "**,              alpine,            true",
            "**,              a/b/c,             true",
            "library/*,       library/alpine,    true",
            "library/*,       library/a/b,       false",
            "library/*,       library,           false",
            "library/*,       libraryx/alpine,   false",
            "team/**,         team,              true",
            "team/**,         team/app,          true",
            "team/**,         team/a/b/c,        true",
            "team/**,         teams/app,         false",
            "team/**,         other/team/app,    false",
            "**/cache,        cache,             true",
            "**/cache,        a/b/cache,         true",
            "**/cache,        a/b/cache/x,       false",
            "a/**/z,          a/z,               true",
            "a/**/z,          a/b/c/z,           true",
            "a/**/z,          a/b/c/y,           false",
            "*-dev/**,        web-dev/app,       true",
            "*-dev/**,        web-prod/app,      false",
            "app*,            app,               true",
            "app*,            application,       true",
            "exact,           exact,             true",
            "exact,           exactly,           false",
            "a.b,             axb,               false",
            "*,               a/b,               false"})
    void matches(String pattern, String repository, boolean matches) {
        assertEquals(matches, RepositoryPattern.compile(pattern).matches(repository), pattern + " ~ " + repository);
    }
}
