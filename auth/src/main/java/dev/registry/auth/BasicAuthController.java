package dev.registry.auth;

import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code auth.htpasswd}: HTTP Basic authentication against an {@link HtpasswdFile}, with
 * {@link AccessRules}.
 *
 * <ul>
 *   <li>No credentials (no header, or {@code Basic} with an empty user and password, as
 *       containers/image clients send it): allowed as {@link Principal#ANONYMOUS} if the rules grant anonymous callers
 *       every required right; otherwise 401 with {@code Basic realm="..."}. An empty required list
 *       (the {@code GET /v2/} check) always answers 401 without credentials, as registry:2 does,
 *       because {@code docker login} relies on it. (Docker clients that got a Basic challenge there do
 *       not pull anonymously; anonymous pulls by Docker need the token server.)
 *   <li>Wrong or malformed credentials, or another scheme: 401 with the challenge.
 *   <li>Right credentials but a missing right: 403 (no challenge).
 *   <li>Too many failures from the address: {@link TooManyAttemptsException} (see {@link LoginThrottle}).
 * </ul>
 */
public final class BasicAuthController implements AccessController {
    private static final Logger LOG = LoggerFactory.getLogger(BasicAuthController.class);

    private final Logins logins;
    private final AccessRules rules;
    private final LoginThrottle throttle;
    private final String challenge;

    public BasicAuthController(HtpasswdFile users, String realm, AccessRules rules, LoginThrottle throttle) {
        this(users, null, realm, rules, throttle);
    }

    /**
     * @param tokens login tokens that log in as their user whatever user name is given, or
     *               {@code null} for passwords only
     */
    public BasicAuthController(HtpasswdFile users, LoginTokens tokens, String realm, AccessRules rules,
            LoginThrottle throttle) {
        this.logins = new Logins(users, tokens);
        this.rules = rules;
        this.throttle = throttle;
        this.challenge = "Basic realm=" + Challenges.quote(realm);
    }

    @Override
    public Principal authorize(String authorization, List<Access> required) throws AccessDeniedException {
        return authorize(new AuthRequest(authorization, null), required);
    }

    @Override
    public Principal authorize(AuthRequest request, List<Access> required) throws AccessDeniedException {
        Principal principal = authenticate(request, required);
        for (Access access : required) {
            if (!rules.allows(principal, access)) {
                if (principal.isAnonymous()) {
                    throw new AccessDeniedException("authentication required", challenge, required);
                }
                throw new AccessDeniedException("requested access to the resource is denied", null, required,
                        principal.name());
            }
        }
        return principal;
    }

    private Principal authenticate(AuthRequest request, List<Access> required) throws AccessDeniedException {
        if (request.authorization() == null || request.authorization().isBlank()
                || BasicCredentials.isEmpty(request.authorization())) {
            if (required.isEmpty()) {
                throw new AccessDeniedException("authentication required", challenge, required);
            }
            return Principal.ANONYMOUS;
        }
        throttle.check(request.remoteAddress(), required);
        Optional<BasicCredentials> credentials = BasicCredentials.parse(request.authorization());
        if (credentials.isEmpty()) {
            throttle.failed(request.remoteAddress());
            throw new AccessDeniedException("authentication required: give a user name and password", challenge,
                    required);
        }
        BasicCredentials given = credentials.get();
        try {
            Optional<Logins.Login> login = logins.check(given.user(), given.password());
            if (login.isEmpty()) {
                throttle.failed(request.remoteAddress());
                LOG.info("failed login for user '{}' from {}", given.user(), request.remoteAddress());
                throw new AccessDeniedException("invalid user name or password", challenge, required, given.user());
            }
            return login.get().principal();
        } finally {
            given.clear();
        }
    }

    @Override
    public boolean mayPull(Principal principal, String repository) {
        return rules.mayPull(principal, repository);
    }
}
