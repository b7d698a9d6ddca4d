package dev.registry.e2e.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.registry.e2e.api.Asserts.assertError;
import static dev.registry.e2e.api.Asserts.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** end-8a/8b ({@code tags/list}) and {@code _catalog}, with {@code n}/{@code last} pagination. */
class TagsAndCatalogTest extends ApiTestBase {
    /** Deliberately pushed out of order; sorted: 1.0, a-b, a_b, latest, v10, v2. */
    private static final List<String> TAGS = List.of("v2", "latest", "1.0", "v10", "a_b", "a-b");
    private static final List<String> SORTED = List.of("1.0", "a-b", "a_b", "latest", "v10", "v2");

    private void pushTags(String repo, List<String> tags) throws Exception {
        Image image = pushImage(repo, tags.get(0));
        for (String tag : tags.subList(1, tags.size())) {
            client.pushManifest(repo, tag, image.mediaType(), image.manifest());
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    private ApiResponse tags(String repo, String query) throws Exception {
        return client.get("/v2/" + repo + "/tags/list" + query);
    }

    private List<String> tagsOf(ApiResponse response, String repo) {
        assertStatus(200, response);
        assertEquals("application/json", response.mediaType(), () -> "Content-Type of " + response);
        JsonNode body = response.json();
        assertEquals(repo, body.path("name").asText(), () -> "name in " + response);
        assertTrue(body.path("tags").isArray(), () -> "tags should be an array: " + response);
        return strings(body.get("tags"));
    }

    @Test
    void tagsListIsSorted() throws Exception {
        String repo = repo("tags");
        pushTags(repo, TAGS);
        ApiResponse response = tags(repo, "");
        assertEquals(SORTED, tagsOf(response, repo));
        Links.assertNoNext(response);
    }

    @Test
    void tagsListOfAMultiComponentName() throws Exception {
        String repo = repo("tags") + "/sub/component";
        pushTags(repo, List.of("b", "a"));
        assertEquals(List.of("a", "b"), tagsOf(tags(repo, ""), repo));
    }

    @Test
    void firstPageHasNEntriesAndANextLink() throws Exception {
        String repo = repo("tags");
        pushTags(repo, TAGS);
        ApiResponse response = tags(repo, "?n=2");
        assertEquals(SORTED.subList(0, 2), tagsOf(response, repo));
        String next = Links.requireNext(response);
        assertEquals("/v2/" + repo + "/tags/list", Links.path(client, next));
        Map<String, String> query = Links.query(client, next);
        assertEquals("2", query.get("n"), () -> "n in link " + next);
        assertEquals("a-b", query.get("last"), () -> "last in link " + next);
    }

    @Test
    void followingNextLinksWalksAllTags() throws Exception {
        String repo = repo("tags");
        pushTags(repo, TAGS);
        List<String> all = new ArrayList<>();
        String url = "/v2/" + repo + "/tags/list?n=4";
        int pages = 0;
        while (url != null) {
            assertTrue(++pages <= 10, "too many pages");
            ApiResponse page = client.get(url);
            List<String> tags = tagsOf(page, repo);
            assertTrue(tags.size() <= 4, () -> "page larger than n: " + page);
            all.addAll(tags);
            url = Links.next(page);
            if (tags.size() < 4) {
                Links.assertNoNext(page);
            }
        }
        assertEquals(SORTED, all);
        assertTrue(pages >= 2);
    }

    @Test
    void lastContinuesAfterTheGivenTag() throws Exception {
        String repo = repo("tags");
        pushTags(repo, TAGS);
        ApiResponse response = tags(repo, "?n=2&last=a-b");
        assertEquals(List.of("a_b", "latest"), tagsOf(response, repo));
        ApiResponse tail = tags(repo, "?n=2&last=v10");
        assertEquals(List.of("v2"), tagsOf(tail, repo));
        Links.assertNoNext(tail);
    }

    @Test
    void lastWithoutN() throws Exception {
        String repo = repo("tags");
        pushTags(repo, TAGS);
        assertEquals(List.of("latest", "v10", "v2"), tagsOf(tags(repo, "?last=a_b"), repo));
    }

    @Test
    void lastPageExactlyFilledThenEmpty() throws Exception {
        String repo = repo("tags");
        pushTags(repo, TAGS);
        ApiResponse response = tags(repo, "?n=2&last=latest");
        assertEquals(List.of("v10", "v2"), tagsOf(response, repo));
        String next = Links.next(response);
        if (next != null) {
            ApiResponse after = client.get(next);
            assertEquals(List.of(), tagsOf(after, repo));
            Links.assertNoNext(after);
        }
    }

    @Test
    void nLargerThanTheTagCountGivesAllWithoutLink() throws Exception {
        String repo = repo("tags");
        pushTags(repo, TAGS);
        ApiResponse response = tags(repo, "?n=100");
        assertEquals(SORTED, tagsOf(response, repo));
        Links.assertNoNext(response);
    }

    @Test
    void nZeroGivesAnEmptyListWithoutLink() throws Exception {
        String repo = repo("tags");
        pushTags(repo, TAGS);
        ApiResponse response = tags(repo, "?n=0");
        assertEquals(List.of(), tagsOf(response, repo));
        Links.assertNoNext(response);
    }

    @Test
    void tagsOfAnUnknownRepositoryIsNameUnknown() throws Exception {
        assertError(tags(repo("nothere"), ""), 404, "NAME_UNKNOWN");
    }

    @Test
    void deletedTagLeavesTheList() throws Exception {
        String repo = repo("tags");
        pushTags(repo, List.of("keep", "drop"));
        assertStatus(202, client.delete("/v2/" + repo + "/manifests/drop"));
        assertEquals(List.of("keep"), tagsOf(tags(repo, ""), repo));
    }

    // ---- catalog ----

    private List<String> catalogOf(ApiResponse response) {
        assertStatus(200, response);
        assertEquals("application/json", response.mediaType(), () -> "Content-Type of " + response);
        JsonNode repositories = response.json().get("repositories");
        assertTrue(repositories != null && repositories.isArray(), () -> "repositories array: " + response);
        return strings(repositories);
    }

    /** Repositories {@code <prefix>/...}, pushed in a scrambled order. */
    private List<String> pushRepositories(String prefix) throws Exception {
        List<String> names = List.of(prefix + "/c", prefix + "/a", prefix + "/b/d", prefix + "/b/c", prefix + "/e/f/g");
        for (String name : names) {
            pushImage(name, "latest");
        }
        return names.stream().sorted().toList();
    }

    @Test
    void catalogListsRepositoriesSorted() throws Exception {
        String prefix = repo("cat");
        List<String> mine = pushRepositories(prefix);
        List<String> all = catalog();
        assertEquals(all.stream().sorted().toList(), all, "catalog should be sorted");
        assertEquals(all.stream().distinct().toList(), all, "catalog should have no duplicates");
        assertEquals(mine, all.stream().filter(r -> r.startsWith(prefix + "/")).toList());
    }

    @Test
    void catalogPagesFromLast() throws Exception {
        String prefix = repo("cat");
        List<String> mine = pushRepositories(prefix);
        // nothing else sorts between the bare prefix and its own sub-repositories
        ApiResponse first = client.get("/v2/_catalog?n=2&last=" + prefix);
        assertEquals(mine.subList(0, 2), catalogOf(first));
        String next = Links.requireNext(first);
        assertEquals("/v2/_catalog", Links.path(client, next));
        Map<String, String> query = Links.query(client, next);
        assertEquals("2", query.get("n"), () -> "n in link " + next);
        assertEquals(mine.get(1), query.get("last"), () -> "last in link " + next);

        ApiResponse second = client.get(next);
        assertEquals(mine.subList(2, 4), catalogOf(second));
        ApiResponse third = client.get(Links.requireNext(second));
        List<String> rest = catalogOf(third);
        assertEquals(mine.get(4), rest.get(0));
    }

    @Test
    void followingCatalogLinksWalksEverything() throws Exception {
        pushRepositories(repo("cat"));
        List<String> all = catalog();
        List<String> walked = new ArrayList<>();
        String url = "/v2/_catalog?n=3";
        int pages = 0;
        while (url != null) {
            assertTrue(++pages <= 1000, "too many pages");
            ApiResponse page = client.get(url);
            List<String> entries = catalogOf(page);
            assertTrue(entries.size() <= 3, () -> "page larger than n: " + page);
            if (entries.size() < 3) {
                Links.assertNoNext(page);
            }
            walked.addAll(entries);
            url = Links.next(page);
        }
        assertEquals(all, walked);
    }

    @Test
    void catalogLastPageHasNoLink() throws Exception {
        String prefix = repo("cat");
        List<String> mine = pushRepositories(prefix);
        // last = the second-to-last of mine: at most one of mine remains, then whatever sorts after
        ApiResponse response = client.get("/v2/_catalog?n=1000&last=" + mine.get(3));
        List<String> entries = catalogOf(response);
        assertEquals(mine.get(4), entries.get(0));
        Links.assertNoNext(response);
    }

    @Test
    void catalogWithNZeroIsEmpty() throws Exception {
        pushRepositories(repo("cat"));
        ApiResponse response = client.get("/v2/_catalog?n=0");
        assertEquals(List.of(), catalogOf(response));
        Links.assertNoNext(response);
    }

    @Test
    void catalogDoesNotListPrefixesAsRepositories() throws Exception {
        String prefix = repo("cat");
        pushRepositories(prefix);
        List<String> all = catalog();
        assertTrue(!all.contains(prefix) && !all.contains(prefix + "/b") && !all.contains(prefix + "/e/f"),
                () -> "intermediate path components are not repositories: " + all);
    }
    @Test
    void lastAfterEveryTagGivesAnEmptyList() throws Exception {
        String repo = repo("tags");
        pushTags(repo, TAGS);
        ApiResponse response = tags(repo, "?n=2&last=zzz");
        assertEquals(List.of(), tagsOf(response, repo));
        Links.assertNoNext(response);
    }

    @Test
    void manyTagsAllListed() throws Exception {
        String repo = repo("tags");
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            many.add(String.format("t%03d", i));
        }
        List<String> scrambled = new ArrayList<>(many);
        java.util.Collections.shuffle(scrambled);
        pushTags(repo, scrambled);
        // without n the whole list comes back (following a Link, should the registry page anyway)
        List<String> all = new ArrayList<>();
        String url = "/v2/" + repo + "/tags/list";
        for (int pages = 0; url != null; pages++) {
            assertTrue(pages < 200, "too many pages");
            ApiResponse page = client.get(url);
            all.addAll(tagsOf(page, repo));
            url = Links.next(page);
        }
        assertEquals(many, all);
    }

    @Test
    void catalogLastAfterEverythingIsEmpty() throws Exception {
        pushRepositories(repo("cat"));
        ApiResponse response = client.get("/v2/_catalog?n=10&last=zzzzzzzz");
        assertEquals(List.of(), catalogOf(response));
        Links.assertNoNext(response);
    }

    @Test
    void repositoryWithOnlyBlobsIsNotATagListEvenIfKnown() throws Exception {
        String repo = repo("tags");
        client.pushBlob(repo, Digests.randomBytes(10));
        ApiResponse response = tags(repo, "");
        // a repository without manifests: either unknown, or known with no tags
        if (response.status() == 404) {
            Asserts.assertErrorBody(response, "NAME_UNKNOWN");
        } else {
            assertEquals(List.of(), tagsOf(response, repo));
        }
    }
}
