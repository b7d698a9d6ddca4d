package dev.registry.storage;

import java.util.List;

/**
 * A content descriptor inside a manifest: what it references.
 *
 * @param mediaType the referenced content's media type
 * @param digest the referenced content's digest
 * @param size the referenced content's size in bytes
 * @param urls where a foreign layer can be fetched instead; empty for normal content
 */
public record Descriptor(String mediaType, Digest digest, long size, List<String> urls) {
}
