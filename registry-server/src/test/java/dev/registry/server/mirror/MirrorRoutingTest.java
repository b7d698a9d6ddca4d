package dev.registry.server.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.config.ProxyConfig;
import dev.registry.config.ProxyCredentialConfig;
import dev.registry.config.ProxyRemoteConfig;
import dev.registry.storage.Registry;
import dev.registry.storage.driver.inmemory.InMemoryDriver;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which remote and upstream name a repository name maps to, which names are read-only, and credential selection. */
class MirrorRoutingTest {
    @TempDir
    Path dir;

    private static ProxyRemoteConfig remote(String name, ProxyCredentialConfig... credentials) {
        return new ProxyRemoteConfig(name, URI.create("http://127.0.0.1:1"), List.of(credentials), Duration.ofMinutes(10));
    }

    /** A remote on Docker Hub (routing never connects to it). */
    private static ProxyRemoteConfig hub(String name) {
        return new ProxyRemoteConfig(name, URI.create("https://registry-1.docker.io"), List.of(), Duration.ofMinutes(10));
    }

    private static Mirror mirror(ProxyConfig config, Registry registry) {
        return new Mirror(config, registry, HttpClient.newHttpClient(), Clock.systemUTC());
    }

    private static Registry registry() {
        return new Registry(new InMemoryDriver(), true, Clock.systemUTC());
    }

    private static String describe(Optional<Mirror.Target> target) {
        return target.map(t -> t.remote().name() + ":" + t.upstream()).orElse("local");
    }

    @Test
    void firstComponentSelectsRemoteOthersGoToTheDefaultWithDockerHubLibrary() throws Exception {
        Mirror mirror = mirror(new ProxyConfig(List.of(remote("gitlab"), hub("hub")), Optional.of("hub"), false), registry());

        assertEquals("gitlab:avassa-public/movie-theaters-demo/ticket-blipper",
                describe(mirror.route("gitlab/avassa-public/movie-theaters-demo/ticket-blipper")));
        assertEquals("hub:library/alpine", describe(mirror.route("hub/library/alpine")));
        assertEquals("hub:library/alpine", describe(mirror.route("hub/alpine")), "an official image under the remote's prefix");
        assertEquals("hub:library/alpine", describe(mirror.route("alpine")));
        assertEquals("hub:bitnami/redis", describe(mirror.route("bitnami/redis")));
        assertEquals("hub:library/gitlab", describe(mirror.route("gitlab")), "a remote's name alone is no repository of it");
    }

    @Test
    void singleComponentNamesGetLibraryOnlyOnDockerHub() throws Exception {
        Mirror other = mirror(new ProxyConfig(List.of(remote("corp")), Optional.of("corp"), false), registry());
        assertEquals("corp:myapp", describe(other.route("myapp")), "a private registry's repository, as registry:2 sends it");
        assertEquals("corp:myapp", describe(other.route("corp/myapp")));

        Mirror whole = mirror(new ProxyConfig(List.of(remote("default")), Optional.of("default"), true), registry());
        assertEquals("default:myapp", describe(whole.route("myapp")));

        for (String url : List.of("https://registry-1.docker.io", "https://index.docker.io", "https://REGISTRY.HUB.DOCKER.COM:443")) {
            Mirror hub = mirror(new ProxyConfig(List.of(new ProxyRemoteConfig("default", URI.create(url), List.of(),
                    Duration.ofMinutes(10))), Optional.of("default"), true), registry());
            assertEquals("default:library/busybox", describe(hub.route("busybox")), url);
        }
    }

    @Test
    void withoutDefaultUnclaimedNamesAreLocal() throws Exception {
        Mirror mirror = mirror(new ProxyConfig(List.of(remote("gitlab")), Optional.empty(), false), registry());

        assertEquals("local", describe(mirror.route("team/app")));
        assertEquals(Optional.empty(), mirror.refusesWrites("team/app"));
        assertTrue(mirror.refusesWrites("gitlab/group/app").isPresent());
    }

    @Test
    void namedPrefixesAndCachedRepositoriesAreReadOnlyOtherNamesAreNot() throws Exception {
        Registry registry = registry();
        Mirror mirror = mirror(new ProxyConfig(List.of(remote("gitlab"), hub("hub")), Optional.of("hub"), false), registry);

        assertTrue(mirror.refusesWrites("gitlab/a/b").isPresent());
        assertTrue(mirror.refusesWrites("hub/library/alpine").isPresent(), "the default remote's own prefix too");
        assertEquals(Optional.empty(), mirror.refusesWrites("team/app"));
        registry.cached().recordPull("alpine", "hub", "library/alpine", Instant.now());
        assertTrue(mirror.refusesWrites("alpine").isPresent(), "a cached repository is read-only");
    }

    @Test
    void registry2FormSendsEveryNameToTheOneRemoteAndRefusesAllWrites() throws Exception {
        Mirror mirror = mirror(new ProxyConfig(List.of(hub("default")), Optional.of("default"), true), registry());

        assertEquals("default:library/busybox", describe(mirror.route("busybox")));
        assertEquals("default:team/app", describe(mirror.route("team/app")));
        assertTrue(mirror.refusesWrites("team/app").isPresent());
    }

    @Test
    void firstMatchingCredentialRuleWinsAndPasswordFilesAreReReadWhenChanged() throws Exception {
        Path file = Files.writeString(dir.resolve("pw"), "first\n");
        UpstreamCredentials credentials = new UpstreamCredentials(List.of(
                new ProxyCredentialConfig(List.of("team/*"), "bob", Optional.empty(), Optional.of(file)),
                new ProxyCredentialConfig(List.of("team/**", "other"), "carol", Optional.of("inline"), Optional.empty())));

        assertEquals(new UpstreamCredentials.Credentials("bob", "first"), credentials.forRepository("team/app").orElseThrow());
        assertEquals(new UpstreamCredentials.Credentials("carol", "inline"), credentials.forRepository("team/a/b").orElseThrow());
        assertEquals("carol", credentials.forRepository("other").orElseThrow().username());
        assertEquals(Optional.empty(), credentials.forRepository("public/app"));

        Files.writeString(file, "second-password\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        assertEquals("second-password", credentials.forRepository("team/app").orElseThrow().password());
        assertTrue(!credentials.forRepository("team/app").orElseThrow().toString().contains("second-password"));
    }

    @Test
    void bearerChallengesAreParsedAsRegistriesSendThem() {
        BearerChallenge hub = BearerChallenge.parse(
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"")
                .orElseThrow();
        assertTrue(hub.isBearer());
        assertEquals(Map.of("realm", "https://auth.docker.io/token", "service", "registry.docker.io",
                "scope", "repository:library/busybox:pull"), hub.parameters());
        BearerChallenge basic = BearerChallenge.parse("Basic realm=\"Registry Realm\"").orElseThrow();
        assertEquals("basic", basic.scheme());
        assertEquals("Registry Realm", basic.realm());
        assertEquals(Optional.empty(), BearerChallenge.parse("Negotiate abc"));
    }
}
