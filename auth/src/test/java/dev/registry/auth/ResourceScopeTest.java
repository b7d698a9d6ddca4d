package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ResourceScopeTest {
    @Test
    void parsesRepositoryScopes() {
        assertEquals(new ResourceScope("repository", null, "samalba/my-app", List.of("pull", "push")),
                ResourceScope.parse("repository:samalba/my-app:pull,push"));
    }

    @Test
    void parsesTypeClassesCatalogAndNamesWithAPort() {
        assertEquals(new ResourceScope("repository", "plugin", "vieux/sshfs", List.of("pull")),
                ResourceScope.parse("repository(plugin):vieux/sshfs:pull"));
        assertEquals(new ResourceScope("registry", null, "catalog", List.of("*")), ResourceScope.parse("registry:catalog:*"));
        assertEquals(new ResourceScope("repository", null, "localhost:5000/app", List.of("pull")),
                ResourceScope.parse("repository:localhost:5000/app:pull"));
    }

    @Test
    void duplicateActionsAreMerged() {
        assertEquals(List.of("pull", "push"), ResourceScope.parse("repository:a:pull,push,pull").actions());
    }

    @Test
    void parseAllSplitsSpacesAcrossValues() {
        assertEquals(List.of(ResourceScope.parse("repository:a:pull"), ResourceScope.parse("repository:b:push"),
                ResourceScope.parse("registry:catalog:*")),
                ResourceScope.parseAll(List.of("repository:a:pull  repository:b:push", "registry:catalog:*", " ")));
    }

    @Test
    void printsAsAScope() {
        assertEquals("repository(plugin):a/b:pull,push",
                ResourceScope.parse("repository(plugin):a/b:pull,push").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"repository", "repository:a", "repository:a:", ":a:pull", "repository::pull",
            "Repository:a:pull", "repository(:a:pull", "repository:a:pull,", "repository:a:PULL", "repo sitory:a:pull"})
    void rejectsMalformedScopes(String scope) {
        assertThrows(IllegalArgumentException.class, () -> ResourceScope.parse(scope), scope);
    }
}
