package dev.registry.config;

/**
 * {@code catalog.*}.
 *
 * @param maxEntries {@code catalog.maxentries}: the largest page {@code /v2/_catalog} returns,
 *                   whatever {@code n} asks for (default {@code 1000})
 */
public record CatalogConfig(int maxEntries) {
}
