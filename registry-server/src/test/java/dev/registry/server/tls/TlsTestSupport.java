package dev.registry.server.tls;

import io.netty.handler.ssl.OpenSsl;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Shared helpers for the TLS tests. */
final class TlsTestSupport {
    private TlsTestSupport() {
    }

    /**
     * Skips a test on platforms whose BoringSSL library the server does not bundle; on
     * linux-x86_64, where it is bundled, it must load, so the test runs (and fails if it does not).
     */
    static void assumeOpenSslBundledOrAvailable() {
        boolean bundled = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                && List.of("amd64", "x86_64").contains(System.getProperty("os.arch", ""));
        assumeTrue(bundled || OpenSsl.isAvailable(), "BoringSSL is not bundled for this platform");
    }

    /** A client SSLContext trusting exactly the given CA certificates. */
    static SSLContext trusting(X509Certificate... cas) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        for (int i = 0; i < cas.length; i++) {
            trust.setCertificateEntry("ca" + i, cas[i]);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    /** A client SSLContext trusting the CA in a PEM file. */
    static SSLContext trusting(Path caFile) throws Exception {
        return trusting(PemFiles.readCertificates(caFile).get(0));
    }

    /** Writes objects as PEM the way Bouncy Castle's default generator does (PKCS#1/SEC1 for key pairs). */
    static void writePem(Path file, Object... objects) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            for (Object object : objects) {
                writer.writeObject(object);
            }
        }
        Files.writeString(file, text.toString());
    }

    static X509Certificate leaf(Path chainFile) {
        List<X509Certificate> chain = PemFiles.readCertificates(chainFile);
        return chain.get(0);
    }
}
