package dev.registry.e2e.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.util.Arrays;
import java.util.UUID;

import static dev.registry.e2e.api.Asserts.assertBody;
import static dev.registry.e2e.api.Asserts.assertError;
import static dev.registry.e2e.api.Asserts.assertHeader;
import static dev.registry.e2e.api.Asserts.assertStatus;
import static dev.registry.e2e.api.Asserts.assertStatusIn;
import static dev.registry.e2e.api.RegistryClient.withDigest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** end-4a/4b, end-5, end-6, end-11, end-13: upload sessions, chunks, completion and mounts. */
class UploadApiTest extends ApiTestBase {
    private static final String OCTET = "application/octet-stream";

    private static byte[] slice(byte[] data, int from, int to) {
        return Arrays.copyOfRange(data, from, to);
    }

    private String path(String url) {
        URI u = client.uri(url);
        return u.getPath();
    }

    private void assertBlob(String repo, String digest, byte[] data) throws Exception {
        ApiResponse get = client.get("/v2/" + repo + "/blobs/" + digest);
        assertStatus(200, get);
        assertBody(data, get);
    }

    private void assertNoBlob(String repo, String digest) throws Exception {
        ApiResponse head = client.head("/v2/" + repo + "/blobs/" + digest);
        assertStatus(404, head);
    }

    /** Asserts a 202 chunk response and returns its Location. */
    private String assertChunkAccepted(ApiResponse response, long totalSoFar, String uuid) {
        assertStatus(202, response);
        assertHeader("0-" + (totalSoFar - 1), response, "Range");
        assertNotNull(response.header("Location"), () -> "PATCH answer without Location: " + response);
        if (uuid != null) {
            assertHeader(uuid, response, "Docker-Upload-UUID");
        }
        return client.location(response);
    }

    @Test
    void postStartsASession() throws Exception {
        String repo = repo("up");
        ApiResponse response = client.post("/v2/" + repo + "/blobs/uploads/", new byte[0]);
        assertStatus(202, response);
        String uuid = response.header("Docker-Upload-UUID");
        assertNotNull(uuid, () -> "no Docker-Upload-UUID: " + response);
        assertFalse(uuid.isBlank());
        String location = client.location(response);
        assertTrue(path(location).startsWith("/v2/" + repo + "/blobs/uploads/"), () -> "Location: " + location);
        assertTrue(location.contains(uuid), () -> "Location should name the session " + uuid + ": " + location);
        assertHeader("0-0", response, "Range");
        assertHeader("0", response, "Content-Length");
    }

    @Test
    void eachPostStartsADifferentSession() throws Exception {
        String repo = repo("up");
        ApiResponse a = client.startUpload(repo);
        ApiResponse b = client.startUpload(repo);
        assertFalse(a.header("Docker-Upload-UUID").equals(b.header("Docker-Upload-UUID")));
        assertFalse(client.location(a).equals(client.location(b)));
    }

    @Test
    void statusOfANewSessionIs204WithEmptyRange() throws Exception {
        String repo = repo("up");
        ApiResponse start = client.startUpload(repo);
        ApiResponse status = client.get(client.location(start));
        assertStatus(204, status);
        assertHeader("0-0", status, "Range");
        assertHeader(start.header("Docker-Upload-UUID"), status, "Docker-Upload-UUID");
        assertNotNull(status.header("Location"), () -> "status without Location: " + status);
        assertEquals(0, status.body().length);
    }

