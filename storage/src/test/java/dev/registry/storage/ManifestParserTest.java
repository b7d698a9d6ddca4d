package dev.registry.storage;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.registry.storage.ManifestServiceTest.descriptor;
import static dev.registry.storage.ManifestServiceTest.image;
import static dev.registry.storage.ManifestServiceTest.index;
import static dev.registry.storage.TestSupport.assertRegistryError;
import static dev.registry.storage.TestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestParserTest {
    static final Digest A = Digest.sha256(utf8("a"));
    static final Digest B = Digest.sha256(utf8("b"));
    static final Digest C = Digest.sha256(utf8("c"));

    @Test
    void imageManifestDescriptors() {
        String json = image(MediaTypes.OCI_MANIFEST, descriptor("application/vnd.oci.image.config.v1+json", A, 10),
                List.of(descriptor("l1", B, 20),
                        "{\"mediaType\":\"l2\",\"digest\":\"" + C + "\",\"size\":30,\"urls\":[\"https://x/y\"],"
                                + "\"annotations\":{\"k\":\"v\"}}"),
                null);
        ParsedManifest m = ManifestParser.parse(utf8(json), null);
        assertEquals(MediaTypes.OCI_MANIFEST, m.mediaType());
        assertEquals(List.of(
                new Descriptor("application/vnd.oci.image.config.v1+json", A, 10, List.of()),
                new Descriptor("l1", B, 20, List.of()),
                new Descriptor("l2", C, 30, List.of("https://x/y"))), m.blobs());
        assertEquals(List.of(), m.manifests());
        assertNull(m.subject());
        assertEquals("application/vnd.oci.image.config.v1+json", m.artifactType());
        assertEquals(Map.of(), m.annotations());
    }

    @Test
    void artifactTypeFieldWinsOverConfigMediaType() {
        String json = image(MediaTypes.OCI_MANIFEST, descriptor("application/vnd.oci.empty.v1+json", A, 2),
                List.of(), "\"artifactType\":\"application/vnd.example+type\",\"annotations\":{\"x\":\"1\",\"y\":\"2\"},"
                        + "\"subject\":" + descriptor(MediaTypes.OCI_MANIFEST, B, 99));
        ParsedManifest m = ManifestParser.parse(utf8(json), MediaTypes.OCI_MANIFEST);
        assertEquals("application/vnd.example+type", m.artifactType());
        assertEquals(Map.of("x", "1", "y", "2"), m.annotations());
        assertEquals(new Descriptor(MediaTypes.OCI_MANIFEST, B, 99, List.of()), m.subject());
    }

    @Test
    void indexHasOnlyItsOwnArtifactType() {
        String json = index(null, List.of(descriptor(MediaTypes.OCI_MANIFEST, A, 5)), null);
        ParsedManifest m = ManifestParser.parse(utf8(json), null);
        assertEquals(MediaTypes.OCI_INDEX, m.mediaType());
        assertEquals(List.of(new Descriptor(MediaTypes.OCI_MANIFEST, A, 5, List.of())), m.manifests());
        assertEquals(List.of(), m.blobs());
        assertNull(m.artifactType());

        String typed = index(MediaTypes.OCI_INDEX, List.of(), "\"artifactType\":\"t\"");
        assertEquals("t", ManifestParser.parse(utf8(typed), null).artifactType());
    }

    @Test
    void emptyIndexIsValid() {
        ParsedManifest m = ManifestParser.parse(utf8(index(MediaTypes.OCI_INDEX, List.of(), null)), MediaTypes.OCI_INDEX);
        assertTrue(m.manifests().isEmpty());
    }

    @Test
    void ociManifestWithoutLayersIsAccepted() {
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":"
                + descriptor("c", A, 1) + "}";
        assertEquals(1, ManifestParser.parse(utf8(json), null).blobs().size());
    }

    @Test
    void dockerManifestRequiresLayers() {
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"config\":"
                + descriptor("c", A, 1) + "}";
        assertRegistryError(ErrorCode.MANIFEST_INVALID, () -> ManifestParser.parse(utf8(json), null));
    }

    @Test
    void errorsNameTheField() {
        String json = image(MediaTypes.OCI_MANIFEST, descriptor("c", A, 1),
                List.of(descriptor("l", B, 1), "{\"mediaType\":\"l\",\"size\":1}"), null);
        RegistryException e = assertRegistryError(ErrorCode.MANIFEST_INVALID, () -> ManifestParser.parse(utf8(json), null));
        assertTrue(e.getMessage().contains("layers[1].digest"), e.getMessage());
    }

    @Test
    void descriptorAnnotationsMustBeStrings() {
        String json = image(MediaTypes.OCI_MANIFEST, descriptor("c", A, 1),
                List.of("{\"mediaType\":\"l\",\"digest\":\"" + B + "\",\"size\":1,\"annotations\":{\"n\":1}}"), null);
        assertRegistryError(ErrorCode.MANIFEST_INVALID, () -> ManifestParser.parse(utf8(json), null));
    }

    @Test
    void hugeSizeIsAcceptedAsLong() {
        String json = image(MediaTypes.OCI_MANIFEST, descriptor("c", A, 1), List.of(descriptor("l", B, 5_000_000_000L)), null);
        assertEquals(5_000_000_000L, ManifestParser.parse(utf8(json), null).blobs().get(1).size());
        String tooBig = image(MediaTypes.OCI_MANIFEST, descriptor("c", A, 1),
                List.of("{\"mediaType\":\"l\",\"digest\":\"" + B + "\",\"size\":123456789012345678901234567890}"), null);
        assertRegistryError(ErrorCode.MANIFEST_INVALID, () -> ManifestParser.parse(utf8(tooBig), null));
    }
}
