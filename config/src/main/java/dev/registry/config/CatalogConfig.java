package dev.registry.config;

/**
 * {@code catalog.*}.
 *
 * @param maxEntries {@code catalog.maxentries}: the largest page {@code /v2/_catalog} returns,
 *                   whatever {@code n} asks for (default {@code 1000})
 */
public record CatalogConfig(int maxEntries) {
    /** registry:2's default page limit. */
    public static final int DEFAULT_MAX_ENTRIES = 1000;

    /** {@code maxentries} {@value #DEFAULT_MAX_ENTRIES}. */
    public static CatalogConfig defaults() {
        return new CatalogConfig(DEFAULT_MAX_ENTRIES);
    }
}
