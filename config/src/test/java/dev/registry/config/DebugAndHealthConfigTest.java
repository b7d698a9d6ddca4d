package dev.registry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DebugAndHealthConfigTest {
    @TempDir
    Path dir;
    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(dir);
    }

    // ---- http.debug ----

    @Test
    void withoutDebugAddrNothingExtraListens() {
        DebugConfig debug = files.load("storage: filesystem\n").http().debug();

        assertEquals(DebugConfig.DISABLED, debug);
        assertFalse(debug.enabled());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void debugAddrAndPrometheusAreRead() {
        DebugConfig debug = files.load("""
                storage: filesystem
                http:
                  addr: :5000
                  debug:
                    addr: 127.0.0.1:5001
                    prometheus:
                      enabled: true
                      path: /prom
                """).http().debug();

        assertEquals(new DebugConfig(true, "127.0.0.1", 5001, new DebugConfig.PrometheusConfig(true, "/prom")), debug);
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void prometheusIsOffAndAtSlashMetricsByDefaultAsInRegistry2() {
        DebugConfig debug = files.load("storage: filesystem\nhttp:\n  debug:\n    addr: :5001\n").http().debug();

        assertEquals(new DebugConfig(true, "", 5001, new DebugConfig.PrometheusConfig(false, "/metrics")), debug);
    }

    @Test
    void environmentVariablesSetTheDebugListenerWithoutAnythingInTheFile() {
        DebugConfig debug = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_HTTP_DEBUG_ADDR", "[::1]:5001",
                "REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true",
                "REGISTRY_HTTP_DEBUG_PROMETHEUS_PATH", "/m")).http().debug();

        assertEquals(new DebugConfig(true, "::1", 5001, new DebugConfig.PrometheusConfig(true, "/m")), debug);
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void debugAddrWithoutPortIsRefused() {
        ConfigException e = files.failure("storage: filesystem\nhttp:\n  debug:\n    addr: localhost\n");

        assertEquals("http.debug.addr (REGISTRY_HTTP_DEBUG_ADDR) is 'localhost': give host:port with a port from 1 "
                + "to 65535, such as ':5000'.", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {":5000", "127.0.0.1:5000"})
    void debugListenerCannotShareTheApiAddress(String addr) {
        ConfigException e = files.failure("storage: filesystem\nhttp:\n  addr: :5000\n  debug:\n    addr: '" + addr + "'\n");

        assertEquals("http.debug.addr (REGISTRY_HTTP_DEBUG_ADDR) is '" + addr + "': it is the API's own address "
                + "(http.addr), so give the debug listener another port, such as ':5001'.", e.getMessage());
    }

    @Test
    void sameDebugPortOnAnotherHostIsAllowed() {
        DebugConfig debug = files.load("storage: filesystem\nhttp:\n  addr: 127.0.0.1:5000\n  debug:\n    addr: 127.0.0.2:5000\n")
                .http().debug();

        assertEquals(5000, debug.port());
    }

    @ParameterizedTest
    @ValueSource(strings = {"metrics", "/met rics", "/metrics?x=1"})
    void prometheusPathMustBeAPath(String path) {
        ConfigException e = files.failure("storage: filesystem\nhttp:\n  debug:\n    prometheus:\n      path: '"
                + path + "'\n");

        assertEquals("http.debug.prometheus.path (REGISTRY_HTTP_DEBUG_PROMETHEUS_PATH) is '" + path
                + "': give a URL path such as '/metrics'.", e.getMessage());
    }

    @Test
    void prometheusPathCannotHideAHealthEndpoint() {
        ConfigException e = files.failure("storage: filesystem\nhttp:\n  debug:\n    prometheus:\n      path: /readyz\n");

        assertEquals("http.debug.prometheus.path (REGISTRY_HTTP_DEBUG_PROMETHEUS_PATH) is '/readyz': the debug "
                + "listener serves its health checks there, so give another path, such as '/metrics'.", e.getMessage());
    }

    @Test
    void prometheusEnabledMustBeABoolean() {
        ConfigException e = files.failure("storage: filesystem\n", Map.of("REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "maybe"));

        assertEquals("http.debug.prometheus.enabled (REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED) is 'maybe': give true or "
                + "false.", e.getMessage());
    }

    // ---- health ----

    @Test
    void withoutHealthOnlyTheDefaultsApply() {
        HealthConfig health = files.load("storage: filesystem\n").health();

        assertEquals(HealthConfig.DEFAULTS, health);
        assertEquals(new HealthConfig.StorageDriverCheck(false, Duration.ofSeconds(10), 0), health.storageDriver());
    }

    @Test
    void everyHealthKeyIsRead() {
        HealthConfig health = files.load("""
                storage: filesystem
                health:
                  storagedriver:
                    enabled: true
                    interval: 2s
                    threshold: 3
                  file:
                    - file: /run/registry/down
                      interval: 5s
                    - file: maintenance
                  http:
                    - uri: http://backend:8080/health
                      headers:
                        Authorization: [Basic abc]
                      statuscode: 204
                      timeout: 3s
                      interval: 20s
                      threshold: 2
                    - uri: https://other.example/ping
                  tcp:
                    - addr: redis:6379
                      timeout: 2s
                      threshold: 3
                    - addr: '[::1]:5432'
                """).health();

        assertEquals(new HealthConfig(
                new HealthConfig.StorageDriverCheck(true, Duration.ofSeconds(2), 3),
                List.of(new HealthConfig.FileCheck(Path.of("/run/registry/down"), Duration.ofSeconds(5)),
                        new HealthConfig.FileCheck(Path.of("maintenance").toAbsolutePath(), Duration.ofSeconds(10))),
                List.of(new HealthConfig.HttpCheck(URI.create("http://backend:8080/health"),
                                Map.of("Authorization", List.of("Basic abc")), 204, Duration.ofSeconds(3),
                                Duration.ofSeconds(20), 2),
                        // without a timeout, a request may take the interval (registry:2 waits without limit)
                        new HealthConfig.HttpCheck(URI.create("https://other.example/ping"), Map.of(), 200,
                                Duration.ofSeconds(10), Duration.ofSeconds(10), 0)),
                List.of(new HealthConfig.TcpCheck("redis", 6379, Duration.ofSeconds(2), Duration.ofSeconds(10), 3),
                        new HealthConfig.TcpCheck("::1", 5432, Duration.ofSeconds(10), Duration.ofSeconds(10), 0))),
                health);
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void zeroIntervalMeansTheDefaultAsInRegistry2() {
        HealthConfig health = files.load("storage: filesystem\nhealth:\n  storagedriver:\n    interval: 0s\n").health();

        assertEquals(Duration.ofSeconds(10), health.storageDriver().interval());
    }

    @Test
    void checkListsComeFromEnvironmentVariablesAsYaml() {
        HealthConfig health = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_HEALTH_STORAGEDRIVER_ENABLED", "true",
                "REGISTRY_HEALTH_STORAGEDRIVER_INTERVAL", "1s",
                "REGISTRY_HEALTH_FILE", "[{file: /tmp/down, interval: 1s}]",
                "REGISTRY_HEALTH_HTTP", "[{uri: 'http://127.0.0.1:9/x', statuscode: 200}]")).health();

        assertEquals(new HealthConfig.StorageDriverCheck(true, Duration.ofSeconds(1), 0), health.storageDriver());
        assertEquals(List.of(new HealthConfig.FileCheck(Path.of("/tmp/down"), Duration.ofSeconds(1))), health.files());
        assertEquals(URI.create("http://127.0.0.1:9/x"), health.http().get(0).uri());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void tcpAddrNeedsAHost() {
        ConfigException e = files.failure("storage: filesystem\nhealth:\n  tcp:\n    - addr: ':6379'\n");

        assertEquals("health.tcp (REGISTRY_HEALTH_TCP) entry 1 has the addr ':6379': give host:port, such as "
                + "'redis:6379' or '[::1]:6379'.", e.getMessage());
    }

    @Test
    void tcpEntryWithoutAddrIsRefused() {
        ConfigException e = files.failure("storage: filesystem\nhealth:\n  tcp:\n    - timeout: 1s\n");

        assertEquals("health.tcp (REGISTRY_HEALTH_TCP) entry 1 has no addr: give one, such as "
                + "'{addr: 'redis:6379', timeout: 3s, interval: 10s}'.", e.getMessage());
    }

    @Test
    void negativeThresholdIsRefused() {
        ConfigException e = files.failure("storage: filesystem\nhealth:\n  storagedriver:\n    threshold: -1\n");

        assertEquals("health.storagedriver.threshold (REGISTRY_HEALTH_STORAGEDRIVER_THRESHOLD) is '-1': give a whole "
                + "number of consecutive failures, such as 3.", e.getMessage());
    }

    @Test
    void badIntervalInAListEntryNamesTheEntryAndField() {
        ConfigException e = files.failure("storage: filesystem\nhealth:\n  file:\n    - file: /x\n      interval: soon\n");

        assertEquals("health.file (REGISTRY_HEALTH_FILE) entry 1 has the interval 'soon': give a Go duration that is "
                + "zero or positive, such as '30s' or '0s'.", e.getMessage());
    }

    @Test
    void fileEntryWithoutFileIsRefused() {
        ConfigException e = files.failure("storage: filesystem\nhealth:\n  file:\n    - interval: 5s\n");

        assertEquals("health.file (REGISTRY_HEALTH_FILE) entry 1 has no file: give one, such as "
                + "'{file: /etc/registry/down, interval: 10s}'.", e.getMessage());
    }

    @Test
    void httpEntryWithAMisspeltKeyIsRefused() {
        ConfigException e = files.failure("storage: filesystem\nhealth:\n  http:\n    - uri: http://a/\n    - uri: http://b/\n"
                + "      status: 204\n");

        assertEquals("health.http (REGISTRY_HEALTH_HTTP) entry 2 has the unknown key 'status': give only headers, "
                + "interval, statuscode, threshold, timeout, uri.", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://a/", "backend:8080", "/health"})
    void httpEntryNeedsAnAbsoluteHttpUrl(String uri) {
        ConfigException e = files.failure("storage: filesystem\nhealth:\n  http:\n    - uri: '" + uri + "'\n");

        assertEquals("health.http (REGISTRY_HEALTH_HTTP) entry 1 has the uri '" + uri + "': give an absolute http or "
                + "https URL, such as 'http://backend:8080/health'.", e.getMessage());
    }

    @Test
    void httpStatusCodeMustBeAStatus() {
        ConfigException e = files.failure("storage: filesystem\nhealth:\n  http:\n    - uri: http://a/\n      statuscode: 700\n");

        assertEquals("health.http (REGISTRY_HEALTH_HTTP) entry 1 has the statuscode '700': give an HTTP status code "
                + "from 100 to 599, such as 200.", e.getMessage());
    }

    @Test
    void checkListMustBeAList() {
        ConfigException e = files.failure("storage: filesystem\nhealth:\n  file: /tmp/down\n");

        assertEquals("health.file (REGISTRY_HEALTH_FILE) is '/tmp/down': give a list of checks, such as "
                + "'[{file: /etc/registry/down, interval: 10s}]'.", e.getMessage());
        assertTrue(files.warnings.isEmpty());
    }
}
