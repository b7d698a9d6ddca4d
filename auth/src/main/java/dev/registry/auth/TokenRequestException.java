package dev.registry.auth;

/**
 * A token request that cannot be served as asked: answer 400 with an OAuth2 error body
 * ({@link #toJson()}). Wrong credentials are not this but an {@link AccessDeniedException} (401).
 */
public final class TokenRequestException extends Exception {
    private final String error;

    /**
     * @param error the OAuth2 error code: {@code invalid_request}, {@code invalid_grant},
     *              {@code unsupported_grant_type} or {@code invalid_scope}
     */
    public TokenRequestException(String error, String description) {
        super(description, null, false, false);
        this.error = error;
    }

    public String error() {
        return error;
    }

    public int status() {
        return 400;
    }

    /** {@code {"error": ..., "error_description": ...}} (RFC 6749 section 5.2). */
    public String toJson() {
        var body = Json.MAPPER.createObjectNode();
        body.put("error", error);
        body.put("error_description", getMessage());
        return body.toString();
    }
}
