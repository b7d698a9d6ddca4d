package dev.registry.server.tls;

import dev.registry.config.ConfigException;
import dev.registry.config.TlsConfig;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code http.tls.clientcas} at the TLS layer, with BoringSSL: a client certificate issued by a
 * configured CA is accepted over HTTP/2 and HTTP/1.1 and with TLS 1.3 and 1.2; no certificate, one
 * from another CA and a self-signed one fail the handshake before any request reaches the
 * handler; a replaced CA file is picked up without a restart. {@link JdkEngineClientCertificateHandshakeTest}
 * runs the same with the JDK engine.
 */
class ClientCertificateHandshakeTest {
    @TempDir
    Path temp;

    private SelfSignedCertificates.Result serverFiles;
    private Issued trustedCa;
    private Issued otherCa;
    private Path trustedCaFile;
    private Path otherCaFile;
    private TestTlsServer server;

    /** The engine under test: BoringSSL, which must load on linux-x86_64. */
    TlsEngine engine() {
        TlsTestSupport.assumeOpenSslBundledOrAvailable();
        TlsEngine engine = TlsEngine.fromSystem();
        assertTrue(engine.isOpenSsl(), engine.description());
        return engine;
    }

    /** A key pair with its certificate. */
    record Issued(KeyPair keys, X509Certificate certificate) {
    }

    @BeforeEach
    void setUp() throws Exception {
        serverFiles = SelfSignedCertificates.ensure(List.of("127.0.0.1"), temp.resolve("server"));
        trustedCa = ca("Clients CA");
        otherCa = ca("Other CA");
        trustedCaFile = Files.writeString(temp.resolve("clients-ca.pem"), PemOutput.certificates(List.of(trustedCa.certificate())));
        otherCaFile = Files.writeString(temp.resolve("other-ca.pem"), PemOutput.certificates(List.of(otherCa.certificate())));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start(List<Path> clientCaFiles) throws Exception {
        // Duration.ZERO: look at the files on every connection, so the rotation test need not wait.
        ReloadingSslContext tls = ReloadingSslContext.open(serverFiles.certificate(), serverFiles.key(), clientCaFiles,
                "tls1.2", engine(), Duration.ZERO, System::nanoTime);
        assertEquals(!clientCaFiles.isEmpty(), tls.requiresClientCertificates());
        server = new TestTlsServer(tls);
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void certificateFromTheConfiguredCaIsAccepted(String protocol) throws Exception {
        start(List.of(trustedCaFile));
        Issued alice = client("alice", trustedCa);

        assertEquals("ok h2", get(alice, protocol, HttpClient.Version.HTTP_2));
        assertEquals("ok http/1.1", get(alice, protocol, HttpClient.Version.HTTP_1_1));
        assertEquals(2, server.requests.size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void connectionsWithoutAnAcceptedCertificateFailTheHandshake(String protocol) throws Exception {
        start(List.of(trustedCaFile));
        Issued mallory = client("mallory", otherCa);
        Issued selfSigned = ca("self-signed client");

        for (HttpClient.Version version : HttpClient.Version.values()) {
            assertRefused(null, protocol, version);
            assertRefused(mallory, protocol, version);
            assertRefused(selfSigned, protocol, version);
        }
        assertEquals(List.of(), server.requests, "no request reached the handler");
    }

    @Test
    void everyListedCaIsAccepted() throws Exception {
        start(List.of(trustedCaFile, otherCaFile));

        assertEquals("ok h2", get(client("alice", trustedCa), "TLSv1.3", HttpClient.Version.HTTP_2));
        assertEquals("ok h2", get(client("bob", otherCa), "TLSv1.3", HttpClient.Version.HTTP_2));
    }

    @Test
    void aBundleFileHoldsSeveralCas() throws Exception {
        Path bundle = Files.writeString(temp.resolve("bundle.pem"),
                PemOutput.certificates(List.of(trustedCa.certificate(), otherCa.certificate())));
        start(List.of(bundle));

        assertEquals("ok h2", get(client("alice", trustedCa), "TLSv1.3", HttpClient.Version.HTTP_2));
        assertEquals("ok h2", get(client("bob", otherCa), "TLSv1.3", HttpClient.Version.HTTP_2));
    }

    @Test
    void withoutClientCasNoCertificateIsAsked() throws Exception {
        start(List.of());

        assertEquals("ok h2", get(null, "TLSv1.3", HttpClient.Version.HTTP_2));
    }

    @Test
    void aReplacedCaFileIsUsedWithoutARestart() throws Exception {
        start(List.of(trustedCaFile));
        Issued alice = client("alice", trustedCa);
        Issued bob = client("bob", otherCa);
        assertEquals("ok h2", get(alice, "TLSv1.3", HttpClient.Version.HTTP_2));
        assertRefused(bob, "TLSv1.3", HttpClient.Version.HTTP_2);

        // Replaced by renaming, as Kubernetes and cert-manager do; the size differs from the old file.
        Path next = Files.writeString(temp.resolve("next.pem"), "# rotated\n" + PemOutput.certificates(List.of(otherCa.certificate())));
        Files.move(next, trustedCaFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        assertEquals("ok h2", get(bob, "TLSv1.3", HttpClient.Version.HTTP_2));
        assertRefused(alice, "TLSv1.3", HttpClient.Version.HTTP_2);
    }

    @Test
    void aCaFileThatBreaksLaterKeepsTheLoadedCas() throws Exception {
        start(List.of(trustedCaFile));
        Issued alice = client("alice", trustedCa);

        Files.writeString(trustedCaFile, "half written");

        assertEquals("ok h2", get(alice, "TLSv1.3", HttpClient.Version.HTTP_2), "the previous CAs stay in force");
        assertRefused(null, "TLSv1.3", HttpClient.Version.HTTP_2);
    }

    @Test
    void unusableCaFilesAreStartupErrorsNamingTheKey() throws Exception {
        TlsConfig base = new TlsConfig(serverFiles.certificate(), serverFiles.key(), null, "tls1.2");
        Path notPem = Files.writeString(temp.resolve("not-pem.crt"), "hello");
        Path empty = Files.writeString(temp.resolve("empty.pem"), "");
        Path keyOnly = Files.writeString(temp.resolve("key-only.pem"), Files.readString(serverFiles.key()));
        Path missing = temp.resolve("missing.pem");

        assertEquals("http.tls.clientcas (REGISTRY_HTTP_TLS_CLIENTCAS): client CA file " + notPem + " is not PEM (no "
                + "'-----BEGIN CERTIFICATE-----' block): give the PEM certificates of the CAs that issue client certificates.",
                openFailure(base, trustedCaFile, notPem));
        assertEquals("http.tls.clientcas (REGISTRY_HTTP_TLS_CLIENTCAS): client CA file " + empty + " is empty: give the PEM "
                + "certificates of the CAs that issue client certificates.", openFailure(base, empty));
        assertEquals("http.tls.clientcas (REGISTRY_HTTP_TLS_CLIENTCAS): client CA file " + keyOnly + " holds no CERTIFICATE "
                + "PEM block: give the PEM certificates of the CAs that issue client certificates.", openFailure(base, keyOnly));
        assertEquals("http.tls.clientcas (REGISTRY_HTTP_TLS_CLIENTCAS): client CA file " + missing + " does not exist: "
                + "check the path.", openFailure(base, missing));
    }

    private static String openFailure(TlsConfig base, Path... clientCas) {
        TlsConfig config = new TlsConfig(base.certificate(), base.key(), null, base.minimumVersion(), List.of(clientCas));
        String message = assertThrows(ConfigException.class, () -> ServerTls.open(config)).getMessage();
        assertTrue(message.endsWith(".") && !message.contains("\n"), message);
        return message;
    }

    // ---- clients -----------------------------------------------------------------------------------

    /** GET /v2/ presenting {@code identity} (none when null); returns the start of the echo. */
    private String get(Issued identity, String protocol, HttpClient.Version version) throws Exception {
        try (HttpClient client = client(identity, protocol, version)) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + server.port() + "/v2/")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertEquals(version, response.version());
            String body = response.body();
            return body.substring(0, body.indexOf(" host="));
        }
    }

    /**
     * An SSLException anywhere in the chain, or the connection closed, reset or broken under the request
     * (TLS 1.3: the server's alert and close can arrive after the client's side of the handshake is
     * done, and the JDK client then reports a closed connection, sometimes as a bare IOException);
     * never a timeout.
     */
    private static boolean isDroppedByTls(IOException refused) {
        if (refused instanceof java.net.http.HttpTimeoutException) {
            return false;
        }
        for (Throwable t = refused; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (t instanceof javax.net.ssl.SSLException || message.contains("closed") || message.contains("reset")
                    || message.contains("Broken pipe") || message.contains("EOF") || message.contains("no bytes")) {
                return true;
            }
        }
        return refused.getClass() == IOException.class && refused.getMessage() == null;
    }

    private void assertRefused(Issued identity, String protocol, HttpClient.Version version) throws Exception {
        try (HttpClient client = client(identity, protocol, version)) {
            // TLS 1.2 fails in the handshake; with TLS 1.3 the client may finish its side first and
            // then read the server's certificate_required / bad_certificate alert instead of a response.
            IOException refused = assertThrows(IOException.class, () -> client.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + server.port() + "/v2/")).build(), HttpResponse.BodyHandlers.ofString()),
                    () -> (identity == null ? "no certificate" : identity.certificate().getSubjectX500Principal().getName())
                            + " over " + protocol + " " + version);
            assertTrue(isDroppedByTls(refused), () -> "a TLS failure, not " + refused);
        }
    }

