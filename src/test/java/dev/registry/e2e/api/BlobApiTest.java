package dev.registry.e2e.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static dev.registry.e2e.api.Asserts.assertBody;
import static dev.registry.e2e.api.Asserts.assertError;
import static dev.registry.e2e.api.Asserts.assertHeader;
import static dev.registry.e2e.api.Asserts.assertStatus;
import static dev.registry.e2e.api.Asserts.assertStatusIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** end-2 and end-10: fetching, checking and deleting blobs, with range requests. */
class BlobApiTest extends ApiTestBase {
    private static final int SIZE = 1000;

    private String pushed(String repo, byte[] data) throws Exception {
        return client.pushBlob(repo, data);
    }

    @Test
    void getReturnsTheBytesWithDigestLengthTypeAndEtag() throws Exception {
        String repo = repo("blob");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(repo, data);

        ApiResponse response = client.get("/v2/" + repo + "/blobs/" + digest);
        assertStatus(200, response);
        assertBody(data, response);
        assertHeader(digest, response, "Docker-Content-Digest");
        assertHeader(String.valueOf(SIZE), response, "Content-Length");
        assertEquals("application/octet-stream", response.mediaType(), () -> "Content-Type of " + response);
        assertHeader("\"" + digest + "\"", response, "ETag");
    }

    @Test
    void headReturnsHeadersWithoutBody() throws Exception {
        String repo = repo("blob");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(repo, data);

        ApiResponse response = client.head("/v2/" + repo + "/blobs/" + digest);
        assertStatus(200, response);
        assertEquals(0, response.body().length);
        assertHeader(digest, response, "Docker-Content-Digest");
        assertHeader(String.valueOf(SIZE), response, "Content-Length");
        assertEquals("application/octet-stream", response.mediaType(), () -> "Content-Type of " + response);
        assertHeader("\"" + digest + "\"", response, "ETag");
    }

    @Test
    void headOverRawSocketHasNoBody() throws Exception {
        String repo = repo("blob");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(repo, data);
        // the raw reader reads to end of stream after HEAD headers: a body sent anyway would show
        ApiResponse response = client.raw().request("HEAD", "/v2/" + repo + "/blobs/" + digest).send();
        assertStatus(200, response);
        assertHeader(String.valueOf(SIZE), response, "Content-Length");
        ApiResponse next = client.raw().request("GET", "/v2/" + repo + "/blobs/" + digest).send();
        assertBody(data, next);
    }

    @Test
    void emptyBlobCanBeStoredAndFetched() throws Exception {
        String repo = repo("blob");
        String digest = pushed(repo, new byte[0]);
        assertEquals("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", digest);
        ApiResponse response = client.get("/v2/" + repo + "/blobs/" + digest);
        assertStatus(200, response);
        assertEquals(0, response.body().length);
        assertHeader("0", response, "Content-Length");
        assertHeader(digest, response, "Docker-Content-Digest");
    }

    @Test
    void rangeRequestReturnsExactlyThoseBytes() throws Exception {
        String repo = repo("blob");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(repo, data);

        ApiResponse response = client.get("/v2/" + repo + "/blobs/" + digest, "Range", "bytes=10-109");
        assertStatus(206, response);
        assertHeader("bytes 10-109/" + SIZE, response, "Content-Range");
        assertHeader("100", response, "Content-Length");
        assertBody(Arrays.copyOfRange(data, 10, 110), response);
    }

    @Test
    void singleByteRange() throws Exception {
        String repo = repo("blob");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(repo, data);

        ApiResponse response = client.get("/v2/" + repo + "/blobs/" + digest, "Range", "bytes=0-0");
        assertStatus(206, response);
        assertHeader("bytes 0-0/" + SIZE, response, "Content-Range");
        assertBody(new byte[] {data[0]}, response);
    }

    @Test
    void openEndedRangeRunsToTheEnd() throws Exception {
        String repo = repo("blob");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(repo, data);

        ApiResponse response = client.get("/v2/" + repo + "/blobs/" + digest, "Range", "bytes=900-");
        assertStatus(206, response);
        assertHeader("bytes 900-999/" + SIZE, response, "Content-Range");
        assertBody(Arrays.copyOfRange(data, 900, SIZE), response);
    }

    @Test
    void suffixRangeReturnsTheLastBytes() throws Exception {
        String repo = repo("blob");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(repo, data);

        ApiResponse response = client.get("/v2/" + repo + "/blobs/" + digest, "Range", "bytes=-25");
        assertStatus(206, response);
        assertHeader("bytes 975-999/" + SIZE, response, "Content-Range");
        assertBody(Arrays.copyOfRange(data, 975, SIZE), response);
    }

