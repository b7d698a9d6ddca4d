package dev.registry.auth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Docker token endpoint of the built-in token server ({@code auth.tokenserver}), without the
 * HTTP: authenticates the caller against the htpasswd file (or not at all: anonymous), and issues a
 * token granting the intersection of the requested scopes and what the {@link AccessRules} allow.
 * A scope the caller may not have is left out of the token, not reported as an error, as the token
 * specification requires; the registry then refuses the request the token does not cover.
 *
 * <p>Refresh tokens (only when asked for: {@code offline_token=true} on a GET, or
 * {@code access_type=offline} on an OAuth2 password grant) are signed JWTs marked {@code "token_use": "refresh"}, bound to the user, the
 * service and a digest of the user's current password hash. They do not expire, as the
 * specification says, but stop working when the user's password changes or the user is removed,
 * and they survive restarts and work on every replica sharing the signing key. The registry never
 * accepts them as access tokens.
 */
public final class TokenService {
    private static final Logger LOG = LoggerFactory.getLogger(TokenService.class);
    private static final String FINGERPRINT = "pwd";
    /** The claim of a refresh token made for a login-token login: that token's id, checked on every refresh. */
    private static final String LOGIN_TOKEN = "lt";

    private final TokenIssuer issuer;
    private final String service;
    private final Duration expiration;
    private final HtpasswdFile users;
    private final Logins logins;
    private final String challenge;
    private final AccessRules rules;
    private final LoginThrottle throttle;
    private final TokenVerifier refreshVerifier;

    /**
     * @param service the service tokens are for ({@code auth.token.service}), their audience
     * @param expiration how long access tokens are valid
     * @param realm the htpasswd realm, for the {@code Basic} challenge of a failed login
     */
    public TokenService(TokenIssuer issuer, String service, Duration expiration, HtpasswdFile users, String realm,
            AccessRules rules, LoginThrottle throttle) {
        this(issuer, service, expiration, users, null, realm, rules, throttle);
    }

    /**
     * @param tokens login tokens, accepted as passwords (see {@link BasicAuthController}), or {@code null}
     */
    public TokenService(TokenIssuer issuer, String service, Duration expiration, HtpasswdFile users,
            LoginTokens tokens, String realm, AccessRules rules, LoginThrottle throttle) {
        this.logins = new Logins(users, tokens);
        this.issuer = issuer;
        this.service = service;
        this.expiration = expiration;
        this.users = users;
        this.challenge = "Basic realm=" + Challenges.quote(realm);
        this.rules = rules;
        this.throttle = throttle;
        TokenKeys ownKey = new TokenKeys(List.of(), Map.of(), issuer.clock());
        ownKey.trust(issuer.publicKey());
        this.refreshVerifier = new TokenVerifier(ownKey, issuer.issuer(), service, issuer.clock());
    }

    public String service() {
        return service;
    }

    /**
     * @throws AccessDeniedException 401 (with a {@code Basic} challenge) for wrong credentials, or
     *                               {@link TooManyAttemptsException} after too many of them
     * @throws TokenRequestException 400 for a malformed request, another service, or an unusable refresh token
     */
    public TokenResponse issue(TokenRequest request) throws AccessDeniedException, TokenRequestException {
        if (request.service() != null && !request.service().isEmpty() && !request.service().equals(service)) {
            throw new TokenRequestException("invalid_request", "this token server issues tokens for the service '"
                    + service + "' only, not '" + request.service() + "'");
        }
        List<ResourceScope> scopes;
        try {
            scopes = ResourceScope.parseAll(request.scopes());
        } catch (IllegalArgumentException e) {
            throw new TokenRequestException("invalid_scope", e.getMessage());
        }
        Logins.Login login = authenticate(request);
        Principal principal = login == null ? Principal.ANONYMOUS : login.principal();
        List<ResourceScope> granted = grant(principal, scopes);

        Instant now = issuer.clock().instant();
        ObjectNode claims = Json.MAPPER.createObjectNode();
        if (!principal.isAnonymous()) {
            claims.put("sub", principal.name());
        }
        claims.put("aud", service);
        claims.put("exp", now.plus(expiration).getEpochSecond());
        claims.put("nbf", now.getEpochSecond());
        claims.put("iat", now.getEpochSecond());
        claims.put("jti", TokenIssuer.newTokenId());
        ArrayNode access = claims.putArray("access");
        for (ResourceScope scope : granted) {
            ObjectNode entry = access.addObject();
            entry.put("type", scope.type());
            if (scope.resourceClass() != null) {
                entry.put("class", scope.resourceClass());
            }
            entry.put("name", scope.name());
            scope.actions().forEach(entry.putArray("actions")::add);
        }
        String token = issuer.sign(claims);
        LOG.debug("issued a token for '{}' (client {}) granting {}", principal.name(), request.clientId(), granted);

        String refresh = switch (request.grantType()) {
            case REFRESH_TOKEN -> request.refreshToken(); // the OAuth2 spec: the same one, not a new one
            case PASSWORD, NONE -> request.offline() ? refreshToken(login, now) : null;
        };
        String scope = request.grantType() == TokenRequest.GrantType.NONE ? null
                : String.join(" ", granted.stream().map(ResourceScope::toString).toList());
        return new TokenResponse(token, expiration.toSeconds(), now, refresh, scope, principal.name());
    }

