package dev.registry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProxyConfigTest {
    @TempDir
    Path dir;
    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(dir);
    }

    private static String proxy(String body) {
        return "storage: filesystem\nproxy:\n" + body.indent(2);
    }

    @Test
    void withoutProxySectionThereIsNoMirror() {
        assertEquals(ProxyConfig.NONE, files.load("storage: filesystem\n").proxy());
        assertFalse(ProxyConfig.NONE.enabled());
    }

    @Test
    void registry2FormIsOneReadOnlyDefaultRemote() {
        ProxyConfig proxy = files.load(proxy("""
                remoteurl: https://registry-1.docker.io/
                username: alice
                password: secret
                ttl: 24h
                """)).proxy();

        assertEquals(new ProxyConfig(List.of(new ProxyRemoteConfig("default", URI.create("https://registry-1.docker.io"),
                List.of(new ProxyCredentialConfig(List.of("**"), "alice", Optional.of("secret"), Optional.empty())),
                Duration.ofHours(24))), Optional.of("default"), true), proxy);
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void registry2FormDefaultsToAnonymousAndRegistry2sTtl() {
        ProxyConfig proxy = files.load(proxy("remoteurl: http://127.0.0.1:5001\n")).proxy();

        assertEquals(List.of(), proxy.remotes().get(0).credentials());
        assertEquals(Duration.ofHours(168), proxy.remotes().get(0).ttl());
        assertTrue(proxy.wholeRegistry());
    }

    @Test
    void namedRemotesWithCredentialsAndDefault() {
        Path secret = files.write("gitlab-password", "s3cret\n");
        ProxyConfig proxy = files.load(proxy("""
                remotes:
                  - name: gitlab
                    url: https://registry.gitlab.com
                    credentials:
                      - repositories: ['avassa-public/**']
                        username: bob
                        passwordfile: %s
                      - repositories: ['other/*']
                        username: carol
                        password: pw
                    ttl: 10m
                  - name: hub
                    url: https://registry-1.docker.io
                  - name: hub-ci
                    url: https://registry-1.docker.io
                default: hub
                """.formatted(secret))).proxy();

        assertFalse(proxy.wholeRegistry());
        assertEquals(Optional.of("hub"), proxy.defaultRemote());
        assertEquals(List.of("gitlab", "hub", "hub-ci"), proxy.remotes().stream().map(ProxyRemoteConfig::name).toList());
        ProxyRemoteConfig gitlab = proxy.remote("gitlab").orElseThrow();
        assertEquals(Duration.ofMinutes(10), gitlab.ttl());
        assertEquals(new ProxyCredentialConfig(List.of("avassa-public/**"), "bob", Optional.empty(), Optional.of(secret)),
                gitlab.credentials().get(0));
        assertEquals(new ProxyCredentialConfig(List.of("other/*"), "carol", Optional.of("pw"), Optional.empty()),
                gitlab.credentials().get(1));
        assertEquals(ProxyConfig.DEFAULT_TTL, proxy.remote("hub").orElseThrow().ttl());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void passwordsNeverShowInToString() {
        ProxyConfig proxy = files.load(proxy("remoteurl: https://r.example\nusername: alice\npassword: hunter2\n")).proxy();

        assertFalse(proxy.toString().contains("hunter2"), proxy.toString());
    }

    @Test
    void aZeroTtlChecksEveryPull() {
        ProxyConfig named = files.load(proxy("remotes: [{name: hub, url: 'https://registry-1.docker.io', ttl: 0s}]\n")).proxy();
        assertEquals(Duration.ZERO, named.remote("hub").orElseThrow().ttl());
        ProxyConfig single = files.load(proxy("remoteurl: https://r.example\nttl: 0\n")).proxy();
        assertEquals(Duration.ZERO, single.remotes().get(0).ttl(), "registry:2's 'no expiry'");
    }

    @Test
    void environmentSetsBothForms() {
        ProxyConfig single = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_PROXY_REMOTEURL", "https://mirror.example",
                "REGISTRY_PROXY_USERNAME", "alice",
                "REGISTRY_PROXY_PASSWORD", "pw",
                "REGISTRY_PROXY_TTL", "1h")).proxy();
        assertEquals(URI.create("https://mirror.example"), single.remotes().get(0).url());
        assertEquals(Duration.ofHours(1), single.remotes().get(0).ttl());
        assertEquals("alice", single.remotes().get(0).credentials().get(0).username());

        ProxyConfig named = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_PROXY_REMOTES", "[{name: hub, url: 'https://registry-1.docker.io', ttl: 5m,"
                        + " credentials: [{repositories: ['**'], username: u, password: p}]}]",
                "REGISTRY_PROXY_DEFAULT", "hub")).proxy();
        assertEquals(Optional.of("hub"), named.defaultRemote());
        assertEquals(Duration.ofMinutes(5), named.remote("hub").orElseThrow().ttl());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "remoteurl: https://a.example\nremotes: [{name: a, url: 'https://a.example'}]\n|both remoteurl and remotes",
            "remoteurl: ftp://a.example\n|proxy.remoteurl (REGISTRY_PROXY_REMOTEURL) is 'ftp://a.example'",
            "remoteurl: https://user:pw@a.example\n|not in the URL",
            "remoteurl: https://a.example\npassword: pw\n|proxy.username (REGISTRY_PROXY_USERNAME) is not set",
            "remoteurl: https://a.example\nusername: u\n|proxy.password (REGISTRY_PROXY_PASSWORD) is not set",
            "remoteurl: https://a.example\ndefault: a\n|proxy.default (REGISTRY_PROXY_DEFAULT) only goes with proxy.remotes",
            "remoteurl: https://a.example\nttl: soon\n|proxy.ttl (REGISTRY_PROXY_TTL) is 'soon'",
            "username: u\n|neither remoteurl nor remotes",
            "remotes: []\n|give a list of remotes",
            "remotes: [{name: a, url: 'https://a.example', credential: []}]\n|remote 1 has the unknown key 'credential'",
            "remotes: [{url: 'https://a.example'}]\n|remote 1 has no name",
            "remotes: [{name: a/b, url: 'https://a.example'}]\n|is not one repository name component",
            "remotes: [{name: a}]\n|remote 1 (a) has no url",
            "remotes: [{name: a, url: 'a.example'}]\n|remote 1 (a) has the url 'a.example'",
            "remotes: [{name: a, url: 'https://a.example', ttl: -1s}]\n|remote 1 (a) has the ttl '-1s'",
            "remotes: [{name: a, url: 'https://a.example'}, {name: a, url: 'https://b.example'}]\n|names the remote 'a' twice",
            "remotes: [{name: a, url: 'https://a.example'}]\ndefault: b\n|proxy.default (REGISTRY_PROXY_DEFAULT) is 'b'",
            "remotes: [{name: a, url: 'https://a.example'}]\nttl: 1h\n|proxy.ttl (REGISTRY_PROXY_TTL) only goes with proxy.remoteurl",
            "remotes: [{name: a, url: 'https://a.example', credentials: [{repositories: ['**'], username: u}]}]\n|remote 1 (a) credentials 1 has no password",
            "remotes: [{name: a, url: 'https://a.example', credentials: [{username: u, password: p}]}]\n|credentials 1 has no repositories",
            "remotes: [{name: a, url: 'https://a.example', credentials: [{repositories: ['A/**'], username: u, password: p}]}]\n|repository pattern 'A/**'",
            "remotes: [{name: a, url: 'https://a.example', credentials: [{repositories: ['**'], username: u, pasword: p}]}]\n|unknown key 'pasword'",
            "remotes: [{name: a, url: 'https://a.example', credentials: [{repositories: ['**'], username: u, password: p, passwordfile: /x}]}]\n|both password and passwordfile",
            "remotes: [{name: a, url: 'https://a.example', credentials: [{repositories: ['**'], username: u, passwordfile: /nonexistent/pw}]}]\n|passwordfile '/nonexistent/pw', which is not a readable file",
    })
    void mistakesStopTheStartWithOneSentence(String yamlAndMessage) {
        String[] parts = yamlAndMessage.split("\\|", 2);
        ConfigException e = files.failure(proxy(parts[0]));

        assertTrue(e.getMessage().contains(parts[1]), e.getMessage());
        assertFalse(e.getMessage().contains("\"p\""), e.getMessage());
    }

    @Test
    void credentialErrorsDoNotShowThePassword() {
        ConfigException e = files.failure(proxy(
                "remotes: [{name: a, url: 'https://a.example', credentials: [{repositories: ['**'], username: u, password: topsecret, extra: 1}]}]\n"));

        assertFalse(e.getMessage().contains("topsecret"), e.getMessage());
    }
}
