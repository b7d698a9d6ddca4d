package dev.registry.storage;

import java.util.Map;

/**
 * One entry of a referrers response: a manifest whose {@code subject} is the asked-for digest.
 *
 * @param mediaType the referrer manifest's media type
 * @param digest the referrer manifest's digest
 * @param size the referrer manifest's size
 * @param artifactType its {@code artifactType}, or its config media type; null if neither
 * @param annotations its annotations; empty when it has none
 */
public record Referrer(String mediaType, Digest digest, long size, String artifactType, Map<String, String> annotations) {
}