    /** @return who logged in, or {@code null} for an anonymous caller */
    private Logins.Login authenticate(TokenRequest request) throws AccessDeniedException, TokenRequestException {
        return switch (request.grantType()) {
            case NONE -> {
                if (request.authorization() == null || request.authorization().isBlank()
                        || BasicCredentials.isEmpty(request.authorization())) {
                    yield null;
                }
                throttle.check(request.remoteAddress(), List.of());
                Optional<BasicCredentials> credentials = BasicCredentials.parse(request.authorization());
                if (credentials.isEmpty()) {
                    throttle.failed(request.remoteAddress());
                    throw new AccessDeniedException("authentication required: give a user name and password",
                            challenge, List.of());
                }
                try {
                    yield login(credentials.get().user(), credentials.get().password(), request.remoteAddress());
                } finally {
                    credentials.get().clear();
                }
            }
            case PASSWORD -> {
                if (request.username() == null || request.username().isEmpty() || request.password() == null) {
                    throw new TokenRequestException("invalid_request", "the password grant needs username and password");
                }
                throttle.check(request.remoteAddress(), List.of());
                yield login(request.username(), request.password(), request.remoteAddress());
            }
            case REFRESH_TOKEN -> {
                if (request.refreshToken() == null || request.refreshToken().isEmpty()) {
                    throw new TokenRequestException("invalid_request", "the refresh_token grant needs refresh_token");
                }
                throttle.check(request.remoteAddress(), List.of());
                yield refreshed(request.refreshToken(), request.remoteAddress());
            }
        };
    }

    private Logins.Login login(String user, char[] password, String remoteAddress) throws AccessDeniedException {
        Optional<Logins.Login> login = logins.check(user, password);
        if (login.isEmpty()) {
            throttle.failed(remoteAddress);
            LOG.info("failed token login for user '{}' from {}", user, remoteAddress);
            throw new AccessDeniedException("invalid user name or password", challenge, List.of(), user);
        }
        return login.get();
    }

    private Logins.Login refreshed(String refreshToken, String remoteAddress) throws TokenRequestException {
        try {
            ObjectNode claims = refreshVerifier.verify(refreshToken, false);
            String user = claims.path("sub").asText("");
            if (!TokenVerifier.REFRESH.equals(claims.path(TokenVerifier.TOKEN_USE).asText(""))) {
                throw new InvalidTokenException("an access token cannot be used as a refresh token");
            }
            Optional<String> fingerprint = users.fingerprint(user);
            if (fingerprint.isEmpty() || !fingerprint.get().equals(claims.path(FINGERPRINT).asText(""))) {
                throw new InvalidTokenException("the user was removed or their password changed");
            }
            String loginToken = claims.path(LOGIN_TOKEN).asText("");
            if (!loginToken.isEmpty() && !logins.tokenStillValid(loginToken, user)) {
                throw new InvalidTokenException("the login token " + loginToken + " it was made with was revoked or "
                        + "has expired");
            }
            return new Logins.Login(user, loginToken.isEmpty() ? null : loginToken);
        } catch (InvalidTokenException e) {
            throttle.failed(remoteAddress);
            LOG.info("refused a refresh token from {}: {}", remoteAddress, e.getMessage());
            throw new TokenRequestException("invalid_grant", "the refresh token is not valid; log in again");
        }
    }

    private String refreshToken(Logins.Login login, Instant now) {
        if (login == null) {
            return null; // an anonymous caller: there is nobody to refresh a token for
        }
        ObjectNode claims = Json.MAPPER.createObjectNode();
        claims.put("sub", login.user());
        claims.put("aud", service);
        claims.put("iat", now.getEpochSecond());
        claims.put("jti", TokenIssuer.newTokenId());
        claims.put(TokenVerifier.TOKEN_USE, TokenVerifier.REFRESH);
        claims.put(FINGERPRINT, users.fingerprint(login.user()).orElseThrow());
        if (login.tokenId() != null) {
            // so that revoking the login token (or its expiry) also ends what docker login stored
            claims.put(LOGIN_TOKEN, login.tokenId());
        }
        return issuer.sign(claims);
    }

    /** The requested scopes cut down to what {@code principal} has; scopes left with no action are dropped. */
    private List<ResourceScope> grant(Principal principal, List<ResourceScope> requested) {
        Map<String, ResourceScope> merged = new LinkedHashMap<>();
        for (ResourceScope scope : requested) {
            Set<String> actions = new LinkedHashSet<>();
            if (scope.type().equals("repository")) {
                Set<String> allowed = rules.granted(principal, scope.name());
                for (String action : scope.actions()) {
                    if (action.equals("*")) {
                        actions.addAll(allowed);
                    } else if (allowed.contains(action)) {
                        actions.add(action);
                    }
                }
            } else if (AccessRules.isCatalog(scope.type(), scope.name()) && scope.actions().contains("*")
                    && !principal.isAnonymous()) {
                actions.add("*");
            }
            if (actions.isEmpty()) {
                continue;
            }
            String key = scope.typeWithClass() + ":" + scope.name();
            ResourceScope earlier = merged.get(key);
            if (earlier != null) {
                Set<String> all = new LinkedHashSet<>(earlier.actions());
                all.addAll(actions);
                actions = all;
            }
            merged.put(key, new ResourceScope(scope.type(), scope.resourceClass(), scope.name(),
                    new ArrayList<>(actions)));
        }
        return List.copyOf(merged.values());
    }
}
