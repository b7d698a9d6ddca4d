package dev.registry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class AuthConfigTest {
    @TempDir
    Path dir;
    private ConfigFiles files;
    private Path htpasswd;
    private Path bundle;
    private Path jwks;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(dir);
        htpasswd = files.write("htpasswd", "alice:$2y$05$5iD/zKoPb5yoQVCpjhfpk.QeXoDLdbu9urcjffDGoOlSqoAa4YCAy\n");
        bundle = files.write("bundle.pem", "-----BEGIN CERTIFICATE-----\n");
        jwks = files.write("jwks.json", "{\"keys\": []}");
    }

    private static String auth(String body) {
        return "storage: filesystem\nauth:\n" + body.indent(2);
    }

    private String htpasswdSection() {
        return "htpasswd:\n  realm: basic-realm\n  path: " + htpasswd + "\n";
    }

    private String externalToken() {
        return "token:\n  realm: https://auth.example.com/token\n  service: registry.example.com\n"
                + "  issuer: auth-issuer\n  rootcertbundle: " + bundle + "\n";
    }

    private String tokenServer() {
        return htpasswdSection() + "token:\n  realm: https://registry.example.com/auth/token\n"
                + "  service: registry.example.com\ntokenserver:\n  enabled: true\n  signingkey: "
                + dir.resolve("token.key") + "\n";
    }

    @Test
    void withoutAuthEveryoneIsAnonymous() {
        AuthConfig auth = files.load("storage: filesystem\n").auth();

        assertEquals(AuthConfig.NONE, auth);
        assertFalse(auth.enabled());
        assertFalse(auth.usesTokens());
        assertEquals(AuthConfig.NONE, files.load("storage: filesystem\nauth:\n").auth());
    }

    @Test
    void htpasswdIsRead() {
        AuthConfig auth = files.load(auth(htpasswdSection())).auth();

        assertEquals(new AuthConfig(new HtpasswdConfig("basic-realm", htpasswd), null, TokenServerConfig.DISABLED,
                List.of()), auth);
        assertTrue(auth.enabled());
        assertFalse(auth.usesTokens());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void htpasswdRealmHasADefault() {
        assertEquals("Registry Realm", files.load(auth("htpasswd: {path: " + htpasswd + "}")).auth().htpasswd()
                .realm());
    }

    @Test
    void missingHtpasswdFileIsAStartupErrorNamingTheKey() {
        Path missing = dir.resolve("missing");

        ConfigException e = files.failure(auth("htpasswd: {realm: r, path: " + missing + "}"));

        assertEquals("auth.htpasswd.path (REGISTRY_AUTH_HTPASSWD_PATH) is '" + missing + "': there is no readable "
                + "file at " + missing + ", so create one with 'htpasswd -cB " + missing + " USER' or fix the path.",
                e.getMessage());
    }

    @Test
    void htpasswdWithoutPathIsAnError() {
        ConfigException e = files.failure(auth("htpasswd: {realm: r}"));

        assertEquals("auth.htpasswd.path (REGISTRY_AUTH_HTPASSWD_PATH) is not set: give the path of an htpasswd "
                + "file, made with 'htpasswd -cB FILE USER'.", e.getMessage());
    }

    @Test
    void externalTokenAuthIsRead() {
        AuthConfig auth = files.load(auth(externalToken() + "  jwks: " + jwks + "\n")).auth();

        assertEquals(new AuthConfig(null, new TokenAuthConfig("https://auth.example.com/token",
                "registry.example.com", "auth-issuer", bundle, jwks), TokenServerConfig.DISABLED, List.of()), auth);
        assertTrue(auth.usesTokens());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void jwksAloneIsEnough() {
        TokenAuthConfig token = files.load(auth("token: {realm: 'https://a.example/token', service: s, issuer: i, "
                + "jwks: " + jwks + "}")).auth().token();

        assertNull(token.rootCertBundle());
        assertEquals(jwks, token.jwks());
    }

    @Test
    void autoRedirectIsIgnoredWithAWarning() {
        files.load(auth(externalToken() + "  autoredirect: true\n"));

        assertEquals(List.of("configuration key 'auth.token.autoredirect' is not supported yet and is ignored"),
                files.warnings);
    }

    @Test
    void tokenServerIsRead() {
        AuthConfig auth = files.load(auth(tokenServer() + "  expiration: 15m\n")).auth();

        assertEquals(new AuthConfig(new HtpasswdConfig("basic-realm", htpasswd),
                new TokenAuthConfig("https://registry.example.com/auth/token", "registry.example.com",
                        "registry-token-issuer", null, null),
                new TokenServerConfig(true, dir.resolve("token.key"), Duration.ofMinutes(15), "registry-token-issuer"),
                List.of()), auth);
        assertTrue(auth.usesTokens());
    }

    @Test
    void tokenServerDefaults() {
        TokenServerConfig server = files.load(auth(tokenServer())).auth().tokenServer();

        assertEquals(Duration.ofMinutes(5), server.expiration());
        assertEquals("registry-token-issuer", server.issuer());
        assertEquals(new TokenServerConfig(false, null, Duration.ofMinutes(5), "registry-token-issuer"),
                TokenServerConfig.DISABLED);
    }

    @Test
    void tokenServerIssuerBecomesTheTokenIssuer() {
        AuthConfig auth = files.load(auth(tokenServer() + "  issuer: my-registry\n")).auth();

        assertEquals("my-registry", auth.tokenServer().issuer());
        assertEquals("my-registry", auth.token().issuer());
    }

    @Test
    void tokenIssuerMustMatchTheTokenServers() {
        ConfigException e = files.failure(auth(tokenServer().replace("  service: registry.example.com\n",
                "  service: registry.example.com\n  issuer: other\n")));

        assertEquals("auth.token.issuer (REGISTRY_AUTH_TOKEN_ISSUER) is 'other': the built-in token server signs as "
                + "'registry-token-issuer', so leave it out or give the same value as auth.tokenserver.issuer.",
                e.getMessage());
    }

    @Test
    void disabledTokenServerIsIgnored() {
        AuthConfig auth = files.load(auth(externalToken() + "tokenserver: {enabled: false, signingkey: /nowhere/k}"))
                .auth();

        assertEquals(TokenServerConfig.DISABLED, auth.tokenServer());
    }

    @Test
    void accessRulesAreRead() {
        AuthConfig auth = files.load(auth(htpasswdSection() + """
                access:
                  - repositories: ['public/**']
                    users: [anonymous, '*']
                    actions: [pull]
                  - repositories: ['team/*', 'shared']
                    users: [alice, bob]
                    actions: ['*']
                """)).auth();

        assertEquals(List.of(
                new AccessRuleConfig(List.of("public/**"), List.of("anonymous", "*"), List.of("pull")),
                new AccessRuleConfig(List.of("team/*", "shared"), List.of("alice", "bob"), List.of("*"))),
                auth.access());
    }

    @Test
    void accessRulesComeFromTheEnvironmentAsYaml() {
        AuthConfig auth = files.load(auth(htpasswdSection()), Map.of("REGISTRY_AUTH_ACCESS",
                "[{repositories: ['**'], users: ['*'], actions: [pull, push]}]")).auth();

        assertEquals(List.of(new AccessRuleConfig(List.of("**"), List.of("*"), List.of("pull", "push"))),
                auth.access());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void environmentConfiguresHtpasswd() {
        AuthConfig auth = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_AUTH_HTPASSWD_REALM", "env-realm",
                "REGISTRY_AUTH_HTPASSWD_PATH", htpasswd.toString())).auth();

        assertEquals(new HtpasswdConfig("env-realm", htpasswd), auth.htpasswd());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void environmentConfiguresTheTokenServer() {
        AuthConfig auth = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_AUTH_HTPASSWD_PATH", htpasswd.toString(),
                "REGISTRY_AUTH_TOKEN_REALM", "https://r.example/auth/token",
                "REGISTRY_AUTH_TOKEN_SERVICE", "r.example",
                "REGISTRY_AUTH_TOKENSERVER_ENABLED", "true",
                "REGISTRY_AUTH_TOKENSERVER_SIGNINGKEY", dir.resolve("k.pem").toString(),
                "REGISTRY_AUTH_TOKENSERVER_EXPIRATION", "2m",
                "REGISTRY_AUTH_TOKENSERVER_ISSUER", "env-issuer")).auth();

        assertEquals(new TokenServerConfig(true, dir.resolve("k.pem"), Duration.ofMinutes(2), "env-issuer"),
                auth.tokenServer());
        assertEquals("env-issuer", auth.token().issuer());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void environmentConfiguresExternalTokens() {
        AuthConfig auth = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_AUTH_TOKEN_REALM", "https://auth.example/token",
                "REGISTRY_AUTH_TOKEN_SERVICE", "r.example",
                "REGISTRY_AUTH_TOKEN_ISSUER", "gitlab-issuer",
                "REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE", bundle.toString())).auth();

        assertEquals(new TokenAuthConfig("https://auth.example/token", "r.example", "gitlab-issuer", bundle, null),
                auth.token());
    }

    @Test
    void invalidAccessYamlInTheEnvironmentIsReported() {
        ConfigException e = files.failure(auth(htpasswdSection()), Map.of("REGISTRY_AUTH_ACCESS", "[{users: [a]"));

        assertTrue(e.getMessage().startsWith("auth.access (REGISTRY_AUTH_ACCESS) is not valid YAML: give a list such "
                + "as "), e.getMessage());
    }

    @Test
    void sillyAuthIsNotSupported() {
        ConfigException e = files.failure(auth("silly: {realm: r, service: s}"));

        assertEquals("auth.silly (REGISTRY_AUTH_SILLY) selects registry:2's 'silly' authentication, which is not "
                + "supported: use auth.htpasswd or auth.token instead.", e.getMessage());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void sillyAuthFromTheEnvironmentIsNotSupportedEither() {
        ConfigException e = files.failure("storage: filesystem\n", Map.of("REGISTRY_AUTH_SILLY_REALM", "r"));

        assertTrue(e.getMessage().startsWith("auth.silly (REGISTRY_AUTH_SILLY) selects registry:2's 'silly'"),
                e.getMessage());
    }

    @Test
    void unknownAuthKindIsAnErrorNotAWarning() {
        ConfigException e = files.failure(auth("ldap: {url: ldap://x}"));

        assertEquals("auth.ldap (REGISTRY_AUTH_LDAP) names an authentication kind that is not supported: use "
                + "auth.htpasswd or auth.token instead.", e.getMessage());
        assertEquals(List.of(), files.warnings);
    }

    static Stream<Arguments> invalidAuth() {
        return Stream.of(
                Arguments.of("htpasswd: [a]", "auth.htpasswd (REGISTRY_AUTH_HTPASSWD) is a list"),
                Arguments.of("token: {service: s, issuer: i, rootcertbundle: BUNDLE}",
                        "auth.token.realm (REGISTRY_AUTH_TOKEN_REALM) is not set: give the absolute URL of the token "
                                + "endpoint"),
                Arguments.of("token: {realm: /token, service: s, issuer: i, rootcertbundle: BUNDLE}",
                        "auth.token.realm (REGISTRY_AUTH_TOKEN_REALM) is '/token': give the absolute URL"),
                Arguments.of("token: {realm: 'ftp://a/token', service: s, issuer: i, rootcertbundle: BUNDLE}",
                        "auth.token.realm (REGISTRY_AUTH_TOKEN_REALM) is 'ftp://a/token'"),
                Arguments.of("token: {realm: 'https://a/token', issuer: i, rootcertbundle: BUNDLE}",
                        "auth.token.service (REGISTRY_AUTH_TOKEN_SERVICE) is not set"),
                Arguments.of("token: {realm: 'https://a/token', service: s, rootcertbundle: BUNDLE}",
                        "auth.token.issuer (REGISTRY_AUTH_TOKEN_ISSUER) is not set"),
                Arguments.of("token: {realm: 'https://a/token', service: s, issuer: i}",
                        "auth.token.rootcertbundle (REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE) is not set, and neither is "
                                + "auth.token.jwks"),
                Arguments.of("token: {realm: 'https://a/token', service: s, issuer: i, rootcertbundle: /no/bundle}",
                        "auth.token.rootcertbundle (REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE) is '/no/bundle': there is no "
                                + "readable file"),
                Arguments.of("token: {realm: 'https://a/token', service: s, issuer: i, jwks: /no/jwks}",
                        "auth.token.jwks (REGISTRY_AUTH_TOKEN_JWKS) is '/no/jwks'"),
                Arguments.of("htpasswd: {path: HTPASSWD}\ntoken: {realm: 'https://a/token', service: s, issuer: i, "
                                + "rootcertbundle: BUNDLE}",
                        "auth (REGISTRY_AUTH) configures both htpasswd and token authentication"),
                Arguments.of("tokenserver: {enabled: true, signingkey: KEY}\ntoken: {realm: 'https://a/t', service: s}",
                        "auth.tokenserver.enabled (REGISTRY_AUTH_TOKENSERVER_ENABLED) is true but auth.htpasswd is "
                                + "not set"),
                Arguments.of("htpasswd: {path: HTPASSWD}\ntokenserver: {enabled: true, signingkey: KEY}",
                        "auth.token (REGISTRY_AUTH_TOKEN) is not set although auth.tokenserver.enabled is true"),
                Arguments.of("htpasswd: {path: HTPASSWD}\ntoken: {realm: 'https://a/t', service: s}\n"
                                + "tokenserver: {enabled: true}",
                        "auth.tokenserver.signingkey (REGISTRY_AUTH_TOKENSERVER_SIGNINGKEY) is not set"),
                Arguments.of("htpasswd: {path: HTPASSWD}\ntoken: {realm: 'https://a/t', service: s}\n"
                                + "tokenserver: {enabled: true, signingkey: /no/such/dir/k.pem}",
                        "auth.tokenserver.signingkey (REGISTRY_AUTH_TOKENSERVER_SIGNINGKEY) is '/no/such/dir/k.pem': "
                                + "the key is generated there but the directory /no/such/dir does not exist"),
                Arguments.of("htpasswd: {path: HTPASSWD}\ntoken: {realm: 'https://a/t', service: s}\n"
                                + "tokenserver: {enabled: true, signingkey: KEY, expiration: 30s}",
                        "auth.tokenserver.expiration (REGISTRY_AUTH_TOKENSERVER_EXPIRATION) is '30s': Docker clients "
                                + "expect tokens to live at least 60 seconds"),
                Arguments.of("htpasswd: {path: HTPASSWD}\ntoken: {realm: 'https://a/t', service: s}\n"
                                + "tokenserver: {enabled: yes please, signingkey: KEY}",
                        "auth.tokenserver.enabled (REGISTRY_AUTH_TOKENSERVER_ENABLED) is 'yes please'"),
                Arguments.of("access: [{repositories: ['**'], users: ['*'], actions: [pull]}]",
                        "auth.access (REGISTRY_AUTH_ACCESS) only applies to auth.htpasswd users"),
                Arguments.of("token: {realm: 'https://a/token', service: s, issuer: i, rootcertbundle: BUNDLE}\n"
                                + "access: [{repositories: ['**'], users: ['*'], actions: [pull]}]",
                        "auth.access (REGISTRY_AUTH_ACCESS) only applies to auth.htpasswd users (directly or through "
                                + "auth.tokenserver), and an external token server decides access itself"),
                Arguments.of("htpasswd: {path: HTPASSWD}\naccess: {repositories: ['**']}",
                        "auth.access (REGISTRY_AUTH_ACCESS) is a mapping: give a list of rules"),
                Arguments.of("htpasswd: {path: HTPASSWD}\naccess: [pull]",
                        "auth.access (REGISTRY_AUTH_ACCESS) rule 1 is not a mapping"),
                Arguments.of("htpasswd: {path: HTPASSWD}\naccess: [{repositories: ['**'], users: ['*'], "
                                + "actions: [pull]}, {repositories: ['a'], users: [b], actions: [pul]}]",
                        "auth.access (REGISTRY_AUTH_ACCESS) rule 2 has the unknown action 'pul': give pull, push, "
                                + "delete or '*'."),
                Arguments.of("htpasswd: {path: HTPASSWD}\naccess: [{repositories: ['a'], users: [b], actions: [pull], "
                                + "user: [c]}]",
                        "auth.access (REGISTRY_AUTH_ACCESS) rule 1 has the unknown key 'user'"),
                Arguments.of("htpasswd: {path: HTPASSWD}\naccess: [{users: [b], actions: [pull]}]",
                        "auth.access (REGISTRY_AUTH_ACCESS) rule 1 has no repositories"),
                Arguments.of("htpasswd: {path: HTPASSWD}\naccess: [{repositories: [a], users: [], actions: [pull]}]",
                        "auth.access (REGISTRY_AUTH_ACCESS) rule 1 has no users"),
                Arguments.of("htpasswd: {path: HTPASSWD}\naccess: [{repositories: [a], users: [b]}]",
                        "auth.access (REGISTRY_AUTH_ACCESS) rule 1 has no actions"),
                Arguments.of("htpasswd: {path: HTPASSWD}\naccess: [{repositories: [a], users: [[b]], actions: [pull]}]",
                        "auth.access (REGISTRY_AUTH_ACCESS) rule 1 has users that are not a list of names"),
                Arguments.of("htpasswd: {path: HTPASSWD}\naccess: [{repositories: ['Team/**'], users: [b], "
                                + "actions: [pull]}]",
                        "auth.access (REGISTRY_AUTH_ACCESS) rule 1 has the repository pattern 'Team/**', which is not "
                                + "valid"),
                Arguments.of("htpasswd: {path: HTPASSWD}\naccess: [{repositories: ['a//b'], users: [b], "
                                + "actions: [pull]}]",
                        "auth.access (REGISTRY_AUTH_ACCESS) rule 1 has the repository pattern 'a//b'"),
                Arguments.of("htpasswd: {path: HTPASSWD}\naccess: [{repositories: ['a/**b'], users: [b], "
                                + "actions: [pull]}]",
                        "auth.access (REGISTRY_AUTH_ACCESS) rule 1 has the repository pattern 'a/**b'"),
                Arguments.of("htpasswd: {path: HTPASSWD}\naccess: [{repositories: ['a'], users: ['bob smith'], "
                                + "actions: [pull]}]",
                        "auth.access (REGISTRY_AUTH_ACCESS) rule 1 has the user 'bob smith', which is not a user name"),
                Arguments.of("tokens: {path: /no/such/dir/tokens.json}\nhtpasswd: {path: HTPASSWD}",
                        "auth.tokens.path (REGISTRY_AUTH_TOKENS_PATH) is '/no/such/dir/tokens.json': neither the file "
                                + "nor its directory /no/such/dir exists"),
                Arguments.of("htpasswd: {path: HTPASSWD}\ntokens: {}",
                        "auth.tokens.path (REGISTRY_AUTH_TOKENS_PATH) is not set"),
                Arguments.of("token: {realm: 'https://a/token', service: s, issuer: i, rootcertbundle: BUNDLE}\n"
                                + "tokens: {path: KEY}",
                        "auth.tokens.path (REGISTRY_AUTH_TOKENS_PATH) is set but auth.htpasswd is not"));
    }

    @ParameterizedTest
    @MethodSource("invalidAuth")
    void invalidAuthIsOneSentenceNamingKeyAndVariable(String yaml, String messageStart) {
        ConfigException e = files.failure(auth(yaml.replace("HTPASSWD", htpasswd.toString())
                .replace("BUNDLE", bundle.toString()).replace("KEY", dir.resolve("k.pem").toString())));

        assertTrue(e.getMessage().startsWith(messageStart), e.getMessage());
        assertTrue(e.getMessage().contains(": "), "says how to fix it: " + e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"**", "library/*", "team/**", "a/*/b", "*-dev/**", "exact/name"})
    void validRepositoryPatternsAreAccepted(String pattern) {
        AuthConfig auth = files.load(auth(htpasswdSection() + "access: [{repositories: ['" + pattern
                + "'], users: [b], actions: [pull]}]")).auth();

        assertEquals(List.of(pattern), auth.access().get(0).repositories());
    }

    @Test
    void loginTokensFileIsRead() {
        AuthConfig auth = files.load(auth(htpasswdSection() + "tokens:\n  path: " + dir.resolve("tokens.json")
                + "\n")).auth();

        assertEquals(new LoginTokensConfig(dir.resolve("tokens.json")), auth.tokens(),
                "the file need not exist yet: 'token create' makes it");
        assertNull(files.load(auth(htpasswdSection())).auth().tokens());
    }

    @Test
    void loginTokensFileFromTheEnvironment() {
        AuthConfig auth = files.load(auth(htpasswdSection()), Map.of("REGISTRY_AUTH_TOKENS_PATH",
                dir.resolve("t.json").toString())).auth();

        assertEquals(new LoginTokensConfig(dir.resolve("t.json")), auth.tokens());
    }

    @Test
    void existingSigningKeyMustBeAReadableFile() {
        ConfigException e = files.failure(auth(htpasswdSection() + "token: {realm: 'https://a/t', service: s}\n"
                + "tokenserver: {enabled: true, signingkey: " + dir + "}"));

        assertTrue(e.getMessage().startsWith("auth.tokenserver.signingkey (REGISTRY_AUTH_TOKENSERVER_SIGNINGKEY) is '"
                + dir + "': " + dir + " cannot be read"), e.getMessage());
    }
}
