package dev.registry.e2e.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Media types and builders for the manifest formats the registry must store. */
final class Manifests {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    static final byte[] EMPTY_JSON = "{}".getBytes(StandardCharsets.US_ASCII);
    static final Descriptor EMPTY_CONFIG = new Descriptor(OCI_EMPTY, Digests.EMPTY_JSON, 2);

    private Manifests() {
    }

    /** An image config that no other test pushes. */
    static byte[] uniqueConfig() {
        return ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                + "\"config\":{\"Labels\":{\"test.id\":\"" + UUID.randomUUID() + "\"}}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    static byte[] ociManifest(Descriptor config, List<Descriptor> layers) {
        return ociManifest(config, layers, null, null, null);
    }

    static byte[] ociManifest(Descriptor config, List<Descriptor> layers, String artifactType,
                              Descriptor subject, Map<String, String> annotations) {
        ObjectNode m = Json.object();
        m.put("schemaVersion", 2);
        m.put("mediaType", OCI_MANIFEST);
        if (artifactType != null) {
            m.put("artifactType", artifactType);
        }
        m.set("config", config.toJson());
        ArrayNode array = m.putArray("layers");
        layers.forEach(l -> array.add(l.toJson()));
        if (subject != null) {
            m.set("subject", subject.toJson());
        }
        if (annotations != null) {
            ObjectNode a = m.putObject("annotations");
            annotations.forEach(a::put);
        }
        return Json.bytes(m);
    }

    static byte[] dockerManifest(Descriptor config, List<Descriptor> layers) {
        ObjectNode m = Json.object();
        m.put("schemaVersion", 2);
        m.put("mediaType", DOCKER_MANIFEST);
        m.set("config", config.toJson());
        ArrayNode array = m.putArray("layers");
        layers.forEach(l -> array.add(l.toJson()));
        return Json.bytes(m);
    }

    static byte[] ociIndex(List<Descriptor> manifests, String artifactType, Descriptor subject,
                           Map<String, String> annotations) {
        ObjectNode m = Json.object();
        m.put("schemaVersion", 2);
        m.put("mediaType", OCI_INDEX);
        if (artifactType != null) {
            m.put("artifactType", artifactType);
        }
        ArrayNode array = m.putArray("manifests");
        for (int i = 0; i < manifests.size(); i++) {
            ObjectNode d = manifests.get(i).toJson();
            d.set("platform", platform(i));
            array.add(d);
        }
        if (subject != null) {
            m.set("subject", subject.toJson());
        }
        if (annotations != null) {
            ObjectNode a = m.putObject("annotations");
            annotations.forEach(a::put);
        }
        return Json.bytes(m);
    }

    static byte[] dockerList(List<Descriptor> manifests) {
        ObjectNode m = Json.object();
        m.put("schemaVersion", 2);
        m.put("mediaType", DOCKER_LIST);
        ArrayNode array = m.putArray("manifests");
        for (int i = 0; i < manifests.size(); i++) {
            ObjectNode d = manifests.get(i).toJson();
            d.set("platform", platform(i));
            array.add(d);
        }
        return Json.bytes(m);
    }

    private static ObjectNode platform(int i) {
        ObjectNode p = Json.object();
        p.put("architecture", i % 2 == 0 ? "amd64" : "arm64");
        p.put("os", "linux");
        return p;
    }
}
