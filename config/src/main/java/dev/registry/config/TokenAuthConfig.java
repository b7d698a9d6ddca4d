package dev.registry.config;

import java.nio.file.Path;

/**
 * {@code auth.token.*}: accept Bearer JWTs, as registry:2's token authentication does.
 *
 * @param realm {@code auth.token.realm}: absolute URL of the token endpoint, sent in the challenge
 * @param service {@code auth.token.service}: this registry's name; tokens must have it as audience
 * @param issuer {@code auth.token.issuer}: tokens must have it as {@code iss}; with the built-in token
 *               server it defaults to, and must equal, {@link TokenServerConfig#issuer()}
 * @param rootCertBundle {@code auth.token.rootcertbundle}: PEM certificates whose keys may sign tokens,
 *                       directly or through an {@code x5c} chain; {@code null} when not set
 * @param jwks {@code auth.token.jwks}: a JSON Web Key Set file of keys that may sign tokens;
 *             {@code null} when not set
 */
public record TokenAuthConfig(String realm, String service, String issuer, Path rootCertBundle, Path jwks) {
}