    @Test
    void monolithicPostWithDigestCreatesTheBlob() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(2048);
        String digest = Digests.sha256(data);
        ApiResponse response = client.post(withDigest("/v2/" + repo + "/blobs/uploads/", digest), data,
                "Content-Type", OCTET);
        assertStatus(201, response);
        assertEquals("/v2/" + repo + "/blobs/" + digest, path(client.location(response)));
        assertHeader(digest, response, "Docker-Content-Digest");
        assertBlob(repo, digest, data);
        ApiResponse viaLocation = client.get(client.location(response));
        assertStatus(200, viaLocation);
        assertBody(data, viaLocation);
    }

    @Test
    void postThenPutCreatesTheBlob() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(4096);
        String digest = Digests.sha256(data);
        String location = client.newUpload(repo);
        ApiResponse put = client.put(withDigest(location, digest), data, "Content-Type", OCTET);
        assertStatus(201, put);
        assertEquals("/v2/" + repo + "/blobs/" + digest, path(client.location(put)));
        assertHeader(digest, put, "Docker-Content-Digest");
        assertBlob(repo, digest, data);
    }

    @Test
    void digestParameterMayBeUnescaped() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(100);
        String digest = Digests.sha256(data);
        String location = client.newUpload(repo);
        String url = location + (location.contains("?") ? "&" : "?") + "digest=" + digest;
        ApiResponse put = client.put(url, data, "Content-Type", OCTET);
        assertStatus(201, put);
        assertBlob(repo, digest, data);
    }

    @Test
    void streamedPatchesWithoutContentRange() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(300_000);
        String digest = Digests.sha256(data);
        ApiResponse start = client.startUpload(repo);
        String uuid = start.header("Docker-Upload-UUID");
        String location = client.location(start);

        // unknown length: java.net.http sends these with Transfer-Encoding: chunked
        ApiResponse first = client.sendStreaming("PATCH", location,
                () -> new ByteArrayInputStream(data, 0, 100_000), "Content-Type", OCTET);
        location = assertChunkAccepted(first, 100_000, uuid);
        ApiResponse second = client.sendStreaming("PATCH", location,
                () -> new ByteArrayInputStream(data, 100_000, 200_000), "Content-Type", OCTET);
        location = assertChunkAccepted(second, 300_000, uuid);

        ApiResponse status = client.get(location);
        assertStatus(204, status);
        assertHeader("0-299999", status, "Range");

        ApiResponse put = client.put(withDigest(location, digest), new byte[0]);
        assertStatus(201, put);
        assertEquals("/v2/" + repo + "/blobs/" + digest, path(client.location(put)));
        assertHeader(digest, put, "Docker-Content-Digest");
        assertBlob(repo, digest, data);
    }

    @Test
    void rawChunkedTransferEncodingWithExtensionsAndTrailer() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(70_000);
        String digest = Digests.sha256(data);
        String location = client.newUpload(repo);
        URI u = client.uri(location);
        String target = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());

        byte[] body = RawHttp.chunked(data, new int[] {1, 4095, 17, 65536, 3}, true, "name=value", "X-Checksum: none");
        ApiResponse patch = client.raw().request("PATCH", target)
                .header("Content-Type", OCTET)
                .header("Transfer-Encoding", "chunked")
                .rawBody(body)
                .send();
        location = assertChunkAccepted(patch, data.length, null);

        ApiResponse put = client.put(withDigest(location, digest), new byte[0]);
        assertStatus(201, put);
        assertBlob(repo, digest, data);
    }

    @Test
    void chunksWithContentRangeInOrder() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(30);
        String digest = Digests.sha256(data);
        ApiResponse start = client.startUpload(repo);
        String uuid = start.header("Docker-Upload-UUID");
        String location = client.location(start);

        ApiResponse first = client.patch(location, slice(data, 0, 10), "Content-Type", OCTET, "Content-Range", "0-9");
        location = assertChunkAccepted(first, 10, uuid);
        ApiResponse second = client.patch(location, slice(data, 10, 20), "Content-Type", OCTET, "Content-Range", "10-19");
        location = assertChunkAccepted(second, 20, uuid);

        ApiResponse put = client.put(withDigest(location, digest), slice(data, 20, 30),
                "Content-Type", OCTET, "Content-Range", "20-29");
        assertStatus(201, put);
        assertHeader(digest, put, "Docker-Content-Digest");
        assertBlob(repo, digest, data);
    }

    @Test
    void outOfOrderChunkIs416WithCurrentRange() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(40);
        String digest = Digests.sha256(data);
        String location = client.newUpload(repo);
        location = assertChunkAccepted(
                client.patch(location, slice(data, 0, 10), "Content-Type", OCTET, "Content-Range", "0-9"), 10, null);
        location = assertChunkAccepted(
                client.patch(location, slice(data, 10, 20), "Content-Type", OCTET, "Content-Range", "10-19"), 20, null);

        ApiResponse gap = client.patch(location, slice(data, 30, 40), "Content-Type", OCTET, "Content-Range", "30-39");
        assertStatus(416, gap);
        assertHeader("0-19", gap, "Range");

        ApiResponse overlap = client.patch(location, slice(data, 5, 15), "Content-Type", OCTET, "Content-Range", "5-14");
        assertStatus(416, overlap);
        assertHeader("0-19", overlap, "Range");

        // nothing of the rejected chunks was kept, and the session goes on
        ApiResponse status = client.get(location);
        assertStatus(204, status);
        assertHeader("0-19", status, "Range");
        location = assertChunkAccepted(
                client.patch(location, slice(data, 20, 40), "Content-Type", OCTET, "Content-Range", "20-39"), 40, null);
        assertStatus(201, client.put(withDigest(location, digest), new byte[0]));
        assertBlob(repo, digest, data);
    }

    @Test
    void firstChunkMustStartAtZero() throws Exception {
        String repo = repo("up");
        String location = client.newUpload(repo);
        ApiResponse response = client.patch(location, Digests.randomBytes(10), "Content-Type", OCTET,
                "Content-Range", "5-14");
        assertStatus(416, response);
        assertHeader("0-0", response, "Range");
        ApiResponse status = client.get(location);
        assertStatus(204, status);
        assertHeader("0-0", status, "Range");
    }

    @Test
    void contentLengthNotMatchingContentRangeIsRejected() throws Exception {
        String repo = repo("up");
        String location = client.newUpload(repo);
        ApiResponse response = client.patch(location, Digests.randomBytes(5), "Content-Type", OCTET,
                "Content-Range", "0-9");
        assertStatusIn(response, 400, 416);
        ApiResponse status = client.get(location);
        if (status.status() == 204) {
            assertHeader("0-0", status, "Range");
        } else {
            assertError(status, 404, "BLOB_UPLOAD_UNKNOWN");
        }
    }

    @Test
    void putCarriesTheFinalChunkWithoutContentRange() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(1000);
        String digest = Digests.sha256(data);
        String location = client.newUpload(repo);
        location = assertChunkAccepted(client.sendStreaming("PATCH", location,
                () -> new ByteArrayInputStream(data, 0, 500), "Content-Type", OCTET), 500, null);
        ApiResponse put = client.put(withDigest(location, digest), slice(data, 500, 1000), "Content-Type", OCTET);
        assertStatus(201, put);
        assertHeader(digest, put, "Docker-Content-Digest");
        assertEquals("/v2/" + repo + "/blobs/" + digest, path(client.location(put)));
        assertBlob(repo, digest, data);
    }

    @Test
    void cancelledUploadIsGone() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(100);
        String location = client.newUpload(repo);
        location = assertChunkAccepted(client.patch(location, data, "Content-Type", OCTET), 100, null);

        ApiResponse cancel = client.delete(location);
        assertStatus(204, cancel);

        assertError(client.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.patch(location, data, "Content-Type", OCTET), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.put(withDigest(location, Digests.sha256(data)), new byte[0]), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.delete(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertNoBlob(repo, Digests.sha256(data));
    }

    @Test
    void completedUploadIsGone() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(100);
        String digest = Digests.sha256(data);
        String location = client.newUpload(repo);
        assertStatus(201, client.put(withDigest(location, digest), data, "Content-Type", OCTET));
        assertError(client.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.patch(location, data, "Content-Type", OCTET), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "PATCH", "PUT", "DELETE"})
    void unknownUploadIdIs404(String method) throws Exception {
        String repo = repo("up");
        client.pushBlob(repo, Digests.randomBytes(10)); // the repository exists
        String url = "/v2/" + repo + "/blobs/uploads/" + UUID.randomUUID();
        byte[] body = method.equals("PATCH") || method.equals("PUT") ? Digests.randomBytes(10) : null;
        String target = method.equals("PUT") ? withDigest(url, Digests.sha256(body)) : url;
        ApiResponse response = client.send(method, target, body, "Content-Type", OCTET);
        assertError(response, 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void uploadIdOfAnotherRepositoryIsUnknownHere() throws Exception {
        String a = repo("up-a");
        String b = repo("up-b");
        client.pushBlob(b, Digests.randomBytes(10));
        String location = client.newUpload(a);
        String elsewhere = location.replace("/v2/" + a + "/", "/v2/" + b + "/");
        ApiResponse response = client.patch(elsewhere, Digests.randomBytes(10), "Content-Type", OCTET);
        assertError(response, 404, "BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID");
        // the session in a is unharmed
        ApiResponse status = client.get(location);
        assertStatus(204, status);
        assertHeader("0-0", status, "Range");
    }

    @Test
    void sha512DigestsWork() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(5000);
        String sha512 = Digests.sha512(data);
        String location = client.newUpload(repo);
        ApiResponse put = client.put(withDigest(location, sha512), data, "Content-Type", OCTET);
        assertStatus(201, put);
        String canonical = put.header("Docker-Content-Digest");
        assertTrue(sha512.equals(canonical) || Digests.sha256(data).equals(canonical),
                () -> "Docker-Content-Digest should be the sha512 digest (or the canonical sha256): " + put);

        ApiResponse get = client.get("/v2/" + repo + "/blobs/" + sha512);
        assertStatus(200, get);
        assertBody(data, get);
        assertTrue(Digests.matches(get.header("Docker-Content-Digest"), data),
                () -> "Docker-Content-Digest must be a digest of the body: " + get);
        ApiResponse head = client.head("/v2/" + repo + "/blobs/" + sha512);
        assertStatus(200, head);
        assertHeader("5000", head, "Content-Length");
    }

    @Test
    void sha512ChunkedUpload() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(3000);
        String sha512 = Digests.sha512(data);
        String location = client.newUpload(repo);
        location = assertChunkAccepted(client.patch(location, slice(data, 0, 1000), "Content-Type", OCTET,
                "Content-Range", "0-999"), 1000, null);
        location = assertChunkAccepted(client.patch(location, slice(data, 1000, 3000), "Content-Type", OCTET,
                "Content-Range", "1000-2999"), 3000, null);
        assertStatus(201, client.put(withDigest(location, sha512), new byte[0]));
        assertBlob(repo, sha512, data);
    }

    @Test
    void sha512MonolithicPost() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(700);
        String sha512 = Digests.sha512(data);
        ApiResponse post = client.post(withDigest("/v2/" + repo + "/blobs/uploads/", sha512), data,
                "Content-Type", OCTET);
        assertStatus(201, post);
        assertBlob(repo, sha512, data);
    }

    @Test
    void digestMismatchIsRejectedAndNothingIsStored() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(1000);
        byte[] other = Digests.randomBytes(1000);
        String claimed = Digests.sha256(other);
        String location = client.newUpload(repo);
        ApiResponse put = client.put(withDigest(location, claimed), data, "Content-Type", OCTET);
        assertError(put, 400, "DIGEST_INVALID");
        assertNoBlob(repo, claimed);
        assertNoBlob(repo, Digests.sha256(data));
    }

    @Test
    void digestMismatchAfterChunksIsRejected() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(1000);
        String claimed = Digests.randomSha256();
        String location = client.newUpload(repo);
        location = assertChunkAccepted(client.patch(location, data, "Content-Type", OCTET), 1000, null);
        assertError(client.put(withDigest(location, claimed), new byte[0]), 400, "DIGEST_INVALID");
        assertNoBlob(repo, claimed);
        assertNoBlob(repo, Digests.sha256(data));
    }

    @Test
    void sha512MismatchIsRejected() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(1000);
        String claimed = Digests.random("sha512");
        String location = client.newUpload(repo);
        assertError(client.put(withDigest(location, claimed), data, "Content-Type", OCTET), 400, "DIGEST_INVALID");
        assertNoBlob(repo, claimed);
        assertNoBlob(repo, Digests.sha256(data));
    }

    @Test
    void monolithicPostWithWrongDigestIsRejected() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(1000);
        String claimed = Digests.randomSha256();
        ApiResponse post = client.post(withDigest("/v2/" + repo + "/blobs/uploads/", claimed), data,
                "Content-Type", OCTET);
        assertError(post, 400, "DIGEST_INVALID");
        assertNoBlob(repo, claimed);
        assertNoBlob(repo, Digests.sha256(data));
    }

    @Test
    void putWithoutDigestIsRejected() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(100);
        String location = client.newUpload(repo);
        ApiResponse put = client.put(location, data, "Content-Type", OCTET);
        assertError(put, 400, "DIGEST_INVALID");
        assertNoBlob(repo, Digests.sha256(data));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "sha256:xyz",
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
            "sha256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha256",
            "sha256:",
            ":0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "sha512:0123456789abcdef",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})
    void malformedDigestIsRejected(String digest) throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(100);
        String location = client.newUpload(repo);
        ApiResponse put = client.put(withDigest(location, digest), data, "Content-Type", OCTET);
        assertError(put, 400, "DIGEST_INVALID");
        assertNoBlob(repo, Digests.sha256(data));
    }

    @Test
    void truncatedPutBodyDoesNotCreateTheBlob() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(1000);
        byte[] half = slice(data, 0, 500);
        // the digest of what actually arrives: a server that takes the short body as complete would accept it
        String halfDigest = Digests.sha256(half);
        URI u = client.uri(client.newUpload(repo));
        String target = u.getRawPath() + "?" + (u.getRawQuery() == null ? "" : u.getRawQuery() + "&")
                + "digest=" + halfDigest;
        ApiResponse response = client.raw().request("PUT", target)
                .header("Content-Type", OCTET)
                .header("Content-Length", "1000")
                .sendTruncated(half);
        if (response != null) {
            assertFalse(response.status() >= 200 && response.status() < 300,
                    () -> "a truncated body was accepted: " + response);
        }
        Thread.sleep(500);
        assertNoBlob(repo, halfDigest);
        assertNoBlob(repo, Digests.sha256(data));
    }

    @Test
    void truncatedMonolithicPostDoesNotCreateTheBlob() throws Exception {
        String repo = repo("up");
        client.pushBlob(repo, Digests.randomBytes(10));
        byte[] data = Digests.randomBytes(1000);
        byte[] half = slice(data, 0, 500);
        String halfDigest = Digests.sha256(half);
        ApiResponse response = client.raw().request("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + halfDigest)
                .header("Content-Type", OCTET)
                .header("Content-Length", "1000")
                .sendTruncated(half);
        if (response != null) {
            assertFalse(response.status() == 201, () -> "a truncated body was accepted: " + response);
        }
        Thread.sleep(500);
        assertNoBlob(repo, halfDigest);
        assertNoBlob(repo, Digests.sha256(data));
    }

    @Test
    void truncatedPatchThenPutDoesNotCreateTheFullBlob() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(1000);
        String location = client.newUpload(repo);
        URI u = client.uri(location);
        String target = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        ApiResponse response = client.raw().request("PATCH", target)
                .header("Content-Type", OCTET)
                .header("Content-Length", "1000")
                .sendTruncated(slice(data, 0, 500));
        if (response != null) {
            assertFalse(response.status() == 202 && "0-999".equals(response.header("Range")),
                    () -> "a truncated chunk was taken as whole: " + response);
        }
        Thread.sleep(500);
        ApiResponse put = client.put(withDigest(location, Digests.sha256(data)), new byte[0]);
        assertFalse(put.status() == 201, () -> "a blob was made from a truncated chunk: " + put);
        assertNoBlob(repo, Digests.sha256(data));
    }

    @Test
    void crossRepositoryMountOfAKnownBlob() throws Exception {
        String from = repo("mount-src");
        String to = repo("mount-dst");
        byte[] data = Digests.randomBytes(1234);
        String digest = client.pushBlob(from, data);
        ApiResponse mount = client.post("/v2/" + to + "/blobs/uploads/?mount=" + digest + "&from=" + from, new byte[0]);
        assertStatus(201, mount);
        assertEquals("/v2/" + to + "/blobs/" + digest, path(client.location(mount)));
        assertHeader(digest, mount, "Docker-Content-Digest");
        assertBlob(to, digest, data);
        assertBlob(from, digest, data);
    }

    @Test
    void mountOfABlobNotInTheSourceStartsAnUpload() throws Exception {
        String from = repo("mount-src");
        String to = repo("mount-dst");
        client.pushBlob(from, Digests.randomBytes(10));
        byte[] data = Digests.randomBytes(500);
        String digest = Digests.sha256(data);
        ApiResponse mount = client.post("/v2/" + to + "/blobs/uploads/?mount=" + digest + "&from=" + from, new byte[0]);
        assertStatus(202, mount);
        assertNotNull(mount.header("Docker-Upload-UUID"), () -> "fallback session without UUID: " + mount);
        String location = client.location(mount);
        assertTrue(path(location).startsWith("/v2/" + to + "/blobs/uploads/"), () -> "Location: " + location);
        assertNoBlob(to, digest);
        assertStatus(201, client.put(withDigest(location, digest), data, "Content-Type", OCTET));
        assertBlob(to, digest, data);
    }

    @Test
    void mountDoesNotLeakABlobFromAnotherRepository() throws Exception {
        String owner = repo("mount-owner");
        String from = repo("mount-src");
        String to = repo("mount-dst");
        byte[] data = Digests.randomBytes(500);
        String digest = client.pushBlob(owner, data);
        client.pushBlob(from, Digests.randomBytes(10));
        // the blob is in the registry, but not in "from"
        ApiResponse mount = client.post("/v2/" + to + "/blobs/uploads/?mount=" + digest + "&from=" + from, new byte[0]);
        assertStatus(202, mount);
        assertNoBlob(to, digest);
    }

    @Test
    void mountFromAnUnknownRepositoryStartsAnUpload() throws Exception {
        String to = repo("mount-dst");
        String digest = Digests.randomSha256();
        ApiResponse mount = client.post("/v2/" + to + "/blobs/uploads/?mount=" + digest + "&from=" + repo("nothere"),
                new byte[0]);
        assertStatus(202, mount);
        assertNotNull(mount.header("Location"));
        assertNoBlob(to, digest);
    }

    /** distribution-spec 1.1: a mount without {@code from} links a blob another repository holds. */
    @Test
    void mountWithoutFromLinksABlobAnotherRepositoryHolds() throws Exception {
        assumeTrue(registry.registryKind() != TestRegistry.Kind.DOCKER_REGISTRY, "registry:2 ignores a mount without from");
        Image image = pushImage(repo("automount-src"), "v1");
        String to = repo("automount-dst");
        String digest = image.layer().digest();
        ApiResponse mount = client.post("/v2/" + to + "/blobs/uploads/?mount=" + digest, new byte[0]);
        assertStatus(201, mount);
        assertEquals("/v2/" + to + "/blobs/" + digest, path(client.location(mount)));
        assertHeader(digest, mount, "Docker-Content-Digest");
        ApiResponse blob = client.get("/v2/" + to + "/blobs/" + digest);
        assertStatus(200, blob);
        assertEquals(digest, Digests.sha256(blob.body()));
        // again, now that the target links it
        assertStatus(201, client.post("/v2/" + to + "/blobs/uploads/?mount=" + digest, new byte[0]));
    }

    @Test
    void mountWithoutFromOfAnUnknownBlobStartsAnUpload() throws Exception {
        String to = repo("automount-dst");
        String digest = Digests.randomSha256();
        ApiResponse mount = client.post("/v2/" + to + "/blobs/uploads/?mount=" + digest, new byte[0]);
        assertStatus(202, mount);
        assertNotNull(mount.header("Docker-Upload-UUID"), () -> "fallback session without UUID: " + mount);
        byte[] data = Digests.randomBytes(100);
        String location = client.location(mount);
        assertStatus(201, client.put(withDigest(location, Digests.sha256(data)), data, "Content-Type", OCTET));
        assertNoBlob(to, digest);
        assertBlob(to, Digests.sha256(data), data);
    }

    @Test
    void mountWithMalformedDigestDoesNotMount() throws Exception {
        String from = repo("mount-src");
        String to = repo("mount-dst");
        client.pushBlob(from, Digests.randomBytes(10));
        ApiResponse mount = client.post("/v2/" + to + "/blobs/uploads/?mount=sha256:nothex&from=" + from, new byte[0]);
        assertStatusIn(mount, 202, 400);
        if (mount.status() == 400) {
            Asserts.assertErrorBody(mount, "DIGEST_INVALID");
        }
    }

    @Test
    void pushingAnExistingBlobAgainSucceeds() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(100);
        String digest = client.pushBlob(repo, data);
        assertEquals(digest, client.pushBlob(repo, data));
        assertBlob(repo, digest, data);
    }

    @Test
    void emptyPatchKeepsTheOffset() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(10);
        String location = client.newUpload(repo);
        location = assertChunkAccepted(client.patch(location, data, "Content-Type", OCTET), 10, null);
        ApiResponse empty = client.patch(location, new byte[0], "Content-Type", OCTET);
        assertStatus(202, empty);
        assertHeader("0-9", empty, "Range");
        assertStatus(201, client.put(withDigest(client.location(empty), Digests.sha256(data)), new byte[0]));
        assertBlob(repo, Digests.sha256(data), data);
    }
    @Test
    void finalPutWithContentRangeMustContinueAtTheOffset() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(30);
        String digest = Digests.sha256(data);
        String location = client.newUpload(repo);
        location = assertChunkAccepted(client.patch(location, slice(data, 0, 10), "Content-Type", OCTET,
                "Content-Range", "0-9"), 10, null);
        // the digest of what a server ignoring Content-Range would assemble: it must not be accepted
        byte[] blind = new byte[25];
        System.arraycopy(data, 0, blind, 0, 10);
        System.arraycopy(data, 15, blind, 10, 15);
        ApiResponse gap = client.put(withDigest(location, Digests.sha256(blind)), slice(data, 15, 30),
                "Content-Type", OCTET, "Content-Range", "15-29");
        assertStatusIn(gap, 400, 416);
        assertNoBlob(repo, Digests.sha256(blind));
        assertNoBlob(repo, digest);
    }

    @Test
    void streamedMonolithicPut() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(150_000);
        String digest = Digests.sha256(data);
        String location = client.newUpload(repo);
        ApiResponse put = client.sendStreaming("PUT", withDigest(location, digest), () -> new ByteArrayInputStream(data),
                "Content-Type", OCTET);
        assertStatus(201, put);
        assertHeader(digest, put, "Docker-Content-Digest");
        assertBlob(repo, digest, data);
    }

    @Test
    void streamedMonolithicPost() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(150_000);
        String digest = Digests.sha256(data);
        ApiResponse post = client.sendStreaming("POST", withDigest("/v2/" + repo + "/blobs/uploads/", digest),
                () -> new ByteArrayInputStream(data), "Content-Type", OCTET);
        assertStatus(201, post);
        assertHeader(digest, post, "Docker-Content-Digest");
        assertBlob(repo, digest, data);
    }

    @Test
    void emptyBlobByMonolithicPost() throws Exception {
        String repo = repo("up");
        String digest = Digests.sha256(new byte[0]);
        ApiResponse post = client.post(withDigest("/v2/" + repo + "/blobs/uploads/", digest), new byte[0],
                "Content-Type", OCTET);
        assertStatus(201, post);
        ApiResponse get = client.get("/v2/" + repo + "/blobs/" + digest);
        assertStatus(200, get);
        assertEquals(0, get.body().length);
    }

    @Test
    void patchWithoutContentType() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(100);
        String location = client.newUpload(repo);
        location = assertChunkAccepted(client.patch(location, data), 100, null);
        assertStatus(201, client.put(withDigest(location, Digests.sha256(data)), new byte[0]));
        assertBlob(repo, Digests.sha256(data), data);
    }

    @Test
    void interleavedSessionsAreIndependent() throws Exception {
        String repo = repo("up");
        byte[] a = Digests.randomBytes(2000);
        byte[] b = Digests.randomBytes(3000);
        String la = client.newUpload(repo);
        String lb = client.newUpload(repo);
        la = assertChunkAccepted(client.patch(la, slice(a, 0, 1000), "Content-Type", OCTET, "Content-Range", "0-999"), 1000, null);
        lb = assertChunkAccepted(client.patch(lb, slice(b, 0, 1500), "Content-Type", OCTET, "Content-Range", "0-1499"), 1500, null);
        la = assertChunkAccepted(client.patch(la, slice(a, 1000, 2000), "Content-Type", OCTET, "Content-Range", "1000-1999"), 2000, null);
        lb = assertChunkAccepted(client.patch(lb, slice(b, 1500, 3000), "Content-Type", OCTET, "Content-Range", "1500-2999"), 3000, null);
        assertStatus(201, client.put(withDigest(lb, Digests.sha256(b)), new byte[0]));
        assertStatus(201, client.put(withDigest(la, Digests.sha256(a)), new byte[0]));
        assertBlob(repo, Digests.sha256(a), a);
        assertBlob(repo, Digests.sha256(b), b);
    }

    @Test
    void manySmallChunks() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(64 * 37);
        String location = client.newUpload(repo);
        for (int offset = 0; offset < data.length; offset += 64) {
            location = assertChunkAccepted(client.patch(location, slice(data, offset, offset + 64), "Content-Type", OCTET,
                    "Content-Range", offset + "-" + (offset + 63)), offset + 64, null);
        }
        assertStatus(201, client.put(withDigest(location, Digests.sha256(data)), new byte[0]));
        assertBlob(repo, Digests.sha256(data), data);
    }

    @Test
    void mountOfADeletedBlobStartsAnUpload() throws Exception {
        String from = repo("mount-src");
        String to = repo("mount-dst");
        byte[] data = Digests.randomBytes(300);
        String digest = client.pushBlob(from, data);
        client.pushBlob(from, Digests.randomBytes(10));
        assertStatus(202, client.delete("/v2/" + from + "/blobs/" + digest));
        ApiResponse mount = client.post("/v2/" + to + "/blobs/uploads/?mount=" + digest + "&from=" + from, new byte[0]);
        assertStatus(202, mount);
        assertNoBlob(to, digest);
    }

    @Test
    void mountIntoTheSameRepository() throws Exception {
        String repo = repo("mount-self");
        byte[] data = Digests.randomBytes(300);
        String digest = client.pushBlob(repo, data);
        ApiResponse mount = client.post("/v2/" + repo + "/blobs/uploads/?mount=" + digest + "&from=" + repo, new byte[0]);
        assertStatus(201, mount);
        assertBlob(repo, digest, data);
    }

    @Test
    void sessionStatusReportsProgressAfterEachChunk() throws Exception {
        String repo = repo("up");
        byte[] data = Digests.randomBytes(500);
        ApiResponse start = client.startUpload(repo);
        String uuid = start.header("Docker-Upload-UUID");
        String location = client.location(start);
        for (int i = 0; i < 5; i++) {
            location = assertChunkAccepted(client.patch(location, slice(data, i * 100, i * 100 + 100),
                    "Content-Type", OCTET), (i + 1) * 100, uuid);
            ApiResponse status = client.get(location);
            assertStatus(204, status);
            assertHeader("0-" + ((i + 1) * 100 - 1), status, "Range");
            assertHeader(uuid, status, "Docker-Upload-UUID");
        }
    }

    @Test
    void mountFromAParentNameDoesNotReachTheChild() throws Exception {
        String parent = repo("mount-parent");
        String child = parent + "/child";
        String to = repo("mount-dst");
        byte[] data = Digests.randomBytes(300);
        String digest = client.pushBlob(child, data);
        client.pushBlob(parent, Digests.randomBytes(10));
        ApiResponse mount = client.post("/v2/" + to + "/blobs/uploads/?mount=" + digest + "&from=" + parent, new byte[0]);
        assertStatus(202, mount);
        assertNoBlob(to, digest);
        assertNoBlob(parent, digest);
    }
}
