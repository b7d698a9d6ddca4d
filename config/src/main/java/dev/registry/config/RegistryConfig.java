package dev.registry.config;

/**
 * The whole, validated configuration of one registry process.
 *
 * <p>Loaded by {@link ConfigLoader} from a YAML file in CNCF Distribution's {@code config.yml}
 * key tree, with {@code REGISTRY_*} environment overrides applied on top. Every field is
 * non-null once loaded; defaults match {@code registry:2}.
 *
 * @param auth {@code auth.*}; {@link AuthConfig#NONE} when not configured
 * @param health {@code health.*}: the checks behind {@code /debug/health}; {@link HealthConfig#DEFAULTS}
 *               when not configured
 * @param notifications {@code notifications.*}; {@link NotificationsConfig#NONE} when not configured
 * @param proxy {@code proxy.*}, the pull-through mirror; {@link ProxyConfig#NONE} when not configured
 */
public record RegistryConfig(
        String version,
        LogConfig log,
        HttpConfig http,
        StorageConfig storage,
        CatalogConfig catalog,
        AuthConfig auth,
        HealthConfig health,
        NotificationsConfig notifications,

        ProxyConfig proxy) {
}
