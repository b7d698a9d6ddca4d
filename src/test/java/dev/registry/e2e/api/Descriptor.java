package dev.registry.e2e.api;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** An OCI content descriptor. */
record Descriptor(String mediaType, String digest, long size) {
    static Descriptor of(String mediaType, byte[] content) {
        return new Descriptor(mediaType, Digests.sha256(content), content.length);
    }

    ObjectNode toJson() {
        ObjectNode node = Json.object();
        node.put("mediaType", mediaType);
        node.put("digest", digest);
        node.put("size", size);
        return node;
    }
}
