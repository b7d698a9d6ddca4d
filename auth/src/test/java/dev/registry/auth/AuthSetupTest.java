package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.config.AccessRuleConfig;
import dev.registry.config.AuthConfig;
import dev.registry.config.ConfigException;
import dev.registry.config.HtpasswdConfig;
import dev.registry.config.LoginTokensConfig;
import dev.registry.config.TokenAuthConfig;
import dev.registry.config.TokenServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthSetupTest {
    private static final String REALM = "https://registry.example.com/auth/token";

    @TempDir
    Path dir;
    private Path htpasswd;
    private final MutableClock clock = new MutableClock(Pki.NOW);

    @BeforeEach
    void setUp() throws IOException {
        htpasswd = Files.writeString(dir.resolve("htpasswd"), HtpasswdFileTest.ALICE + "\n" + HtpasswdFileTest.BOB
                + "\n");
    }

    private AuthConfig tokenServer(List<AccessRuleConfig> access) {
        return new AuthConfig(new HtpasswdConfig("Registry Realm", htpasswd),
                new TokenAuthConfig(REALM, Tokens.SERVICE, "registry-token-issuer", null, null),
                new TokenServerConfig(true, dir.resolve("token.key"), Duration.ofMinutes(5), "registry-token-issuer"),
                access);
    }

    @Test
    void withoutAuthEverythingIsOpen() throws AccessDeniedException {
        AuthSetup setup = AuthSetup.from(AuthConfig.NONE);

        assertInstanceOf(OpenAccessController.class, setup.accessController());
        assertEquals(Principal.ANONYMOUS, setup.accessController().authorize((String) null, List.of(Access.push("a"))));
        assertTrue(setup.tokenService().isEmpty());
    }

    @Test
    void htpasswdGivesBasicAuthWithTheRules() throws AccessDeniedException {
        AuthSetup setup = AuthSetup.from(new AuthConfig(new HtpasswdConfig("my realm", htpasswd), null,
                TokenServerConfig.DISABLED, List.of(new AccessRuleConfig(List.of("public/**"), List.of("anonymous"),
                List.of("pull")))), clock);

        AccessController controller = setup.accessController();
        assertEquals(Principal.ANONYMOUS, controller.authorize((String) null, List.of(Access.pull("public/a"))));
        AccessDeniedException e = assertThrows(AccessDeniedException.class,
                () -> controller.authorize((String) null, List.of()));
        assertEquals("Basic realm=\"my realm\"", e.challenge());
        assertEquals(new Principal("bob"), controller.authorize(new BasicCredentials("bob", "S3cr3t!".toCharArray())
                .header(), List.of()));
        assertTrue(setup.tokenService().isEmpty());
    }

    @Test
    void tokenServerIssuesTokensTheRegistryAccepts() throws Exception {
        AuthSetup setup = AuthSetup.from(tokenServer(List.of(
                new AccessRuleConfig(List.of("team/**"), List.of("bob"), List.of("pull", "push")))), clock);
        TokenService tokens = setup.tokenService().orElseThrow();
        AccessController controller = setup.accessController();

        // docker login: /v2/ challenges, the client fetches a token with its password, /v2/ accepts it.
        AccessDeniedException challenge = assertThrows(AccessDeniedException.class,
                () -> controller.authorize((String) null, List.of()));
        assertEquals("Bearer realm=\"" + REALM + "\",service=\"" + Tokens.SERVICE + "\"", challenge.challenge());
        String bob = new BasicCredentials("bob", "S3cr3t!".toCharArray()).header();
        String login = tokens.issue(TokenRequest.fromQuery(Map.of("service", List.of(Tokens.SERVICE)), bob, null))
                .token();
        assertEquals(new Principal("bob"), controller.authorize("Bearer " + login, List.of()));

        // docker push: the challenge names the scope; the token grants what the rules allow.
        String push = tokens.issue(TokenRequest.fromQuery(Map.of("service", List.of(Tokens.SERVICE), "scope",
                List.of("repository:team/app:pull,push")), bob, null)).token();
        assertEquals(new Principal("bob"), controller.authorize("Bearer " + push,
                List.of(Access.pull("team/app"), Access.push("team/app"))));
        AccessDeniedException denied = assertThrows(AccessDeniedException.class,
                () -> controller.authorize("Bearer " + push, List.of(Access.delete("team/app"))));
        assertTrue(denied.challenge().endsWith(",error=\"insufficient_scope\""), denied.challenge());

        // The catalog is filtered with the same rules.
        assertTrue(controller.mayPull(new Principal("bob"), "team/app"));
        assertFalse(controller.mayPull(new Principal("bob"), "private/app"));
    }

    @Test
    void anonymousTokensWorkForAnonymousPulls() throws Exception {
        AuthSetup setup = AuthSetup.from(tokenServer(List.of(
                new AccessRuleConfig(List.of("public/**"), List.of("anonymous"), List.of("pull")))), clock);

        String token = setup.tokenService().orElseThrow().issue(TokenRequest.fromQuery(Map.of("scope",
                List.of("repository:public/app:pull")), null, null)).token();

        assertEquals(Principal.ANONYMOUS, setup.accessController().authorize("Bearer " + token,
                List.of(Access.pull("public/app"))));
    }

    @Test
    void externalTokensAreCheckedAgainstTheBundle() throws Exception {
        KeyPair key = Pki.rsa();
        X509Certificate certificate = Pki.selfSigned("gitlab-issuer", key, false);
        Path bundle = Files.writeString(dir.resolve("bundle.pem"), Pki.pem(certificate));
        AuthSetup setup = AuthSetup.from(new AuthConfig(null, new TokenAuthConfig("https://gitlab.example/jwt/auth",
                "container_registry", "gitlab-issuer", bundle, null), TokenServerConfig.DISABLED, List.of()), clock);
        var header = Tokens.header(JwsAlgorithm.RS256);
        header.put("kid", KeyIds.libtrust(key.getPublic()));
        String token = Tokens.sign(header, Tokens.claims("gitlab-issuer", "container_registry", "root", Pki.NOW,
                "group/project:pull"), key.getPrivate(), JwsAlgorithm.RS256);

        assertEquals(new Principal("root"), setup.accessController().authorize("Bearer " + token,
                List.of(Access.pull("group/project"))));
        assertTrue(setup.tokenService().isEmpty());
        assertTrue(setup.accessController().mayPull(new Principal("root"), "anything"),
                "an external token server decides the catalog itself");
    }

    @Test
    void externalTokensAreCheckedAgainstTheJwks() throws Exception {
        KeyPair key = Pki.rsa();
        Path jwks = Files.writeString(dir.resolve("jwks.json"), "{\"keys\": [" + JwksTest.rsaJwk("key-1",
                (RSAPublicKey) key.getPublic()) + "]}");
        AuthSetup setup = AuthSetup.from(new AuthConfig(null, new TokenAuthConfig(REALM, Tokens.SERVICE,
                Tokens.ISSUER, null, jwks), TokenServerConfig.DISABLED, List.of()), clock);
        var header = Tokens.header(JwsAlgorithm.RS256);
        header.put("kid", "key-1");

        assertEquals(new Principal("alice"), setup.accessController().authorize("Bearer " + Tokens.sign(header,
                Tokens.claims(Pki.NOW, "app:pull"), key.getPrivate(), JwsAlgorithm.RS256), Tokens.pull("app")));
    }

    @Test
    void bundleWithoutCertificatesStopsStartup() throws IOException {
        Path bundle = Files.writeString(dir.resolve("bundle.pem"), "not a certificate\n");

        ConfigException e = assertThrows(ConfigException.class, () -> AuthSetup.from(new AuthConfig(null,
                new TokenAuthConfig(REALM, "s", "i", bundle, null), TokenServerConfig.DISABLED, List.of())));

        assertEquals("auth.token.rootcertbundle (REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE) is '" + bundle + "': it holds no "
                + "PEM certificate, so give the token server's certificates ('-----BEGIN CERTIFICATE-----' blocks).",
                e.getMessage());
    }

    @Test
    void jwksWithoutUsableKeysStopsStartup() throws IOException {
        Path jwks = Files.writeString(dir.resolve("jwks.json"), "{\"keys\": []}");

        ConfigException e = assertThrows(ConfigException.class, () -> AuthSetup.from(new AuthConfig(null,
                new TokenAuthConfig(REALM, "s", "i", null, jwks), TokenServerConfig.DISABLED, List.of())));

        assertTrue(e.getMessage().startsWith("auth.token.jwks (REGISTRY_AUTH_TOKEN_JWKS) is '" + jwks + "': it holds "
                + "no usable signing key"), e.getMessage());
    }

    @Test
    void unusableSigningKeyStopsStartup() throws IOException {
        Files.writeString(dir.resolve("token.key"), PemFiles.pem("PRIVATE KEY", Pki.rsa().getPrivate().getEncoded()));

        ConfigException e = assertThrows(ConfigException.class, () -> AuthSetup.from(tokenServer(List.of())));

        assertTrue(e.getMessage().startsWith("auth.tokenserver.signingkey (REGISTRY_AUTH_TOKENSERVER_SIGNINGKEY) is '"
                + dir.resolve("token.key") + "': "), e.getMessage());
        assertTrue(e.getMessage().endsWith("."), e.getMessage());
    }

    @Test
    void loginTokensWorkWithBasicAuthAndTheTokenServer() throws Exception {
        Path tokens = dir.resolve("tokens.json");
        String token = LoginTokenFile.create(tokens, "bob", "ci", clock.instant(), null).text();
        String basic = new BasicCredentials("someone", token.toCharArray()).header();

        AuthSetup htpasswdOnly = AuthSetup.from(new AuthConfig(new HtpasswdConfig("Registry Realm", htpasswd), null,
                TokenServerConfig.DISABLED, List.of(), new LoginTokensConfig(tokens)), clock);
        assertEquals(new Principal("bob"), htpasswdOnly.accessController().authorize(basic, List.of()));

        AuthConfig server = tokenServer(List.of());
        AuthSetup withServer = AuthSetup.from(new AuthConfig(server.htpasswd(), server.token(), server.tokenServer(),
                server.access(), new LoginTokensConfig(tokens)), clock);
        TokenResponse response = withServer.tokenService().orElseThrow().issue(TokenRequest.fromQuery(Map.of(),
                basic, "192.0.2.1"));
        assertEquals("bob", response.subject());
    }

    @Test
    void malformedLoginTokensFileStopsStartup() throws IOException {
        Path tokens = Files.writeString(dir.resolve("tokens.json"), "{\"tokens\": [{\"id\": 1}]}");

        ConfigException e = assertThrows(ConfigException.class, () -> AuthSetup.from(new AuthConfig(
                new HtpasswdConfig("Registry Realm", htpasswd), null, TokenServerConfig.DISABLED, List.of(),
                new LoginTokensConfig(tokens)), clock));
        assertTrue(e.getMessage().startsWith("auth.tokens.path (REGISTRY_AUTH_TOKENS_PATH) is '" + tokens
                + "': the login tokens file cannot be used (token 1 has no id)"), e.getMessage());
    }
}
