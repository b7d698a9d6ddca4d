package dev.registry.e2e.api;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static dev.registry.e2e.api.Asserts.assertNoSecret;
import static dev.registry.e2e.api.Asserts.assertNotServerError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Names, tags, digests and upload ids that try to climb out of the storage root. Files are planted
 * beside the root (including a fake repository laid out as CNCF Distribution lays out its storage);
 * nothing outside the root may ever be read, written or deleted, and no attempt may end in a 5xx.
 */
class PathTraversalTest extends ApiTestBase {
    private static final String SECRET = "TOP-SECRET-" + randomId(12);
    private static final byte[] SECRET_BYTES = (SECRET + "\n").getBytes(StandardCharsets.UTF_8);
    /** Text of /etc/passwd that must never come back either. */
    private static final String PASSWD = "root:x:0:0";

    /** The "../" spellings tried. */
    private static final List<String> UP = List.of("../", "..%2f", "..%2F", "%2e%2e/", "%2E%2E%2F", ".%2e/",
            "%2e%2e%2f", "..%5c", "..\\", "%252e%252e%252f", "%c0%ae%c0%ae/", "....//");

    private Map<Path, String> before;
    private String legit;
    private Image legitImage;
    private String fakeDigest;

    @BeforeAll
    void plant() throws Exception {
        legit = repo("legit");
        legitImage = pushImage(legit, "latest");
        if (!registry.managed()) {
            return;
        }
        Path work = registry.workDir();
        Path jail = registry.root().getParent();
        Files.write(work.resolve("secret.txt"), SECRET_BYTES);
        Files.write(jail.resolve("secret.txt"), SECRET_BYTES);
        Files.write(jail.resolve("data"), SECRET_BYTES);
        // a repository "fake" beside the root, in Distribution's layout, whose tag "pwn" names a manifest
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + Manifests.OCI_MANIFEST + "\",\"config\":"
                + Manifests.EMPTY_CONFIG.toJson() + ",\"layers\":[],\"annotations\":{\"s\":\"" + SECRET + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        fakeDigest = Digests.sha256(manifest);
        String hex = Digests.hex(fakeDigest);
        Path fake = jail.resolve("fake");
        for (Path link : List.of(
                fake.resolve("_manifests/tags/pwn/current/link"),
                fake.resolve("_manifests/tags/pwn/index/sha256/" + hex + "/link"),
                fake.resolve("_manifests/revisions/sha256/" + hex + "/link"),
                fake.resolve("_layers/sha256/" + hex + "/link"))) {
            Files.createDirectories(link.getParent());
            Files.writeString(link, fakeDigest);
        }
        Path fakeBlob = jail.resolve("blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
        Files.createDirectories(fakeBlob.getParent());
        Files.write(fakeBlob, manifest);
        // and its bytes where Distribution's layout keeps blob data, so that a name or tag that reached the
        // fake repository's links would find content to serve (an orphan blob no repository links to)
        Path orphan = registry.root().resolve("docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
        Files.createDirectories(orphan.getParent());
        Files.write(orphan, manifest);
        Path upload = fake.resolve("_uploads/evil/data");
        Files.createDirectories(upload.getParent());
        Files.write(upload, SECRET_BYTES);
        Files.writeString(fake.resolve("_uploads/evil/startedat"), "2020-01-01T00:00:00Z");
        before = snapshotOutsideRoot();
    }

    /** Every file under the work directory but outside the storage root and the config directories. */
    private Map<Path, String> snapshotOutsideRoot() throws IOException {
        Path work = registry.workDir();
        Path root = registry.root();
        Map<Path, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(work)) {
            for (Path p : walk.toList()) {
                if (p.startsWith(root) || !Files.isRegularFile(p)) {
                    continue;
                }
                if (work.relativize(p).toString().contains("-conf-")) {
                    continue; // config and server log
                }
                files.put(work.relativize(p), Digests.sha256(Files.readAllBytes(p)));
            }
        }
        return files;
    }

    private static String up(String spelling, int times) {
        return spelling.repeat(times);
    }

    /** No 5xx, nothing from outside the root, and (for traversal paths) no success either. */
    private void check(ApiResponse response, boolean mustFail) {
        assertNotServerError(response);
        assertNoSecret(response, SECRET);
        assertNoSecret(response, PASSWD);
        if (mustFail) {
            // 4xx, or a redirect to the cleaned path (which the client would have to follow itself)
            assertTrue(response.status() >= 300, () -> "a traversal attempt succeeded: " + response);
        }
    }

    private ApiResponse send(String method, String target, byte[] body, String... headers) throws IOException {
        RawHttp.Request request = client.raw().request(method, target);
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        if (body != null) {
            request.body(body);
        }
        ApiResponse response = request.sendAllowingClose();
        if (response == null) {
            // the server may drop a request it cannot parse; it must still be alive
            Asserts.assertStatus(200, client.get("/v2/"));
        }
        return response;
    }

    private void attempt(String method, String target, byte[] body, String... headers) throws IOException {
        ApiResponse response = send(method, target, body, headers);
        if (response != null) {
            check(response, true);
        }
    }

    @Test
    void traversingNamesReadNothing() throws Exception {
        for (String spelling : UP) {
            for (int depth : new int[] {1, 5, 6, 12}) {
                String name = up(spelling, depth) + "fake";
                String nested = legit + "/" + up(spelling, depth + 1) + "fake";
                for (String n : List.of(name, nested)) {
                    attempt("GET", "/v2/" + n + "/tags/list", null);
                    attempt("GET", "/v2/" + n + "/manifests/pwn", null);
                    attempt("HEAD", "/v2/" + n + "/manifests/pwn", null);
                    attempt("GET", "/v2/" + n + "/manifests/" + (fakeDigest == null ? Digests.randomSha256() : fakeDigest), null);
                    attempt("GET", "/v2/" + n + "/blobs/" + (fakeDigest == null ? Digests.randomSha256() : fakeDigest), null);
                    attempt("GET", "/v2/" + n + "/referrers/" + legitImage.digest(), null);
                    attempt("GET", "/v2/" + n + "/blobs/uploads/evil", null);
                }
            }
        }
        attempt("GET", "/v2/" + up("../", 10) + "etc/passwd", null);
        attempt("GET", "/v2/" + up("..%2f", 10) + "etc%2fpasswd/tags/list", null);
    }

    @Test
    void traversingNamesWriteAndDeleteNothing() throws Exception {
        byte[] manifest = legitImage.manifest();
        for (String spelling : UP) {
            for (int depth : new int[] {5, 6, 12}) {
                String n = up(spelling, depth) + "fake";
                attempt("PUT", "/v2/" + n + "/manifests/evil", manifest, "Content-Type", legitImage.mediaType());
                attempt("POST", "/v2/" + n + "/blobs/uploads/", new byte[0]);
                attempt("POST", "/v2/" + n + "/blobs/uploads/?digest=" + Digests.sha256(SECRET_BYTES), SECRET_BYTES,
                        "Content-Type", "application/octet-stream");
                attempt("POST", "/v2/" + n + "/blobs/uploads/?mount=" + legitImage.layer().digest() + "&from=" + legit,
                        new byte[0]);
                attempt("DELETE", "/v2/" + n + "/manifests/pwn", null);
                if (fakeDigest != null) {
                    attempt("DELETE", "/v2/" + n + "/manifests/" + fakeDigest, null);
                    attempt("DELETE", "/v2/" + n + "/blobs/" + fakeDigest, null);
                }
                attempt("DELETE", "/v2/" + n + "/blobs/uploads/evil", null);
            }
        }
    }

    @Test
    void traversingTagsReadNothing() throws Exception {
        for (String spelling : UP) {
            for (int depth : new int[] {1, 2, 3, 4, 6, 8, 10}) {
                for (String tail : List.of("fake/_manifests/tags/pwn", "secret.txt", "jail/secret.txt", "etc/passwd")) {
                    String tag = up(spelling, depth) + tail;
                    attempt("GET", "/v2/" + legit + "/manifests/" + tag, null);
                    attempt("PUT", "/v2/" + legit + "/manifests/" + tag, legitImage.manifest(),
                            "Content-Type", legitImage.mediaType());
                    attempt("DELETE", "/v2/" + legit + "/manifests/" + tag, null);
                }
            }
        }
    }

    @Test
    void traversingDigestsReadNothing() throws Exception {
        for (String spelling : UP) {
            for (int depth : new int[] {1, 4, 6, 8, 10}) {
                for (String prefix : List.of("sha256:", "sha256%3A", "")) {
                    String digest = prefix + up(spelling, depth) + "secret.txt";
                    attempt("GET", "/v2/" + legit + "/blobs/" + digest, null);
                    attempt("HEAD", "/v2/" + legit + "/blobs/" + digest, null);
                    attempt("DELETE", "/v2/" + legit + "/blobs/" + digest, null);
                    attempt("GET", "/v2/" + legit + "/manifests/" + digest, null);
                    attempt("GET", "/v2/" + legit + "/referrers/" + digest, null);
                }
            }
        }
        // a digest-shaped value whose hex part climbs
        attempt("GET", "/v2/" + legit + "/blobs/sha256:" + "0".repeat(62) + "%2f..%2f..", null);
        // a mount that cannot be done may fall back to a new upload session (202), but must not mount
        ApiResponse mount = send("POST", "/v2/" + legit + "/blobs/uploads/?mount=sha256:..%2f..%2fsecret.txt&from="
                + legit, new byte[0]);
        if (mount != null) {
            check(mount, false);
            assertTrue(mount.status() != 201, () -> "mounted a traversal digest: " + mount);
        }
        ApiResponse upload = client.startUpload(legit);
        String uploadTarget = client.uri(upload.header("Location")).getRawPath();
        String query = client.uri(upload.header("Location")).getRawQuery();
        String digestParam = "sha256:..%2F..%2F..%2F..%2Fsecret.txt";
        ApiResponse put = send("PUT", uploadTarget + "?" + (query == null ? "" : query + "&") + "digest=" + digestParam,
                new byte[] {1, 2, 3}, "Content-Type", "application/octet-stream");
        if (put != null) {
            check(put, true);
        }
    }

    @Test
    void traversingUploadIdsReadWriteAndDeleteNothing() throws Exception {
        String secretDigest = Digests.sha256(SECRET_BYTES);
        for (String spelling : UP) {
            for (int depth : new int[] {1, 3, 5, 7, 8, 9, 12}) {
                for (String tail : List.of("secret.txt", "fake/_uploads/evil", "jail", "etc/passwd", "")) {
                    String id = up(spelling, depth) + tail;
                    String base = "/v2/" + legit + "/blobs/uploads/" + id;
                    attempt("GET", base, null);
                    attempt("PATCH", base, "EVIL".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/octet-stream");
                    attempt("PUT", base + "?digest=" + secretDigest, new byte[0]);
                    attempt("DELETE", base, null);
                }
            }
        }
        for (String id : List.of("%2Fetc%2Fpasswd", "/etc/passwd", "%2F" + "tmp", "~root", "%00", "a%00b", "%2e", ".")) {
            attempt("GET", "/v2/" + legit + "/blobs/uploads/" + id, null);
            attempt("PUT", "/v2/" + legit + "/blobs/uploads/" + id + "?digest=" + secretDigest, new byte[0]);
            attempt("DELETE", "/v2/" + legit + "/blobs/uploads/" + id, null);
        }
        // had any upload id reached the planted file, finishing it would have made a blob of the secret
        Asserts.assertStatus(404, client.head("/v2/" + legit + "/blobs/" + secretDigest));
    }

    @Test
    void paginationParametersCannotClimb() throws Exception {
        for (String spelling : UP) {
            String last = up(spelling, 8) + "etc";
            ApiResponse catalog = send("GET", "/v2/_catalog?n=10&last=" + last, null);
            if (catalog != null) {
                check(catalog, false);
            }
            ApiResponse tags = send("GET", "/v2/" + legit + "/tags/list?n=10&last=" + last, null);
            if (tags != null) {
                check(tags, false);
            }
        }
    }

    @Test
    void nothingOutsideTheRootChangedAndTheFakeRepositoryStaysInvisible() throws Exception {
        traversingNamesReadNothing();
        traversingNamesWriteAndDeleteNothing();
        traversingTagsReadNothing();
        traversingDigestsReadNothing();
        traversingUploadIdsReadWriteAndDeleteNothing();
        if (registry.managed()) {
            assertEquals(before, snapshotOutsideRoot(), "files outside the storage root were created, changed or deleted");
            assertTrue(new String(Files.readAllBytes(registry.workDir().resolve("secret.txt")), StandardCharsets.UTF_8)
                    .startsWith(SECRET));
        }
        List<String> names = new ArrayList<>(catalog());
        for (String name : names) {
            assertFalse(name.contains("fake") || name.contains("..") || name.contains("etc"),
                    () -> "the catalog lists a name from a traversal attempt: " + names);
        }
        // the legitimate content is unharmed
        Asserts.assertBody(legitImage.manifest(), client.getManifest(legit, "latest"));
        ApiResponse tags = client.get("/v2/" + legit + "/tags/list");
        Asserts.assertStatus(200, tags);
        assertEquals(List.of("latest"), Json.strings(tags.json().get("tags")));
    }
}
