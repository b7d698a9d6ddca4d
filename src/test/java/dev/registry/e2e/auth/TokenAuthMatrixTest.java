package dev.registry.e2e.auth;

import static dev.registry.e2e.auth.AuthRegistry.ADMIN;
import static dev.registry.e2e.auth.AuthRegistry.BASIC_CHALLENGE;
import static dev.registry.e2e.auth.AuthRegistry.CI_PUSH;
import static dev.registry.e2e.auth.AuthRegistry.CLUSTER_PULL;
import static dev.registry.e2e.auth.AuthRegistry.ISSUER;
import static dev.registry.e2e.auth.AuthRegistry.SERVICE;
import static dev.registry.e2e.auth.AuthRegistry.password;
import static dev.registry.e2e.auth.Endpoints.CI_APP;
import static dev.registry.e2e.auth.Endpoints.CI_SRC;
import static dev.registry.e2e.auth.Endpoints.OTHER;
import static dev.registry.e2e.auth.Endpoints.PUBLIC;
import static dev.registry.e2e.auth.Endpoints.REPOSITORIES;
import static dev.registry.e2e.auth.Endpoints.TARGETS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.registry.e2e.auth.Endpoints.Endpoint;
import dev.registry.e2e.auth.Endpoints.Prepared;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * htpasswd + the built-in token server ({@code /auth/token}) + access rules, over plain HTTP: the
 * Bearer challenges name the exact scope of each endpoint, tokens grant the intersection of what
 * was asked and what the rules allow, the registry honours exactly what a token grants, forged
 * tokens are refused, and the OAuth2 grants, anonymous tokens and the login limit work. Every
 * refusal is checked to leave the storage unchanged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TokenAuthMatrixTest {
    private static final Pattern SCOPE = Pattern.compile("scope=\"([^\"]*)\"");

    private AuthRegistry registry;
    private Http http;
    private String admin;
    private Endpoints endpoints;
    private final AtomicInteger nextAddress = new AtomicInteger(1);

    @BeforeAll
    void startRegistry() throws Exception {
        registry = AuthRegistry.start("token-matrix", AuthRegistry.Mode.TOKEN, false);
        http = registry.http();
        registry.withLog(() -> {
            List<String> everything = new ArrayList<>();
            REPOSITORIES.forEach(repository -> everything.add("repository:" + repository + ":*"));
            everything.add("registry:catalog:*");
            admin = Http.bearer(token(basic(ADMIN), everything.toArray(String[]::new)));
            endpoints = new Endpoints(http, admin);
        });
    }

    @AfterAll
    void stopRegistry() throws Exception {
        if (http != null) {
            http.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    // ---- challenges -------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} without a token")
    @EnumSource(Endpoint.class)
    void challengeNamesTheExactScope(Endpoint endpoint) throws Exception {
        registry.withLog(() -> {
            for (String repository : List.of(CI_APP, PUBLIC)) {
                Prepared request = endpoints.prepare(endpoint, repository);
                StorageSnapshot before = StorageSnapshot.of(registry.storage());
                Http.Response response = send(request, null);
                String context = endpoint + " on " + repository + " without a token";
                assertUnauthorized(response, request.method(), challenge(endpoint.scope(repository), null), context);
                before.assertUnchanged(context);
                request.refused().verify(response);
            }
        });
    }

    @Test
    void scopesOfTheChallengesAsWritten() {
        assertEquals("repository:ci/app:pull", Endpoint.MANIFEST_HEAD.scope(CI_APP));
        assertEquals("repository:ci/app:pull,push", Endpoint.UPLOAD_PATCH.scope(CI_APP));
        assertEquals("repository:ci/app:delete", Endpoint.BLOB_DELETE.scope(CI_APP));
        assertEquals("repository:ci/app:pull,push repository:public/base:pull", Endpoint.MOUNT_FROM_PUBLIC.scope(CI_APP));
        assertEquals("repository:public/base:pull,push", Endpoint.MOUNT_FROM_PUBLIC.scope(PUBLIC));
    }

    @Test
    void baseAndCatalogChallenges() throws Exception {
        registry.withLog(() -> {
            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            // no scope for GET /v2/
            assertUnauthorized(http.get("/v2/", null), "GET", challenge(null, null), "GET /v2/");
            assertUnauthorized(http.get("/v2/_catalog", null), "GET", challenge("registry:catalog:*", null), "catalog");
            before.assertUnchanged("base and catalog without a token");
        });
    }

    /** In token mode Basic credentials (even right ones) are not accepted by the API: the plain Bearer challenge. */
    @ParameterizedTest(name = "Basic credentials of {0}")
    @EnumSource(names = {"MANIFEST_GET", "UPLOAD_POST", "MANIFEST_DELETE"})
    void basicCredentialsGetThePlainBearerChallenge(Endpoint endpoint) throws Exception {
        registry.withLog(() -> {
            Prepared request = endpoints.prepare(endpoint, CI_APP);
            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            Http.Response response = send(request, basic(CI_PUSH));
            assertUnauthorized(response, request.method(), challenge(endpoint.scope(CI_APP), null), "Basic on " + endpoint);
            before.assertUnchanged("Basic on " + endpoint);
            request.refused().verify(response);
        });
    }

    // ---- what tokens grant ------------------------------------------------------------------------

    Stream<Arguments> grants() {
        List<String> wide = List.of("repository:ci/app:pull,push,delete", "repository:public/base:pull,push",
                "registry:catalog:*");
        return Stream.of(
                Arguments.of(CI_PUSH, wide, Map.of("repository:ci/app", Set.of("pull", "push", "delete"),
                        "registry:catalog", Set.of("*"))),
                Arguments.of(CLUSTER_PULL, wide, Map.of("repository:ci/app", Set.of("pull"),
                        "repository:public/base", Set.of("pull"), "registry:catalog", Set.of("*"))),
                Arguments.of(null, wide, Map.of("repository:public/base", Set.of("pull"))),
                Arguments.of(CI_PUSH, List.of("repository:ci/app:*"), Map.of("repository:ci/app",
                        Set.of("pull", "push", "delete"))),
                Arguments.of(CI_PUSH, List.of("repository:other/app:pull"), Map.of()),
                Arguments.of(CLUSTER_PULL, List.of("repository:ci/app:pull repository:ci/src:push,delete"),
                        Map.of("repository:ci/app", Set.of("pull"))),
                Arguments.of(null, List.of("repository:ci/app:pull", "registry:catalog:*"), Map.of()),
                Arguments.of(ADMIN, List.of("repository:other/app:delete", "repository:other/app:pull"),
                        Map.of("repository:other/app", Set.of("pull", "delete"))));
    }

    @ParameterizedTest(name = "{0} asking for {1}")
    @MethodSource("grants")
    void grantedAccessIsTheIntersection(String user, List<String> scopes, Map<String, Set<String>> expected)
            throws Exception {
        registry.withLog(() -> {
            long now = Instant.now().getEpochSecond();
            Http.Response response = http.token(user == null ? null : basic(user), scopes);
            assertEquals(200, response.status(), response::toString);
            assertEquals("no-store", response.header("Cache-Control"), response::toString);
            JsonNode body = response.json();
            String token = body.path("token").asText();
            assertEquals(token, body.path("access_token").asText(), "token and access_token are the same");
            assertEquals(300, body.path("expires_in").asLong(), response::toString);
            long issuedAt = Instant.parse(body.path("issued_at").asText()).getEpochSecond();
            assertTrue(Math.abs(issuedAt - now) < 30, response::toString);
            assertFalse(body.has("refresh_token"), () -> "no refresh token unless asked for: " + response);
            assertFalse(body.has("scope"), () -> "GET answers carry no scope: " + response);

            Jwt jwt = Jwt.parse(token);
            assertEquals("ES256", jwt.header().path("alg").asText(), jwt::toString);
            assertFalse(jwt.header().path("kid").asText().isEmpty(), jwt::toString);
            assertTrue(jwt.header().path("x5c").isArray() && jwt.header().path("x5c").size() == 1, jwt::toString);
            ObjectNode claims = jwt.claims();
            assertEquals(ISSUER, claims.path("iss").asText(), jwt::toString);
            assertEquals(SERVICE, audience(claims), jwt::toString);
            if (user == null) {
                assertFalse(claims.has("sub"), () -> "anonymous tokens have no subject: " + jwt);
            } else {
                assertEquals(user, claims.path("sub").asText(), jwt::toString);
            }
            assertEquals(300, claims.path("exp").asLong() - claims.path("iat").asLong(), jwt::toString);
            assertTrue(claims.path("nbf").asLong() <= claims.path("iat").asLong(), jwt::toString);
            assertFalse(claims.path("jti").asText().isEmpty(), jwt::toString);
            assertEquals(new TreeMap<>(expected), access(claims), () -> "granted access of " + jwt);
        });
    }

    // ---- the registry honours exactly what the token grants --------------------------------------

    Stream<Arguments> tokenCells() {
        List<Arguments> cells = new ArrayList<>();
        for (Endpoint endpoint : Endpoint.values()) {
            for (String repository : TARGETS) {
                for (String user : Arrays.asList(CI_PUSH, CLUSTER_PULL, null)) {
                    cells.add(Arguments.of(endpoint, repository, user == null ? "anonymous" : user,
                            Endpoints.allowed(user, endpoint, repository) ? endpoint.success : 401));
                }
            }
        }
        return cells.stream();
    }

    /**
     * As a client does it: try without a token, read the scope from the challenge, fetch a token
     * for it (with the user's password, or anonymously), try again with the token.
     */
    @ParameterizedTest(name = "{0} on {1} by {2} with a token -> {3}")
    @MethodSource("tokenCells")
    void tokenForTheChallengedScope(Endpoint endpoint, String repository, String caller, int expected) throws Exception {
        String user = caller.equals("anonymous") ? null : caller;
        registry.withLog(() -> {
            Prepared request = endpoints.prepare(endpoint, repository);
            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            String context = endpoint + " on " + repository + " by " + caller;
            Http.Response challenged = send(request, null);
            assertUnauthorized(challenged, request.method(), challenge(endpoint.scope(repository), null), context);
            String scope = scopeOf(challenged.header("WWW-Authenticate"));

            String token = token(user == null ? null : basic(user), scope.split(" "));
            Http.Response response = send(request, Http.bearer(token));
            assertEquals(expected, response.status(), () -> context + ": " + response);
            if (expected < 300) {
                request.succeeded().verify(response);
                return;
            }
            assertUnauthorized(response, request.method(), challenge(endpoint.scope(repository), "insufficient_scope"),
                    context);
            before.assertUnchanged(context);
            request.refused().verify(response);
        });
    }

    @Test
    void tokenForAnotherRepositoryIsInsufficientScope() throws Exception {
        registry.withLog(() -> {
            String token = Http.bearer(token(basic(CI_PUSH), "repository:ci/app:pull,push,delete"));
            assertEquals(200, http.get("/v2/ci/app/manifests/v1", token).status(), "the token works where it grants");
            String digest = endpoints.image(CI_SRC).digest();
            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            assertUnauthorized(http.get("/v2/ci/src/manifests/v1", token), "GET",
                    challenge("repository:ci/src:pull", "insufficient_scope"), "GET in ci/src");
            assertUnauthorized(http.send("DELETE", "/v2/ci/src/manifests/" + digest, token, null), "DELETE",
                    challenge("repository:ci/src:delete", "insufficient_scope"), "DELETE in ci/src");
            assertUnauthorized(http.send("POST", "/v2/ci/src/blobs/uploads/", token, null), "POST",
                    challenge("repository:ci/src:pull,push", "insufficient_scope"), "upload to ci/src");
            before.assertUnchanged("a ci/app token used on ci/src");
            assertEquals(200, http.head("/v2/ci/src/manifests/" + digest, admin).status());
        });
    }

    @Test
    void catalogAndBaseWithTokens() throws Exception {
        registry.withLog(() -> {
            String ciPush = Http.bearer(token(basic(CI_PUSH), "registry:catalog:*"));
            String clusterPull = Http.bearer(token(basic(CLUSTER_PULL), "registry:catalog:*"));
            assertEquals(List.of(CI_APP, CI_SRC), BasicAuthMatrixTest.repositories(http.get("/v2/_catalog", ciPush)));
            assertEquals(REPOSITORIES, BasicAuthMatrixTest.repositories(http.get("/v2/_catalog", clusterPull)));
            assertEquals(REPOSITORIES, BasicAuthMatrixTest.repositories(http.get("/v2/_catalog", admin)));

            String noCatalog = Http.bearer(token(basic(CI_PUSH), "repository:ci/app:pull"));
            assertUnauthorized(http.get("/v2/_catalog", noCatalog), "GET",
                    challenge("registry:catalog:*", "insufficient_scope"), "catalog without the catalog scope");
            String anonymous = Http.bearer(token(null, "registry:catalog:*"));
            assertUnauthorized(http.get("/v2/_catalog", anonymous), "GET",
                    challenge("registry:catalog:*", "insufficient_scope"), "catalog with an anonymous token");

            // GET /v2/ needs no right, only a valid token
            assertEquals(200, http.get("/v2/", noCatalog).status());
            assertEquals(200, http.get("/v2/", anonymous).status());
        });
    }

    @Test
    void anonymousTokenPullsPublicRepositoriesOnly() throws Exception {
        registry.withLog(() -> {
            Http.Response response = http.token(null, List.of("repository:public/base:pull,push"),
                    "offline_token=true");
            assertEquals(200, response.status(), response::toString);
            assertFalse(response.json().has("refresh_token"), () -> "no refresh token for anonymous callers: " + response);
            String token = response.json().path("token").asText();
            Jwt jwt = Jwt.parse(token);
            assertFalse(jwt.claims().has("sub"), jwt::toString);
            assertEquals(Map.of("repository:public/base", Set.of("pull")), access(jwt.claims()));

            String bearer = Http.bearer(token);
            Content.Image image = endpoints.image(PUBLIC);
            Http.Response manifest = http.get("/v2/public/base/manifests/v1", bearer, "Accept", Content.OCI_MANIFEST);
            assertEquals(200, manifest.status(), manifest::toString);
            assertEquals(image.digest(), manifest.header("Docker-Content-Digest"));
            Http.Response blob = http.get("/v2/public/base/blobs/" + image.layer(), bearer);
            assertEquals(200, blob.status(), blob::toString);
            assertEquals(image.layer(), Content.digest(blob.body()));

            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            assertUnauthorized(http.send("POST", "/v2/public/base/blobs/uploads/", bearer, null), "POST",
                    challenge("repository:public/base:pull,push", "insufficient_scope"), "anonymous upload");
            assertUnauthorized(http.get("/v2/ci/app/manifests/v1", bearer), "GET",
                    challenge("repository:ci/app:pull", "insufficient_scope"), "anonymous pull of ci/app");
            before.assertUnchanged("anonymous token");
        });
    }

    // ---- forged and unusable tokens --------------------------------------------------------------

    /** Ways to make a token that must not be accepted. */
    enum Forgery {
        TAMPERED_SIGNATURE, MODIFIED_PAYLOAD, ALG_NONE, ALG_HS256, EXPIRED, NOT_YET_VALID, NO_EXPIRY, WRONG_ISSUER,
        WRONG_AUDIENCE, FOREIGN_KEY, EMBEDDED_JWK, REFRESH_TOKEN, GARBAGE
    }

    /**
     * Every forgery claims {@code pull,push,delete} on ci/app, while the genuine token it starts from
     * grants only pull; it is used to delete a manifest, which must stay.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Forgery.class)
    void forgedTokenIsInvalid(Forgery forgery) throws Exception {
        registry.withLog(() -> {
            String forged = forge(forgery);
            Prepared request = endpoints.prepare(Endpoint.MANIFEST_DELETE, CI_APP);
            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            Http.Response response = send(request, Http.bearer(forged));
            assertUnauthorized(response, "DELETE", challenge("repository:ci/app:delete", "invalid_token"),
                    "forged token (" + forgery + ")");
            before.assertUnchanged("forged token (" + forgery + ")");
            request.refused().verify(response);
        });
    }

    /** The control for the forgeries: the same claims, validly signed with the registry's key, are accepted. */
    @Test
    void tokenSignedWithTheRegistrysKeyIsAccepted() throws Exception {
        registry.withLog(() -> {
            Jwt genuine = Jwt.parse(token(basic(CI_PUSH), "repository:ci/app:pull"));
            String resigned = Jwt.signEs256(genuine.header(), widened(genuine.claims()), signingKey());
            Prepared request = endpoints.prepare(Endpoint.MANIFEST_DELETE, CI_APP);
            Http.Response response = send(request, Http.bearer(resigned));
            assertEquals(202, response.status(), response::toString);
            request.succeeded().verify(response);
        });
    }

    private String forge(Forgery forgery) throws Exception {
        String genuineToken = token(basic(CI_PUSH), "repository:ci/app:pull");
        Jwt genuine = Jwt.parse(genuineToken);
        ObjectNode claims = widened(genuine.claims());
        long now = Instant.now().getEpochSecond();
        PrivateKey key = signingKey();
        return switch (forgery) {
            case TAMPERED_SIGNATURE -> {
                String valid = Jwt.signEs256(genuine.header(), claims, key);
                String signature = valid.substring(valid.lastIndexOf('.') + 1);
                byte[] raw = Jwt.decode(signature);
                raw[raw.length / 2] ^= 0x01;
                yield valid.substring(0, valid.lastIndexOf('.') + 1) + Jwt.encode(raw);
            }
            case MODIFIED_PAYLOAD -> {
                String[] parts = genuineToken.split("\\.");
                yield parts[0] + "." + Jwt.encode(claims) + "." + parts[2];
            }
            case ALG_NONE -> {
                ObjectNode header = Http.JSON.createObjectNode().put("alg", "none").put("typ", "JWT");
                yield Jwt.encode(header) + "." + Jwt.encode(claims) + ".";
            }
            case ALG_HS256 -> {
                // the classic confusion: HMAC keyed with something public (the signing certificate)
                ObjectNode header = genuine.header().deepCopy().put("alg", "HS256");
                byte[] certificate = java.util.Base64.getDecoder().decode(genuine.header().path("x5c").path(0).asText());
                yield Jwt.signHs256(header, claims, certificate);
            }
            case EXPIRED -> Jwt.signEs256(genuine.header(), claims.put("iat", now - 900).put("nbf", now - 900)
                    .put("exp", now - 600), key);
            case NOT_YET_VALID -> Jwt.signEs256(genuine.header(), claims.put("nbf", now + 600).put("exp", now + 900), key);
            case NO_EXPIRY -> {
                claims.remove("exp");
                yield Jwt.signEs256(genuine.header(), claims, key);
            }
            case WRONG_ISSUER -> Jwt.signEs256(genuine.header(), claims.put("iss", "someone-else"), key);
            case WRONG_AUDIENCE -> Jwt.signEs256(genuine.header(), claims.put("aud", "other.service"), key);
            case FOREIGN_KEY -> Jwt.signEs256(genuine.header(), claims, foreignKeys().getPrivate());
            case EMBEDDED_JWK -> {
                KeyPair foreign = foreignKeys();
                ECPublicKey publicKey = (ECPublicKey) foreign.getPublic();
                ObjectNode header = Http.JSON.createObjectNode().put("alg", "ES256").put("typ", "JWT");
                header.putObject("jwk").put("kty", "EC").put("crv", "P-256")
                        .put("x", Jwt.encode(unsigned32(publicKey.getW().getAffineX())))
                        .put("y", Jwt.encode(unsigned32(publicKey.getW().getAffineY())));
                yield Jwt.signEs256(header, claims, foreign.getPrivate());
            }
            case REFRESH_TOKEN -> {
                Http.Response response = http.token(basic(CI_PUSH), List.of("repository:ci/app:pull,push,delete"),
                        "offline_token=true");
                assertEquals(200, response.status(), response::toString);
                String refresh = response.json().path("refresh_token").asText(null);
                assertNotNull(refresh, () -> "offline_token=true gives a refresh token: " + response);
                yield refresh;
            }
            case GARBAGE -> "not-a-token";
        };
    }

    /** {@code claims} with {@code pull,push,delete} on ci/app. */
    private static ObjectNode widened(ObjectNode claims) {
        ObjectNode copy = claims.deepCopy();
        ArrayNode access = copy.putArray("access");
        access.addObject().put("type", "repository").put("name", CI_APP).putArray("actions")
                .add("pull").add("push").add("delete");
        return copy;
    }

    private PrivateKey signingKey() throws Exception {
        return Jwt.readEcKey(registry.signingKey());
    }

    private static KeyPair foreignKeys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static byte[] unsigned32(BigInteger value) {
        byte[] bytes = value.toByteArray();
        byte[] fixed = new byte[32];
        int length = Math.min(bytes.length, 32);
        System.arraycopy(bytes, bytes.length - length, fixed, 32 - length, length);
        return fixed;
    }

    // ---- OAuth2 (POST) -----------------------------------------------------------------------------

    private Map<String, String> passwordGrant(String user, String password, String scope) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "password");
        form.put("username", user);
        form.put("password", password);
        form.put("service", SERVICE);
        form.put("client_id", "e2e-auth");
        form.put("scope", scope);
        return form;
    }

    /**
     * Distribution's OAuth2 spec: {@code refresh_token} "will only be set when
     * {@code access_type=offline} is provided in the request".
     */
    @Test
    void passwordGrantWithoutOfflineAccessGivesOnlyAnAccessToken() throws Exception {
        registry.withLog(() -> {
            Http.Response response = http.postForm("/auth/token", passwordGrant(CI_PUSH, password(CI_PUSH),
                    "repository:ci/app:pull,push repository:public/base:pull"));
            assertEquals(200, response.status(), response::toString);
            JsonNode body = response.json();
            assertEquals("repository:ci/app:pull,push", body.path("scope").asText(), response::toString);
            assertEquals(300, body.path("expires_in").asLong());
            Jwt jwt = Jwt.parse(body.path("access_token").asText());
            assertEquals(CI_PUSH, jwt.claims().path("sub").asText());
            assertEquals(Map.of("repository:ci/app", Set.of("pull", "push")), access(jwt.claims()));
            assertEquals(200, http.get("/v2/ci/app/tags/list", Http.bearer(body.path("access_token").asText())).status());
            assertFalse(body.has("refresh_token"),
                    () -> "refresh_token is only for access_type=offline (distribution's OAuth2 spec): " + response);
        });
    }

    @Test
    void passwordGrantOfflineThenRefreshTokenGrant() throws Exception {
        registry.withLog(() -> {
            Map<String, String> form = passwordGrant(CI_PUSH, password(CI_PUSH), "repository:ci/app:pull");
            form.put("access_type", "offline");
            Http.Response response = http.postForm("/auth/token", form);
            assertEquals(200, response.status(), response::toString);
            String refresh = response.json().path("refresh_token").asText(null);
            assertNotNull(refresh, () -> "access_type=offline gives a refresh token: " + response);
            assertEquals("repository:ci/app:pull", response.json().path("scope").asText());

            // the refresh token is not an access token
            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            assertUnauthorized(http.get("/v2/ci/app/tags/list", Http.bearer(refresh)), "GET",
                    challenge("repository:ci/app:pull", "invalid_token"), "refresh token as access token");
            before.assertUnchanged("refresh token as access token");

            // ... but gets new access tokens, for other scopes too, within the rules
            Map<String, String> refreshForm = new LinkedHashMap<>();
            refreshForm.put("grant_type", "refresh_token");
            refreshForm.put("refresh_token", refresh);
            refreshForm.put("service", SERVICE);
            refreshForm.put("client_id", "e2e-auth");
            refreshForm.put("scope", "repository:ci/app:pull,push,delete repository:other/app:pull");
            Http.Response refreshed = http.postForm("/auth/token", refreshForm);
            assertEquals(200, refreshed.status(), refreshed::toString);
            assertEquals(refresh, refreshed.json().path("refresh_token").asText(), "the same refresh token comes back");
            assertEquals("repository:ci/app:pull,push,delete", refreshed.json().path("scope").asText());
            String access = refreshed.json().path("access_token").asText();
            assertEquals(CI_PUSH, Jwt.parse(access).claims().path("sub").asText());
            Prepared delete = endpoints.prepare(Endpoint.MANIFEST_DELETE, CI_APP);
            Http.Response deleted = send(delete, Http.bearer(access));
            assertEquals(202, deleted.status(), deleted::toString);
            delete.succeeded().verify(deleted);
        });
    }

    @Test
    void refreshedTokensStayWithinTheRules() throws Exception {
        registry.withLog(() -> {
            Http.Response login = http.token(basic(CLUSTER_PULL), List.of("repository:ci/app:pull"), "offline_token=true");
            assertEquals(200, login.status(), login::toString);
            String refresh = login.json().path("refresh_token").asText(null);
            assertNotNull(refresh, () -> "offline_token=true gives a refresh token: " + login);
            Map<String, String> form = new LinkedHashMap<>();
            form.put("grant_type", "refresh_token");
            form.put("refresh_token", refresh);
            form.put("service", SERVICE);
            form.put("scope", "repository:ci/app:pull,push,delete");
            Http.Response response = http.postForm("/auth/token", form);
            assertEquals(200, response.status(), response::toString);
            assertEquals("repository:ci/app:pull", response.json().path("scope").asText());
            assertEquals(Map.of("repository:ci/app", Set.of("pull")),
                    access(Jwt.parse(response.json().path("access_token").asText()).claims()));
        });
    }

    @Test
    void unusableRefreshTokensAreInvalidGrants() throws Exception {
        registry.withLog(() -> {
            String accessToken = token(basic(CI_PUSH), "repository:ci/app:pull");
            Http.Response login = http.token(basic(CI_PUSH), List.of(), "offline_token=true");
            String refresh = login.json().path("refresh_token").asText();
            String tampered = refresh.substring(0, refresh.lastIndexOf('.') + 1) + Jwt.encode(new byte[64]);
            for (String candidate : List.of(accessToken, tampered, "garbage")) {
                try (Http fresh = registry.httpFrom(nextFreshAddress())) {
                    Map<String, String> form = new LinkedHashMap<>();
                    form.put("grant_type", "refresh_token");
                    form.put("refresh_token", candidate);
                    form.put("service", SERVICE);
                    form.put("scope", "repository:ci/app:pull");
                    Http.Response response = fresh.postForm("/auth/token", form);
                    assertEquals(400, response.status(), response::toString);
                    assertEquals("invalid_grant", response.json().path("error").asText(), response::toString);
                }
            }
        });
    }

    /** Refresh tokens do not expire, but die with the password they were issued under, and with the user. */
    @Test
    void refreshTokensEndWithAPasswordChangeOrRemoval() throws Exception {
        registry.withLog(() -> {
            String user = "rotating";
            registry.setPassword(user, "first-Password-1");
            String first = awaitRefreshToken(user, "first-Password-1");
            assertEquals(200, refresh(http, first).status(), "the refresh token works");

            registry.setPassword(user, "second-Password-2");
            awaitRefreshStatus(first, 400, "the refresh token of the old password stops working");
            String second = awaitRefreshToken(user, "second-Password-2");
            assertEquals(200, refresh(http, second).status(), "a refresh token of the new password works");

            registry.removeUser(user);
            awaitRefreshStatus(second, 400, "the refresh token of a removed user stops working");
        });
    }

    private String awaitRefreshToken(String user, String password) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Http fresh = registry.httpFrom(nextFreshAddress())) {
                Http.Response response = fresh.token(Http.basic(user, password), List.of(), "offline_token=true");
                if (response.status() == 200) {
                    return response.json().path("refresh_token").asText();
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no token for " + user + " within 10s: " + response);
                }
            }
            Thread.sleep(200);
        }
    }

    private void awaitRefreshStatus(String refreshToken, int status, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Http fresh = registry.httpFrom(nextFreshAddress())) {
                Http.Response response = refresh(fresh, refreshToken);
                if (response.status() == status) {
                    if (status == 400) {
                        assertEquals("invalid_grant", response.json().path("error").asText(), response::toString);
                    }
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(what + ": still " + response + " after 10s");
                }
            }
            Thread.sleep(200);
        }
    }

    private static Http.Response refresh(Http client, String refreshToken) throws Exception {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "refresh_token");
        form.put("refresh_token", refreshToken);
        form.put("service", SERVICE);
        form.put("scope", "repository:public/base:pull");
        return client.postForm("/auth/token", form);
    }

    @Test
    void malformedTokenRequestsAreBadRequests() throws Exception {
        registry.withLog(() -> {
            Map<String, String> unsupported = passwordGrant(CI_PUSH, password(CI_PUSH), "repository:ci/app:pull");
            unsupported.put("grant_type", "client_credentials");
            assertTokenError(http.postForm("/auth/token", unsupported), "unsupported_grant_type");
            Map<String, String> missing = passwordGrant(CI_PUSH, password(CI_PUSH), "repository:ci/app:pull");
            missing.remove("grant_type");
            assertTokenError(http.postForm("/auth/token", missing), "invalid_request");
            Map<String, String> otherService = passwordGrant(CI_PUSH, password(CI_PUSH), "repository:ci/app:pull");
            otherService.put("service", "other.service");
            assertTokenError(http.postForm("/auth/token", otherService), "invalid_request");
            assertTokenError(http.token(basic(CI_PUSH), List.of("repository:ci/app")), "invalid_scope");
        });
    }

    private static void assertTokenError(Http.Response response, String error) {
        assertEquals(400, response.status(), response::toString);
        assertEquals(error, response.json().path("error").asText(), response::toString);
        assertFalse(response.json().path("error_description").asText().isEmpty(), response::toString);
    }

    // ---- wrong passwords at the token endpoint ---------------------------------------------------

    @Test
    void wrongPasswordAtTheTokenEndpointIsUnauthorized() throws Exception {
        registry.withLog(() -> {
            try (Http fresh = registry.httpFrom(nextFreshAddress())) {
                Http.Response get = fresh.token(Http.basic(CI_PUSH, "wrong"), List.of("repository:ci/app:pull"));
                assertTokenUnauthorized(get, "GET with a wrong password");
                Http.Response unknown = fresh.token(Http.basic("nobody", "wrong"), List.of("repository:ci/app:pull"));
                assertTokenUnauthorized(unknown, "GET for an unknown user");
                Http.Response post = fresh.postForm("/auth/token", passwordGrant(CI_PUSH, "wrong", "repository:ci/app:pull"));
                assertTokenUnauthorized(post, "password grant with a wrong password");
            }
        });
    }

    @Test
    void tokenEndpointLimitsFailedLogins() throws Exception {
        registry.withLog(() -> {
            try (Http attacker = registry.httpFrom("127.0.0.201")) {
                for (int i = 1; i <= 5; i++) {
                    assertTokenUnauthorized(attacker.token(Http.basic(CI_PUSH, "wrong-" + i), List.of()), "attempt " + i);
                }
                BasicAuthMatrixTest.assertTooManyRequests(attacker.token(Http.basic(CI_PUSH, "wrong-6"), List.of()),
                        "6th wrong password");
                BasicAuthMatrixTest.assertTooManyRequests(attacker.token(basic(CI_PUSH), List.of()),
                        "right password from the blocked address");
                BasicAuthMatrixTest.assertTooManyRequests(attacker.postForm("/auth/token",
                        passwordGrant(CI_PUSH, password(CI_PUSH), "repository:ci/app:pull")), "password grant");
                // anonymous tokens are never refused
                Http.Response anonymous = attacker.token(null, List.of("repository:public/base:pull"));
                assertEquals(200, anonymous.status(), anonymous::toString);
            }
            assertNotNull(token(basic(CI_PUSH), "repository:ci/app:pull"), "other addresses are not affected");
        });
    }

    private static void assertTokenUnauthorized(Http.Response response, String context) {
        assertEquals(401, response.status(), () -> context + ": " + response);
        assertEquals(BASIC_CHALLENGE, response.header("WWW-Authenticate"), () -> context + ": " + response);
        assertEquals("UNAUTHORIZED", response.errorCode(), () -> context + ": " + response);
        assertFalse(response.text().contains("\"token\""), () -> context + ": no token: " + response);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static String basic(String user) {
        return Http.basic(user, password(user));
    }

    /** A token from {@code GET /auth/token} for {@code scopes}, with {@code authorization} (or anonymously). */
    private String token(String authorization, String... scopes) throws Exception {
        Http.Response response = http.token(authorization, List.of(scopes));
        assertEquals(200, response.status(), () -> "token for " + List.of(scopes) + ": " + response);
        String token = response.json().path("token").asText(null);
        assertNotNull(token, response::toString);
        return token;
    }

    private Http.Response send(Prepared request, String authorization) throws Exception {
        return http.send(request.method(), request.path(), authorization, request.body(), request.headers());
    }

    /** {@code Bearer realm="...",service="registry.local"[,scope="..."][,error="..."]}. */
    private String challenge(String scope, String error) {
        return "Bearer realm=\"" + registry.tokenRealm() + "\",service=\"" + SERVICE + "\""
                + (scope == null ? "" : ",scope=\"" + scope + "\"")
                + (error == null ? "" : ",error=\"" + error + "\"");
    }

    private static String scopeOf(String challenge) {
        Matcher matcher = SCOPE.matcher(String.valueOf(challenge));
        assertTrue(matcher.find(), () -> "no scope in " + challenge);
        return matcher.group(1);
    }

    private static void assertUnauthorized(Http.Response response, String method, String challenge, String context) {
        assertEquals(401, response.status(), () -> context + ": " + response);
        assertEquals(challenge, response.header("WWW-Authenticate"), () -> context + ": " + response);
        if (!method.equals("HEAD")) {
            assertEquals("UNAUTHORIZED", response.errorCode(), () -> context + ": " + response);
        }
    }

    /** The {@code aud} claim as one string (it may be a one-element list). */
    private static String audience(ObjectNode claims) {
        JsonNode aud = claims.path("aud");
        return aud.isArray() && aud.size() == 1 ? aud.get(0).asText() : aud.asText();
    }

    /** The {@code access} claim as {@code type:name -> actions}. */
    static Map<String, Set<String>> access(ObjectNode claims) {
        Map<String, Set<String>> access = new TreeMap<>();
        for (JsonNode entry : claims.path("access")) {
            Set<String> actions = new TreeSet<>();
            entry.path("actions").forEach(action -> actions.add(action.asText()));
            Set<String> earlier = access.put(entry.path("type").asText() + ":" + entry.path("name").asText(), actions);
            assertNull(earlier, () -> "one access entry per resource: " + claims);
        }
        return access;
    }

    private String nextFreshAddress() {
        int n = nextAddress.getAndIncrement();
        return "127.0." + (1 + n / 250) + "." + (1 + n % 250);
    }
}
