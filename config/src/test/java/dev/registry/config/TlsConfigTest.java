package dev.registry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TlsConfigTest {
    @TempDir
    Path dir;
    private ConfigFiles files;
    private Path certificate;
    private Path key;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(dir);
        certificate = files.write("domain.crt", "-----BEGIN CERTIFICATE-----\n");
        key = files.write("domain.key", "-----BEGIN PRIVATE KEY-----\n");
    }

    private String tls(String body) {
        return "storage: filesystem\nhttp:\n  tls:\n" + body.indent(4);
    }

    @Test
    void withoutTlsTheServerSpeaksPlainHttp() {
        assertEquals(TlsConfig.DISABLED, files.load("storage: filesystem\n").http().tls());
        assertEquals(TlsConfig.DISABLED, files.load("storage: filesystem\nhttp: {tls: }\n").http().tls());
        assertFalse(TlsConfig.DISABLED.enabled());
    }

    @Test
    void certificateAndKeyAreRead() {
        TlsConfig tls = files.load(tls("certificate: " + certificate + "\nkey: " + key + "\nminimumtls: tls1.3"))
                .http().tls();

        assertEquals(new TlsConfig(certificate, key, null, "tls1.3"), tls);
        assertTrue(tls.enabled());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void minimumVersionDefaultsToTls12() {
        assertEquals("tls1.2", files.load(tls("certificate: " + certificate + "\nkey: " + key)).http().tls()
                .minimumVersion());
    }

    @ParameterizedTest
    @CsvSource({"TLS1.3, tls1.3", "tls1.2, tls1.2"})
    void minimumVersionIgnoresCase(String given, String expected) {
        assertEquals(expected, files.load(tls("certificate: " + certificate + "\nkey: " + key + "\nminimumtls: "
                + given)).http().tls().minimumVersion());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tls1.0", "tls1.1"})
    void oldTlsVersionsAreRefused(String version) {
        ConfigException e = files.failure(tls("certificate: " + certificate + "\nkey: " + key + "\nminimumtls: "
                + version));

        assertEquals("http.tls.minimumtls (REGISTRY_HTTP_TLS_MINIMUMTLS) is '" + version + "': TLS versions "
                + "before 1.2 are not supported, so give tls1.2 or tls1.3.", e.getMessage());
    }

    @Test
    void unknownTlsVersionIsRefused() {
        ConfigException e = files.failure(tls("certificate: " + certificate + "\nkey: " + key
                + "\nminimumtls: VersionTLS12"));

        assertEquals("http.tls.minimumtls (REGISTRY_HTTP_TLS_MINIMUMTLS) is 'VersionTLS12': give tls1.2 or tls1.3.",
                e.getMessage());
    }

    @Test
    void missingCertificateFileIsAStartupError() {
        Path missing = dir.resolve("nope.crt");

        ConfigException e = files.failure(tls("certificate: " + missing + "\nkey: " + key));

        assertEquals("http.tls.certificate (REGISTRY_HTTP_TLS_CERTIFICATE) is '" + missing + "': there is no "
                + "readable file at " + missing + ", so give the path of a PEM certificate file.", e.getMessage());
    }

    @Test
    void directoryIsNotAKeyFile() {
        ConfigException e = files.failure(tls("certificate: " + certificate + "\nkey: " + dir));

        assertTrue(e.getMessage().startsWith("http.tls.key (REGISTRY_HTTP_TLS_KEY) is '" + dir + "': there is no "
                + "readable file"), e.getMessage());
    }

    @Test
    void certificateWithoutKeyIsAnError() {
        ConfigException e = files.failure(tls("certificate: " + certificate));

        assertEquals("http.tls.key (REGISTRY_HTTP_TLS_KEY) is not set although http.tls.certificate is: give the "
                + "certificate's private key too, or neither.", e.getMessage());
    }

    @Test
    void keyWithoutCertificateIsAnError() {
        ConfigException e = files.failure(tls("key: " + key));

        assertEquals("http.tls.certificate (REGISTRY_HTTP_TLS_CERTIFICATE) is not set although http.tls.key is: "
                + "give the key's certificate too, or neither.", e.getMessage());
    }

    @Test
    void selfSignedDefaultsToLocalhost() {
        TlsConfig tls = files.load(tls("selfsigned:\n  directory: " + dir.resolve("tls"))).http().tls();

        assertEquals(new TlsConfig(null, null, new TlsConfig.SelfSignedConfig(List.of("localhost", "127.0.0.1"),
                dir.resolve("tls")), "tls1.2"), tls);
        assertTrue(tls.enabled());
    }

    @Test
    void selfSignedHostsMayBeNamesAndAddresses() {
        TlsConfig tls = files.load(tls("selfsigned:\n  directory: ./tls\n  hosts: [registry.example, "
                + "'*.example.org', 10.0.0.5, '::1', 'fe80::1', registry]")).http().tls();

        assertEquals(List.of("registry.example", "*.example.org", "10.0.0.5", "::1", "fe80::1", "registry"),
                tls.selfSigned().hosts());
        assertEquals(Path.of("tls").toAbsolutePath(), tls.selfSigned().directory());
    }

    @ParameterizedTest
    @ValueSource(strings = {"'bad host'", "'-leading.example'", "'999.1.1.1'", "'1.2.3'", "'a..b'",
            "'https://registry.example'", "':::1::'", "'registry.example:5000'"})
    void selfSignedHostsAreValidated(String host) {
        ConfigException e = files.failure(tls("selfsigned:\n  directory: ./tls\n  hosts: [localhost, " + host + "]"));

        assertTrue(e.getMessage().startsWith("http.tls.selfsigned.hosts (REGISTRY_HTTP_TLS_SELFSIGNED_HOSTS) holds "
                + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("which is neither a DNS name nor an IP address"), e.getMessage());
    }

    @Test
    void selfSignedNeedsADirectory() {
        ConfigException e = files.failure(tls("selfsigned:\n  hosts: [localhost]"));

        assertEquals("http.tls.selfsigned.directory (REGISTRY_HTTP_TLS_SELFSIGNED_DIRECTORY) is not set: give the "
                + "directory to keep the generated CA and server certificate in, such as '/var/lib/registry-tls'.",
                e.getMessage());
    }

    @Test
    void emptySelfSignedSectionStillAsksForADirectory() {
        ConfigException e = files.failure(tls("selfsigned:"));

        assertTrue(e.getMessage().startsWith("http.tls.selfsigned.directory"), e.getMessage());
    }

    @Test
    void selfSignedAndCertificateTogetherAreAnError() {
        ConfigException e = files.failure(tls("certificate: " + certificate + "\nkey: " + key
                + "\nselfsigned: {directory: ./tls}"));

        assertEquals("http.tls.selfsigned (REGISTRY_HTTP_TLS_SELFSIGNED) is set together with http.tls.certificate: "
                + "keep either the certificate or the self-signed one.", e.getMessage());
    }

    @Test
    void environmentConfiguresTls() {
        TlsConfig tls = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_HTTP_TLS_CERTIFICATE", certificate.toString(),
                "REGISTRY_HTTP_TLS_KEY", key.toString(),
                "REGISTRY_HTTP_TLS_MINIMUMTLS", "tls1.3")).http().tls();

        assertEquals(new TlsConfig(certificate, key, null, "tls1.3"), tls);
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void environmentGivesSelfSignedHostsAsYaml() {
        TlsConfig tls = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_HTTP_TLS_SELFSIGNED_DIRECTORY", "/srv/tls",
                "REGISTRY_HTTP_TLS_SELFSIGNED_HOSTS", "[registry.local, 192.168.1.2]")).http().tls();

        assertEquals(new TlsConfig.SelfSignedConfig(List.of("registry.local", "192.168.1.2"), Path.of("/srv/tls")),
                tls.selfSigned());
        assertNull(tls.certificate());
    }

    @Test
    void singleSelfSignedHostNeedsNoList() {
        TlsConfig tls = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_HTTP_TLS_SELFSIGNED_DIRECTORY", "/srv/tls",
                "REGISTRY_HTTP_TLS_SELFSIGNED_HOSTS", "registry.local")).http().tls();

        assertEquals(List.of("registry.local"), tls.selfSigned().hosts());
    }

    @Test
    void unsupportedTlsKeysWarnAndTheRestIsRead() {
        TlsConfig tls = files.load(tls("certificate: " + certificate + "\nkey: " + key
                + "\nletsencrypt: {email: a@b.c}"))
                .http().tls();

        assertTrue(tls.enabled());
        assertEquals(List.of(
                "configuration key 'http.tls.letsencrypt.email' is not supported yet and is ignored"), files.warnings);
    }

    // ---- http.http2.disabled ---------------------------------------------------------------------

    @Test
    void http2IsOfferedUnlessDisabled() {
        assertTrue(files.load(tls("certificate: " + certificate + "\nkey: " + key)).http().tls().http2());
        TlsConfig disabled = files.load("storage: filesystem\nhttp:\n  http2:\n    disabled: true\n  tls:\n    certificate: "
                + certificate + "\n    key: " + key + "\n").http().tls();
        assertEquals(new TlsConfig(certificate, key, null, "tls1.2", List.of(), List.of(), false), disabled);
        assertEquals(List.of(), files.warnings);
        assertTrue(files.load("storage: filesystem\nhttp:\n  http2:\n    disabled: false\n  tls:\n    certificate: "
                + certificate + "\n    key: " + key + "\n").http().tls().http2());
    }

    @Test
    void environmentDisablesHttp2() {
        TlsConfig tls = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_HTTP_TLS_CERTIFICATE", certificate.toString(),
                "REGISTRY_HTTP_TLS_KEY", key.toString(),
                "REGISTRY_HTTP_HTTP2_DISABLED", "true")).http().tls();

        assertFalse(tls.http2());
    }

    @Test
    void http2DisabledMustBeABoolean() {
        ConfigException e = files.failure("storage: filesystem\nhttp:\n  http2:\n    disabled: sometimes\n");

        assertEquals("http.http2.disabled (REGISTRY_HTTP_HTTP2_DISABLED) is 'sometimes': give true or false.", e.getMessage());
    }

    // ---- http.tls.ciphersuites --------------------------------------------------------------------

    @Test
    void cipherSuitesAreReadInOrderEachOnce() {
        TlsConfig tls = files.load(tls("certificate: " + certificate + "\nkey: " + key + "\nciphersuites:\n"
                + "  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n  - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n"
                + "  - TLS_AES_128_GCM_SHA256\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")).http().tls();

        assertEquals(List.of("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                "TLS_AES_128_GCM_SHA256"), tls.cipherSuites());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void withoutCipherSuitesTheDefaultsApply() {
        assertEquals(List.of(), files.load(tls("certificate: " + certificate + "\nkey: " + key)).http().tls().cipherSuites());
        assertEquals(List.of(), files.load(tls("certificate: " + certificate + "\nkey: " + key + "\nciphersuites: []"))
                .http().tls().cipherSuites(), "an empty list, as in registry:2");
    }

    @Test
    void environmentGivesCipherSuitesAsYaml() {
        TlsConfig tls = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_HTTP_TLS_CERTIFICATE", certificate.toString(),
                "REGISTRY_HTTP_TLS_KEY", key.toString(),
                "REGISTRY_HTTP_TLS_CIPHERSUITES", "[TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]")).http().tls();

        assertEquals(new TlsConfig(certificate, key, null, "tls1.2", List.of(),
                List.of("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")), tls);
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
            "tls_ecdhe_ecdsa_with_aes_128_gcm_sha256"})
    void unknownAndInsecureCipherSuitesAreAStartupError(String name) {
        ConfigException e = files.failure(tls("certificate: " + certificate + "\nkey: " + key + "\nciphersuites: ["
                + "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, " + name + "]"));

        assertEquals("http.tls.ciphersuites (REGISTRY_HTTP_TLS_CIPHERSUITES) holds '" + name + "', which is not a cipher "
                + "suite this server offers: use registry:2 3.x's names, such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (the "
                + "RC4 and CBC-SHA256 suites that registry:2 2.8 still took are not offered).", e.getMessage());
    }

    @Test
    void onlyTls13SuitesWithTls12AllowedIsAStartupError() {
        ConfigException e = files.failure(tls("certificate: " + certificate + "\nkey: " + key
                + "\nciphersuites: [TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256]"));

        assertEquals("http.tls.ciphersuites (REGISTRY_HTTP_TLS_CIPHERSUITES) names only TLS 1.3 suites, which are always "
                + "on, and so no suite for TLS 1.2 clients, which could not connect: add one such as "
                + "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, or set http.tls.minimumtls to tls1.3.", e.getMessage());
        assertEquals(List.of("TLS_AES_128_GCM_SHA256"), files.load(tls("certificate: " + certificate + "\nkey: " + key
                + "\nminimumtls: tls1.3\nciphersuites: [TLS_AES_128_GCM_SHA256]")).http().tls().cipherSuites(),
                "with TLS 1.3 only, the key is ignored at startup with a warning, as in registry:2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{suite: TLS_AES_128_GCM_SHA256}", "[[TLS_AES_128_GCM_SHA256]]", "['']"})
    void cipherSuitesMustBeAListOfNames(String value) {
        ConfigException e = files.failure(tls("certificate: " + certificate + "\nkey: " + key + "\nciphersuites: " + value));

        assertTrue(e.getMessage().startsWith("http.tls.ciphersuites (REGISTRY_HTTP_TLS_CIPHERSUITES) is "), e.getMessage());
        assertTrue(e.getMessage().endsWith(": give a list of cipher suite names such as "
                + "'[TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]'."), e.getMessage());
    }

    // ---- http.tls.clientcas -----------------------------------------------------------------------

    @Test
    void clientCasAreReadAsAList() {
        Path first = files.write("ca-one.pem", "-----BEGIN CERTIFICATE-----\n");
        Path second = files.write("ca-two.pem", "-----BEGIN CERTIFICATE-----\n");

        TlsConfig tls = files.load(tls("certificate: " + certificate + "\nkey: " + key + "\nclientcas:\n  - " + first
                + "\n  - " + second + "\n  - " + first)).http().tls();

        assertEquals(List.of(first, second), tls.clientCas(), "in file order, each file once");
        assertTrue(tls.requiresClientCertificates());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void withoutClientCasNoClientCertificateIsRequired() {
        TlsConfig tls = files.load(tls("certificate: " + certificate + "\nkey: " + key)).http().tls();
        TlsConfig emptyList = files.load(tls("certificate: " + certificate + "\nkey: " + key + "\nclientcas: []"))
                .http().tls();

        assertEquals(List.of(), tls.clientCas());
        assertFalse(tls.requiresClientCertificates());
        assertFalse(emptyList.requiresClientCertificates(), "an empty list, as in registry:2");
        assertFalse(TlsConfig.DISABLED.requiresClientCertificates());
    }

    @Test
    void clientCasWorkWithSelfSignedTls() {
        Path ca = files.write("clients.pem", "-----BEGIN CERTIFICATE-----\n");

        TlsConfig tls = files.load(tls("selfsigned: {directory: ./tls}\nclientcas: " + ca)).http().tls();

        assertEquals(List.of(ca), tls.clientCas(), "a single file needs no list");
    }

    @Test
    void environmentGivesClientCasAsYaml() {
        Path ca = files.write("clients.pem", "-----BEGIN CERTIFICATE-----\n");
        TlsConfig tls = files.load("storage: filesystem\n", Map.of(
                "REGISTRY_HTTP_TLS_CERTIFICATE", certificate.toString(),
                "REGISTRY_HTTP_TLS_KEY", key.toString(),
                "REGISTRY_HTTP_TLS_CLIENTCAS", "[" + ca + "]")).http().tls();

        assertEquals(new TlsConfig(certificate, key, null, "tls1.2", List.of(ca)), tls);
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void missingClientCaFileIsAStartupError() {
        Path missing = dir.resolve("no-such-ca.pem");

        ConfigException e = files.failure(tls("certificate: " + certificate + "\nkey: " + key + "\nclientcas: ["
                + missing + "]"));

        assertEquals("http.tls.clientcas (REGISTRY_HTTP_TLS_CLIENTCAS) is '" + missing + "': there is no readable file at "
                + missing + ", so give the path of a PEM CA certificate file.", e.getMessage());
    }

    @Test
    void clientCasWithoutTlsAreAnError() {
        Path ca = files.write("clients.pem", "-----BEGIN CERTIFICATE-----\n");

        ConfigException e = files.failure(tls("clientcas: [" + ca + "]"));

        assertEquals("http.tls.clientcas (REGISTRY_HTTP_TLS_CLIENTCAS) is set but the port serves plain HTTP: client "
                + "certificates need TLS, so set http.tls.certificate and http.tls.key (or http.tls.selfsigned) too, "
                + "or remove it.", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{file: /ca.pem}", "[[/ca.pem]]", "['']"})
    void clientCasMustBeAListOfFiles(String value) {
        ConfigException e = files.failure(tls("certificate: " + certificate + "\nkey: " + key + "\nclientcas: " + value));

        assertTrue(e.getMessage().startsWith("http.tls.clientcas (REGISTRY_HTTP_TLS_CLIENTCAS) is "), e.getMessage());
        assertTrue(e.getMessage().endsWith(": give a list of PEM CA certificate files, such as "
                + "'[/etc/registry/client-ca.pem]'."), e.getMessage());
    }
}
