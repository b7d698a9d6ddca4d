package dev.registry.auth;

import java.util.List;

/**
 * Decides whether a request may do what it asks. Implementations authenticate the request's
 * {@code Authorization} header and check the rights in {@code required}.
 */
public interface AccessController {

    /**
     * @param authorization the request's {@code Authorization} header, or {@code null}
     * @param required every right the request needs
     * @return who is making the request
     * @throws AccessDeniedException if the caller is unknown or lacks a right
     */
    Principal authorize(String authorization, List<Access> required) throws AccessDeniedException;
}
