package dev.registry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code storage.gcs}: registry:2's keys, our {@code endpoint}, their overrides and their errors. */
class GcsConfigTest {
    private static final String KEY_JSON = "{\"type\":\"service_account\",\"project_id\":\"p\","
            + "\"client_email\":\"r@p.iam.gserviceaccount.com\",\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nAA\\n-----END PRIVATE KEY-----\\n\"}";

    @TempDir
    Path dir;
    private ConfigFiles files;

    @BeforeEach
    void files() {
        files = new ConfigFiles(dir);
    }

    private GcsConfig gcs(String yaml, Map<String, String> env) {
        DriverConfig driver = files.load(yaml, env).storage().driver();
        assertTrue(driver instanceof GcsConfig, driver.toString());
        return (GcsConfig) driver;
    }

    @Test
    void minimalConfigurationUsesRegistry2Defaults() {
        GcsConfig gcs = gcs("storage: {gcs: {bucket: my-registry}}\n", Map.of());
        assertEquals(new GcsConfig("my-registry", Optional.empty(), Optional.empty(), "", 16 * 1024 * 1024,
                Optional.empty()), gcs);
        assertEquals("gcs", gcs.name());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void everyKeyIsRead() {
        Path key = files.write("key.json", KEY_JSON);
        GcsConfig gcs = gcs("""
                storage:
                  gcs:
                    bucket: my-registry
                    keyfile: %s
                    rootdirectory: /tenants/a/
                    chunksize: 5242880
                    endpoint: http://127.0.0.1:4443/
                """.formatted(key), Map.of());
        assertEquals(new GcsConfig("my-registry", Optional.of(key.toAbsolutePath()), Optional.empty(), "tenants/a",
                5 * 1024 * 1024, Optional.of(URI.create("http://127.0.0.1:4443"))), gcs);
    }

    /** registry:2 takes the key inline as a YAML mapping of its JSON fields. */
    @Test
    void inlineCredentialsAsAMappingOrAsJsonText() throws Exception {
        GcsConfig mapping = gcs("""
                storage:
                  gcs:
                    bucket: b-1
                    credentials:
                      type: service_account
                      project_id: p
                      client_email: r@p.iam.gserviceaccount.com
                      private_key: "-----BEGIN PRIVATE KEY-----\\nAA\\n-----END PRIVATE KEY-----\\n"
                """, Map.of());
        ObjectMapper json = new ObjectMapper();
        JsonNode expected = json.readTree(KEY_JSON);
        assertEquals(expected, json.readTree(mapping.credentialsJson().orElseThrow()));
        GcsConfig fromEnv = gcs("storage: {gcs: {bucket: b-1}}\n", Map.of("REGISTRY_STORAGE_GCS_CREDENTIALS", KEY_JSON));
        assertEquals(expected, json.readTree(fromEnv.credentialsJson().orElseThrow()));
    }

    @Test
    void environmentSelectsAndConfiguresTheDriver() {
        GcsConfig gcs = gcs("storage: {filesystem: {rootdirectory: /x}}\n", Map.of(
                "REGISTRY_STORAGE", "gcs",
                "REGISTRY_STORAGE_GCS_BUCKET", "from-env",
                "REGISTRY_STORAGE_GCS_ROOTDIRECTORY", "registry",
                "REGISTRY_STORAGE_GCS_CHUNKSIZE", "262144",
                "REGISTRY_STORAGE_GCS_ENDPOINT", "https://storage.example.com"));
        assertEquals(new GcsConfig("from-env", Optional.empty(), Optional.empty(), "registry", 262144,
                Optional.of(URI.create("https://storage.example.com"))), gcs);
    }

    @Test
    void environmentOverridesTheFile() {
        GcsConfig gcs = gcs("storage: {gcs: {bucket: in-file, chunksize: 524288}}\n",
                Map.of("REGISTRY_STORAGE_GCS_BUCKET", "in-env"));
        assertEquals("in-env", gcs.bucket());
        assertEquals(524288, gcs.chunkSize());
    }

    @Test
    void registry2sOtherKeysWarnAndAreIgnored() {
        files.load("storage: {gcs: {bucket: b-1, useragent: x, maxconcurrency: 10}}\n", Map.of());
        assertEquals(2, files.warnings.size(), files.warnings.toString());
    }

    @Test
    void missingBucketFails() {
        assertEquals("storage.gcs.bucket (REGISTRY_STORAGE_GCS_BUCKET) is missing: give the name of the Google Cloud "
                + "Storage bucket to store images in.", files.failure("storage: {gcs: {}}\n").getMessage());
        assertEquals("storage.gcs.bucket (REGISTRY_STORAGE_GCS_BUCKET) is missing: give the name of the Google Cloud "
                + "Storage bucket to store images in.", files.failure("storage: gcs\n").getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"My_Bucket", "a", "-bucket", "bucket-", "gs://bucket"})
    void invalidBucketNamesFail(String name) {
        String message = files.failure("storage: {gcs: {bucket: '" + name + "'}}\n").getMessage();
        assertTrue(message.startsWith("storage.gcs.bucket (REGISTRY_STORAGE_GCS_BUCKET) is '" + name + "': "), message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1000", "262143", "0", "-262144", "16MiB", "1.5"})
    void chunkSizeMustBeAMultipleOf256KiB(String size) {
        String message = files.failure("storage: {gcs: {bucket: b-1, chunksize: " + size + "}}\n").getMessage();
        assertTrue(message.startsWith("storage.gcs.chunksize (REGISTRY_STORAGE_GCS_CHUNKSIZE) is '" + size + "': give "),
                message);
    }

    @Test
    void chunkSizeNotAMultipleNamesTheRule() {
        assertEquals("storage.gcs.chunksize (REGISTRY_STORAGE_GCS_CHUNKSIZE) is '1000000': give a multiple of 262144 "
                        + "(256 KiB), as GCS requires, such as 16777216 (16 MiB).",
                files.failure("storage: {gcs: {bucket: b-1, chunksize: 1000000}}\n").getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:4443", "ftp://host", "http://", "http://host/?x=1"})
    void endpointMustBeAnHttpUrl(String endpoint) {
        String message = files.failure("storage: {gcs: {bucket: b-1, endpoint: '" + endpoint + "'}}\n").getMessage();
        assertTrue(message.startsWith("storage.gcs.endpoint (REGISTRY_STORAGE_GCS_ENDPOINT) is '" + endpoint + "': "),
                message);
    }

    @Test
    void missingKeyFileFails() {
        String message = files.failure("storage: {gcs: {bucket: b-1, keyfile: /no/such/key.json}}\n").getMessage();
        assertTrue(message.startsWith("storage.gcs.keyfile (REGISTRY_STORAGE_GCS_KEYFILE) is '/no/such/key.json': "
                + "there is no readable file"), message);
    }

    @Test
    void keyFileAndInlineCredentialsExcludeEachOther() {
        Path key = files.write("key.json", KEY_JSON);
        String message = files.failure("storage: {gcs: {bucket: b-1, keyfile: " + key + "}}\n",
                Map.of("REGISTRY_STORAGE_GCS_CREDENTIALS", KEY_JSON)).getMessage();
        assertEquals("storage.gcs.credentials (REGISTRY_STORAGE_GCS_CREDENTIALS) is given together with "
                + "storage.gcs.keyfile (REGISTRY_STORAGE_GCS_KEYFILE): give the service-account key only one way.", message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "[1, 2]", "{\"client_email\": \"x\"}", "{\"type\": \"service_account\"}"})
    void unusableCredentialsFail(String credentials) {
        String message = files.failure("storage: {gcs: {bucket: b-1}}\n",
                Map.of("REGISTRY_STORAGE_GCS_CREDENTIALS", credentials)).getMessage();
        assertTrue(message.startsWith("storage.gcs.credentials (REGISTRY_STORAGE_GCS_CREDENTIALS) "), message);
    }
}
