package dev.registry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NotificationsConfigTest {
    @TempDir
    Path dir;
    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(dir);
    }

    private NotificationsConfig load(String notifications) {
        return files.load("storage: filesystem\nnotifications:\n" + notifications.indent(2)).notifications();
    }

    private String failure(String notifications) {
        return files.failure("storage: filesystem\nnotifications:\n" + notifications.indent(2)).getMessage();
    }

    @Test
    void withoutNotificationsNothingIsSent() {
        assertEquals(NotificationsConfig.NONE, files.load("storage: filesystem\n").notifications());
        assertEquals(NotificationsConfig.NONE, load("endpoints: []"));
        assertEquals(List.of(), files.warnings);
    }

    /** registry:2's documented example, every endpoint key set. */
    @Test
    void registry2EndpointIsReadWithEveryKey() {
        NotificationsConfig config = load("""
                events:
                  includereferences: true
                endpoints:
                  - name: alistener
                    disabled: false
                    url: https://my.listener.com/event
                    headers:
                      Authorization: [Bearer abc]
                      X-Two: [a, b]
                    timeout: 500ms
                    threshold: 5
                    backoff: 2s
                    ignoredmediatypes:
                      - application/octet-stream
                    ignore:
                      mediatypes:
                        - application/vnd.oci.image.index.v1+json
                      actions:
                        - pull
                """);

        assertEquals(new NotificationsConfig(List.of(new NotificationEndpointConfig("alistener",
                URI.create("https://my.listener.com/event"),
                Map.of("Authorization", List.of("Bearer abc"), "X-Two", List.of("a", "b")),
                Duration.ofMillis(500), 5, Duration.ofSeconds(2),
                Set.of("application/octet-stream", "application/vnd.oci.image.index.v1+json"), Set.of("pull"), false)),
                true, null, NotificationsConfig.DEFAULT_MAX_EVENTS_IN_MEMORY), config);
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void endpointDefaultsAreRegistry2s() {
        NotificationEndpointConfig endpoint = load("endpoints: [{name: a, url: 'http://127.0.0.1:9/x'}]").endpoints().get(0);

        assertEquals(new NotificationEndpointConfig("a", URI.create("http://127.0.0.1:9/x"), Map.of(),
                Duration.ofSeconds(1), 10, Duration.ofSeconds(1), Set.of(), Set.of(), false), endpoint);
    }

    @Test
    void zeroTimeoutThresholdAndBackoffMeanTheDefaultAsInRegistry2() {
        NotificationEndpointConfig endpoint = load(
                "endpoints: [{name: a, url: 'http://h/x', timeout: 0s, threshold: 0, backoff: 0}]").endpoints().get(0);

        assertEquals(Duration.ofSeconds(1), endpoint.timeout());
        assertEquals(10, endpoint.threshold());
        assertEquals(Duration.ofSeconds(1), endpoint.backoff());
    }

    @Test
    void disabledEndpointsAreKeptButNotActive() {
        NotificationsConfig config = load("endpoints: [{name: a, url: 'http://h/a', disabled: true}, {name: b, url: 'http://h/b'}]");

        assertEquals(2, config.endpoints().size());
        assertEquals(List.of("b"), config.activeEndpoints().stream().map(NotificationEndpointConfig::name).toList());
    }

    @Test
    void queueDirectoryRaisesTheDefaultLimit() {
        NotificationsConfig config = load("queue: {directory: " + dir.resolve("events") + "}\nendpoints: [{name: a, url: 'http://h/a'}]");

        assertEquals(dir.resolve("events"), config.queueDirectory());
        assertEquals(NotificationsConfig.DEFAULT_MAX_EVENTS_ON_DISK, config.maxQueuedEvents());
        assertEquals(500, load("queue: {maxevents: 500}").maxQueuedEvents());
    }

    @Test
    void endpointsComeFromOneEnvironmentVariableAsYaml() {
        NotificationsConfig config = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_NOTIFICATIONS_ENDPOINTS", "[{name: ci, url: 'http://ci:8080/hook', headers: {X-Token: [t]}}]",
                "REGISTRY_NOTIFICATIONS_EVENTS_INCLUDEREFERENCES", "true",
                "REGISTRY_NOTIFICATIONS_QUEUE_MAXEVENTS", "42")).notifications();

        assertEquals("ci", config.endpoints().get(0).name());
        assertEquals(Map.of("X-Token", List.of("t")), config.endpoints().get(0).headers());
        assertTrue(config.includeReferences());
        assertEquals(42, config.maxQueuedEvents());
        assertEquals(List.of(), files.warnings);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "endpoints: {name: a}| is a mapping: give a list of endpoints",
            "endpoints: [x]| endpoint 1 is not a mapping",
            "endpoints: [{url: 'http://h/'}]| endpoint 1 needs a name",
            "endpoints: [{name: 'a b', url: 'http://h/'}]| endpoint 1 needs a name",
            "endpoints: [{name: a}]| endpoint 1 ('a') needs a url",
            "endpoints: [{name: a, url: 'ftp://h/'}]| endpoint 1 ('a') needs a url",
            "endpoints: [{name: a, url: 'http://h/'}, {name: A, url: 'http://h/'}]| endpoint 2 repeats the name 'a'",
            "endpoints: [{name: a, url: 'http://h/', timout: 1s}]| endpoint 1 has the unknown key 'timout'",
            "endpoints: [{name: a, url: 'http://h/', timeout: soon}]| endpoint 1 ('a') has a timeout that is not a Go duration",
            "endpoints: [{name: a, url: 'http://h/', threshold: many}]| endpoint 1 ('a') has a threshold that is not a whole number",
            "endpoints: [{name: a, url: 'http://h/', ignore: {actions: [fetch]}}]| the unknown action 'fetch'",
            "endpoints: [{name: a, url: 'http://h/', ignore: {action: [pull]}}]| the unknown key 'ignore.action'",
            "endpoints: [{name: a, url: 'http://h/', headers: {'a b': [c]}}]| endpoint 1 ('a') has headers that are not valid",
            "endpoints: [{name: a, url: 'http://h/', disabled: maybe}]| endpoint 1 ('a') has disabled 'maybe'",
            "queue: {maxevents: 0}| notifications.queue.maxevents (REGISTRY_NOTIFICATIONS_QUEUE_MAXEVENTS) is '0'"})
    void mistakesAreOneSentenceNamingTheEndpoint(String yaml, String expected) {
        String message = failure(yaml);

        assertTrue(message.contains(expected), message);
        if (yaml.startsWith("endpoints")) {
            assertTrue(message.startsWith("notifications.endpoints (REGISTRY_NOTIFICATIONS_ENDPOINTS)"), message);
        }
    }
}
