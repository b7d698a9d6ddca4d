package dev.registry.auth;

import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code auth.token}: requests carry {@code Authorization: Bearer <JWT>} from a token server,
 * checked by a {@link TokenVerifier}; the token's {@code access} claim must cover every required
 * right. Refusals are 401 with a challenge naming the token endpoint, as registry:2 sends it:
 *
 * <pre>Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"</pre>
 *
 * <p>with {@code ,error="invalid_token"} when the token is bad and {@code ,error="insufficient_scope"}
 * when a valid token lacks a right (the client then asks for a new token with that scope). No or
 * another kind of credentials (Basic included) get the plain challenge.
 */
public final class TokenAccessController implements AccessController {
    private static final Logger LOG = LoggerFactory.getLogger(TokenAccessController.class);

    private final TokenVerifier verifier;
    private final String realm;
    private final String service;
    private final AccessRules catalogRules;

    /**
     * @param catalogRules rules to filter the catalog with, for tokens from the built-in token server;
     *                     {@code null} for an external token server (the catalog is then not filtered)
     */
    TokenAccessController(TokenVerifier verifier, String realm, String service, AccessRules catalogRules) {
        this.verifier = verifier;
        this.realm = realm;
        this.service = service;
        this.catalogRules = catalogRules;
    }

    @Override
    public Principal authorize(String authorization, List<Access> required) throws AccessDeniedException {
        String token = bearerToken(authorization);
        if (token == null) {
            throw new AccessDeniedException("authentication required", Challenges.bearer(realm, service, required,
                    null), required);
        }
        VerifiedToken verified;
        try {
            verified = verifier.verifyAccessToken(token);
        } catch (InvalidTokenException e) {
            LOG.info("refused a bearer token: {}", e.getMessage());
            throw new AccessDeniedException("authentication required: the token is not valid",
                    Challenges.bearer(realm, service, required, "invalid_token"), required);
        }
        if (!verified.allowsAll(required)) {
            throw new AccessDeniedException("authentication required: the token does not grant the requested access",
                    Challenges.bearer(realm, service, required, "insufficient_scope"), required,
                    verified.principal().name());
        }
        return verified.principal();
    }

    @Override
    public boolean mayPull(Principal principal, String repository) {
        return catalogRules == null || catalogRules.mayPull(principal, repository);
    }

    private static String bearerToken(String authorization) {
        if (authorization == null) {
            return null;
        }
        String header = authorization.trim();
        int space = header.indexOf(' ');
        if (space < 0 || !header.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return null;
        }
        String token = header.substring(space + 1).trim();
        return token.isEmpty() ? null : token;
    }
}
