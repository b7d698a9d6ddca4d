package dev.registry.auth;

/**
 * A bearer or refresh token that cannot be used: malformed, badly signed, signed by an untrusted
 * key, expired, or for another issuer or audience. The message says which, for the log; it never
 * holds the token.
 */
final class InvalidTokenException extends Exception {
    InvalidTokenException(String message) {
        super(message, null, false, false);
    }
}
