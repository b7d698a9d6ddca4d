package dev.registry.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * A successful token response.
 *
 * @param token the bearer token, sent as both {@code token} and {@code access_token}
 * @param expiresIn seconds the token is valid for
 * @param issuedAt when it was issued
 * @param refreshToken a refresh token, or {@code null} when none was asked for
 * @param scope the granted scopes separated by spaces (for OAuth2 responses), or {@code null}
 * @param subject the user the token was issued to ({@code anonymous} for anonymous tokens), for the access
 *                log; not part of the body
 */
public record TokenResponse(String token, long expiresIn, Instant issuedAt, String refreshToken, String scope,
                            String subject) {

    /** The JSON body, with {@code issued_at} in RFC 3339 UTC. */
    public String toJson() {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("token", token);
        body.put("access_token", token);
        body.put("expires_in", expiresIn);
        body.put("issued_at", DateTimeFormatter.ISO_INSTANT.format(issuedAt.truncatedTo(ChronoUnit.SECONDS)));
        if (refreshToken != null) {
            body.put("refresh_token", refreshToken);
        }
        if (scope != null) {
            body.put("scope", scope);
        }
        return body.toString();
    }

    @Override
    public String toString() {
        return "TokenResponse[expiresIn=" + expiresIn + ", issuedAt=" + issuedAt + ", scope=" + scope + ", subject=" + subject + "]";
    }
}
