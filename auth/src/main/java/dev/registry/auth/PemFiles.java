package dev.registry.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Reads and writes PEM certificates and keys. */
final class PemFiles {
    private PemFiles() {
    }

    /**
     * Every {@code CERTIFICATE} block of a PEM file; other blocks (keys, parameters) are skipped,
     * as registry:2 skips them in a root certificate bundle.
     */
    static List<X509Certificate> certificates(Path file) throws IOException {
        return certificates(Files.readString(file, StandardCharsets.US_ASCII));
    }

    static List<X509Certificate> certificates(String pem) throws IOException {
        List<X509Certificate> certificates = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object item;
            while ((item = parser.readObject()) != null) {
                if (item instanceof X509CertificateHolder holder) {
                    certificates.add(certificate(holder.getEncoded()));
                }
            }
        }
        return certificates;
    }

    static X509Certificate certificate(byte[] der) throws IOException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new IOException("not an X.509 certificate: " + e.getMessage(), e);
        }
    }

    /** The one private key of a PEM file, in PKCS#8 ({@code PRIVATE KEY}) or SEC 1 ({@code EC PRIVATE KEY}) form. */
    static PrivateKey privateKey(Reader pem) throws IOException {
        try (PEMParser parser = new PEMParser(pem)) {
            Object item;
            while ((item = parser.readObject()) != null) {
                JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
                if (item instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (item instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
            }
        }
        throw new IOException("it holds no unencrypted private key");
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
