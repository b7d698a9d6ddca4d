package dev.registry.auth;

/**
 * What an {@link AccessController} needs to know about a request.
 *
 * @param authorization the {@code Authorization} header, or {@code null}
 * @param remoteAddress the client's address (for the failed-login limit), or {@code null} when
 *                      unknown, in which case attempts are not limited
 */
public record AuthRequest(String authorization, String remoteAddress) {
    @Override
    public String toString() {
        // The header holds a password or a token.
        return "AuthRequest[authorization=" + (authorization == null ? "none" : "(redacted)")
                + ", remoteAddress=" + remoteAddress + "]";
    }
}
