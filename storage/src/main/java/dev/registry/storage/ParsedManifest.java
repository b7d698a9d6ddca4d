package dev.registry.storage;

import java.util.List;
import java.util.Map;

/**
 * What the registry needs to know of a manifest: its media type, what it references and the
 * fields the referrers API reports.
 *
 * @param mediaType the manifest's media type, from its {@code mediaType} field or its shape
 * @param blobs config and layer descriptors (image manifests)
 * @param manifests child manifest descriptors (indexes)
 * @param subject the {@code subject} descriptor, or {@code null}
 * @param artifactType {@code artifactType}, else the config media type of an image manifest, else {@code null}
 * @param annotations {@code annotations}, empty when absent
 */
public record ParsedManifest(
        String mediaType,
        List<Descriptor> blobs,
        List<Descriptor> manifests,
        Descriptor subject,
        String artifactType,
        Map<String, String> annotations) {
}
