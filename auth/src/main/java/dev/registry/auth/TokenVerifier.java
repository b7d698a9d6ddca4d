package dev.registry.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Checks a bearer JWT the way registry:2 does: a signature by a {@link TokenKeys trusted key}
 * with an accepted {@link JwsAlgorithm}, {@code iss} equal to the issuer, {@code aud} (a string or
 * a list) containing the service, and {@code exp}/{@code nbf} with {@value #LEEWAY_SECONDS}
 * seconds of leeway for clock skew.
 */
final class TokenVerifier {
    static final long LEEWAY_SECONDS = 60;
    /** The claim that marks this registry's refresh tokens, which must never pass as access tokens. */
    static final String TOKEN_USE = "token_use";
    static final String REFRESH = "refresh";

    private final TokenKeys keys;
    private final String issuer;
    private final String audience;
    private final Clock clock;

    TokenVerifier(TokenKeys keys, String issuer, String audience, Clock clock) {
        this.keys = keys;
        this.issuer = issuer;
        this.audience = audience;
        this.clock = clock;
    }

    /** Verifies an access token: anything but a refresh token. */
    VerifiedToken verifyAccessToken(String compact) throws InvalidTokenException {
        ObjectNode claims = verify(compact, true);
        if (REFRESH.equals(claims.path(TOKEN_USE).asText(""))) {
            throw new InvalidTokenException("a refresh token cannot be used as an access token");
        }
        return new VerifiedToken(claims.path("sub").asText(""), access(claims.get("access")), claims);
    }

    /**
     * Checks signature, issuer, audience and dates; returns the claims.
     *
     * @param expiryRequired whether a token without {@code exp} is refused (refresh tokens have none)
     */
    ObjectNode verify(String compact, boolean expiryRequired) throws InvalidTokenException {
        Jws jws = Jws.parse(compact);
        JwsAlgorithm algorithm = JwsAlgorithm.named(jws.algorithm()).orElseThrow(() -> new InvalidTokenException(
                "the token's signature algorithm '" + jws.algorithm() + "' is not accepted"));
        if (jws.header().has("crit")) {
            throw new InvalidTokenException("the token header has critical extensions, which are not understood");
        }
        PublicKey key = keys.signingKey(jws.header());
        if (!algorithm.fits(key)) {
            throw new InvalidTokenException("the token's algorithm " + algorithm + " does not fit its signing key");
        }
        if (!algorithm.verify(key, jws.signingInput(), jws.signature())) {
            throw new InvalidTokenException("the token's signature is not valid");
        }
        ObjectNode claims = jws.claims();
        if (!issuer.equals(claims.path("iss").asText(null))) {
            throw new InvalidTokenException("the token is from the issuer '" + claims.path("iss").asText("")
                    + "', not '" + issuer + "'");
        }
        if (!hasAudience(claims.get("aud"))) {
            throw new InvalidTokenException("the token is meant for another service than '" + audience + "'");
        }
        Instant now = clock.instant();
        Duration leeway = Duration.ofSeconds(LEEWAY_SECONDS);
        Instant expires = time(claims, "exp");
        if (expires == null && expiryRequired) {
            throw new InvalidTokenException("the token has no expiry (exp)");
        }
        if (expires != null && now.isAfter(expires.plus(leeway))) {
            throw new InvalidTokenException("the token expired at " + expires);
        }
        Instant notBefore = time(claims, "nbf");
        if (notBefore != null && now.isBefore(notBefore.minus(leeway))) {
            throw new InvalidTokenException("the token is not valid before " + notBefore);
        }
        return claims;
    }

    private boolean hasAudience(JsonNode aud) {
        if (aud == null) {
            return false;
        }
        if (aud.isTextual()) {
            return aud.asText().equals(audience);
        }
        if (aud.isArray()) {
            for (JsonNode entry : aud) {
                if (entry.isTextual() && entry.asText().equals(audience)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Instant time(ObjectNode claims, String name) throws InvalidTokenException {
        JsonNode value = claims.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber()) {
            throw new InvalidTokenException("the token's " + name + " claim is not a number of seconds");
        }
        double seconds = value.asDouble();
        if (Double.isNaN(seconds) || Math.abs(seconds) > 1e12) {
            throw new InvalidTokenException("the token's " + name + " claim is out of range");
        }
        return Instant.ofEpochMilli((long) (seconds * 1000));
    }

    /** The {@code access} claim: {@code [{"type", "name", "actions": [...]}]}; absent grants nothing. */
    private static Map<String, Set<String>> access(JsonNode claim) throws InvalidTokenException {
        Map<String, Set<String>> access = new HashMap<>();
        if (claim == null || claim.isNull()) {
            return access;
        }
        if (!claim.isArray()) {
            throw new InvalidTokenException("the token's access claim is not a list");
        }
        for (JsonNode entry : claim) {
            JsonNode type = entry.get("type");
            JsonNode name = entry.get("name");
            JsonNode actions = entry.get("actions");
            if (type == null || !type.isTextual() || name == null || !name.isTextual()
                    || (actions != null && !actions.isNull() && !actions.isArray())) {
                throw new InvalidTokenException("the token's access claim has an entry without type, name and actions");
            }
            Set<String> granted = access.computeIfAbsent(type.asText() + ":" + name.asText(), k -> new HashSet<>());
            if (actions != null) {
                for (JsonNode action : actions) {
                    granted.add(action.asText());
                }
            }
        }
        return access;
    }
}