    @Test
    void rangeEndBeyondSizeIsClamped() throws Exception {
        String repo = repo("blob");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(repo, data);

        ApiResponse response = client.get("/v2/" + repo + "/blobs/" + digest, "Range", "bytes=990-5000");
        assertStatus(206, response);
        assertHeader("bytes 990-999/" + SIZE, response, "Content-Range");
        assertBody(Arrays.copyOfRange(data, 990, SIZE), response);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=1000-", "bytes=1000-1005", "bytes=5000-6000"})
    void unsatisfiableRangeIs416(String range) throws Exception {
        String repo = repo("blob");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(repo, data);

        // raw socket: the reference server sends a 416 whose Content-Length is the blob's, not its own
        ApiResponse response = client.raw().request("GET", "/v2/" + repo + "/blobs/" + digest)
                .header("Range", range).send();
        assertStatus(416, response);
        String contentRange = response.header("Content-Range");
        if (contentRange != null) {
            assertEquals("bytes */" + SIZE, contentRange, () -> "Content-Range of a 416: " + response);
        }
    }

    @Test
    void unknownBlobIs404BlobUnknown() throws Exception {
        String repo = repo("blob");
        pushed(repo, Digests.randomBytes(10));
        assertError(client.get("/v2/" + repo + "/blobs/" + Digests.randomSha256()), 404, "BLOB_UNKNOWN");
        assertStatus(404, client.head("/v2/" + repo + "/blobs/" + Digests.randomSha256()));
    }

    @Test
    void unknownSha512BlobIs404BlobUnknown() throws Exception {
        String repo = repo("blob");
        pushed(repo, Digests.randomBytes(10));
        assertError(client.get("/v2/" + repo + "/blobs/" + Digests.random("sha512")), 404, "BLOB_UNKNOWN");
    }

    @Test
    void blobInUnknownRepositoryIs404() throws Exception {
        ApiResponse response = client.get("/v2/" + repo("nothere") + "/blobs/" + Digests.randomSha256());
        assertError(response, 404, "BLOB_UNKNOWN", "NAME_UNKNOWN");
    }

    @Test
    void blobsAreScopedToTheRepositoryTheyWerePushedTo() throws Exception {
        String a = repo("blob-a");
        String b = repo("blob-b");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(a, data);
        pushed(b, Digests.randomBytes(10)); // b exists, but has not got this blob

        assertStatus(200, client.head("/v2/" + a + "/blobs/" + digest));
        assertError(client.get("/v2/" + b + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
        assertStatus(404, client.head("/v2/" + b + "/blobs/" + digest));
    }

    @Test
    void deleteRemovesTheBlob() throws Exception {
        String repo = repo("blob");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(repo, data);

        ApiResponse delete = client.delete("/v2/" + repo + "/blobs/" + digest);
        assertStatus(202, delete);
        assertError(client.get("/v2/" + repo + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
        assertStatus(404, client.head("/v2/" + repo + "/blobs/" + digest));
        assertError(client.delete("/v2/" + repo + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void deletingFromOneRepositoryLeavesOtherRepositoriesAlone() throws Exception {
        String a = repo("blob-a");
        String b = repo("blob-b");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(a, data);
        assertEquals(digest, pushed(b, data));

        assertStatus(202, client.delete("/v2/" + a + "/blobs/" + digest));
        assertStatus(404, client.head("/v2/" + a + "/blobs/" + digest));
        ApiResponse stillThere = client.get("/v2/" + b + "/blobs/" + digest);
        assertStatus(200, stillThere);
        assertBody(data, stillThere);
    }

    @Test
    void deleteUnknownBlobIs404() throws Exception {
        String repo = repo("blob");
        pushed(repo, Digests.randomBytes(10));
        assertError(client.delete("/v2/" + repo + "/blobs/" + Digests.randomSha256()), 404, "BLOB_UNKNOWN");
    }

    @Test
    void blobCanBePushedAgainAfterDelete() throws Exception {
        String repo = repo("blob");
        byte[] data = Digests.randomBytes(SIZE);
        String digest = pushed(repo, data);
        assertStatus(202, client.delete("/v2/" + repo + "/blobs/" + digest));
        assertEquals(digest, pushed(repo, data));
        ApiResponse response = client.get("/v2/" + repo + "/blobs/" + digest);
        assertStatus(200, response);
        assertBody(data, response);
    }

    @Test
    void largeBlobRoundTrips() throws Exception {
        String repo = repo("blob");
        byte[] data = Digests.randomBytes(5 * 1024 * 1024 + 123);
        String digest = pushed(repo, data);
        ApiResponse response = client.get("/v2/" + repo + "/blobs/" + digest);
        assertStatus(200, response);
        assertTrue(Arrays.equals(data, response.body()), "5 MiB blob came back different");
        assertHeader(String.valueOf(data.length), response, "Content-Length");
        ApiResponse tail = client.get("/v2/" + repo + "/blobs/" + digest, "Range", "bytes=" + (data.length - 10) + "-");
        assertStatus(206, tail);
        assertBody(Arrays.copyOfRange(data, data.length - 10, data.length), tail);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sha256:xyz", "sha256:abc", "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"})
    void malformedDigestInPathIsRejected(String digest) throws Exception {
        String repo = repo("blob");
        pushed(repo, Digests.randomBytes(10));
        ApiResponse response = client.get("/v2/" + repo + "/blobs/" + digest);
        assertStatusIn(response, 400, 404);
        Asserts.assertErrorBody(response, "DIGEST_INVALID", "BLOB_UNKNOWN");
    }
}
