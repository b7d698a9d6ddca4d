package dev.registry.e2e.clients;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Checks shared by the client tests. */
public final class E2eAssertions {
    private E2eAssertions() {
    }

    /** Test code that may throw anything. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body}; if it fails, the tail of the registry's log is attached to the failure. */
    public static void withServerLog(RegistryUnderTest registry, Body body) throws Exception {
        try {
            body.run();
        } catch (Throwable failure) {
            String log = registry.output();
            int max = 8_000;
            failure.addSuppressed(new AssertionError("log of " + registry + " (last " + max + " chars):\n"
                    + (log.length() > max ? log.substring(log.length() - max) : log)));
            throw failure;
        }
    }

    /** Every blob in {@code digests} exists in {@code actual} with the same bytes as in {@code expected}. */
    public static void assertSameBlobs(Path expected, Path actual, Collection<String> digests) throws Exception {
        for (String digest : digests) {
            Path copy = OciLayoutBuilder.blobPath(actual, digest);
            assertTrue(Files.isRegularFile(copy), () -> "blob " + digest + " missing from " + actual);
            assertArrayEquals(OciLayoutBuilder.readBlob(expected, digest), Files.readAllBytes(copy),
                    () -> "blob " + digest + " differs between " + expected + " and " + actual);
        }
    }

    /** {@code layout} names {@code image} {@code tag} and holds its manifest, config and layers byte for byte. */
    public static void assertImageInLayout(Path layout, String tag, Path source, OciLayoutBuilder.Image image)
            throws Exception {
        JsonNode entry = OciLayoutBuilder.indexEntry(layout, tag);
        assertEquals(image.manifest().digest(), entry.path("digest").asText(), "manifest digest of " + tag + " in " + layout);
        assertEquals(image.manifest().mediaType(), entry.path("mediaType").asText(), "media type of " + tag + " in " + layout);
        assertSameBlobs(source, layout, List.of(image.manifest().digest()));
        assertSameBlobs(source, layout, image.blobDigests());
    }

    /** {@code layout} names {@code index} {@code tag} and holds it and all its images byte for byte. */
    public static void assertIndexInLayout(Path layout, String tag, Path source, OciLayoutBuilder.Index index)
            throws Exception {
        JsonNode entry = OciLayoutBuilder.indexEntry(layout, tag);
        assertEquals(index.descriptor().digest(), entry.path("digest").asText(), "index digest of " + tag + " in " + layout);
        assertEquals(OciLayoutBuilder.OCI_INDEX, entry.path("mediaType").asText(), "media type of " + tag + " in " + layout);
        assertSameBlobs(source, layout, List.of(index.descriptor().digest()));
        for (OciLayoutBuilder.Image image : index.images()) {
            assertSameBlobs(source, layout, List.of(image.manifest().digest()));
            assertSameBlobs(source, layout, image.blobDigests());
        }
    }

    /** A layer's tar stream: {@code layer} gunzipped when it is gzip-compressed, as it is otherwise. */
    public static byte[] layerTar(byte[] layer) throws IOException {
        if (layer.length < 2 || (layer[0] & 0xff) != 0x1f || (layer[1] & 0xff) != 0x8b) {
            return layer;
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(layer))) {
            return in.readAllBytes();
        }
    }

    /** Whether {@code needle} occurs in {@code haystack} (a file's bytes inside a layer's tar stream). */
    public static boolean containsBytes(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
