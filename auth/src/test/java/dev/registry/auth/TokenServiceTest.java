package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.registry.config.AccessRuleConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenServiceTest {
    private static final String ISSUER = "registry-token-issuer";
    private static final String ALICE = new BasicCredentials("alice", "correct horse".toCharArray()).header();
    private static final String BOB = new BasicCredentials("bob", "S3cr3t!".toCharArray()).header();

    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock(Pki.NOW);
    private HtpasswdFile users;
    private TokenIssuer issuer;
    private TokenService service;
    private TokenVerifier verifier;

    @BeforeEach
    void setUp() throws IOException {
        users = HtpasswdFile.load(Files.writeString(dir.resolve("htpasswd"),
                HtpasswdFileTest.ALICE + "\n" + HtpasswdFileTest.BOB + "\n"));
        issuer = TokenIssuer.load(dir.resolve("token.key"), ISSUER, clock);
        AccessRules rules = AccessRules.from(List.of(
                new AccessRuleConfig(List.of("public/**"), List.of("anonymous", "*"), List.of("pull")),
                new AccessRuleConfig(List.of("team/**"), List.of("alice"), List.of("*")),
                new AccessRuleConfig(List.of("team/**"), List.of("bob"), List.of("pull")),
                new AccessRuleConfig(List.of("**"), List.of("alice"), List.of("pull"))));
        service = new TokenService(issuer, Tokens.SERVICE, Duration.ofMinutes(5), users, "Registry Realm", rules,
                new LoginThrottle());
        TokenKeys keys = new TokenKeys(List.of(), Map.of(), clock);
        keys.trust(issuer.publicKey());
        verifier = new TokenVerifier(keys, ISSUER, Tokens.SERVICE, clock);
    }

    private static Map<String, List<String>> query(String... pairs) {
        Map<String, List<String>> query = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            query.computeIfAbsent(pairs[i], k -> new java.util.ArrayList<>()).add(pairs[i + 1]);
        }
        return query;
    }

    private TokenResponse get(String authorization, String... pairs) throws Exception {
        return service.issue(TokenRequest.fromQuery(query(pairs), authorization, "198.51.100.1"));
    }

    private TokenResponse post(String... pairs) throws Exception {
        return service.issue(TokenRequest.fromForm(query(pairs), "198.51.100.1"));
    }

    private VerifiedToken verified(TokenResponse response) throws InvalidTokenException {
        return verifier.verifyAccessToken(response.token());
    }

    private JsonNode access(TokenResponse response) throws InvalidTokenException {
        return verified(response).claims().get("access");
    }

    @Test
    void anonymousGetsWhatAnonymousMayDoAndNothingElse() throws Exception {
        TokenResponse response = get(null, "service", Tokens.SERVICE, "scope", "repository:public/app:pull,push");

        VerifiedToken token = verified(response);
        assertEquals(Principal.ANONYMOUS, token.principal());
        assertFalse(token.claims().has("sub"));
        assertTrue(token.allows(Access.pull("public/app")));
        assertFalse(token.allows(Access.push("public/app")), "push is left out, not an error");
        assertNull(response.refreshToken());
    }

    @Test
    void emptyBasicCredentialsGetAnAnonymousToken() throws Exception {
        for (int i = 0; i < LoginThrottle.MAX_FAILURES + 2; i++) {
            TokenResponse response = get("Basic Og==", "service", Tokens.SERVICE, "scope", "repository:public/app:pull");
            VerifiedToken token = verified(response);
            assertEquals(Principal.ANONYMOUS, token.principal());
            assertTrue(token.allows(Access.pull("public/app")));
        }
        assertEquals("alice", verified(get(ALICE, "service", Tokens.SERVICE, "scope", "repository:team/app:pull"))
                .principal().name(), "empty credentials did not count as failed logins");
    }

    @Test
    void responseFollowsTheTokenSpecification() throws Exception {
        TokenResponse response = get(ALICE, "service", Tokens.SERVICE, "scope", "repository:team/app:pull");

        JsonNode json = Json.MAPPER.readTree(response.toJson());
        assertEquals(response.token(), json.get("token").asText());
        assertEquals(response.token(), json.get("access_token").asText());
        assertEquals(300, json.get("expires_in").asLong());
        assertEquals("2025-06-01T12:00:00Z", json.get("issued_at").asText());
        assertFalse(json.has("refresh_token"));
        assertFalse(json.has("scope"), "the scope field belongs to OAuth2 responses");

        ObjectNode claims = verified(response).claims();
        assertEquals(ISSUER, claims.get("iss").asText());
        assertEquals("alice", claims.get("sub").asText());
        assertEquals(Tokens.SERVICE, claims.get("aud").asText());
        assertEquals(Pki.NOW.getEpochSecond() + 300, claims.get("exp").asLong());
        assertEquals(Pki.NOW.getEpochSecond(), claims.get("nbf").asLong());
        assertEquals(Pki.NOW.getEpochSecond(), claims.get("iat").asLong());
        assertTrue(claims.get("jti").asText().length() >= 20);
    }

    @Test
    void grantsTheIntersectionOfRequestAndRules() throws Exception {
        TokenResponse response = get(ALICE, "service", Tokens.SERVICE,
                "scope", "repository:team/app:pull,push,delete",
                "scope", "repository:other/thing:pull,push");

        assertEquals(Json.MAPPER.readTree("""
                [{"type": "repository", "name": "team/app", "actions": ["pull", "push", "delete"]},
                 {"type": "repository", "name": "other/thing", "actions": ["pull"]}]"""), access(response));
    }

    @Test
    void deniedScopesAreOmitted() throws Exception {
        TokenResponse response = get(BOB, "scope", "repository:team/app:push", "scope", "repository:private/x:pull",
                "scope", "repository:team/app:pull");

        assertEquals(Json.MAPPER.readTree("""
                [{"type": "repository", "name": "team/app", "actions": ["pull"]}]"""), access(response));
    }

    @Test
    void scopesSeparatedBySpacesAndRepeatedResourcesAreMerged() throws Exception {
        TokenResponse response = get(ALICE, "scope", "repository:team/a:pull repository:team/a:push",
                "scope", "repository:team/b:*");

        assertEquals(Json.MAPPER.readTree("""
                [{"type": "repository", "name": "team/a", "actions": ["pull", "push"]},
                 {"type": "repository", "name": "team/b", "actions": ["pull", "push", "delete"]}]"""),
                access(response));
    }

    @Test
    void catalogOnlyForAuthenticatedUsers() throws Exception {
        assertTrue(verified(get(BOB, "scope", "registry:catalog:*")).allows(Access.catalog()));
        assertFalse(verified(get(null, "scope", "registry:catalog:*")).allows(Access.catalog()));
    }

    @Test
    void pluginClassIsKept() throws Exception {
        JsonNode access = access(get(ALICE, "scope", "repository(plugin):team/sshfs:pull"));

        assertEquals(Json.MAPPER.readTree("""
                [{"type": "repository", "class": "plugin", "name": "team/sshfs", "actions": ["pull"]}]"""), access);
    }

    @Test
    void withoutScopeTheTokenGrantsNothingButPassesTheBaseCheck() throws Exception {
        VerifiedToken token = verified(get(ALICE, "service", Tokens.SERVICE));

        assertTrue(token.allowsAll(List.of()));
        assertFalse(token.allows(Access.pull("team/app")));
    }

    @Test
    void wrongPasswordIsA401WithABasicChallenge() {
        String wrong = new BasicCredentials("alice", "guess".toCharArray()).header();

        AccessDeniedException e = assertThrows(AccessDeniedException.class,
                () -> get(wrong, "scope", "repository:public/app:pull"));

        assertEquals("Basic realm=\"Registry Realm\"", e.challenge());
        assertEquals(401, e.status());
        assertFalse(e.getMessage().contains("guess"));
    }

    @Test
    void otherAuthorizationSchemesAreA401() {
        assertThrows(AccessDeniedException.class, () -> get("Bearer abc", "scope", "repository:public/app:pull"));
    }

    @Test
    void repeatedFailuresAreRefusedBeforeCheckingThePassword() {
        String wrong = new BasicCredentials("alice", "guess".toCharArray()).header();
        for (int i = 0; i < LoginThrottle.MAX_FAILURES; i++) {
            assertThrows(AccessDeniedException.class, () -> get(wrong));
        }

        assertThrows(TooManyAttemptsException.class, () -> get(ALICE));
    }

    @Test
    void malformedScopeIsABadRequest() throws Exception {
        TokenRequestException e = assertThrows(TokenRequestException.class, () -> get(ALICE, "scope", "repository:x"));

        assertEquals("invalid_scope", e.error());
        assertEquals(400, e.status());
        assertEquals("invalid_scope", Json.MAPPER.readTree(e.toJson()).get("error").asText());
    }

    @Test
    void anotherServiceIsABadRequest() {
        TokenRequestException e = assertThrows(TokenRequestException.class,
                () -> get(ALICE, "service", "elsewhere.example"));

        assertEquals("invalid_request", e.error());
    }

    @Test
    void offlineTokenGivesARefreshTokenToUsersOnly() throws Exception {
        assertNotNull(get(ALICE, "offline_token", "true").refreshToken());
        assertNull(get(null, "offline_token", "true").refreshToken());
        assertNull(get(ALICE, "offline_token", "false").refreshToken());
    }

    @Test
    void oauthPasswordGrantGivesARefreshTokenOnlyForOfflineAccessAndTheGrantedScope() throws Exception {
        TokenResponse response = post("grant_type", "password", "username", "bob", "password", "S3cr3t!",
                "service", Tokens.SERVICE, "client_id", "docker", "access_type", "offline", "scope",
                "repository:team/app:pull,push repository:public/x:pull");

        assertEquals("repository:team/app:pull repository:public/x:pull", response.scope());
        assertNotNull(response.refreshToken());
        assertEquals("bob", response.subject());
        TokenResponse online = post("grant_type", "password", "username", "bob", "password", "S3cr3t!",
                "service", Tokens.SERVICE, "client_id", "containerd", "scope", "repository:team/app:pull");
        assertNull(online.refreshToken(), "no access_type=offline, no refresh token");
        assertFalse(Json.MAPPER.readTree(online.toJson()).has("refresh_token"));
        assertEquals("bob", verified(response).subject());
        assertEquals(response.scope(), Json.MAPPER.readTree(response.toJson()).get("scope").asText());
    }

    @Test
    void oauthWrongPasswordIsA401() {
        assertThrows(AccessDeniedException.class, () -> post("grant_type", "password", "username", "bob",
                "password", "nope", "service", Tokens.SERVICE));
    }

    @Test
    void refreshTokenGetsNewAccessTokensForOtherScopes() throws Exception {
        String refresh = post("grant_type", "password", "username", "alice", "password", "correct horse",
                "service", Tokens.SERVICE, "client_id", "docker", "access_type", "offline").refreshToken();
        clock.advance(Duration.ofDays(30));

        TokenResponse response = post("grant_type", "refresh_token", "refresh_token", refresh, "service",
                Tokens.SERVICE, "client_id", "docker", "scope", "repository:team/app:push");

        assertEquals(refresh, response.refreshToken(), "the same refresh token, as the OAuth2 spec says");
        assertEquals("alice", verified(response).subject());
        assertTrue(verified(response).allows(Access.push("team/app")));
        assertEquals("repository:team/app:push", response.scope());
    }

    @Test
    void refreshTokenStopsWorkingWhenThePasswordChanges() throws Exception {
        String refresh = get(ALICE, "offline_token", "true").refreshToken();
        HtpasswdFile.addOrUpdate(users.path(), "alice", "new password".toCharArray());
        Files.setLastModifiedTime(users.path(), FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        Thread.sleep(1_100); // the file is checked for changes at most once a second

        TokenRequestException e = assertThrows(TokenRequestException.class, () -> post("grant_type", "refresh_token",
                "refresh_token", refresh, "service", Tokens.SERVICE));
        assertEquals("invalid_grant", e.error());
    }

    @Test
    void accessTokensAndGarbageAreNoRefreshTokens() throws Exception {
        String access = get(ALICE).token();

        for (String refresh : List.of(access, "garbage", "a.b.c")) {
            TokenRequestException e = assertThrows(TokenRequestException.class, () -> post("grant_type",
                    "refresh_token", "refresh_token", refresh));
            assertEquals("invalid_grant", e.error());
        }
    }

    @Test
    void refreshTokensAreNoAccessTokens() throws Exception {
        String refresh = get(ALICE, "offline_token", "true").refreshToken();

        assertThrows(InvalidTokenException.class, () -> verifier.verifyAccessToken(refresh));
    }

    @Test
    void refreshTokenFromAnotherSigningKeyIsRefused() throws Exception {
        TokenIssuer other = TokenIssuer.load(dir.resolve("other.key"), ISSUER, clock);
        ObjectNode claims = Json.MAPPER.createObjectNode();
        claims.put("sub", "alice");
        claims.put("aud", Tokens.SERVICE);
        claims.put("token_use", "refresh");
        claims.put("pwd", users.fingerprint("alice").orElseThrow());
        String forged = other.sign(claims);

        assertThrows(TokenRequestException.class, () -> post("grant_type", "refresh_token", "refresh_token", forged));
    }

    @Test
    void formValidation() {
        assertEquals("invalid_request", assertThrows(TokenRequestException.class,
                () -> TokenRequest.fromForm(query("username", "a"), null)).error());
        assertEquals("unsupported_grant_type", assertThrows(TokenRequestException.class,
                () -> TokenRequest.fromForm(query("grant_type", "client_credentials"), null)).error());
        assertEquals("invalid_request", assertThrows(TokenRequestException.class,
                () -> post("grant_type", "password", "username", "alice")).error());
        assertEquals("invalid_request", assertThrows(TokenRequestException.class,
                () -> post("grant_type", "refresh_token")).error());
    }

    @Test
    void requestsNeverShowSecrets() throws Exception {
        TokenRequest form = TokenRequest.fromForm(query("grant_type", "password", "username", "bob", "password",
                "S3cr3t!", "refresh_token", "rt-secret"), null);
        TokenRequest get = TokenRequest.fromQuery(query(), BOB, null);

        assertFalse(form.toString().contains("S3cr3t!"));
        assertFalse(form.toString().contains("rt-secret"));
        assertFalse(get.toString().contains(BOB.substring(6)));
        TokenResponse response = get(ALICE);
        assertFalse(response.toString().contains(response.token()));
    }

    // ---- login tokens ----------------------------------------------------------------------------

    private final java.util.concurrent.atomic.AtomicLong tokenNanos = new java.util.concurrent.atomic.AtomicLong();

    private TokenService withLoginTokens() throws IOException {
        LoginTokens tokens = new LoginTokens(dir.resolve("tokens.json"), clock, tokenNanos::get);
        AccessRules rules = AccessRules.from(List.of(
                new AccessRuleConfig(List.of("team/**"), List.of("alice"), List.of("*")),
                new AccessRuleConfig(List.of("team/**"), List.of("bob"), List.of("pull"))));
        return new TokenService(issuer, Tokens.SERVICE, Duration.ofMinutes(5), users, tokens, "Registry Realm", rules,
                new LoginThrottle());
    }

    @Test
    void aLoginTokenGetsATokenForItsUserByGetAndByPasswordGrant() throws Exception {
        String token = LoginTokenFile.create(dir.resolve("tokens.json"), "bob", "ci", clock.instant(), null).text();
        TokenService service = withLoginTokens();

        TokenResponse byGet = service.issue(TokenRequest.fromQuery(query("scope", "repository:team/app:pull,push"),
                new BasicCredentials("any", token.toCharArray()).header(), "198.51.100.1"));
        assertEquals("bob", verified(byGet).subject());
        assertEquals(Json.MAPPER.readTree("""
                [{"type": "repository", "name": "team/app", "actions": ["pull"]}]"""), access(byGet),
                "bob's rules");

        TokenResponse byPost = service.issue(TokenRequest.fromForm(query("grant_type", "password", "username",
                "whoever", "password", token, "scope", "repository:team/app:pull"), "198.51.100.1"));
        assertEquals("bob", verified(byPost).subject());
    }

    @Test
    void revokingALoginTokenEndsTheRefreshTokensItGot() throws Exception {
        Path file = dir.resolve("tokens.json");
        LoginToken.Issued revoked = LoginTokenFile.create(file, "alice", "ci", clock.instant(), null);
        LoginToken.Issued kept = LoginTokenFile.create(file, "alice", "laptop", clock.instant(), null);
        TokenService service = withLoginTokens();
        String refreshRevoked = service.issue(TokenRequest.fromQuery(query("offline_token", "true"),
                new BasicCredentials("any", revoked.text().toCharArray()).header(), "198.51.100.1")).refreshToken();
        String refreshKept = service.issue(TokenRequest.fromQuery(query("offline_token", "true"),
                new BasicCredentials("any", kept.text().toCharArray()).header(), "198.51.100.1")).refreshToken();
        String refreshPassword = service.issue(TokenRequest.fromQuery(query("offline_token", "true"), ALICE,
                "198.51.100.1")).refreshToken();

        LoginTokenFile.revoke(file, revoked.token().id());
        tokenNanos.addAndGet(1_000_000_000L);

        TokenRequestException e = assertThrows(TokenRequestException.class, () -> service.issue(TokenRequest.fromForm(
                query("grant_type", "refresh_token", "refresh_token", refreshRevoked), "198.51.100.2")));
        assertEquals("invalid_grant", e.error());
        assertThrows(AccessDeniedException.class, () -> service.issue(TokenRequest.fromQuery(query(),
                new BasicCredentials("any", revoked.text().toCharArray()).header(), "198.51.100.2")));
        for (String refresh : List.of(refreshKept, refreshPassword)) {
            assertEquals("alice", verified(service.issue(TokenRequest.fromForm(query("grant_type", "refresh_token",
                    "refresh_token", refresh, "scope", "repository:team/app:push"), "198.51.100.3"))).subject());
        }
    }

    @Test
    void anExpiredLoginTokenEndsItsRefreshTokens() throws Exception {
        String token = LoginTokenFile.create(dir.resolve("tokens.json"), "alice", "ci", clock.instant(),
                clock.instant().plus(Duration.ofDays(1))).text();
        TokenService service = withLoginTokens();
        String refresh = service.issue(TokenRequest.fromQuery(query("offline_token", "true"),
                new BasicCredentials("any", token.toCharArray()).header(), "198.51.100.1")).refreshToken();

        clock.advance(Duration.ofDays(1));

        assertThrows(TokenRequestException.class, () -> service.issue(TokenRequest.fromForm(query("grant_type",
                "refresh_token", "refresh_token", refresh), "198.51.100.1")));
    }
}
