package dev.registry.auth;

import static dev.registry.auth.Tokens.ISSUER;
import static dev.registry.auth.Tokens.SERVICE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class TokenAccessControllerTest {
    private static final String REALM = "https://auth.example.com/token";
    private static final String PREFIX = "Bearer realm=\"" + REALM + "\",service=\"" + SERVICE + "\"";

    // A root CA (RSA) in the bundle; an EC intermediate CA under it; leaves under each.
    private static final KeyPair ROOT_KEY = Pki.rsa();
    private static final X509Certificate ROOT = Pki.selfSigned("Token Root CA", ROOT_KEY, true);
    private static final KeyPair INTERMEDIATE_KEY = Pki.ec("secp256r1");
    private static final X509Certificate INTERMEDIATE = Pki.issued("Token Intermediate CA",
            INTERMEDIATE_KEY.getPublic(), ROOT, ROOT_KEY.getPrivate(), true);
    private static final KeyPair EC_LEAF_KEY = Pki.ec("secp256r1");
    private static final X509Certificate EC_LEAF = Pki.issued("token-signer-ec", EC_LEAF_KEY.getPublic(), INTERMEDIATE,
            INTERMEDIATE_KEY.getPrivate(), false);
    private static final KeyPair RSA_LEAF_KEY = Pki.rsa();
    private static final X509Certificate RSA_LEAF = Pki.issued("token-signer-rsa", RSA_LEAF_KEY.getPublic(), ROOT,
            ROOT_KEY.getPrivate(), false);

    private final MutableClock clock = new MutableClock(Pki.NOW);

    private TokenAccessController controller(TokenKeys keys, String issuer, String service) {
        return new TokenAccessController(new TokenVerifier(keys, issuer, service, clock), REALM, service, null);
    }

    private TokenAccessController controller() {
        return controller(new TokenKeys(List.of(ROOT), Map.of(), clock), ISSUER, SERVICE);
    }

    private static ObjectNode x5cHeader(JwsAlgorithm algorithm, X509Certificate... chain) {
        ObjectNode header = Tokens.header(algorithm);
        for (X509Certificate certificate : chain) {
            header.withArray("x5c").add(Pki.x5c(certificate));
        }
        return header;
    }

    private static ObjectNode kidHeader(JwsAlgorithm algorithm, String kid) {
        ObjectNode header = Tokens.header(algorithm);
        header.put("kid", kid);
        return header;
    }

    private static String ecToken(ObjectNode claims) {
        return Tokens.sign(x5cHeader(JwsAlgorithm.ES256, EC_LEAF, INTERMEDIATE), claims, EC_LEAF_KEY.getPrivate(),
                JwsAlgorithm.ES256);
    }

    private static String bearer(String token) {
        return "Bearer " + token;
    }

    private AccessDeniedException refused(String authorization, List<Access> required) {
        return assertThrows(AccessDeniedException.class, () -> controller().authorize(authorization, required));
    }

    private void assertInvalid(String token) {
        AccessDeniedException e = refused(bearer(token), Tokens.pull("app"));
        assertEquals(PREFIX + ",scope=\"repository:app:pull\",error=\"invalid_token\"", e.challenge());
        assertEquals(401, e.status());
    }

    // ---- accepted tokens ----

    @Test
    void es256WithAnX5cChainToTheBundle() throws AccessDeniedException {
        Principal principal = controller().authorize(bearer(ecToken(Tokens.claims(Pki.NOW, "app:pull,push"))),
                List.of(Access.pull("app"), Access.push("app")));

        assertEquals(new Principal("alice"), principal);
    }

    @Test
    void rs256WithAnX5cLeafIssuedByTheRoot() throws AccessDeniedException {
        String token = Tokens.sign(x5cHeader(JwsAlgorithm.RS256, RSA_LEAF), Tokens.claims(Pki.NOW, "app:pull"),
                RSA_LEAF_KEY.getPrivate(), JwsAlgorithm.RS256);

        assertEquals(new Principal("alice"), controller().authorize(bearer(token), Tokens.pull("app")));
    }

    @Test
    void x5cLeafThatIsItselfInTheBundleIsTrusted() throws AccessDeniedException {
        KeyPair key = Pki.ec("secp384r1");
        X509Certificate self = Pki.selfSigned("standalone-signer", key, false);
        String token = Tokens.sign(x5cHeader(JwsAlgorithm.ES384, self), Tokens.claims(Pki.NOW, "app:pull"),
                key.getPrivate(), JwsAlgorithm.ES384);

        TokenAccessController controller = controller(new TokenKeys(List.of(ROOT, self), Map.of(), clock), ISSUER,
                SERVICE);
        assertEquals(new Principal("alice"), controller.authorize(bearer(token), Tokens.pull("app")));
    }

    @Test
    void gitlabStyleTokenWithALibtrustKidOfABundleCertificate() throws AccessDeniedException {
        // GitLab signs RS256 with a key whose self-signed certificate is the registry's rootcertbundle,
        // names the key by its libtrust ID and uses its own issuer and audience.
        KeyPair gitlab = Pki.rsa();
        X509Certificate certificate = Pki.selfSigned("gitlab-issuer", gitlab, false);
        ObjectNode claims = Tokens.claims("gitlab-issuer", "container_registry", "root", Pki.NOW,
                "group/project:pull,push");
        String token = Tokens.sign(kidHeader(JwsAlgorithm.RS256, KeyIds.libtrust(gitlab.getPublic())), claims,
                gitlab.getPrivate(), JwsAlgorithm.RS256);

        TokenAccessController controller = controller(new TokenKeys(List.of(certificate), Map.of(), clock),
                "gitlab-issuer", "container_registry");
        assertEquals(new Principal("root"), controller.authorize(bearer(token),
                List.of(Access.pull("group/project"), Access.push("group/project"))));
    }

    @Test
    void kidMayBeTheRfc7638ThumbprintOfABundleKey() throws AccessDeniedException {
        KeyPair key = Pki.rsa();
        X509Certificate certificate = Pki.selfSigned("signer", key, false);
        String token = Tokens.sign(kidHeader(JwsAlgorithm.RS384, KeyIds.thumbprint(key.getPublic()).orElseThrow()),
                Tokens.claims(Pki.NOW, "app:pull"), key.getPrivate(), JwsAlgorithm.RS384);

        TokenAccessController controller = controller(new TokenKeys(List.of(certificate), Map.of(), clock), ISSUER,
                SERVICE);
        assertEquals(new Principal("alice"), controller.authorize(bearer(token), Tokens.pull("app")));
    }

    @Test
    void es256WithAJwksKid() throws AccessDeniedException {
        KeyPair key = Pki.ec("secp256r1");
        String token = Tokens.sign(kidHeader(JwsAlgorithm.ES256, "jwks-key-1"), Tokens.claims(Pki.NOW, "app:pull"),
                key.getPrivate(), JwsAlgorithm.ES256);

        TokenAccessController controller = controller(new TokenKeys(List.of(), Map.of("jwks-key-1", key.getPublic()),
                clock), ISSUER, SERVICE);
        assertEquals(new Principal("alice"), controller.authorize(bearer(token), Tokens.pull("app")));
    }

    @Test
    void rs256WithAJwksKeyReadFromJson() throws Exception {
        KeyPair key = Pki.rsa();
        PublicKey parsed = Jwks.parse(Json.MAPPER.readTree(JwksTest.rsaJwk("k", (RSAPublicKey) key.getPublic())));
        String token = Tokens.sign(kidHeader(JwsAlgorithm.RS512, "k"), Tokens.claims(Pki.NOW, "app:pull"),
                key.getPrivate(), JwsAlgorithm.RS512);

        TokenAccessController controller = controller(new TokenKeys(List.of(), Map.of("k", parsed), clock), ISSUER,
                SERVICE);
        assertEquals(new Principal("alice"), controller.authorize(bearer(token), Tokens.pull("app")));
    }

    @Test
    void ps256AndEdDsaAreAccepted() throws Exception {
        KeyPair rsa = Pki.rsa();
        KeyPair ed = Pki.ed25519();
        PublicKey edParsed = Jwks.parse(Json.MAPPER.readTree(JwksTest.edJwk("ed", ed.getPublic())));
        TokenAccessController controller = controller(new TokenKeys(List.of(), Map.of("rsa", rsa.getPublic(), "ed",
                edParsed), clock), ISSUER, SERVICE);

        String pss = Tokens.sign(kidHeader(JwsAlgorithm.PS256, "rsa"), Tokens.claims(Pki.NOW, "app:pull"),
                rsa.getPrivate(), JwsAlgorithm.PS256);
        String eddsa = Tokens.sign(kidHeader(JwsAlgorithm.EdDSA, "ed"), Tokens.claims(Pki.NOW, "app:pull"),
                ed.getPrivate(), JwsAlgorithm.EdDSA);

        assertEquals(new Principal("alice"), controller.authorize(bearer(pss), Tokens.pull("app")));
        assertEquals(new Principal("alice"), controller.authorize(bearer(eddsa), Tokens.pull("app")));
    }

    @Test
    void audienceMayBeAList() throws AccessDeniedException {
        ObjectNode claims = Tokens.claims(Pki.NOW, "app:pull");
        claims.putArray("aud").add("other").add(SERVICE);

        assertEquals(new Principal("alice"), controller().authorize(bearer(ecToken(claims)), Tokens.pull("app")));
    }

    @Test
    void starActionGrantsEveryAction() throws AccessDeniedException {
        String token = ecToken(Tokens.claims(Pki.NOW, "app:*"));

        assertEquals(new Principal("alice"), controller().authorize(bearer(token),
                List.of(Access.pull("app"), Access.push("app"), Access.delete("app"))));
    }

    @Test
    void catalogScope() throws AccessDeniedException {
        String token = ecToken(Tokens.claims(Pki.NOW, "registry:catalog:*"));

        assertEquals(new Principal("alice"), controller().authorize(bearer(token), List.of(Access.catalog())));
    }

    @Test
    void tokenWithoutAccessStillPassesTheBaseCheck() throws AccessDeniedException {
        ObjectNode claims = Tokens.claims(Pki.NOW);
        claims.remove("access");

        assertEquals(new Principal("alice"), controller().authorize(bearer(ecToken(claims)), List.of()));
    }

    @Test
    void tokenWithoutSubjectIsAnonymous() throws AccessDeniedException {
        ObjectNode claims = Tokens.claims(Pki.NOW, "public:pull");
        claims.remove("sub");

        assertEquals(Principal.ANONYMOUS, controller().authorize(bearer(ecToken(claims)), Tokens.pull("public")));
    }

    @Test
    void leewayOfSixtySecondsOnBothEnds() throws AccessDeniedException {
        String token = ecToken(Tokens.claims(Pki.NOW, "app:pull"));
        TokenAccessController controller = controller();

        clock.set(Pki.NOW.plusSeconds(300 + 59));
        assertEquals(new Principal("alice"), controller.authorize(bearer(token), Tokens.pull("app")));
        clock.set(Pki.NOW.minusSeconds(59));
        assertEquals(new Principal("alice"), controller.authorize(bearer(token), Tokens.pull("app")));
    }

    // ---- refused tokens ----

    @Test
    void expiredToken() {
        String token = ecToken(Tokens.claims(Pki.NOW, "app:pull"));
        clock.set(Pki.NOW.plusSeconds(300 + 61));

        assertInvalid(token);
    }

    @Test
    void notYetValidToken() {
        String token = ecToken(Tokens.claims(Pki.NOW, "app:pull"));
        clock.set(Pki.NOW.minusSeconds(61));

        assertInvalid(token);
    }

    @Test
    void tokenWithoutExpiry() {
        ObjectNode claims = Tokens.claims(Pki.NOW, "app:pull");
        claims.remove("exp");

        assertInvalid(ecToken(claims));
    }

    @Test
    void tokenWithTextualExpiry() {
        ObjectNode claims = Tokens.claims(Pki.NOW, "app:pull");
        claims.put("exp", "tomorrow");

        assertInvalid(ecToken(claims));
    }

    @Test
    void wrongIssuer() {
        assertInvalid(ecToken(Tokens.claims("someone-else", SERVICE, "alice", Pki.NOW, "app:pull")));
    }

    @Test
    void wrongAudience() {
        assertInvalid(ecToken(Tokens.claims(ISSUER, "other.registry", "alice", Pki.NOW, "app:pull")));
        ObjectNode claims = Tokens.claims(Pki.NOW, "app:pull");
        claims.putArray("aud").add("a").add("b");
        assertInvalid(ecToken(claims));
        claims.remove("aud");
        assertInvalid(ecToken(claims));
    }

    @Test
    void signatureByAnotherKeyThanTheX5cLeaf() {
        KeyPair other = Pki.ec("secp256r1");

        assertInvalid(Tokens.sign(x5cHeader(JwsAlgorithm.ES256, EC_LEAF, INTERMEDIATE),
                Tokens.claims(Pki.NOW, "app:pull"), other.getPrivate(), JwsAlgorithm.ES256));
    }

    @Test
    void signatureByAnotherKeyThanTheKid() {
        KeyPair trusted = Pki.rsa();
        KeyPair other = Pki.rsa();
        X509Certificate certificate = Pki.selfSigned("signer", trusted, false);
        String token = Tokens.sign(kidHeader(JwsAlgorithm.RS256, KeyIds.libtrust(trusted.getPublic())),
                Tokens.claims(Pki.NOW, "app:pull"), other.getPrivate(), JwsAlgorithm.RS256);

        TokenAccessController controller = controller(new TokenKeys(List.of(certificate), Map.of(), clock), ISSUER,
                SERVICE);
        AccessDeniedException e = assertThrows(AccessDeniedException.class,
                () -> controller.authorize(bearer(token), Tokens.pull("app")));
        assertEquals(PREFIX + ",scope=\"repository:app:pull\",error=\"invalid_token\"", e.challenge());
    }

    @Test
    void untrustedKid() {
        KeyPair key = Pki.ec("secp256r1");

        assertInvalid(Tokens.sign(kidHeader(JwsAlgorithm.ES256, KeyIds.libtrust(key.getPublic())),
                Tokens.claims(Pki.NOW, "app:pull"), key.getPrivate(), JwsAlgorithm.ES256));
    }

    @Test
    void headerWithoutKeyReference() {
        KeyPair key = Pki.ec("secp256r1");

        assertInvalid(Tokens.sign(Tokens.header(JwsAlgorithm.ES256), Tokens.claims(Pki.NOW, "app:pull"),
                key.getPrivate(), JwsAlgorithm.ES256));
    }

    @Test
    void tamperedClaims() {
        String token = ecToken(Tokens.claims(Pki.NOW, "app:pull"));
        String[] parts = token.split("\\.");
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(Tokens.claims(Pki.NOW, "app:pull,push")
                .toString().getBytes(StandardCharsets.UTF_8));

        assertInvalid(parts[0] + "." + forged + "." + parts[2]);
    }

    @Test
    void algNone() {
        ObjectNode header = x5cHeader(JwsAlgorithm.ES256, EC_LEAF, INTERMEDIATE);
        header.put("alg", "none");

        assertInvalid(Tokens.unsigned(header, Tokens.claims(Pki.NOW, "app:pull"), ""));
        assertInvalid(Tokens.unsigned(header, Tokens.claims(Pki.NOW, "app:pull"), "AAAA"));
    }

    @Test
    void hmacSignedWithThePublicKeyAsSecret() throws Exception {
        // The classic key-confusion forgery: HS256 keyed with the (public) certificate key bytes.
        ObjectNode header = kidHeader(JwsAlgorithm.RS256, KeyIds.libtrust(ROOT.getPublicKey()));
        header.put("alg", "HS256");
        String unsigned = Tokens.unsigned(header, Tokens.claims(Pki.NOW, "app:pull"), "x");
        String input = unsigned.substring(0, unsigned.lastIndexOf('.'));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(ROOT.getPublicKey().getEncoded(), "HmacSHA256"));
        String signature = Base64.getUrlEncoder().withoutPadding().encodeToString(
                mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));

        assertInvalid(input + "." + signature);
    }

    @Test
    void algorithmThatDoesNotFitTheKey() {
        // An RS256 header over an ES256 signature by the EC leaf.
        ObjectNode header = x5cHeader(JwsAlgorithm.ES256, EC_LEAF, INTERMEDIATE);
        String token = Tokens.sign(header, Tokens.claims(Pki.NOW, "app:pull"), EC_LEAF_KEY.getPrivate(),
                JwsAlgorithm.ES256);
        header.put("alg", "RS256");
        String[] parts = token.split("\\.");
        String relabelled = Base64.getUrlEncoder().withoutPadding().encodeToString(header.toString()
                .getBytes(StandardCharsets.UTF_8));

        assertInvalid(relabelled + "." + parts[1] + "." + parts[2]);
    }

    @Test
    void criticalHeaderExtensions() {
        ObjectNode header = x5cHeader(JwsAlgorithm.ES256, EC_LEAF, INTERMEDIATE);
        header.putArray("crit").add("exp");

        assertInvalid(Tokens.sign(header, Tokens.claims(Pki.NOW, "app:pull"), EC_LEAF_KEY.getPrivate(),
                JwsAlgorithm.ES256));
    }

    @Test
    void x5cChainNotRootedInTheBundle() {
        KeyPair otherRootKey = Pki.rsa();
        X509Certificate otherRoot = Pki.selfSigned("Token Root CA", otherRootKey, true);
        KeyPair leafKey = Pki.ec("secp256r1");
        X509Certificate leaf = Pki.issued("impostor", leafKey.getPublic(), otherRoot, otherRootKey.getPrivate(), false);

        assertInvalid(Tokens.sign(x5cHeader(JwsAlgorithm.ES256, leaf, otherRoot), Tokens.claims(Pki.NOW, "app:pull"),
                leafKey.getPrivate(), JwsAlgorithm.ES256));
    }

    @Test
    void x5cChainMissingItsIntermediate() {
        assertInvalid(Tokens.sign(x5cHeader(JwsAlgorithm.ES256, EC_LEAF), Tokens.claims(Pki.NOW, "app:pull"),
                EC_LEAF_KEY.getPrivate(), JwsAlgorithm.ES256));
    }

    @Test
    void x5cLeafIssuedByACertificateThatIsNoCa() {
        KeyPair leafKey = Pki.ec("secp256r1");
        X509Certificate leaf = Pki.issued("sub-signer", leafKey.getPublic(), RSA_LEAF, RSA_LEAF_KEY.getPrivate(), false);

        assertInvalid(Tokens.sign(x5cHeader(JwsAlgorithm.ES256, leaf, RSA_LEAF), Tokens.claims(Pki.NOW, "app:pull"),
                leafKey.getPrivate(), JwsAlgorithm.ES256));
    }

    @Test
    void x5cLeafOutsideItsValidity() {
        KeyPair leafKey = Pki.ec("secp256r1");
        X509Certificate expired = Pki.certificate("old-signer", leafKey.getPublic(), ROOT.getSubjectX500Principal()
                .getName(), ROOT_KEY.getPrivate(), Pki.NOW.minus(60, ChronoUnit.DAYS), Pki.NOW.minus(1, ChronoUnit.DAYS),
                false);

        assertInvalid(Tokens.sign(x5cHeader(JwsAlgorithm.ES256, expired), Tokens.claims(Pki.NOW, "app:pull"),
                leafKey.getPrivate(), JwsAlgorithm.ES256));
    }

    @Test
    void x5cLeafOutsideItsValidityIsRefusedEvenWhenItsKeyIsTrusted() {
        KeyPair key = Pki.ec("secp256r1");
        X509Certificate expired = Pki.certificate("old-signer", key.getPublic(), "old-signer", key.getPrivate(),
                Pki.NOW.minus(60, ChronoUnit.DAYS), Pki.NOW.minus(1, ChronoUnit.DAYS), false);
        String token = Tokens.sign(x5cHeader(JwsAlgorithm.ES256, expired), Tokens.claims(Pki.NOW, "app:pull"),
                key.getPrivate(), JwsAlgorithm.ES256);
        TokenAccessController controller = controller(new TokenKeys(List.of(expired), Map.of(), clock), ISSUER,
                SERVICE);

        AccessDeniedException e = assertThrows(AccessDeniedException.class,
                () -> controller.authorize(bearer(token), Tokens.pull("app")));
        assertEquals(PREFIX + ",scope=\"repository:app:pull\",error=\"invalid_token\"", e.challenge());
    }

    @Test
    void x5cThatIsNotACertificate() {
        ObjectNode header = Tokens.header(JwsAlgorithm.ES256);
        header.putArray("x5c").add("bm90IGEgY2VydA==");

        assertInvalid(Tokens.sign(header, Tokens.claims(Pki.NOW, "app:pull"), EC_LEAF_KEY.getPrivate(),
                JwsAlgorithm.ES256));
    }

    @Test
    void malformedTokens() {
        for (String token : List.of("abc", "a.b", "a.b.c", "a.b.c.d", "..", "eyJhbGciOiJFUzI1NiJ9.e30.",
                "eyJ=.e30.AAAA", "W10.e30.AAAA")) {
            assertInvalid(token);
        }
    }

    @Test
    void malformedAccessClaim() {
        ObjectNode claims = Tokens.claims(Pki.NOW);
        claims.putArray("access").addObject().put("type", "repository");

        assertInvalid(ecToken(claims));
    }

    @Test
    void duplicateClaimsAreRefused() {
        String token = ecToken(Tokens.claims(Pki.NOW, "app:pull"));
        String[] parts = token.split("\\.");
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String doubled = claims.substring(0, claims.length() - 1) + ",\"iss\":\"x\"}";

        assertInvalid(parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                doubled.getBytes(StandardCharsets.UTF_8)) + "." + parts[2]);
    }

    @Test
    void refreshTokensAreNoAccessTokens() {
        ObjectNode claims = Tokens.claims(Pki.NOW, "app:pull");
        claims.put("token_use", "refresh");

        assertInvalid(ecToken(claims));
    }

    // ---- scope ----

    @Test
    void tokenForAnotherRepositoryHasInsufficientScope() {
        String token = ecToken(Tokens.claims(Pki.NOW, "other:pull,push"));

        AccessDeniedException e = refused(bearer(token), List.of(Access.pull("samalba/my-app"),
                Access.push("samalba/my-app")));

        assertEquals("Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\","
                + "scope=\"repository:samalba/my-app:pull,push\",error=\"insufficient_scope\"", e.challenge());
        assertEquals(List.of(Access.pull("samalba/my-app"), Access.push("samalba/my-app")), e.required());
    }

    @Test
    void tokenWithFewerActionsHasInsufficientScope() {
        AccessDeniedException e = refused(bearer(ecToken(Tokens.claims(Pki.NOW, "app:pull"))),
                List.of(Access.pull("app"), Access.push("app")));

        assertEquals(PREFIX + ",scope=\"repository:app:pull,push\",error=\"insufficient_scope\"", e.challenge());
    }

    @Test
    void missingAccessClaimHasInsufficientScope() {
        ObjectNode claims = Tokens.claims(Pki.NOW);
        claims.remove("access");

        AccessDeniedException e = refused(bearer(ecToken(claims)), Tokens.pull("app"));

        assertEquals(PREFIX + ",scope=\"repository:app:pull\",error=\"insufficient_scope\"", e.challenge());
    }

    @Test
    void accessOfAnotherTypeDoesNotCount() {
        AccessDeniedException e = refused(bearer(ecToken(Tokens.claims(Pki.NOW, "registry:app:pull"))),
                Tokens.pull("app"));

        assertEquals(PREFIX + ",scope=\"repository:app:pull\",error=\"insufficient_scope\"", e.challenge());
    }

    // ---- no token ----

    @Test
    void withoutTokenTheChallengeNamesTheScopeMergedPerResource() {
        AccessDeniedException e = refused(null, List.of(Access.pull("a"), Access.push("a"), Access.pull("b"),
                Access.catalog()));

        assertEquals(PREFIX + ",scope=\"repository:a:pull,push repository:b:pull registry:catalog:*\"", e.challenge());
    }

    @Test
    void baseCheckWithoutTokenHasNoScope() {
        assertEquals(PREFIX, refused(null, List.of()).challenge());
    }

    @Test
    void basicCredentialsGetTheBearerChallenge() {
        String basic = new BasicCredentials("alice", "pw".toCharArray()).header();

        assertEquals(PREFIX + ",scope=\"repository:app:pull\"", refused(basic, Tokens.pull("app")).challenge());
        assertEquals(PREFIX, refused("Bearer ", List.of()).challenge());
    }

    @Test
    void challengeQuotesTheRealm() {
        TokenAccessController controller = new TokenAccessController(new TokenVerifier(new TokenKeys(List.of(ROOT),
                Map.of(), clock), ISSUER, SERVICE, clock), "https://a.example/token?x=\"y\"", SERVICE, null);

        AccessDeniedException e = assertThrows(AccessDeniedException.class, () -> controller.authorize((String) null,
                List.of()));
        assertEquals("Bearer realm=\"https://a.example/token?x=\\\"y\\\"\",service=\"" + SERVICE + "\"", e.challenge());
    }

    @Test
    void catalogIsUnfilteredForExternalTokensAndFilteredByRulesOtherwise() {
        assertEquals(true, controller().mayPull(new Principal("alice"), "anything"));
        TokenAccessController filtered = new TokenAccessController(new TokenVerifier(new TokenKeys(List.of(ROOT),
                Map.of(), clock), ISSUER, SERVICE, clock), REALM, SERVICE, AccessRules.NONE);
        assertEquals(true, filtered.mayPull(new Principal("alice"), "anything"));
        assertEquals(false, filtered.mayPull(Principal.ANONYMOUS, "anything"));
    }

    @Test
    void keysOfADifferentCurveThanTheAlgorithmAreRefused() {
        KeyPair p384 = Pki.ec("secp384r1");
        ObjectNode header = kidHeader(JwsAlgorithm.ES384, "k");
        String token = Tokens.sign(header, Tokens.claims(Pki.NOW, "app:pull"), p384.getPrivate(), JwsAlgorithm.ES384);
        // The kid points at a P-256 key: ES384 never fits it, whatever the signature.
        TokenAccessController controller = controller(new TokenKeys(List.of(), Map.of("k",
                (ECPublicKey) EC_LEAF_KEY.getPublic()), clock), ISSUER, SERVICE);

        AccessDeniedException e = assertThrows(AccessDeniedException.class,
                () -> controller.authorize(bearer(token), Tokens.pull("app")));
        assertEquals(PREFIX + ",scope=\"repository:app:pull\",error=\"invalid_token\"", e.challenge());
    }

    @Test
    void shortRsaKeysAreRefused() {
        KeyPair weak = Pki.generate("RSA", 1024);
        String token = Tokens.sign(kidHeader(JwsAlgorithm.RS256, "weak"), Tokens.claims(Pki.NOW, "app:pull"),
                weak.getPrivate(), JwsAlgorithm.RS256);
        TokenAccessController controller = controller(new TokenKeys(List.of(), Map.of("weak", weak.getPublic()), clock),
                ISSUER, SERVICE);

        assertThrows(AccessDeniedException.class, () -> controller.authorize(bearer(token), Tokens.pull("app")));
    }

    @Test
    void expiredLongAfterwards() {
        String token = ecToken(Tokens.claims(Pki.NOW, "app:pull"));
        clock.advance(Duration.ofDays(1));

        assertInvalid(token);
    }

    @Test
    void issuedInTheFutureIsRefusedEvenWithinExpiry() {
        Instant later = Pki.NOW.plusSeconds(120);

        assertInvalid(ecToken(Tokens.claims(ISSUER, SERVICE, "alice", later, "app:pull")));
    }
}
