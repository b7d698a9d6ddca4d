package dev.registry.e2e.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.util.List;
import java.util.stream.Stream;

import static dev.registry.e2e.api.Asserts.assertBody;
import static dev.registry.e2e.api.Asserts.assertError;
import static dev.registry.e2e.api.Asserts.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Repository names and tags: the grammar, and what happens to names and tags outside it. */
class NameValidationTest extends ApiTestBase {
    /** A unique first component; the forms under test follow it. */
    private static final String ID = "names" + randomId(6);

    static Stream<String> validNames() {
        return Stream.of(
                ID + "a",
                ID + "/secure-group/tests/ruby-bundler/master",
                ID + "/a/blobs/b",
                ID + "/blobs",
                ID + "/manifests/x",
                ID + "/a/tags/list",
                ID + "/blobs/uploads",
                ID + "/referrers/b",
                ID + "/v2/x",
                ID + "/a.b_c__d-e---f",
                ID + "/0/1/2",
                ID + "/x" + "y".repeat(60) + "/" + "z".repeat(60),
                longName(255));
    }

    /** A valid multi-component name of exactly {@code length} characters. */
    private static String longName(int length) {
        StringBuilder name = new StringBuilder(ID);
        while (name.length() < length) {
            int room = length - name.length();
            if (room == 1) {
                name.append('q');
            } else {
                name.append('/').append("c".repeat(Math.min(50, room - 1)));
            }
        }
        return name.toString();
    }

    @ParameterizedTest
    @MethodSource("validNames")
    void validNameWorksEverywhere(String name) throws Exception {
        assertTrue(name.length() <= 255);
        byte[] data = Digests.randomBytes(100);
        String digest = Digests.sha256(data);
        String location = client.newUpload(name);
        assertTrue(client.uri(location).getPath().startsWith("/v2/" + name + "/blobs/uploads/"), location);
        ApiResponse put = client.put(RegistryClient.withDigest(location, digest), data, "Content-Type", "application/octet-stream");
        assertStatus(201, put);
        assertEquals("/v2/" + name + "/blobs/" + digest, client.uri(put.header("Location")).getPath());
        ApiResponse blob = client.get("/v2/" + name + "/blobs/" + digest);
        assertStatus(200, blob);
        assertBody(data, blob);

        Image image = pushImage(name, "latest");
        ApiResponse manifest = client.getManifest(name, "latest");
        assertStatus(200, manifest);
        assertBody(image.manifest(), manifest);
        assertStatus(200, client.headManifest(name, image.digest()));

        ApiResponse tags = client.get("/v2/" + name + "/tags/list");
        assertStatus(200, tags);
        assertEquals(name, tags.json().path("name").asText());
        assertEquals(List.of("latest"), Json.strings(tags.json().get("tags")));

        assertTrue(catalog().contains(name), () -> name + " missing from the catalog");

        assertStatus(202, client.delete("/v2/" + name + "/manifests/" + image.digest()));
        assertStatus(404, client.headManifest(name, image.digest()));
    }

    @Test
    void namesDifferingOnlyInComponentsAreDifferentRepositories() throws Exception {
        Image outer = pushImage(ID + "/nest", "t");
        Image inner = pushImage(ID + "/nest/inner", "t");
        assertBody(outer.manifest(), client.getManifest(ID + "/nest", "t"));
        assertBody(inner.manifest(), client.getManifest(ID + "/nest/inner", "t"));
        assertError(client.get("/v2/" + ID + "/nest/blobs/" + inner.layer().digest()), 404, "BLOB_UNKNOWN");
    }

    /** Names that route like a name but break the grammar: 400 NAME_INVALID everywhere. */
    static Stream<String> invalidRoutableNames() {
        return Stream.of(
                "Upper" + randomId(4),
                ID + "/Upper",
                ID + "a..b",
                "-" + ID,
                ID + "-",
                "_" + ID,
                ID + "_",
                ID + ".",
                ID + "a___b",
                ID + "a.-b",
                ID + "/-x",
                ID + "/x-",
                ID + "a%20b",
                ID + "a:b",
                ID + "a@b",
                ID + "caf%C3%A9",
                longName(256));
    }

