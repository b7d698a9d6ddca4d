package dev.registry.auth;

import java.util.List;

/**
 * Decides whether a request may do what it asks. Implementations authenticate the request's
 * {@code Authorization} header and check the rights in {@code required}.
 *
 * <p>An empty {@code required} list (as for {@code GET /v2/}) still demands authentication when
 * authentication is configured: {@code docker login} relies on that {@code 401}.
 */
public interface AccessController {

    /**
     * @param authorization the request's {@code Authorization} header, or {@code null}
     * @param required every right the request needs
     * @return who is making the request
     * @throws AccessDeniedException if the caller is unknown or lacks a right
     */
    Principal authorize(String authorization, List<Access> required) throws AccessDeniedException;

    /**
     * As {@link #authorize(String, List)}, knowing the client's address so that repeated failed
     * logins from it can be refused with a {@link TooManyAttemptsException}.
     */
    default Principal authorize(AuthRequest request, List<Access> required) throws AccessDeniedException {
        return authorize(request.authorization(), required);
    }

    /**
     * Whether {@code principal} may pull {@code repository}; the catalog lists only those. Called
     * after {@code registry:catalog:*} was authorized for the same principal.
     */
    default boolean mayPull(Principal principal, String repository) {
        return true;
    }
}
