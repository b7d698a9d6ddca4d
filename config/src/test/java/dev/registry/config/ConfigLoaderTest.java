package dev.registry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {

    /** The config.yml shipped in the registry:2 image. */
    private static final String REGISTRY_IMAGE_CONFIG = """
            version: 0.1
            log:
              fields:
                service: registry
            storage:
              cache:
                blobdescriptor: inmemory
              filesystem:
                rootdirectory: /var/lib/registry
            http:
              addr: :5000
              headers:
                X-Content-Type-Options: [nosniff]
            health:
              storagedriver:
                enabled: true
                interval: 10s
                threshold: 3
            """;

    /** Every supported key, none at its default. */
    private static final String FULL_CONFIG = """
            version: 0.1
            log:
              level: debug
              accesslog:
                disabled: true
            http:
              addr: 127.0.0.1:5001
              host: https://registry.example:5000
              secret: s3cret
              relativeurls: true
              prefix: /registry
              draintimeout: 1m30s
              headertimeout: 10s
              headers:
                X-Content-Type-Options: [nosniff]
                Strict-Transport-Security: [max-age=31536000, includeSubDomains]
            storage:
              filesystem:
                rootdirectory: /srv/registry
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
                  age: 1h30m
                  interval: 10m
                  dryrun: true
                readonly:
                  enabled: true
              redirect:
                disable: true
            catalog:
              maxentries: 250
            """;

    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();

    private RegistryConfig load(String yaml) {
        return load(yaml, Map.of());
    }

    private RegistryConfig load(String yaml, Map<String, String> env) {
        return ConfigLoader.load(Optional.of(write(yaml)), env, warnings::add);
    }

    private RegistryConfig loadDefault(Map<String, String> env) {
        return ConfigLoader.load(Optional.empty(), env, warnings::add);
    }

    private ConfigException failure(String yaml, Map<String, String> env) {
        Path file = write(yaml);
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(Optional.of(file), env, warnings::add));
    }

    private Path write(String yaml) {
        try {
            return Files.writeString(dir.resolve("config.yml"), yaml);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String unsupported(String key) {
        return "configuration key '" + key + "' is not supported yet and is ignored";
    }

    private static String unknown(String key) {
        return "configuration key '" + key + "' is unknown and is ignored";
    }

    // ---- defaults ----

    @Test
    void withoutFileServesFromDataUnderTheWorkingDirectoryOnPort5000() {
        RegistryConfig config = loadDefault(Map.of());

        assertEquals(new RegistryConfig(
                "0.1",
                new LogConfig("info", false),
                new HttpConfig("", 5000, "", "", false, "/", Map.of("X-Content-Type-Options", List.of("nosniff")),
                        TlsConfig.DISABLED, HttpConfig.DEFAULT_DRAIN_TIMEOUT, HttpConfig.DEFAULT_HEADER_TIMEOUT,
                        DebugConfig.DISABLED),
                new StorageConfig(new FilesystemConfig(Path.of("data").toAbsolutePath().normalize()), false,
                        new UploadPurgingConfig(true, Duration.ofHours(168), Duration.ofHours(24), false),
                        false, false),
                new CatalogConfig(1000),
                AuthConfig.NONE,
                HealthConfig.DEFAULTS, NotificationsConfig.NONE, ProxyConfig.NONE), config);
        assertTrue(config.storage().driver() instanceof FilesystemConfig fs && fs.rootDirectory().isAbsolute());
        assertEquals(List.of(), warnings);
    }

    @Test
    void publicLoadGivesTheSameDefaults() {
        assertEquals(loadDefault(Map.of()), ConfigLoader.load(Optional.empty(), Map.of()));
    }

    @Test
    void recordDefaultsMatchRegistry2() {
        assertEquals(new UploadPurgingConfig(true, Duration.ofHours(168), Duration.ofHours(24), false),
                UploadPurgingConfig.defaults());
        assertEquals(new CatalogConfig(1000), CatalogConfig.defaults());
        assertEquals(new LogConfig("info", false), LogConfig.defaults());
    }

    @Test
    void minimalFileUsesRegistry2Defaults() {
        RegistryConfig config = load("storage: {filesystem: {}}\n");

        assertEquals(new RegistryConfig(
                "0.1",
                new LogConfig("info", false),
                new HttpConfig("", 5000, "", "", false, "/", Map.of(), TlsConfig.DISABLED, HttpConfig.DEFAULT_DRAIN_TIMEOUT,
                        HttpConfig.DEFAULT_HEADER_TIMEOUT, DebugConfig.DISABLED),
                new StorageConfig(new FilesystemConfig(Path.of("/var/lib/registry")), false,
                        UploadPurgingConfig.defaults(), false, false),
                new CatalogConfig(1000),
                AuthConfig.NONE,
                HealthConfig.DEFAULTS, NotificationsConfig.NONE, ProxyConfig.NONE), config);
        assertEquals(List.of(), warnings);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "storage: filesystem\n",
            "storage:\n  filesystem:\n",
            "storage:\n  filesystem:\n    rootdirectory:\n",
            "storage: {filesystem: {}, delete: , maintenance: , redirect: }\nhttp:\nlog:\ncatalog:\n"})
    void fileWithoutRootDirectoryStoresUnderVarLibRegistry(String yaml) {
        RegistryConfig config = load(yaml);

        assertEquals(new FilesystemConfig(Path.of("/var/lib/registry")), config.storage().driver());
        assertFalse(config.storage().deleteEnabled());
        assertEquals(5000, config.http().port());
        assertEquals(List.of(), warnings);
    }

    @Test
    void relativeRootDirectoryIsMadeAbsolute() {
        RegistryConfig config = load("storage: {filesystem: {rootdirectory: ./store/../images}}\n");

        assertEquals(new FilesystemConfig(Path.of("images").toAbsolutePath().normalize()), config.storage().driver());
    }

    // ---- registry:2 files ----

    @Test
    void registryImageConfigLoadsWithOneWarningPerUnsupportedKey() {
        RegistryConfig config = load(REGISTRY_IMAGE_CONFIG);

        assertEquals(new FilesystemConfig(Path.of("/var/lib/registry")), config.storage().driver());
        assertEquals("", config.http().bindHost());
        assertEquals(5000, config.http().port());
        assertEquals(Map.of("X-Content-Type-Options", List.of("nosniff")), config.http().headers());
        assertEquals("info", config.log().level());
        assertEquals(Map.of("service", "registry"), config.log().fields());
        assertEquals(LogConfig.Formatter.TEXT, config.log().formatter());
        assertEquals("0.1", config.version());
        assertEquals(List.of(
                unsupported("storage.cache.blobdescriptor")), warnings);
        assertEquals(new HealthConfig.StorageDriverCheck(true, Duration.ofSeconds(10), 3), config.health().storageDriver());
    }

    @Test
    void everySupportedKeyIsRead() {
        RegistryConfig config = load(FULL_CONFIG);

        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("X-Content-Type-Options", List.of("nosniff"));
        headers.put("Strict-Transport-Security", List.of("max-age=31536000", "includeSubDomains"));
        assertEquals(new RegistryConfig(
                "0.1",
                new LogConfig("debug", true),
                new HttpConfig("127.0.0.1", 5001, "https://registry.example:5000", "s3cret", true, "/registry/",
                        headers, TlsConfig.DISABLED, Duration.ofSeconds(90), Duration.ofSeconds(10), DebugConfig.DISABLED),
                new StorageConfig(new FilesystemConfig(Path.of("/srv/registry")), true,
                        new UploadPurgingConfig(false, Duration.ofMinutes(90), Duration.ofMinutes(10), true),
                        true, true),
                new CatalogConfig(250),
                AuthConfig.NONE,
                HealthConfig.DEFAULTS, NotificationsConfig.NONE, ProxyConfig.NONE), config);
        assertEquals(List.copyOf(headers.keySet()), List.copyOf(config.http().headers().keySet()),
                "headers keep the file's order");
        assertEquals(List.of(), warnings);
    }

    @Test
    void boundHeadersCannotBeModified() {
        Map<String, List<String>> headers = load(FULL_CONFIG).http().headers();

        assertThrows(UnsupportedOperationException.class, () -> headers.put("X", List.of("y")));
        assertThrows(UnsupportedOperationException.class, () -> headers.get("X-Content-Type-Options").add("z"));
    }

    @Test
    void h2cIsOffUnlessEnabled() {
        assertEquals(false, load("storage: filesystem\n").http().h2c());
        assertEquals(true, load("storage: filesystem\nhttp:\n  h2c:\n    enabled: true\n").http().h2c());
        assertEquals(true, load("storage: filesystem\n", Map.of("REGISTRY_HTTP_H2C_ENABLED", "true")).http().h2c());
        assertEquals("http.h2c.enabled (REGISTRY_HTTP_H2C_ENABLED) is 'maybe': give true or false.",
                failure("storage: filesystem\nhttp:\n  h2c:\n    enabled: maybe\n", Map.of()).getMessage());
        assertEquals(List.of(), warnings);
    }

    @Test
    void unsupportedAndUnknownKeysWarnOnceEachAndDoNotFail() {
        RegistryConfig config = load("""
                version: 0.1
                loglevel: debug
                log:
                  formatter: json
                  hooks:
                    - type: mail
                http:
                  addr: :5000
                  tls:
                    letsencrypt:
                      email: admin@example.com
                  debug:
                    addr: :5001
                  draintimeout: 60s
                  net: tcp
                storage:
                  filesystem:
                    rootdirectory: /data
                    maxthreads: 100
                  maintenance:
                    uploadpurging:
                      enabled: true
                      keep: forever
                  tag:
                    concurrencylimit: 8
                notifications:
                  endpoints:
                    - name: alistener
                      url: https://my.listener.com/event
                redis:
                  addr: localhost:6379
                validation:
                  disabled: true
                middleware: {}
                reporting:
                  bugsnag:
                    apikey: k
                compatibility:
                  schema1:
                    enabled: true
                typo:
                  nested: 1
                  other: 2
                catalog:
                  maxentries: 5
                  pagesize: 3
                """);

        assertEquals(new FilesystemConfig(Path.of("/data")), config.storage().driver());
        assertEquals(TlsConfig.DISABLED, config.http().tls(), "letsencrypt alone does not enable TLS");
        assertEquals(5, config.catalog().maxEntries());
        assertEquals(Duration.ofSeconds(60), config.http().drainTimeout());
        assertEquals("info", config.log().level(), "the deprecated loglevel key is not read");
        assertEquals(List.of(
                unsupported("loglevel"),
                unsupported("log.hooks"),
                unsupported("http.tls.letsencrypt.email"),
                unsupported("http.net"),
                unsupported("storage.filesystem.maxthreads"),
                unknown("storage.maintenance.uploadpurging.keep"),
                unsupported("storage.tag.concurrencylimit"),
                unsupported("redis.addr"),
                unsupported("validation.disabled"),
                unsupported("middleware"),
                unsupported("reporting.bugsnag.apikey"),
                unsupported("compatibility.schema1.enabled"),
                unknown("typo"),
                unknown("catalog.pagesize")), warnings);
    }

    @Test
    void publicLoadLogsWarningsInsteadOfFailing() {
        RegistryConfig config = ConfigLoader.load(Optional.of(write(REGISTRY_IMAGE_CONFIG)), Map.of());

        assertEquals(5000, config.http().port());
    }

    // ---- values ----

    @ParameterizedTest
    @CsvSource({
            "error, error", "warn, warn", "info, info", "debug, debug",
            "warning, warn", "panic, error", "fatal, error", "trace, debug", "DEBUG, debug", "Warning, warn"})
    void logLevelsAreReadLikeLogrus(String given, String level) {
        assertEquals(level, load("log: {level: " + given + "}\nstorage: filesystem\n").log().level());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "':5000'            | ''          | 5000",
            "'0.0.0.0:5000'     | 0.0.0.0     | 5000",
            "'127.0.0.1:5001'   | 127.0.0.1   | 5001",
            "'[::1]:5000'       | ::1         | 5000",
            "'[::]:443'         | ::          | 443",
            "'localhost:65535'  | localhost   | 65535",
            "':1'               | ''          | 1"})
    void listenAddressesAreSplitIntoHostAndPort(String addr, String host, int port) {
        HttpConfig http = load("http: {addr: \"" + addr + "\"}\nstorage: filesystem\n").http();

        assertEquals(host, http.bindHost());
        assertEquals(port, http.port());
    }

    @Test
    void unquotedColonAddressIsAString() {
        assertEquals(5001, load("http:\n  addr: :5001\nstorage: filesystem\n").http().port());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''            | /",
            "/             | /",
            "registry      | /registry/",
            "/registry     | /registry/",
            "registry/     | /registry/",
            "/a/b/         | /a/b/"})
    void prefixAlwaysStartsAndEndsWithSlash(String given, String prefix) {
        assertEquals(prefix, load("http: {prefix: '" + given + "'}\nstorage: filesystem\n").http().prefix());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "https://registry.example:5000/  | https://registry.example:5000",
            "http://10.0.0.1                 | http://10.0.0.1",
            "HTTPS://Registry.Example        | HTTPS://Registry.Example",
            "https://example.com/registry/   | https://example.com/registry"})
    void hostIsAnAbsoluteUrlWithoutTrailingSlash(String given, String host) {
        assertEquals(host, load("http: {host: '" + given + "'}\nstorage: filesystem\n").http().host());
    }

    @ParameterizedTest
    @CsvSource({"true, true", "false, false", "yes, true", "no, false", "on, true", "off, false",
            "'\"TRUE\"', true", "'\"False\"', false"})
    void booleansAcceptYaml11Spellings(String given, boolean expected) {
        assertEquals(expected, load("storage: {filesystem: {}, delete: {enabled: " + given + "}}\n")
                .storage().deleteEnabled());
    }

    @Test
    void headerValuesMayBeScalarsOrLists() {
        Map<String, List<String>> headers = load("""
                storage: filesystem
                http:
                  headers:
                    X-Single: one
                    X-Number: 42
                    X-Many: [a, "b, c", 3]
                    X-Empty: []
                """).http().headers();

        assertEquals(List.of("one"), headers.get("X-Single"));
        assertEquals(List.of("42"), headers.get("X-Number"));
        assertEquals(List.of("a", "b, c", "3"), headers.get("X-Many"));
        assertEquals(List.of(), headers.get("X-Empty"));
    }

    @Test
    void numbersAreAcceptedWhereTextIsExpected() {
        RegistryConfig config = load("storage: filesystem\nhttp: {secret: 12345}\ncatalog: {maxentries: '20'}\n");

        assertEquals("12345", config.http().secret());
        assertEquals(20, config.catalog().maxEntries());
    }

    // ---- environment ----

    static Stream<Arguments> environmentOverrides() {
        return Stream.of(
                override("REGISTRY_VERSION", "0.1", RegistryConfig::version, "0.1"),
                override("REGISTRY_LOG_LEVEL", "warning", c -> c.log().level(), "warn"),
                override("REGISTRY_LOG_ACCESSLOG_DISABLED", "false", c -> c.log().accessLogDisabled(), false),
                override("REGISTRY_HTTP_ADDR", "[::1]:6000", c -> c.http().bindHost() + "|" + c.http().port(),
                        "::1|6000"),
                override("REGISTRY_HTTP_HOST", "http://other.example", c -> c.http().host(), "http://other.example"),
                override("REGISTRY_HTTP_SECRET", "from-env", c -> c.http().secret(), "from-env"),
                override("REGISTRY_HTTP_RELATIVEURLS", "false", c -> c.http().relativeUrls(), false),
                override("REGISTRY_HTTP_PREFIX", "v", c -> c.http().prefix(), "/v/"),
                override("REGISTRY_HTTP_HEADERS", "{X-Frame-Options: [DENY]}", c -> c.http().headers(),
                        Map.of("X-Frame-Options", List.of("DENY"))),
                override("REGISTRY_HTTP_HEADERS_X_CONTENT_TYPE_OPTIONS", "changed",
                        c -> c.http().headers().get("X-Content-Type-Options"), List.of("changed")),
                override("REGISTRY_HTTP_HEADERS_X_FRAME_OPTIONS", "[DENY, SAMEORIGIN]",
                        c -> c.http().headers().get("X-Frame-Options"), List.of("DENY", "SAMEORIGIN")),
                override("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "/mnt/images", c -> c.storage().driver(),
                        new FilesystemConfig(Path.of("/mnt/images"))),
                override("REGISTRY_STORAGE_DELETE_ENABLED", "false", c -> c.storage().deleteEnabled(), false),
                override("REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_ENABLED", "true",
                        c -> c.storage().uploadPurging().enabled(), true),
                override("REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE", "48h",
                        c -> c.storage().uploadPurging().age(), Duration.ofHours(48)),
                override("REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_INTERVAL", "30s",
                        c -> c.storage().uploadPurging().interval(), Duration.ofSeconds(30)),
                override("REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_DRYRUN", "false",
                        c -> c.storage().uploadPurging().dryRun(), false),
                override("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED", "false", c -> c.storage().readOnly(), false),
                override("REGISTRY_STORAGE_REDIRECT_DISABLE", "false", c -> c.storage().redirectDisabled(), false),
                override("REGISTRY_CATALOG_MAXENTRIES", "77", c -> c.catalog().maxEntries(), 77));
    }

    private static Arguments override(String variable, String value, Function<RegistryConfig, Object> read,
            Object expected) {
        return Arguments.of(variable, value, read, expected);
    }

    @ParameterizedTest
    @MethodSource("environmentOverrides")
    void environmentOverridesTheFile(String variable, String value, Function<RegistryConfig, Object> read,
            Object expected) {
        RegistryConfig fromFile = load(FULL_CONFIG);
        RegistryConfig overridden = load(FULL_CONFIG, Map.of(variable, value));

        assertEquals(expected, read.apply(overridden));
        if (!variable.equals("REGISTRY_VERSION")) {
            assertFalse(expected.equals(read.apply(fromFile)), "the file must set something else");
        }
        assertEquals(List.of(), warnings);
    }

    @ParameterizedTest
    @MethodSource("environmentOverrides")
    void environmentOverridesTheDefault(String variable, String value, Function<RegistryConfig, Object> read,
            Object expected) {
        assertEquals(expected, read.apply(loadDefault(Map.of(variable, value))));
        assertEquals(List.of(), warnings);
    }

    @Test
    void emptyHeadersVariableRemovesEveryHeader() {
        assertEquals(Map.of(), loadDefault(Map.of("REGISTRY_HTTP_HEADERS", "")).http().headers());
        assertEquals(Map.of(), loadDefault(Map.of("REGISTRY_HTTP_HEADERS", "{}")).http().headers());
    }

    @Test
    void headerVariableReplacesTheFilesSpellingOfTheSameHeader() {
        RegistryConfig config = load("storage: filesystem\nhttp: {headers: {x-content-type-options: [sniff]}}\n",
                Map.of("REGISTRY_HTTP_HEADERS_X_CONTENT_TYPE_OPTIONS", "nosniff"));

        assertEquals(Map.of("x-content-type-options", List.of("nosniff")), config.http().headers());
    }

    @Test
    void environmentCanSupplyTheStorageAFileLeavesOut() {
        RegistryConfig config = load("version: 0.1\n", Map.of("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "/env"));

        assertEquals(new FilesystemConfig(Path.of("/env")), config.storage().driver());
    }

    @Test
    void environmentSelectsTheDriverAndKeepsStorageSettings() {
        RegistryConfig config = load("""
                storage:
                  s3:
                    region: us-east-1
                  delete:
                    enabled: true
                """, Map.of("REGISTRY_STORAGE", "filesystem", "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "/env"));

        assertEquals(new FilesystemConfig(Path.of("/env")), config.storage().driver());
        assertTrue(config.storage().deleteEnabled());
        assertEquals(List.of(), warnings);
    }

    @Test
    void selectingTheConfiguredDriverKeepsItsParameters() {
        RegistryConfig config = load("storage: {filesystem: {rootdirectory: /kept}}\n",
                Map.of("REGISTRY_STORAGE", "filesystem"));

        assertEquals(new FilesystemConfig(Path.of("/kept")), config.storage().driver());
    }

    @ParameterizedTest
    @ValueSource(strings = {"storage: inmemory\n", "storage: {inmemory: }\n", "storage: {inmemory: {}, delete: {enabled: true}}\n"})
    void inMemoryDriverIsSelectedByItsSection(String yaml) {
        RegistryConfig config = load(yaml, Map.of());

        assertEquals(new InMemoryConfig(), config.storage().driver());
        assertEquals("inmemory", config.storage().driver().name());
    }

    @Test
    void inMemoryDriverIsSelectedByTheEnvironment() {
        RegistryConfig config = load("storage: {filesystem: {rootdirectory: /x}}\n", Map.of("REGISTRY_STORAGE", "inmemory"));

        assertEquals(new InMemoryConfig(), config.storage().driver());
    }

    @Test
    void inMemoryDriverTakesNoParameters() {
        RegistryConfig config = load("storage: {inmemory: {rootdirectory: /x}}\n", Map.of());

        assertEquals(new InMemoryConfig(), config.storage().driver());
        assertEquals(List.of(unknown("storage.inmemory.rootdirectory")), warnings);
    }

    @Test
    void selectingAnUnsupportedDriverFailsNamingIt() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> loadDefault(Map.of("REGISTRY_STORAGE", "azure", "REGISTRY_STORAGE_AZURE_ACCOUNTNAME", "a")));

        assertEquals("storage.azure (REGISTRY_STORAGE_AZURE) selects the 'azure' storage driver, which is not supported "
                + "yet: use storage.filesystem instead.", e.getMessage());
    }

    @Test
    void emptyDriverSelectionFails() {
        ConfigException e = assertThrows(ConfigException.class, () -> loadDefault(Map.of("REGISTRY_STORAGE", " ")));

        assertTrue(e.getMessage().startsWith("storage (REGISTRY_STORAGE) is ' ': "), e.getMessage());
    }

    @Test
    void environmentReachesThroughTheShortStorageForm() {
        RegistryConfig config = load("storage: filesystem\n", Map.of("REGISTRY_STORAGE_DELETE_ENABLED", "true"));

        assertTrue(config.storage().deleteEnabled());
        assertEquals(new FilesystemConfig(Path.of("/var/lib/registry")), config.storage().driver());
    }

    @Test
    void environmentReplacesAScalarWhereASectionBelongs() {
        RegistryConfig config = load("storage: filesystem\nhttp: nothing\n", Map.of("REGISTRY_HTTP_ADDR", ":7000"));

        assertEquals(7000, config.http().port());
    }

    @Test
    void environmentForUnsupportedKeysWarnsWithTheDottedKey() {
        RegistryConfig config = loadDefault(Map.of(
                "REGISTRY_HTTP_TLS_LETSENCRYPT_EMAIL", "admin@example.com",
                "REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR", "inmemory"));

        assertEquals(5000, config.http().port());
        // In the order of the tree: the default configuration has storage before http.
        assertEquals(List.of(
                unsupported("storage.cache.blobdescriptor"),
                unsupported("http.tls.letsencrypt.email")), warnings);
    }

    @Test
    void environmentVariablesThatMatchNoKeyWarnOnceAndOthersAreIgnored() {
        Map<String, String> env = new HashMap<>();
        env.put("REGISTRY_HTTP_ADDRESS", ":6000");
        env.put("REGISTRY_PORT", "tcp://10.0.0.1:5000"); // Kubernetes' service links: ignored silently
        env.put("REGISTRY_PORT_5000_TCP", "tcp://10.0.0.1:5000");
        env.put("REGISTRY_PORT_5000_TCP_ADDR", "10.0.0.1");
        env.put("REGISTRY_PORT_5000_TCP_PORT", "5000");
        env.put("REGISTRY_PORT_5000_TCP_PROTO", "tcp");
        env.put("REGISTRY_SERVICE_HOST", "10.0.0.1");
        env.put("REGISTRY_SERVICE_PORT", "5000");
        env.put("REGISTRY_SERVICE_PORT_HTTP", "5000");
        env.put("REGISTRY_PORTS", "5000"); // not one of them
        env.put("REGISTRY_LOG_LEVEL_X", "debug");
        env.put("REGISTRY_HTTP_HEADERS_X__Y", "z");
        env.put("PATH", "/usr/bin");
        env.put("REGISTRYHTTP_ADDR", ":6000");
        env.put("registry_http_addr", ":6000");

        RegistryConfig config = loadDefault(env);

        assertEquals(5000, config.http().port());
        assertEquals("info", config.log().level());
        assertEquals(List.of(
                "environment variable 'REGISTRY_HTTP_ADDRESS' matches no configuration key and is ignored",
                "environment variable 'REGISTRY_HTTP_HEADERS_X__Y' matches no configuration key and is ignored",
                "environment variable 'REGISTRY_LOG_LEVEL_X' matches no configuration key and is ignored",
                "environment variable 'REGISTRY_PORTS' matches no configuration key and is ignored"), warnings);
    }

    @Test
    void drainTimeoutMayBeZeroButNotNegativeOrMalformed() {
        assertEquals(Duration.ZERO, loadDefault(Map.of("REGISTRY_HTTP_DRAINTIMEOUT", "0")).http().drainTimeout());
        assertEquals(Duration.ZERO, loadDefault(Map.of("REGISTRY_HTTP_DRAINTIMEOUT", "0s")).http().drainTimeout());
        assertEquals(Duration.ofSeconds(90), loadDefault(Map.of("REGISTRY_HTTP_DRAINTIMEOUT", "1m30s")).http().drainTimeout());
        for (String bad : List.of("-3s", "soon", "30")) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> loadDefault(Map.of("REGISTRY_HTTP_DRAINTIMEOUT", bad)));
            assertEquals("http.draintimeout (REGISTRY_HTTP_DRAINTIMEOUT) is '" + bad
                    + "': give a Go duration that is zero or positive, such as '30s' or '0s'.", e.getMessage());
        }
    }

    @Test
    void headerTimeoutDefaultsTo30sMayBeZeroButNotNegative() {
        assertEquals(Duration.ofSeconds(30), loadDefault(Map.of()).http().headerTimeout());
        assertEquals(Duration.ZERO, loadDefault(Map.of("REGISTRY_HTTP_HEADERTIMEOUT", "0s")).http().headerTimeout());
        assertEquals(Duration.ofMillis(1500), loadDefault(Map.of("REGISTRY_HTTP_HEADERTIMEOUT", "1.5s")).http().headerTimeout());
        ConfigException e = assertThrows(ConfigException.class,
                () -> loadDefault(Map.of("REGISTRY_HTTP_HEADERTIMEOUT", "-1s")));
        assertEquals("http.headertimeout (REGISTRY_HTTP_HEADERTIMEOUT) is '-1s'"
                + ": give a Go duration that is zero or positive, such as '30s' or '0s'.", e.getMessage());
    }

    @Test
    void environmentNamingASectionWarns() {
        loadDefault(Map.of("REGISTRY_LOG", "debug"));

        assertEquals(List.of("environment variable 'REGISTRY_LOG' names the section 'log' rather than one setting "
                + "and is ignored; set the keys under it one by one"), warnings);
    }

    @Test
    void invalidEnvironmentValueIsReportedWithTheVariable() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> loadDefault(Map.of("REGISTRY_CATALOG_MAXENTRIES", "ten")));

        assertEquals("catalog.maxentries (REGISTRY_CATALOG_MAXENTRIES) is 'ten': give a whole number from 1 to "
                + "2147483647.", e.getMessage());
    }

    @Test
    void invalidYamlInHeadersVariableIsReported() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> loadDefault(Map.of("REGISTRY_HTTP_HEADERS", "{X-A: [b")));

        assertTrue(e.getMessage().startsWith("http.headers (REGISTRY_HTTP_HEADERS) is not valid YAML: "),
                e.getMessage());
    }

    // ---- validation ----

    @Test
    void badPortMessageNamesKeyVariableAndFix() {
        ConfigException e = failure("http: {addr: 'localhost:abc'}\nstorage: filesystem\n", Map.of());

        assertEquals("http.addr (REGISTRY_HTTP_ADDR) is 'localhost:abc': give host:port with a port from 1 to "
                + "65535, such as ':5000'.", e.getMessage());
    }

    @Test
    void badBooleanMessageNamesKeyVariableAndFix() {
        ConfigException e = failure("storage: {filesystem: {}, delete: {enabled: maybe}}\n", Map.of());

        assertEquals("storage.delete.enabled (REGISTRY_STORAGE_DELETE_ENABLED) is 'maybe': give true or false.",
                e.getMessage());
    }

    @Test
    void badDurationMessageNamesKeyVariableAndFix() {
        ConfigException e = failure(
                "storage: {filesystem: {}, maintenance: {uploadpurging: {age: 5 minutes}}}\n", Map.of());

        assertEquals("storage.maintenance.uploadpurging.age (REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE) is "
                + "'5 minutes': give a positive Go duration such as '168h', '1h30m', '10m' or '30s'.", e.getMessage());
    }

    static Stream<Arguments> invalidSettings() {
        String fs = "storage: filesystem\n";
        return Stream.of(
                invalid(fs + "http: {addr: localhost}", "http.addr (REGISTRY_HTTP_ADDR) is 'localhost'"),
                invalid(fs + "http: {addr: ':0'}", "http.addr (REGISTRY_HTTP_ADDR) is ':0'"),
                invalid(fs + "http: {addr: ':65536'}", "http.addr (REGISTRY_HTTP_ADDR) is ':65536'"),
                invalid(fs + "http: {addr: ':'}", "http.addr (REGISTRY_HTTP_ADDR) is ':'"),
                invalid(fs + "http: {addr: ''}", "http.addr (REGISTRY_HTTP_ADDR) is ''"),
                invalid(fs + "http: {addr: ':-1'}", "http.addr (REGISTRY_HTTP_ADDR) is ':-1'"),
                invalid(fs + "http: {addr: 'my host:5000'}", "http.addr (REGISTRY_HTTP_ADDR)"),
                invalid(fs + "http: {addr: '::1:5000'}", "http.addr (REGISTRY_HTTP_ADDR) is '::1:5000': write an "
                        + "IPv6 host in brackets"),
                invalid(fs + "http: {addr: [':5000']}", "http.addr (REGISTRY_HTTP_ADDR) is a list: give a single value"),
                invalid(fs + "http: {host: registry.example}", "http.host (REGISTRY_HTTP_HOST) is 'registry.example'"),
                invalid(fs + "http: {host: 'ftp://registry.example'}", "http.host (REGISTRY_HTTP_HOST)"),
                invalid(fs + "http: {host: 'https://'}", "http.host (REGISTRY_HTTP_HOST)"),
                invalid(fs + "http: {host: 'https://user:pw@registry.example'}", "http.host (REGISTRY_HTTP_HOST)"),
                invalid(fs + "http: {host: 'https://registry.example/?a=b'}", "http.host (REGISTRY_HTTP_HOST)"),
                invalid(fs + "http: {secret: {a: b}}", "http.secret (REGISTRY_HTTP_SECRET) is a mapping"),
                invalid(fs + "http: {relativeurls: sometimes}", "http.relativeurls (REGISTRY_HTTP_RELATIVEURLS)"),
                invalid(fs + "http: {prefix: '/a b/'}", "http.prefix (REGISTRY_HTTP_PREFIX)"),
                invalid(fs + "http: {prefix: '/a?b'}", "http.prefix (REGISTRY_HTTP_PREFIX)"),
                invalid(fs + "http: {headers: [nosniff]}", "http.headers (REGISTRY_HTTP_HEADERS) is a list"),
                invalid(fs + "http: {headers: {X-A: {b: c}}}", "http.headers.X-A (REGISTRY_HTTP_HEADERS_X_A) is a "
                        + "mapping"),
                invalid(fs + "http: {headers: {X-A: [[b]]}}", "http.headers.X-A (REGISTRY_HTTP_HEADERS_X_A)"),
                invalid(fs + "http: {headers: {X-A: }}", "http.headers.X-A (REGISTRY_HTTP_HEADERS_X_A)"),
                invalid(fs + "http: {headers: {'Bad Header': [x]}}", "http.headers.Bad Header"),
                invalid(fs + "http: {headers: {X-A: [a], x-a: [b]}}", "http.headers.x-a (REGISTRY_HTTP_HEADERS_X_A) "
                        + "repeats the header X-A"),
                invalid(fs + "http: {headers: {X-A: [\"a\\r\\nSet-Cookie: x\"]}}",
                        "http.headers.X-A (REGISTRY_HTTP_HEADERS_X_A) has a value with a line break"),
                invalid(fs + "http: 5000", "http (REGISTRY_HTTP) is '5000': give a mapping of keys under http"),
                invalid(fs + "log: {level: verbose}", "log.level (REGISTRY_LOG_LEVEL) is 'verbose': give one of "
                        + "error, warn, info or debug"),
                invalid(fs + "log: {accesslog: {disabled: 2}}",
                        "log.accesslog.disabled (REGISTRY_LOG_ACCESSLOG_DISABLED) is '2'"),
                invalid(fs + "log: {accesslog: true}", "log.accesslog (REGISTRY_LOG_ACCESSLOG) is 'true'"),
                invalid(fs + "log: debug", "log (REGISTRY_LOG) is 'debug'"),
                invalid(fs + "log: {formatter: xml}", "log.formatter (REGISTRY_LOG_FORMATTER) is 'xml': give text or "
                        + "json"),
                invalid(fs + "log: {formatter: logstash}", "log.formatter (REGISTRY_LOG_FORMATTER) is 'logstash': the "
                        + "logstash format is not supported"),
                invalid(fs + "log: {fields: [a, b]}", "log.fields (REGISTRY_LOG_FIELDS) is a list"),
                invalid(fs + "log: {fields: {status: x}}", "log.fields.status"),
                invalid(fs + "log: {fields: {a: {b: c}}}", "log.fields.a"),
                invalid("storage: {filesystem: {}, maintenance: {uploadpurging: {interval: 0}}}",
                        "storage.maintenance.uploadpurging.interval "
                                + "(REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_INTERVAL) is '0'"),
                invalid("storage: {filesystem: {}, maintenance: {uploadpurging: {age: -1h}}}",
                        "storage.maintenance.uploadpurging.age (REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE) is "
                                + "'-1h'"),
                invalid("storage: {filesystem: {}, maintenance: {uploadpurging: {age: 3600}}}",
                        "storage.maintenance.uploadpurging.age (REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE) is "
                                + "'3600'"),
                invalid("storage: {filesystem: {}, maintenance: {uploadpurging: {enabled: 1}}}",
                        "storage.maintenance.uploadpurging.enabled "
                                + "(REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_ENABLED) is '1'"),
                invalid("storage: {filesystem: {}, maintenance: {uploadpurging: {dryrun: x}}}",
                        "storage.maintenance.uploadpurging.dryrun (REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_DRYRUN)"),
                invalid("storage: {filesystem: {}, maintenance: {uploadpurging: false}}",
                        "storage.maintenance.uploadpurging (REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING) is 'false'"),
                invalid("storage: {filesystem: {}, maintenance: {readonly: {enabled: x}}}",
                        "storage.maintenance.readonly.enabled (REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED)"),
                invalid("storage: {filesystem: {}, redirect: {disable: x}}",
                        "storage.redirect.disable (REGISTRY_STORAGE_REDIRECT_DISABLE)"),
                invalid("storage: {filesystem: {}, delete: true}", "storage.delete (REGISTRY_STORAGE_DELETE) is "
                        + "'true'"),
                invalid("storage: {filesystem: {rootdirectory: ''}}",
                        "storage.filesystem.rootdirectory (REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY) is ''"),
                invalid("storage: {filesystem: {rootdirectory: [/a]}}",
                        "storage.filesystem.rootdirectory (REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY) is a list"),
                invalid("storage: {filesystem: /data}",
                        "storage.filesystem (REGISTRY_STORAGE_FILESYSTEM) is '/data'"),
                invalid("storage: [filesystem]", "storage (REGISTRY_STORAGE) is a list"),
                invalid("storage: {delete: {enabled: true}}", "storage (REGISTRY_STORAGE) names no storage driver"),
                invalid("storage: {filesystem: {}, s3: {region: x}}",
                        "storage (REGISTRY_STORAGE) configures more than one storage driver (filesystem, s3): keep "
                                + "exactly one"),
                invalid("storage: {filesytem: {rootdirectory: /data}}",
                        "storage.filesytem (REGISTRY_STORAGE_FILESYTEM) names the unknown storage driver 'filesytem'"),
                invalid(fs + "catalog: {maxentries: -3}", "catalog.maxentries (REGISTRY_CATALOG_MAXENTRIES) is '-3'"),
                invalid(fs + "catalog: {maxentries: 0}", "catalog.maxentries (REGISTRY_CATALOG_MAXENTRIES) is '0'"),
                invalid(fs + "catalog: {maxentries: 1.5}", "catalog.maxentries (REGISTRY_CATALOG_MAXENTRIES) is '1.5'"),
                invalid(fs + "catalog: {maxentries: 1.0}", "catalog.maxentries (REGISTRY_CATALOG_MAXENTRIES)"),
                invalid(fs + "catalog: {maxentries: 99999999999}",
                        "catalog.maxentries (REGISTRY_CATALOG_MAXENTRIES) is '99999999999'"),
                invalid(fs + "catalog: {maxentries: lots}", "catalog.maxentries (REGISTRY_CATALOG_MAXENTRIES)"),
                invalid(fs + "version: 0.2", "version (REGISTRY_VERSION) is '0.2': only configuration version 0.1 "
                        + "is supported"),
                invalid(fs + "version: '1'", "version (REGISTRY_VERSION) is '1'"));
    }

    @Test
    void jsonLogsWithFields() {
        RegistryConfig config = load("""
                storage: {filesystem: {rootdirectory: /data}}
                log:
                  formatter: JSON
                  fields:
                    service: registry
                    replica: 3
                    environment: production
                """);

        assertEquals(LogConfig.Formatter.JSON, config.log().formatter());
        assertEquals(List.of("service", "replica", "environment"), List.copyOf(config.log().fields().keySet()),
                "the file's order");
        assertEquals(Map.of("service", "registry", "replica", "3", "environment", "production"), config.log().fields());
        assertEquals(List.of(), warnings);
    }

    @Test
    void logFormatAndFieldsFromTheEnvironment() {
        RegistryConfig config = load("storage: {filesystem: {rootdirectory: /data}}\n", Map.of(
                "REGISTRY_LOG_FORMATTER", "json", "REGISTRY_LOG_FIELDS", "{service: registry, zone: eu-1}"));

        assertEquals(LogConfig.Formatter.JSON, config.log().formatter());
        assertEquals(Map.of("service", "registry", "zone", "eu-1"), config.log().fields());
        assertEquals(List.of(), warnings);
    }

    @Test
    void oneLogFieldFromTheEnvironmentAsRegistry2SetsIt() {
        RegistryConfig config = load("storage: {filesystem: {rootdirectory: /data}}\nlog: {fields: {service: a}}\n",
                Map.of("REGISTRY_LOG_FIELDS_ENVIRONMENT", "production", "REGISTRY_LOG_FIELDS_SERVICE", "registry"));

        assertEquals(Map.of("service", "registry", "environment", "production"), config.log().fields());
        assertEquals(List.of(), warnings);
    }

    private static Arguments invalid(String yaml, String messageStart) {
        return Arguments.of(yaml, messageStart);
    }

    @ParameterizedTest
    @MethodSource("invalidSettings")
    void invalidSettingIsOneSentenceNamingKeyAndVariable(String yaml, String messageStart) {
        ConfigException e = failure(yaml + "\n", Map.of());

        assertTrue(e.getMessage().startsWith(messageStart), e.getMessage());
        assertTrue(e.getMessage().endsWith("."), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains(": "), "says how to fix it: " + e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"azure", "swift", "oss"})
    void unsupportedDriverFailsNamingIt(String driver) {
        ConfigException e = failure("storage:\n  " + driver + ":\n    bucket: b\n", Map.of());

        assertEquals("storage." + driver + " (REGISTRY_STORAGE_" + driver.toUpperCase() + ") selects the '"
                + driver + "' storage driver, which is not supported yet: use storage.filesystem instead.",
                e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"version: 0.1\n", "", "# only a comment\n", "http: {addr: ':5000'}\n"})
    void fileWithoutStorageFailsNamingTheFile(String yaml) {
        ConfigException e = failure(yaml, Map.of());

        assertEquals("storage (REGISTRY_STORAGE) is missing from configuration file " + dir.resolve("config.yml")
                + ": registry:2 requires a storage driver, so add one such as "
                + "'storage: {filesystem: {rootdirectory: /var/lib/registry}}'.", e.getMessage());
    }

    // ---- files ----

    @Test
    void yamlSyntaxErrorNamesFileAndLine() {
        ConfigException e = failure("storage: filesystem\nhttp:\n  addr: [unclosed\n  prefix: /x\n", Map.of());

        assertEquals("Cannot parse configuration file " + dir.resolve("config.yml") + " at line 4, column 9: "
                + "while parsing a flow sequence; expected ',' or ']', but got :.", e.getMessage());
    }

    @Test
    void duplicateKeyIsASyntaxError() {
        ConfigException e = failure("storage: filesystem\nhttp:\n  addr: :5000\n  addr: :6000\n", Map.of());

        assertEquals("Cannot parse configuration file " + dir.resolve("config.yml") + " at line 4, column 7: "
                + "Duplicate field 'addr'.", e.getMessage());
    }

    @Test
    void topLevelMustBeAMapping() {
        ConfigException e = failure("- storage\n- http\n", Map.of());

        assertEquals("Configuration file " + dir.resolve("config.yml") + " must hold a mapping of keys at the top "
                + "level, such as 'version: 0.1'.", e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        Path missing = dir.resolve("nope.yml");

        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(Optional.of(missing), Map.of(), warnings::add));

        assertEquals("Cannot read configuration file " + missing + ": it does not exist.", e.getMessage());
    }

    @Test
    void directoryIsNotAFile() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(Optional.of(dir), Map.of(), warnings::add));

        assertTrue(e.getMessage().startsWith("Cannot read configuration file " + dir + ": "), e.getMessage());
    }
}