    private List<ApiResponse> everyEndpoint(String rawName) throws Exception {
        RawHttp raw = client.raw();
        String digest = Digests.randomSha256();
        byte[] manifest = Manifests.ociManifest(Manifests.EMPTY_CONFIG, List.of());
        return List.of(
                raw.request("GET", "/v2/" + rawName + "/tags/list").send(),
                raw.request("GET", "/v2/" + rawName + "/manifests/latest").send(),
                raw.request("HEAD", "/v2/" + rawName + "/manifests/latest").send(),
                raw.request("PUT", "/v2/" + rawName + "/manifests/latest")
                        .header("Content-Type", Manifests.OCI_MANIFEST).body(manifest).send(),
                raw.request("DELETE", "/v2/" + rawName + "/manifests/" + digest).send(),
                raw.request("GET", "/v2/" + rawName + "/blobs/" + digest).send(),
                raw.request("DELETE", "/v2/" + rawName + "/blobs/" + digest).send(),
                raw.request("POST", "/v2/" + rawName + "/blobs/uploads/").send(),
                raw.request("POST", "/v2/" + rawName + "/blobs/uploads/?digest=" + Digests.sha256(new byte[1]))
                        .header("Content-Type", "application/octet-stream").body(new byte[1]).send(),
                raw.request("GET", "/v2/" + rawName + "/blobs/uploads/" + java.util.UUID.randomUUID()).send(),
                raw.request("GET", "/v2/" + rawName + "/referrers/" + digest).send());
    }

    @ParameterizedTest
    @MethodSource("invalidRoutableNames")
    void invalidNameIsNameInvalid(String rawName) throws Exception {
        for (ApiResponse response : everyEndpoint(rawName)) {
            assertError(response, 400, "NAME_INVALID");
        }
    }

    /** Paths where the name part is not even well-formed: 400 or 404, never success, never 5xx. */
    @ParameterizedTest
    @ValueSource(strings = {"a//b", "ab/", "/ab", "", "ab/../cd", "ab/./cd", "..", "%2e%2e", "ab/%2e%2e/cd",
            "ab/%2E%2E/cd", "ab/.%2e/cd", "ab%00cd", "ab\\cd", "%", "ab%zz", "ab%2"})
    void unroutableNameIsRejected(String fragment) throws Exception {
        String rawName = fragment.isEmpty() ? "" : fragment.replace("ab", ID + "ab").replace("cd", "cd" + ID);
        for (ApiResponse response : everyEndpoint(rawName)) {
            assertTrue(response.status() == 400 || response.status() == 404,
                    () -> "should be 400 or 404: " + response);
        }
    }

    /** An escaped slash is either refused or taken as a plain slash: never a name with a slash in one component. */
    @Test
    void escapedSlashIsRefusedOrDecoded() throws Exception {
        String first = ID + "esc";
        String second = "aped" + randomId(4);
        ApiResponse response = client.raw().request("POST", "/v2/" + first + "%2F" + second + "/blobs/uploads/").send();
        if (response.status() == 202) {
            String path = client.uri(response.header("Location")).getPath();
            assertTrue(path.startsWith("/v2/" + first + "/" + second + "/blobs/uploads/"), () -> "Location: " + response);
        } else {
            assertTrue(response.status() == 400 || response.status() == 404, () -> "should be 400 or 404: " + response);
        }
    }

    @Test
    void rejectedNamesCreateNothing() throws Exception {
        for (String name : invalidRoutableNames().toList()) {
            everyEndpoint(name);
        }
        for (String name : List.of("a//b", "ab/", "ab/../cd", "%2e%2e", "ab/%2e%2e/cd")) {
            everyEndpoint(name.replace("ab", ID + "ab"));
        }
        for (String repository : catalog()) {
            assertTrue(repository.matches("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*"),
                    () -> "catalog lists an invalid name: " + repository);
            assertTrue(repository.length() <= 255, () -> "catalog lists a name over 255 characters: " + repository);
            assertFalse(repository.startsWith("upper"), () -> "an upper-case name was folded: " + repository);
        }
    }

