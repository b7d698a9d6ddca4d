package dev.registry.storage;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PathLayoutTest {
    private static final String HEX = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    private static final Digest D = Digest.parse("sha256:" + HEX);
    private static final String HEX512 = "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7"
            + "2323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043";
    private static final Digest D512 = Digest.parse("sha512:" + HEX512);
    private static final String SUBJECT_HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final Digest SUBJECT = Digest.parse("sha256:" + SUBJECT_HEX);
    private static final String UUID = "0b3e3b1c-4f6a-4c8e-9d2b-7a1f0e9c8d7b";

    @Test
    void roots() {
        assertEquals("/docker/registry/v2", PathLayout.ROOT);
        assertEquals("/docker/registry/v2/repositories", PathLayout.REPOSITORIES);
    }

    @Test
    void blobPaths() {
        assertEquals("/docker/registry/v2/blobs/sha256/2c/" + HEX + "/data", PathLayout.blobData(D));
        assertEquals("/docker/registry/v2/blobs/sha256/2c/" + HEX, PathLayout.blobDirectory(D));
        assertEquals("/docker/registry/v2/blobs/sha512/9b/" + HEX512 + "/data", PathLayout.blobData(D512));
    }

    @Test
    void repositoryPaths() {
        assertEquals("/docker/registry/v2/repositories/library/ubuntu", PathLayout.repository("library/ubuntu"));
        assertEquals("/docker/registry/v2/repositories/library/ubuntu/_layers/sha256/" + HEX + "/link",
                PathLayout.layerLink("library/ubuntu", D));
        assertEquals("/docker/registry/v2/repositories/library/ubuntu/_layers/sha256/" + HEX,
                PathLayout.layerLinkDirectory("library/ubuntu", D));
        assertEquals("/docker/registry/v2/repositories/a/_layers/sha512/" + HEX512 + "/link",
                PathLayout.layerLink("a", D512));
    }

    @Test
    void manifestPaths() {
        String repo = "/docker/registry/v2/repositories/my/app";
        assertEquals(repo + "/_manifests", PathLayout.manifests("my/app"));
        assertEquals(repo + "/_manifests/revisions/sha256/" + HEX + "/link", PathLayout.manifestRevisionLink("my/app", D));
        assertEquals(repo + "/_manifests/revisions/sha256/" + HEX, PathLayout.manifestRevisionDirectory("my/app", D));
        assertEquals(repo + "/_manifests/tags", PathLayout.tags("my/app"));
        assertEquals(repo + "/_manifests/tags/v1.0", PathLayout.tagDirectory("my/app", "v1.0"));
        assertEquals(repo + "/_manifests/tags/v1.0/current/link", PathLayout.tagCurrentLink("my/app", "v1.0"));
        assertEquals(repo + "/_manifests/tags/v1.0/index/sha256/" + HEX + "/link",
                PathLayout.tagIndexLink("my/app", "v1.0", D));
    }

    @Test
    void uploadPaths() {
        String repo = "/docker/registry/v2/repositories/x";
        assertEquals(repo + "/_uploads", PathLayout.uploads("x"));
        assertEquals(repo + "/_uploads/" + UUID, PathLayout.uploadDirectory("x", UUID));
        assertEquals(repo + "/_uploads/" + UUID + "/data", PathLayout.uploadData("x", UUID));
        assertEquals(repo + "/_uploads/" + UUID + "/startedat", PathLayout.uploadStartedAt("x", UUID));
    }

    @Test
    void referrerPaths() {
        String repo = "/docker/registry/v2/repositories/x";
        assertEquals(repo + "/_referrers/sha256/" + SUBJECT_HEX, PathLayout.referrers("x", SUBJECT));
        assertEquals(repo + "/_referrers/sha256/" + SUBJECT_HEX + "/sha256/" + HEX + "/link",
                PathLayout.referrerLink("x", SUBJECT, D));
    }
}
