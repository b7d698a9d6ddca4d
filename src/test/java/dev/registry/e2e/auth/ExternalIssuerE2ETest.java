package dev.registry.e2e.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.registry.e2e.RegistryProcess;
import dev.registry.e2e.clients.Cli;
import dev.registry.e2e.clients.DockerEngine;
import dev.registry.e2e.clients.OciLayoutBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The GitLab setup of docs/auth.md ("GitLab CI with GitLab as the token issuer") end to end: the
 * registry runs with only {@code auth.token} (realm, service, issuer, rootcertbundle: no htpasswd,
 * no built-in token server), and the token issuer is {@link GitlabTokenServer}, served by this test
 * on 127.0.0.1 at {@code /jwt/auth}. Its RSA 2048 key is named in tokens only by the libtrust
 * {@code kid} of the key whose self-signed certificate is the bundle, as GitLab does; a second
 * certificate of the bundle is a CA for tokens that carry an {@code x5c} chain.
 *
 * <p>Checked: the challenges, a token fetched by following the challenge, a push and a byte-exact
 * pull with it; forged, misdirected and expired tokens (each refused with 401 {@code invalid_token}
 * and the storage unchanged); a token without the right (401 {@code insufficient_scope}, as
 * docs/auth.md documents); x5c chains; and skopeo and docker fetching tokens from the realm
 * themselves, with right and wrong credentials.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ExternalIssuerE2ETest {
    static final String SERVICE = "container_registry";
    static final String ISSUER = "gitlab-issuer";
    /** GitLab CI's user for job tokens. */
    static final String USER = "gitlab-ci-token";
    static final String PASSWORD = "glcbt-e2e-job-token-0123456789";
    static final String PROJECT = "group/project";
    static final String OTHER = "group/other";
    /** What the issuer grants: pull and push on the job's project, pull on another project. */
    static final Map<String, Map<String, Set<String>>> RULES = Map.of(USER,
            Map.of(PROJECT, Set.of("pull", "push"), OTHER, Set.of("pull")));
    private static final String PUSH_SCOPE = "repository:" + PROJECT + ":pull,push";
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);
    private static final String DENIED = "denied: requested access to the resource is denied";
    private static final Pattern PARAMETER = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private Path dir;
    /** GitLab's registry signing key and its self-signed certificate: the bundle's first certificate. */
    private Certificates.Issued gitlab;
    /** A CA whose certificate is the bundle's second one, for x5c chains. */
    private Certificates.Issued ca;
    /** A key of no certificate in the bundle. */
    private KeyPair stranger;
    /** Keys for x5c leaf certificates. */
    private KeyPair leafKeys;
    private GitlabTokenServer tokens;
    private RegistryProcess registry;
    private Http http;

    @BeforeAll
    void start() throws Exception {
        dir = RegistryProcess.workDir("auth-external-issuer");
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        gitlab = Certificates.selfSigned("gitlab-issuer", Certificates.rsa(2048), true, now.minus(1, ChronoUnit.DAYS),
                now.plus(3650, ChronoUnit.DAYS));
        ca = Certificates.selfSigned("e2e token CA", Certificates.rsa(2048), true, now.minus(1, ChronoUnit.DAYS),
                now.plus(3650, ChronoUnit.DAYS));
        stranger = Certificates.rsa(2048);
        leafKeys = Certificates.rsa(2048);
        Path bundle = dir.resolve("gitlab-registry.crt");
        Files.writeString(bundle, gitlab.pem() + ca.pem());

        tokens = GitlabTokenServer.start(gitlab.keys().getPrivate(), gitlab.keys().getPublic(), ISSUER, SERVICE,
                Map.of(USER, PASSWORD), RULES);
        registry = RegistryProcess.start(storage(), """
                auth:
                  token:
                    realm: %s
                    service: %s
                    issuer: %s
                    rootcertbundle: %s
                """.formatted(tokens.realm(), SERVICE, ISSUER, bundle));
        http = new Http(registry.baseUrl(), null, null);
    }

    @AfterAll
    void stop() throws Exception {
        if (http != null) {
            http.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (tokens != null) {
            tokens.close();
        }
    }

    // ---- the key ID ---------------------------------------------------------------------------------

    @Test
    void libtrustKeyIdAsGitlabComputesIt() {
        // RFC 4648 section 10 test vectors, without padding
        Map<String, String> vectors = Map.of("", "", "f", "MY", "fo", "MZXQ", "foo", "MZXW6", "foob", "MZXW6YQ",
                "fooba", "MZXW6YTB", "foobar", "MZXW6YTBOI");
        vectors.forEach((in, out) -> assertEquals(out, GitlabTokenServer.base32(in.getBytes(StandardCharsets.US_ASCII)),
                "base32 of '" + in + "'"));
        String kid = GitlabTokenServer.libtrustKeyId(gitlab.keys().getPublic());
        assertTrue(kid.matches("[A-Z2-7]{4}(:[A-Z2-7]{4}){11}"), kid);
        assertEquals(kid, tokens.kid());
        assertNotEquals(kid, GitlabTokenServer.libtrustKeyId(stranger.getPublic()));
    }

    // ---- challenges ---------------------------------------------------------------------------------

    @Test
    void challengesNameTheRealmTheServiceAndTheScope() throws Exception {
        withLog(() -> {
            StorageSnapshot before = StorageSnapshot.of(storage());
            Http.Response base = http.get("/v2/", null);
            assertRefused(base, "GET", challenge(null, null), "GET /v2/ without a token");
            assertEquals("Bearer realm=\"" + tokens.realm() + "\",service=\"" + SERVICE + "\"",
                    base.header("WWW-Authenticate"));

            assertRefused(http.send("POST", "/v2/" + PROJECT + "/blobs/uploads/", null, null), "POST",
                    challenge(PUSH_SCOPE, null), "upload without a token");
            assertRefused(http.get("/v2/" + PROJECT + "/manifests/latest", null), "GET",
                    challenge("repository:" + PROJECT + ":pull", null), "manifest GET without a token");
            assertRefused(http.send("PUT", "/v2/" + PROJECT + "/manifests/latest", null, "{}".getBytes(
                    StandardCharsets.UTF_8), "Content-Type", Content.OCI_MANIFEST), "PUT",
                    challenge(PUSH_SCOPE, null), "manifest PUT without a token");
            // the job token itself, sent as Basic credentials to the registry, is no credential there
            assertRefused(http.send("POST", "/v2/" + PROJECT + "/blobs/uploads/", Http.basic(USER, PASSWORD), null),
                    "POST", challenge(PUSH_SCOPE, null), "upload with Basic credentials");
            before.assertUnchanged("requests without a token");
        });
    }

    // ---- the token flow -----------------------------------------------------------------------------

    @Test
    void tokenFromTheRealmPushesAndPullsByteForByte() throws Exception {
        withLog(() -> {
            Http.Response challenged = http.send("POST", "/v2/" + PROJECT + "/blobs/uploads/", null, null);
            assertEquals(401, challenged.status(), challenged::toString);
            String push = fetchToken(challenged.header("WWW-Authenticate"), USER, PASSWORD);

            Jwt jwt = Jwt.parse(push);
            assertEquals("RS256", jwt.header().path("alg").asText(), jwt::toString);
            assertEquals("JWT", jwt.header().path("typ").asText(), jwt::toString);
            assertEquals(GitlabTokenServer.libtrustKeyId(gitlab.keys().getPublic()), jwt.header().path("kid").asText());
            assertFalse(jwt.header().has("x5c"), "GitLab names its key by kid only");
            ObjectNode claims = jwt.claims();
            assertEquals(ISSUER, claims.path("iss").asText());
            assertEquals(USER, claims.path("sub").asText());
            assertEquals(SERVICE, claims.path("aud").asText());
            assertEquals(GitlabTokenServer.LIFETIME_SECONDS, claims.path("exp").asLong() - claims.path("iat").asLong());
            assertEquals(Map.of("repository:" + PROJECT, Set.of("pull", "push")), TokenAuthMatrixTest.access(claims));
            String bearer = Http.bearer(push);

            Http.Response base = http.get("/v2/", bearer);
            assertEquals(200, base.status(), base::toString);
            assertEquals("{}", base.text().strip());

            // config by a monolithic upload, the layer by a chunked one, then the manifest
            byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"nonce\":\"" + Content.nonce() + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            String configDigest = Content.uploadBlob(http, bearer, PROJECT, config);
            byte[] layer = Content.randomBytes(96 * 1024);
            String layerDigest = Content.digest(layer);
            String location = Content.startUpload(http, bearer, PROJECT);
            Http.Response patch = http.send("PATCH", location, bearer, Arrays.copyOf(layer, 40_000),
                    "Content-Type", "application/octet-stream", "Content-Range", "0-39999");
            assertEquals(202, patch.status(), patch::toString);
            String next = http.uri(patch.header("Location")).toString();
            Http.Response put = http.send("PUT", next + (next.contains("?") ? "&" : "?") + Http.query("digest",
                    layerDigest), bearer, Arrays.copyOfRange(layer, 40_000, layer.length),
                    "Content-Type", "application/octet-stream");
            assertEquals(201, put.status(), put::toString);
            assertEquals(layerDigest, put.header("Docker-Content-Digest"), put::toString);
            byte[] manifest = Content.manifest(configDigest, config.length, layerDigest, layer.length, Content.nonce());
            String manifestDigest = Content.putManifest(http, bearer, PROJECT, "v1", manifest);

            // pulled back with a pull-only token, byte for byte
            Http.Response pullChallenge = http.get("/v2/" + PROJECT + "/manifests/v1", null);
            String pull = Http.bearer(fetchToken(pullChallenge.header("WWW-Authenticate"), USER, PASSWORD));
            Http.Response pulled = http.get("/v2/" + PROJECT + "/manifests/v1", pull, "Accept", Content.OCI_MANIFEST);
            assertEquals(200, pulled.status(), pulled::toString);
            assertArrayEquals(manifest, pulled.body(), "the manifest as pushed");
            assertEquals(manifestDigest, pulled.header("Docker-Content-Digest"));
            assertEquals(manifestDigest, Content.digest(pulled.body()));
            for (var blob : Map.of(configDigest, config, layerDigest, layer).entrySet()) {
                Http.Response got = http.get("/v2/" + PROJECT + "/blobs/" + blob.getKey(), pull);
                assertEquals(200, got.status(), got::toString);
                assertArrayEquals(blob.getValue(), got.body(), "blob " + blob.getKey());
                assertEquals(blob.getKey(), Content.digest(got.body()));
            }
            Http.Response tags = http.get("/v2/" + PROJECT + "/tags/list", pull);
            assertEquals(200, tags.status(), tags::toString);
            assertTrue(tags.json().path("tags").toString().contains("\"v1\""), tags::toString);

            // the pull-only token does not push
            StorageSnapshot before = StorageSnapshot.of(storage());
            assertRefused(http.send("POST", "/v2/" + PROJECT + "/blobs/uploads/", pull, null), "POST",
                    challenge(PUSH_SCOPE, "insufficient_scope"), "upload with a pull-only token");
            assertRefused(http.send("PUT", "/v2/" + PROJECT + "/manifests/v2", pull, manifest, "Content-Type",
                    Content.OCI_MANIFEST), "PUT", challenge(PUSH_SCOPE, "insufficient_scope"),
                    "manifest PUT with a pull-only token");
            before.assertUnchanged("pushes with a pull-only token");
        });
    }

    @Test
    void theIssuerDecidesAccess() throws Exception {
        withLog(() -> {
            // the realm itself refuses a wrong password (GitLab's behaviour, which the clients rely on)
            Http.Response wrong = http.get(tokenUrl(PUSH_SCOPE), Http.basic(USER, PASSWORD + "-wrong"));
            assertEquals(401, wrong.status(), wrong::toString);
            assertFalse(wrong.text().contains("token"), wrong::toString);

            // asked for pull and push on group/other, the realm grants pull only
            String otherToken = token(USER, PASSWORD, "repository:" + OTHER + ":pull,push");
            assertEquals(Map.of("repository:" + OTHER, Set.of("pull")),
                    TokenAuthMatrixTest.access(Jwt.parse(otherToken).claims()));
            String other = Http.bearer(otherToken);

            StorageSnapshot before = StorageSnapshot.of(storage());
            // a token for group/other does not push group/project: 401 insufficient_scope (docs/auth.md)
            assertRefused(http.send("POST", "/v2/" + PROJECT + "/blobs/uploads/", other, null), "POST",
                    challenge(PUSH_SCOPE, "insufficient_scope"), "upload to group/project with a group/other token");
            assertRefused(http.send("PUT", "/v2/" + PROJECT + "/manifests/other", other, "{}".getBytes(
                    StandardCharsets.UTF_8), "Content-Type", Content.OCI_MANIFEST), "PUT",
                    challenge(PUSH_SCOPE, "insufficient_scope"),
                    "manifest PUT to group/project with a group/other token");
            assertRefused(http.get("/v2/" + PROJECT + "/tags/list", other), "GET",
                    challenge("repository:" + PROJECT + ":pull", "insufficient_scope"),
                    "tags of group/project with a group/other token");
            // nor group/other, where it grants pull only
            assertRefused(http.send("POST", "/v2/" + OTHER + "/blobs/uploads/", other, null), "POST",
                    challenge("repository:" + OTHER + ":pull,push", "insufficient_scope"), "upload to group/other");
            before.assertUnchanged("pushes the issuer did not grant");

            // but it pulls group/other: past authorization, to a repository that does not exist
            Http.Response tags = http.get("/v2/" + OTHER + "/tags/list", other);
            assertEquals(404, tags.status(), tags::toString);
            assertEquals("NAME_UNKNOWN", tags.errorCode(), tags::toString);

            // an anonymous token (no credentials at the realm) is valid but grants nothing
            String anonymous = token(null, null, "repository:" + PROJECT + ":pull");
            assertFalse(Jwt.parse(anonymous).claims().has("sub"));
            assertEquals(Map.of(), TokenAuthMatrixTest.access(Jwt.parse(anonymous).claims()));
            Http.Response base = http.get("/v2/", Http.bearer(anonymous));
            assertEquals(200, base.status(), base::toString);
            assertRefused(http.get("/v2/" + PROJECT + "/tags/list", Http.bearer(anonymous)), "GET",
                    challenge("repository:" + PROJECT + ":pull", "insufficient_scope"), "anonymous token");
        });
    }

    // ---- refused tokens -----------------------------------------------------------------------------

    /** A token to be refused, made when the test runs (the keys exist only after {@code @BeforeAll}). */
    record Forgery(String name, TokenMaker maker) {
        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface TokenMaker {
        String make(ExternalIssuerE2ETest test) throws Exception;
    }

    static Stream<Forgery> forgeries() {
        return Stream.of(
                new Forgery("signed by another key under the issuer's kid", t -> GitlabTokenServer.sign(
                        t.gitlabHeader(), t.pushClaims(), t.stranger.getPrivate(), "SHA256withRSA")),
                new Forgery("signed by a key outside the bundle, under its own kid", t -> GitlabTokenServer.sign(
                        GitlabTokenServer.header("RS256", GitlabTokenServer.libtrustKeyId(t.stranger.getPublic())),
                        t.pushClaims(), t.stranger.getPrivate(), "SHA256withRSA")),
                new Forgery("from another issuer", t -> t.signedByGitlab(t.pushClaims().put("iss", "other-issuer"))),
                new Forgery("for another service", t -> t.signedByGitlab(t.pushClaims().put("aud", "other_registry"))),
                new Forgery("expired beyond the leeway", t -> {
                    long now = Instant.now().getEpochSecond();
                    return t.signedByGitlab(t.pushClaims().put("iat", now - 900).put("nbf", now - 900)
                            .put("exp", now - 240));
                }),
                new Forgery("not valid before a time beyond the leeway", t -> {
                    long now = Instant.now().getEpochSecond();
                    return t.signedByGitlab(t.pushClaims().put("nbf", now + 240).put("exp", now + 900));
                }),
                new Forgery("without exp", t -> {
                    ObjectNode claims = t.pushClaims();
                    claims.remove("exp");
                    return t.signedByGitlab(claims);
                }),
                new Forgery("alg none", t -> GitlabTokenServer.unsigned(
                        GitlabTokenServer.header("none", t.tokens.kid()), t.pushClaims())),
                new Forgery("alg none with the signature of a genuine token", t -> {
                    String genuine = t.signedByGitlab(t.pushClaims());
                    String signature = genuine.substring(genuine.lastIndexOf('.') + 1);
                    return GitlabTokenServer.unsigned(GitlabTokenServer.header("none", t.tokens.kid()),
                            t.pushClaims()) + signature;
                }),
                new Forgery("HS256 keyed with the issuer's certificate", t -> Jwt.signHs256(
                        GitlabTokenServer.header("HS256", t.tokens.kid()), t.pushClaims(),
                        t.gitlab.pem().getBytes(StandardCharsets.US_ASCII))),
                new Forgery("claims changed after signing", t -> {
                    String genuine = t.tokens.token(USER, Map.of(OTHER, List.of("pull")));
                    String[] parts = genuine.split("\\.");
                    return parts[0] + "." + Jwt.encode(t.pushClaims()) + "." + parts[2];
                }),
                new Forgery("naming no key (no kid, no x5c)", t -> GitlabTokenServer.sign(
                        GitlabTokenServer.header("RS256", null), t.pushClaims(), t.gitlab.keys().getPrivate(),
                        "SHA256withRSA")),
                new Forgery("x5c of a leaf from a CA outside the bundle", t -> {
                    Instant now = Instant.now();
                    Certificates.Issued foreignCa = Certificates.selfSigned("foreign CA", t.stranger, true,
                            now.minus(1, ChronoUnit.DAYS), now.plus(30, ChronoUnit.DAYS));
                    Certificates.Issued leaf = Certificates.issue("foreign leaf", t.leafKeys, foreignCa, false,
                            now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
                    return t.x5cToken(List.of(leaf), null, t.leafKeys.getPrivate());
                }),
                new Forgery("x5c of an expired leaf of the bundle's CA", t -> {
                    Instant now = Instant.now();
                    Certificates.Issued leaf = Certificates.issue("expired leaf", t.leafKeys, t.ca, false,
                            now.minus(10, ChronoUnit.DAYS), now.minus(1, ChronoUnit.DAYS));
                    return t.x5cToken(List.of(leaf), null, t.leafKeys.getPrivate());
                }),
                new Forgery("x5c of an untrusted certificate beside the issuer's kid, signed by the issuer", t -> {
                    // x5c comes first: its (untrusted) chain decides, not the kid
                    Instant now = Instant.now();
                    Certificates.Issued self = Certificates.selfSigned("self", t.leafKeys, false,
                            now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
                    return t.x5cToken(List.of(self), t.tokens.kid(), t.gitlab.keys().getPrivate());
                }),
                new Forgery("an RSA 1024 certificate chained to the bundle's CA", t -> {
                    Instant now = Instant.now();
                    KeyPair small = Certificates.rsa(1024);
                    Certificates.Issued leaf = Certificates.issue("small leaf", small, t.ca, false,
                            now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
                    return t.x5cToken(List.of(leaf), null, small.getPrivate());
                }));
    }

    @ParameterizedTest(name = "token {0}")
    @MethodSource("forgeries")
    void refusedTokensChangeNothing(Forgery forgery) throws Exception {
        withLog(() -> {
            String bearer = Http.bearer(forgery.maker().make(this));
            StorageSnapshot before = StorageSnapshot.of(storage());
            assertRefused(http.get("/v2/", bearer), "GET", challenge(null, "invalid_token"), forgery + ": GET /v2/");
            assertRefused(http.send("POST", "/v2/" + PROJECT + "/blobs/uploads/", bearer, null), "POST",
                    challenge(PUSH_SCOPE, "invalid_token"), forgery + ": upload");
            byte[] data = Content.randomBytes(1024);
            assertRefused(http.send("POST", "/v2/" + PROJECT + "/blobs/uploads/?" + Http.query("digest",
                    Content.digest(data)), bearer, data, "Content-Type", "application/octet-stream"), "POST",
                    challenge(PUSH_SCOPE, "invalid_token"), forgery + ": monolithic upload");
            assertRefused(http.send("PUT", "/v2/" + PROJECT + "/manifests/forged", bearer, "{}".getBytes(
                    StandardCharsets.UTF_8), "Content-Type", Content.OCI_MANIFEST), "PUT",
                    challenge(PUSH_SCOPE, "invalid_token"), forgery + ": manifest PUT");
            assertRefused(http.get("/v2/" + PROJECT + "/tags/list", bearer), "GET",
                    challenge("repository:" + PROJECT + ":pull", "invalid_token"), forgery + ": tags");
            before.assertUnchanged("token " + forgery);
        });
    }

    // ---- accepted key namings -----------------------------------------------------------------------

    @Test
    void otherWaysToNameATrustedKeyAreAccepted() throws Exception {
        withLog(() -> {
            Instant now = Instant.now();
            Map<String, String> accepted = new LinkedHashMap<>();
            // x5c: a leaf signed by the bundle's CA
            Certificates.Issued leaf = Certificates.issue("token signer", leafKeys, ca, false,
                    now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
            accepted.put("x5c leaf of the bundle's CA", x5cToken(List.of(leaf), null, leafKeys.getPrivate()));
            // x5c: leaf, then an intermediate signed by the bundle's CA
            KeyPair intermediateKeys = Certificates.rsa(2048);
            Certificates.Issued intermediate = Certificates.issue("intermediate", intermediateKeys, ca, true,
                    now.minus(1, ChronoUnit.HOURS), now.plus(30, ChronoUnit.DAYS));
            Certificates.Issued deepLeaf = Certificates.issue("deep signer", leafKeys, intermediate, false,
                    now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
            accepted.put("x5c leaf and intermediate", x5cToken(List.of(deepLeaf, intermediate), null,
                    leafKeys.getPrivate()));
            // x5c: GitLab's own certificate, which is in the bundle
            accepted.put("x5c of the bundle's issuer certificate", x5cToken(List.of(gitlab), null,
                    gitlab.keys().getPrivate()));
            // kid: the RFC 7638 thumbprint of the issuer key (distribution v3's naming)
            accepted.put("kid as RFC 7638 thumbprint", GitlabTokenServer.sign(
                    GitlabTokenServer.header("RS256", thumbprint((RSAPublicKey) gitlab.keys().getPublic())),
                    pushClaims(), gitlab.keys().getPrivate(), "SHA256withRSA"));
            // kid: the CA's libtrust kid (every bundle certificate's key may sign)
            accepted.put("kid of the bundle's CA", GitlabTokenServer.sign(
                    GitlabTokenServer.header("RS256", GitlabTokenServer.libtrustKeyId(ca.keys().getPublic())),
                    pushClaims(), ca.keys().getPrivate(), "SHA256withRSA"));
            // RS512 and PS256 by the issuer key
            accepted.put("RS512", GitlabTokenServer.sign(GitlabTokenServer.header("RS512", tokens.kid()), pushClaims(),
                    gitlab.keys().getPrivate(), "SHA512withRSA"));
            // dates inside the 60 s leeway for clock skew
            long seconds = Instant.now().getEpochSecond();
            accepted.put("exp 20 s ago and nbf in 20 s (leeway)", signedByGitlab(pushClaims()
                    .put("iat", seconds - 600).put("nbf", seconds + 20).put("exp", seconds - 20)));
            // aud as a list
            ObjectNode listAudience = pushClaims();
            listAudience.putArray("aud").add("other_registry").add(SERVICE);
            accepted.put("aud as a list", signedByGitlab(listAudience));

            for (Map.Entry<String, String> token : accepted.entrySet()) {
                String bearer = Http.bearer(token.getValue());
                Http.Response base = http.get("/v2/", bearer);
                assertEquals(200, base.status(), () -> token.getKey() + ": " + base);
                byte[] data = ("accepted: " + token.getKey() + " " + Content.nonce()).getBytes(StandardCharsets.UTF_8);
                String digest = Content.uploadBlob(http, bearer, PROJECT, data);
                Http.Response got = http.get("/v2/" + PROJECT + "/blobs/" + digest, bearer);
                assertEquals(200, got.status(), () -> token.getKey() + ": " + got);
                assertArrayEquals(data, got.body(), token.getKey());
            }
        });
    }

    // ---- real clients -------------------------------------------------------------------------------

    @Test
    void skopeoFetchesTokensFromTheRealm() throws Exception {
        Cli.assumeTools("skopeo");
        withLog(() -> {
            Path work = dir.resolve("skopeo");
            OciLayoutBuilder layout = new OciLayoutBuilder(work.resolve("layout"));
            OciLayoutBuilder.Image image = layout.image("linux", "amd64", 8 * 1024, 32 * 1024);
            layout.tag(image.manifest(), "v1");
            OciLayoutBuilder.Image second = layout.image("linux", "amd64", 16 * 1024);
            layout.tag(second.manifest(), "v2");
            String project = "docker://" + registry.hostPort() + "/" + PROJECT;
            String creds = USER + ":" + PASSWORD;

            int asked = tokens.requests().size();
            skopeo(work, "copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", creds,
                    "oci:" + layout.dir() + ":v1", project + ":skopeo").check();
            List<GitlabTokenServer.Request> requests = tokens.requests().subList(asked, tokens.requests().size());
            assertTrue(requests.stream().anyMatch(r -> r.status() == 200 && r.authenticated() && USER.equals(r.user())
                    && SERVICE.equals(r.service()) && asksToPush(r)),
                    () -> "skopeo fetched a push token from the realm itself: " + requests);

            byte[] raw = skopeo(work, "inspect", "--raw", "--tls-verify=false", "--creds", creds,
                    project + ":skopeo").check().stdoutBytes();
            assertArrayEquals(image.manifestBytes(), raw, "the manifest as pushed");
            String pull = Http.bearer(token(USER, PASSWORD, "repository:" + PROJECT + ":pull"));
            Http.Response head = http.head("/v2/" + PROJECT + "/manifests/skopeo", pull);
            assertEquals(200, head.status(), head::toString);
            assertEquals(image.manifest().digest(), head.header("Docker-Content-Digest"));

            Path out = work.resolve("pulled");
            skopeo(work, "copy", "--preserve-digests", "--src-tls-verify=false", "--src-creds", creds,
                    project + ":skopeo", "oci:" + out + ":v1").check();
            assertEquals(image.manifest().digest(), OciLayoutBuilder.indexEntry(out, "v1").path("digest").asText());
            for (String digest : image.blobDigests()) {
                byte[] blob = OciLayoutBuilder.readBlob(out, digest);
                assertArrayEquals(OciLayoutBuilder.readBlob(layout.dir(), digest), blob, "blob " + digest);
                assertEquals(digest, OciLayoutBuilder.sha256(blob));
            }

            // wrong password: the realm refuses it, skopeo fails, nothing is stored
            StorageSnapshot before = StorageSnapshot.of(storage());
            int beforeWrong = tokens.requests().size();
            Cli.Result wrong = skopeo(work, "copy", "--dest-tls-verify=false", "--dest-creds", creds + "-wrong",
                    "oci:" + layout.dir() + ":v2", project + ":wrong").run();
            assertFalse(wrong.ok(), () -> "a push with a wrong password must fail:\n" + wrong.describe());
            List<GitlabTokenServer.Request> refused = tokens.requests().subList(beforeWrong, tokens.requests().size());
            assertTrue(refused.stream().anyMatch(r -> r.status() == 401 && USER.equals(r.user())),
                    () -> "the realm refused the wrong password: " + refused + "\n" + wrong.describe());
            Cli.Result wrongInspect = skopeo(work, "inspect", "--raw", "--tls-verify=false", "--creds",
                    creds + "-wrong", project + ":skopeo").run();
            assertFalse(wrongInspect.ok(), wrongInspect::describe);
            assertFalse(wrongInspect.stdout().contains(image.config().digest()), wrongInspect::describe);

            // right password, but the issuer grants only pull on group/other
            Cli.Result denied = skopeo(work, "copy", "--dest-tls-verify=false", "--dest-creds", creds,
                    "oci:" + layout.dir() + ":v2", "docker://" + registry.hostPort() + "/" + OTHER + ":v2").run();
            assertFalse(denied.ok(), () -> "a push to group/other must fail:\n" + denied.describe());
            assertTrue(denied.stderr().contains(DENIED), denied::describe);
            before.assertUnchanged("skopeo pushes with a wrong password and without the right");
        });
    }

    @Test
    void dockerLogsInAtTheRealmPushesAndPulls() throws Exception {
        Path work = dir.resolve("docker");
        DockerEngine engine = DockerEngine.require(work);
        String hostPort = registry.hostPort();
        String nonce = Content.nonce();
        String image = hostPort + "/" + PROJECT + ":docker-" + nonce;
        String deniedImage = hostPort + "/" + OTHER + ":docker-" + nonce;
        String wrongImage = hostPort + "/" + PROJECT + ":wrong-" + nonce;
        DockerCli docker = new DockerCli(engine, work.resolve("config-ci"));
        DockerCli wrong = new DockerCli(engine, work.resolve("config-wrong"));
        withLog(() -> {
            try {
                int asked = tokens.requests().size();
                Cli.Result login = docker.login(hostPort, USER, PASSWORD);
                assertTrue(login.ok() && login.stdout().contains("Login Succeeded"), login::describe);
                List<GitlabTokenServer.Request> loginRequests = tokens.requests().subList(asked,
                        tokens.requests().size());
                assertTrue(loginRequests.stream().anyMatch(r -> r.status() == 200 && r.authenticated()
                        && USER.equals(r.user()) && SERVICE.equals(r.service())),
                        () -> "docker login fetched a token from the realm: " + loginRequests);

                int beforeWrongLogin = tokens.requests().size();
                Cli.Result failed = wrong.login(hostPort, USER, PASSWORD + "-wrong");
                assertFalse(failed.ok(), () -> "docker login with a wrong password must fail:\n" + failed.describe());
                List<GitlabTokenServer.Request> refusedLogin = tokens.requests().subList(beforeWrongLogin,
                        tokens.requests().size());
                assertTrue(refusedLogin.stream().anyMatch(r -> r.status() == 401 && USER.equals(r.user())),
                        () -> "the realm refused docker's wrong password: " + refusedLogin + "\n" + failed.describe());

                Path rootfs = work.resolve("rootfs.tar");
                Files.write(rootfs, OciLayoutBuilder.tar(Map.of("etc/e2e-external-issuer", ("external issuer "
                        + nonce + "\n").getBytes(StandardCharsets.UTF_8), "data.bin", Content.randomBytes(16 * 1024))));
                String imageId = docker.run("import", rootfs.toString(), image).check().stdout().trim();
                assertTrue(imageId.startsWith("sha256:"), imageId);
                int beforePush = tokens.requests().size();
                Cli.Result pushed = docker.run("push", image).check();
                List<GitlabTokenServer.Request> pushRequests = tokens.requests().subList(beforePush,
                        tokens.requests().size());
                assertTrue(pushRequests.stream().anyMatch(r -> r.status() == 200 && r.authenticated()
                        && USER.equals(r.user()) && SERVICE.equals(r.service()) && asksToPush(r)),
                        () -> "the daemon fetched a push token from the realm: " + pushRequests);
                Matcher digest = Pattern.compile("digest: (sha256:[0-9a-f]{64})").matcher(pushed.stdout());
                assertTrue(digest.find(), pushed::describe);

                // what docker pushed is in the registry under that digest
                String pull = Http.bearer(token(USER, PASSWORD, "repository:" + PROJECT + ":pull"));
                Http.Response manifest = http.get("/v2/" + PROJECT + "/manifests/docker-" + nonce, pull, "Accept",
                        OciLayoutBuilder.DOCKER_MANIFEST + ", " + Content.OCI_MANIFEST);
                assertEquals(200, manifest.status(), manifest::toString);
                assertEquals(digest.group(1), manifest.header("Docker-Content-Digest"), manifest::toString);
                assertEquals(digest.group(1), Content.digest(manifest.body()));

                docker.run("rmi", image).check();
                docker.run("pull", image).check();
                assertEquals(imageId, docker.imageId(image), "the image id after push, rmi, pull");

                StorageSnapshot before = StorageSnapshot.of(storage());
                // logged in, but the issuer grants only pull on group/other
                docker.run("tag", image, deniedImage).check();
                Cli.Result denied = docker.run("push", deniedImage).run();
                assertFalse(denied.ok(), () -> "a push to group/other must fail:\n" + denied.describe());
                assertTrue(denied.stderr().contains(DENIED), denied::describe);

                // stored credentials with a wrong password: the realm refuses them, nothing is stored
                Files.createDirectories(wrong.config());
                Files.writeString(wrong.config().resolve("config.json"), "{\"auths\":{\"" + hostPort + "\":{\"auth\":\""
                        + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD + "-wrong")
                        .getBytes(StandardCharsets.UTF_8)) + "\"}}}");
                wrong.run("tag", image, wrongImage).check();
                int beforeWrongPush = tokens.requests().size();
                Cli.Result wrongPush = wrong.run("push", wrongImage).run();
                assertFalse(wrongPush.ok(), () -> "a push with a wrong password must fail:\n" + wrongPush.describe());
                List<GitlabTokenServer.Request> refusedPush = tokens.requests().subList(beforeWrongPush,
                        tokens.requests().size());
                assertTrue(refusedPush.stream().anyMatch(r -> r.status() == 401 && USER.equals(r.user())),
                        () -> "the realm refused the stored wrong password: " + refusedPush + "\n"
                                + wrongPush.describe());
                before.assertUnchanged("docker pushes with a wrong password and without the right");
            } finally {
                for (String name : List.of(image, deniedImage, wrongImage)) {
                    docker.run("rmi", "-f", name).run();
                }
            }
        });
    }


    private static Cli skopeo(Path work, String... args) throws IOException {
        return SkopeoCli.of(work, CLIENT_TIMEOUT, args);
    }

    // ---- helpers ------------------------------------------------------------------------------------

    /** Whether a realm request asked for pull and push on {@link #PROJECT} (docker says {@code push,pull}). */
    private static boolean asksToPush(GitlabTokenServer.Request request) {
        String prefix = "repository:" + PROJECT + ":";
        return request.scopes().stream().anyMatch(scope -> scope.startsWith(prefix)
                && Set.of(scope.substring(prefix.length()).split(",")).equals(Set.of("pull", "push")));
    }

    private Path storage() {
        return dir.resolve("storage");
    }

    private ObjectNode gitlabHeader() {
        return GitlabTokenServer.header("RS256", tokens.kid());
    }

    /** Claims as the issuer makes them for {@link #USER}, granting pull and push on {@link #PROJECT}. */
    private ObjectNode pushClaims() {
        long now = Instant.now().getEpochSecond();
        return tokens.claims(USER, SERVICE, now, now - 5, now + GitlabTokenServer.LIFETIME_SECONDS,
                GitlabTokenServer.access(Map.of(PROJECT, List.of("pull", "push"))));
    }

    private String signedByGitlab(ObjectNode claims) throws GeneralSecurityException {
        return GitlabTokenServer.sign(gitlabHeader(), claims, gitlab.keys().getPrivate(), "SHA256withRSA");
    }

    /** A push token whose header carries {@code x5c} (and {@code kid} if not null), signed by {@code key}. */
    private String x5cToken(List<Certificates.Issued> chain, String kid, PrivateKey key)
            throws GeneralSecurityException {
        ObjectNode header = GitlabTokenServer.header("RS256", kid);
        ArrayNode x5c = header.putArray("x5c");
        chain.forEach(certificate -> x5c.add(certificate.x5c()));
        return GitlabTokenServer.sign(header, pushClaims(), key, "SHA256withRSA");
    }

    /** The RFC 7638 thumbprint of an RSA key, written here from the RFC. */
    private static String thumbprint(RSAPublicKey key) throws GeneralSecurityException {
        String json = "{\"e\":\"" + unsigned(key.getPublicExponent()) + "\",\"kty\":\"RSA\",\"n\":\""
                + unsigned(key.getModulus()) + "\"}";
        return Base64.getUrlEncoder().withoutPadding().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static String unsigned(BigInteger value) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private String challenge(String scope, String error) {
        return "Bearer realm=\"" + tokens.realm() + "\",service=\"" + SERVICE + "\""
                + (scope == null ? "" : ",scope=\"" + scope + "\"")
                + (error == null ? "" : ",error=\"" + error + "\"");
    }

    private static void assertRefused(Http.Response response, String method, String challenge, String context) {
        assertEquals(401, response.status(), () -> context + ": " + response);
        assertEquals(challenge, response.header("WWW-Authenticate"), () -> context + ": " + response);
        if (!method.equals("HEAD")) {
            assertEquals("UNAUTHORIZED", response.errorCode(), () -> context + ": " + response);
        }
    }

    /** The realm URL asking for {@code scope} (none if null) for {@link #SERVICE}. */
    private String tokenUrl(String scope) {
        return tokens.realm() + "?" + Http.query("service", SERVICE) + (scope == null ? "" : "&" + Http.query("scope",
                scope));
    }

    /** A token from the realm, with Basic credentials unless {@code user} is null. */
    private String token(String user, String password, String scope) throws Exception {
        Http.Response response = http.get(tokenUrl(scope), user == null ? null : Http.basic(user, password));
        assertEquals(200, response.status(), response::toString);
        JsonNode body = response.json();
        String token = body.path("token").asText();
        assertFalse(token.isEmpty(), response::toString);
        assertEquals(token, body.path("access_token").asText(), response::toString);
        return token;
    }

    /** Follows a Bearer challenge as a client does: its realm, with its service and scope, and Basic credentials. */
    private String fetchToken(String challenge, String user, String password) throws Exception {
        assertNotNull(challenge, "a challenge");
        assertTrue(challenge.startsWith("Bearer "), challenge);
        Map<String, String> parameters = new LinkedHashMap<>();
        Matcher matcher = PARAMETER.matcher(challenge);
        while (matcher.find()) {
            parameters.put(matcher.group(1), matcher.group(2));
        }
        assertEquals(tokens.realm(), parameters.get("realm"), challenge);
        assertEquals(SERVICE, parameters.get("service"), challenge);
        StringBuilder url = new StringBuilder(parameters.get("realm")).append('?')
                .append("service=").append(URLEncoder.encode(parameters.get("service"), StandardCharsets.UTF_8));
        if (parameters.containsKey("scope")) {
            url.append("&scope=").append(URLEncoder.encode(parameters.get("scope"), StandardCharsets.UTF_8));
        }
        Http.Response response = http.get(url.toString(), Http.basic(user, password));
        assertEquals(200, response.status(), response::toString);
        assertEquals("application/json", response.header("Content-Type"), response::toString);
        String token = response.json().path("token").asText();
        assertEquals(token, response.json().path("access_token").asText(), response::toString);
        return token;
    }

    /** Runs {@code body}; if it fails, the server log's tail and the realm's requests are attached. */
    private void withLog(AuthRegistry.Body body) throws Exception {
        try {
            body.run();
        } catch (Throwable failure) {
            String text = registry.output();
            int max = 6_000;
            failure.addSuppressed(new AssertionError("server log (last " + max + " chars):\n"
                    + (text.length() > max ? text.substring(text.length() - max) : text)));
            List<String> realm = tokens.requests().stream().map(r -> r.method() + " user=" + r.user() + " ok="
                    + r.authenticated() + " service=" + r.service() + " scopes=" + r.scopes() + " -> " + r.status())
                    .toList();
            failure.addSuppressed(new AssertionError("realm requests:\n  " + String.join("\n  ", realm)));
            throw failure;
        }
    }
}
