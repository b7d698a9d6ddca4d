package dev.registry.config;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code storage.s3}: registry:2's keys, their defaults, environment overrides and errors. */
class S3ConfigTest {
    private static final long MiB = 1024 * 1024;

    @TempDir
    Path dir;
    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(dir);
    }

    private S3Config s3(String yaml) {
        return s3(yaml, Map.of());
    }

    private S3Config s3(String yaml, Map<String, String> env) {
        return (S3Config) files.load(yaml, env).storage().driver();
    }

    @Test
    void minimalConfigTakesRegistry2sDefaults() {
        S3Config s3 = s3("storage: {s3: {region: eu-west-1, bucket: images}}\n");
        assertEquals(new S3Config(null, null, null, "eu-west-1", null, false, "images", "", false, null, true, false,
                (int) (10 * MiB), 32 * MiB, 100, 32 * MiB, "STANDARD", false, "off"), s3);
        assertEquals("s3", s3.name());
        assertFalse(s3.logRequests());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void everyKeyIsRead() {
        S3Config s3 = s3("""
                storage:
                  s3:
                    accesskey: AKIAEXAMPLE
                    secretkey: secret/example
                    sessiontoken: token
                    region: us-east-1
                    regionendpoint: http://minio.local:9000
                    forcepathstyle: false
                    bucket: registry
                    rootdirectory: /prod/registry
                    encrypt: true
                    keyid: arn:aws:kms:us-east-1:123:key/abc
                    secure: true
                    skipverify: true
                    v4auth: true
                    chunksize: 5242880
                    multipartcopychunksize: 67108864
                    multipartcopymaxconcurrency: 10
                    multipartcopythresholdsize: 0
                    storageclass: reduced_redundancy
                    usedualstack: true
                    loglevel: debugwithrequesterrors
                """);
        assertEquals(new S3Config("AKIAEXAMPLE", "secret/example", "token", "us-east-1", URI.create("http://minio.local:9000"),
                false, "registry", "/prod/registry", true, "arn:aws:kms:us-east-1:123:key/abc", true, true,
                (int) (5 * MiB), 64 * MiB, 10, 0, "REDUCED_REDUNDANCY", true, "debugwithrequesterrors"), s3);
        assertTrue(s3.logRequests());
        assertFalse(s3.toString().contains("secret/example"), s3.toString());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void regionEndpointWithoutSchemeFollowsSecureAndForcesPathStyle() {
        S3Config secure = s3("storage: {s3: {region: us-east-1, bucket: b, regionendpoint: 'ceph.local:7480'}}\n");
        assertEquals(URI.create("https://ceph.local:7480"), secure.regionEndpoint());
        assertTrue(secure.forcePathStyle(), "registry:2 2.8 always used path style with a regionendpoint");
        S3Config plain = s3("storage: {s3: {region: us-east-1, bucket: b, regionendpoint: 'ceph.local:7480', secure: false}}\n");
        assertEquals(URI.create("http://ceph.local:7480"), plain.regionEndpoint());
    }

    @Test
    void everyKeyHasItsEnvironmentVariable() {
        S3Config s3 = s3("storage: filesystem\n", Map.ofEntries(
                Map.entry("REGISTRY_STORAGE", "s3"),
                Map.entry("REGISTRY_STORAGE_S3_ACCESSKEY", "ak"),
                Map.entry("REGISTRY_STORAGE_S3_SECRETKEY", "sk"),
                Map.entry("REGISTRY_STORAGE_S3_SESSIONTOKEN", "st"),
                Map.entry("REGISTRY_STORAGE_S3_REGION", "ap-south-1"),
                Map.entry("REGISTRY_STORAGE_S3_REGIONENDPOINT", "https://r2.example.com"),
                Map.entry("REGISTRY_STORAGE_S3_FORCEPATHSTYLE", "true"),
                Map.entry("REGISTRY_STORAGE_S3_BUCKET", "env-bucket"),
                Map.entry("REGISTRY_STORAGE_S3_ROOTDIRECTORY", "/env"),
                Map.entry("REGISTRY_STORAGE_S3_ENCRYPT", "true"),
                Map.entry("REGISTRY_STORAGE_S3_KEYID", "kid"),
                Map.entry("REGISTRY_STORAGE_S3_SECURE", "false"),
                Map.entry("REGISTRY_STORAGE_S3_SKIPVERIFY", "true"),
                Map.entry("REGISTRY_STORAGE_S3_V4AUTH", "true"),
                Map.entry("REGISTRY_STORAGE_S3_CHUNKSIZE", "20971520"),
                Map.entry("REGISTRY_STORAGE_S3_MULTIPARTCOPYCHUNKSIZE", "5242880"),
                Map.entry("REGISTRY_STORAGE_S3_MULTIPARTCOPYMAXCONCURRENCY", "7"),
                Map.entry("REGISTRY_STORAGE_S3_MULTIPARTCOPYTHRESHOLDSIZE", "1048576"),
                Map.entry("REGISTRY_STORAGE_S3_STORAGECLASS", "NONE"),
                Map.entry("REGISTRY_STORAGE_S3_USEDUALSTACK", "true"),
                Map.entry("REGISTRY_STORAGE_S3_LOGLEVEL", "debug")));
        assertEquals(new S3Config("ak", "sk", "st", "ap-south-1", URI.create("https://r2.example.com"), true, "env-bucket",
                "/env", true, "kid", false, true, (int) (20 * MiB), 5 * MiB, 7, MiB, "NONE", true, "debug"), s3);
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void registry2KeysNotImplementedWarn() {
        s3("storage: {s3: {region: us-east-1, bucket: b, objectacl: private, useragent: x}}\n");
        assertEquals(2, files.warnings.size(), files.warnings.toString());
        assertTrue(files.warnings.stream().anyMatch(w -> w.contains("storage.s3.objectacl")), files.warnings.toString());
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("{region: us-east-1}", "storage.s3.bucket (REGISTRY_STORAGE_S3_BUCKET) is missing"),
                Arguments.of("{bucket: b}", "storage.s3.region (REGISTRY_STORAGE_S3_REGION) is missing"),
                Arguments.of("{region: r, bucket: b, accesskey: a}", "storage.s3.secretkey (REGISTRY_STORAGE_S3_SECRETKEY) is missing"),
                Arguments.of("{region: r, bucket: b, secretkey: s}", "storage.s3.accesskey (REGISTRY_STORAGE_S3_ACCESSKEY) is missing"),
                Arguments.of("{region: r, bucket: b, sessiontoken: t}", "storage.s3.sessiontoken (REGISTRY_STORAGE_S3_SESSIONTOKEN) is given"),
                Arguments.of("{region: r, bucket: b, chunksize: 1048576}", "storage.s3.chunksize (REGISTRY_STORAGE_S3_CHUNKSIZE) is '1048576': give a number of bytes from 5242880"),
                Arguments.of("{region: r, bucket: b, chunksize: 10MB}", "storage.s3.chunksize (REGISTRY_STORAGE_S3_CHUNKSIZE) is '10MB'"),
                Arguments.of("{region: r, bucket: b, chunksize: 5242880.5}", "storage.s3.chunksize"),
                Arguments.of("{region: r, bucket: b, multipartcopychunksize: 6000000000}", "storage.s3.multipartcopychunksize"),
                Arguments.of("{region: r, bucket: b, multipartcopymaxconcurrency: 0}", "storage.s3.multipartcopymaxconcurrency"),
                Arguments.of("{region: r, bucket: b, multipartcopythresholdsize: -1}", "storage.s3.multipartcopythresholdsize"),
                Arguments.of("{region: r, bucket: b, storageclass: GLACIER}", "storage.s3.storageclass (REGISTRY_STORAGE_S3_STORAGECLASS) is 'GLACIER': give one of NONE, STANDARD"),
                Arguments.of("{region: r, bucket: b, loglevel: verbose}", "storage.s3.loglevel"),
                Arguments.of("{region: r, bucket: b, v4auth: false}", "storage.s3.v4auth (REGISTRY_STORAGE_S3_V4AUTH) is 'false': signature version 2 is not supported"),
                Arguments.of("{region: r, bucket: b, secure: maybe}", "storage.s3.secure"),
                Arguments.of("{region: r, bucket: b, regionendpoint: 'ftp://x'}", "storage.s3.regionendpoint (REGISTRY_STORAGE_S3_REGIONENDPOINT) is 'ftp://x'"),
                Arguments.of("{region: r, bucket: b, regionendpoint: 'http://x/path'}", "storage.s3.regionendpoint"),
                Arguments.of("{region: r, bucket: b, regionendpoint: 'http://'}", "storage.s3.regionendpoint"),
                Arguments.of("[1, 2]", "storage.s3 (REGISTRY_STORAGE_S3) is a list"));
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void invalidValuesAreOneSentenceNamingTheKey(String s3, String messageStart) {
        ConfigException e = files.failure("storage: {s3: " + s3 + "}\n");
        assertTrue(e.getMessage().startsWith(messageStart), e.getMessage());
    }
}