    // ---- tags ----

    @ParameterizedTest
    @ValueSource(strings = {"0", "_under", "UPPER.case-1", "v1.2.3-rc.1_build", "a-", "a."})
    void validTagsWork(String tag) throws Exception {
        String repo = repo("tagok");
        Image image = pushImage(repo, tag);
        assertBody(image.manifest(), client.getManifest(repo, tag));
        ApiResponse tags = client.get("/v2/" + repo + "/tags/list");
        assertEquals(List.of(tag), Json.strings(tags.json().get("tags")));
    }

    @Test
    void tagOf128CharactersWorks() throws Exception {
        String repo = repo("tagok");
        String tag = "t" + "x".repeat(127);
        Image image = pushImage(repo, tag);
        assertBody(image.manifest(), client.getManifest(repo, tag));
    }

    static Stream<String> invalidTags() {
        return Stream.of("-bad", ".bad", "t" + "x".repeat(128), "bad!", "b%20ad", "b%2Fad", "ta*g", "%C3%A9");
    }

    @ParameterizedTest
    @MethodSource("invalidTags")
    void invalidTagIsRejectedOnPush(String rawTag) throws Exception {
        String repo = repo("tagbad");
        Image image = pushImage(repo, "good");
        ApiResponse put = client.raw().request("PUT", "/v2/" + repo + "/manifests/" + rawTag)
                .header("Content-Type", image.mediaType()).body(image.manifest()).send();
        assertError(put, 400, "TAG_INVALID", "MANIFEST_INVALID");
        ApiResponse tags = client.get("/v2/" + repo + "/tags/list");
        assertEquals(List.of("good"), Json.strings(tags.json().get("tags")));
    }

    @ParameterizedTest
    @MethodSource("invalidTags")
    void invalidTagIsNeverFound(String rawTag) throws Exception {
        String repo = repo("tagbad");
        pushImage(repo, "good");
        RawHttp raw = client.raw();
        for (String method : List.of("GET", "HEAD", "DELETE")) {
            ApiResponse response = raw.request(method, "/v2/" + repo + "/manifests/" + rawTag).send();
            assertTrue(response.status() == 400 || response.status() == 404, () -> "should be 400 or 404: " + response);
            if (!method.equals("HEAD")) {
                Asserts.assertErrorBody(response);
            }
        }
        assertStatus(200, client.headManifest(repo, "good"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", "%2e%2e", ".", "..%2f..%2fgood", "../good"})
    void dotTagsDoNotResolve(String rawTag) throws Exception {
        String repo = repo("tagdot");
        Image image = pushImage(repo, "good");
        RawHttp raw = client.raw();
        ApiResponse get = raw.request("GET", "/v2/" + repo + "/manifests/" + rawTag).send();
        assertTrue(get.status() == 400 || get.status() == 404, () -> "should be 400 or 404: " + get);
        ApiResponse put = raw.request("PUT", "/v2/" + repo + "/manifests/" + rawTag)
                .header("Content-Type", image.mediaType()).body(image.manifest()).send();
        assertTrue(put.status() == 400 || put.status() == 404, () -> "should be 400 or 404: " + put);
        ApiResponse delete = raw.request("DELETE", "/v2/" + repo + "/manifests/" + rawTag).send();
        assertTrue(delete.status() == 400 || delete.status() == 404 || delete.status() == 405,
                () -> "should be rejected: " + delete);
        assertBody(image.manifest(), client.getManifest(repo, "good"));
        ApiResponse tags = client.get("/v2/" + repo + "/tags/list");
        assertEquals(List.of("good"), Json.strings(tags.json().get("tags")));
    }

    @Test
    void locationUsesTheNameAsGiven() throws Exception {
        String name = ID + "/loc/a-b";
        ApiResponse start = client.startUpload(name);
        URI location = client.uri(start.header("Location"));
        assertTrue(location.getPath().startsWith("/v2/" + name + "/blobs/uploads/"), location::toString);
    }
}
