package dev.registry.auth;

import java.util.Optional;

/**
 * Checks a user name and password from Basic credentials or a token request: a valid
 * {@linkplain LoginTokens login token} as the password logs in as the token's user, whatever user
 * name was given (so {@code docker login -u any -p <token>} works); anything else is checked
 * against the htpasswd file as the given user's password.
 *
 * <p>A token whose user is no longer in the htpasswd file does not log in: tokens belong to
 * htpasswd users and go with them. A password that looks like a token but is not a valid one is
 * checked as a password too, so a wrong or revoked token costs one bcrypt and fails exactly like a
 * wrong password.
 */
final class Logins {
    private final HtpasswdFile users;
    private final LoginTokens tokens;

    /** A successful login: the user, and the id of the login token used, or {@code null} for a password. */
    record Login(String user, String tokenId) {
        Principal principal() {
            return new Principal(user);
        }
    }

    /** @param tokens the login tokens, or {@code null} when {@code auth.tokens} is not configured */
    Logins(HtpasswdFile users, LoginTokens tokens) {
        this.users = users;
        this.tokens = tokens;
    }

    Optional<Login> check(String user, char[] password) {
        if (tokens != null) {
            Optional<LoginToken> token = tokens.verify(password);
            if (token.isPresent() && users.contains(token.get().user())) {
                return Optional.of(new Login(token.get().user(), token.get().id()));
            }
        }
        return users.verify(user, password) ? Optional.of(new Login(user, null)) : Optional.empty();
    }

    /** Whether the login token {@code id} of {@code user} still works (not revoked, not expired). */
    boolean tokenStillValid(String id, String user) {
        return tokens != null && tokens.isValid(id, user) && users.contains(user);
    }

    HtpasswdFile users() {
        return users;
    }
}