    private HttpClient client(Issued identity, String protocol, HttpClient.Version version) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("server-ca", TlsTestSupport.leaf(serverFiles.caCertificate()));
        TrustManagerFactory trustFactory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustFactory.init(trust);
        KeyManagerFactory keyFactory = null;
        if (identity != null) {
            char[] password = "test".toCharArray();
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", identity.keys().getPrivate(), password, new X509Certificate[] {identity.certificate()});
            keyFactory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyFactory.init(keys, password);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyFactory == null ? null : keyFactory.getKeyManagers(), trustFactory.getTrustManagers(), null);
        SSLParameters parameters = context.getDefaultSSLParameters();
        parameters.setProtocols(new String[] {protocol});
        return HttpClient.newBuilder().version(version).sslContext(context).sslParameters(parameters)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    // ---- certificates ------------------------------------------------------------------------------

    private static Issued ca(String name) {
        KeyPair keys = CertificateIssuer.newKeyPair();
        return new Issued(keys, CertificateIssuer.newCa(keys, name, Instant.now()));
    }

    /** A client certificate as an enterprise CA issues one: CA:false, digitalSignature, clientAuth. */
    private static Issued client(String name, Issued ca) throws Exception {
        KeyPair keys = CertificateIssuer.newKeyPair();
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca.certificate(), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(3600)), Date.from(now.plus(Duration.ofDays(1))), new X500Name("CN=" + name),
                keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.keys().getPrivate())));
        return new Issued(keys, certificate);
    }
}
