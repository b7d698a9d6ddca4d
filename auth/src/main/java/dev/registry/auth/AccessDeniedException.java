package dev.registry.auth;

import java.util.List;
import java.util.Map;

/**
 * A refused request: either authentication is needed ({@link #challenge()} holds the
 * {@code WWW-Authenticate} value, status 401) or the authenticated caller lacks a right (403).
 * {@link TooManyAttemptsException} is a third kind (429).
 */
public class AccessDeniedException extends Exception {
    private final String challenge;
    private final List<Access> required;
    private final String user;

    public AccessDeniedException(String message, String challenge, List<Access> required) {
        this(message, challenge, required, null);
    }

    /**
     * @param user the user the caller authenticated as, or claimed to be when its password was wrong, for the
     *             access log; {@code null} when unknown
     */
    public AccessDeniedException(String message, String challenge, List<Access> required, String user) {
        super(message, null, false, false);
        this.challenge = challenge;
        this.required = List.copyOf(required);
        this.user = user;
    }

    /** The user name the refused caller gave or was identified as, or {@code null}; never a secret. */
    public String user() {
        return user;
    }

    /** The {@code WWW-Authenticate} challenge for a 401, or {@code null} for a 403. */
    public String challenge() {
        return challenge;
    }

    public List<Access> required() {
        return required;
    }

    /** The HTTP status to answer with: 401 with a challenge, else 403. */
    public int status() {
        return challenge != null ? 401 : 403;
    }

    /** The distribution error code for the body: {@code UNAUTHORIZED} or {@code DENIED}. */
    public String errorCode() {
        return challenge != null ? "UNAUTHORIZED" : "DENIED";
    }

    /** Details for the error body, as distribution sends them. */
    public List<Map<String, String>> detail() {
        return required.stream()
                .map(a -> Map.of("Type", a.type(), "Name", a.name(), "Action", a.action()))
                .toList();
    }
}
