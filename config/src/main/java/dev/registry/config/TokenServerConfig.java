package dev.registry.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code auth.tokenserver.*}: this registry's own Docker token endpoint. It authenticates users
 * against {@code auth.htpasswd}, grants what {@code auth.access} allows and signs ES256 tokens that
 * {@code auth.token} then accepts without further trust configuration.
 *
 * @param enabled {@code auth.tokenserver.enabled} (default {@code false})
 * @param signingKey {@code auth.tokenserver.signingkey}: PEM file of the EC P-256 signing key,
 *                   generated (mode 0600) when missing; {@code null} when disabled
 * @param expiration {@code auth.tokenserver.expiration}: how long issued tokens are valid
 *                   (default 5 minutes, at least 60 seconds)
 * @param issuer {@code auth.tokenserver.issuer}: the {@code iss} of issued tokens (default
 *               {@value #DEFAULT_ISSUER})
 */
public record TokenServerConfig(boolean enabled, Path signingKey, Duration expiration, String issuer) {
    public static final String DEFAULT_ISSUER = "registry-token-issuer";
    public static final Duration DEFAULT_EXPIRATION = Duration.ofMinutes(5);

    /** No built-in token server. */
    public static final TokenServerConfig DISABLED = new TokenServerConfig(false, null, DEFAULT_EXPIRATION,
            DEFAULT_ISSUER);
}
