package dev.registry.auth;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Keys and certificates for tests. */
final class Pki {
    static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    private static final AtomicLong SERIAL = new AtomicLong(1);

    private Pki() {
    }

    static KeyPair rsa() {
        return generate("RSA", 2048);
    }

    static KeyPair ec(String curve) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(curve));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair ed25519() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair generate(String algorithm, int bits) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            generator.initialize(bits);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A self-signed certificate valid a year around {@link #NOW}. */
    static X509Certificate selfSigned(String name, KeyPair keys, boolean ca) {
        return certificate(name, keys.getPublic(), name, keys.getPrivate(), NOW.minus(365, ChronoUnit.DAYS),
                NOW.plus(365, ChronoUnit.DAYS), ca);
    }

    /** A certificate for {@code subjectKey} issued by {@code issuerName}/{@code issuerKey}, valid around {@link #NOW}. */
    static X509Certificate issued(String name, PublicKey subjectKey, X509Certificate issuer, PrivateKey issuerKey,
            boolean ca) {
        return certificate(name, subjectKey, issuer.getSubjectX500Principal().getName(), issuerKey,
                NOW.minus(30, ChronoUnit.DAYS), NOW.plus(30, ChronoUnit.DAYS), ca);
    }

    static X509Certificate certificate(String subject, PublicKey subjectKey, String issuer, PrivateKey issuerKey,
            Instant notBefore, Instant notAfter, boolean ca) {
        try {
            X500Name subjectName = new X500Name(subject.contains("=") ? subject : "CN=" + subject);
            X500Name issuerName = new X500Name(issuer.contains("=") ? issuer : "CN=" + issuer);
            String algorithm = issuerKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            var builder = new JcaX509v3CertificateBuilder(issuerName, BigInteger.valueOf(SERIAL.getAndIncrement()),
                    Date.from(notBefore), Date.from(notAfter), subjectName, subjectKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign
                        | KeyUsage.digitalSignature));
            }
            return PemFiles.certificate(builder.build(new JcaContentSignerBuilder(algorithm).build(issuerKey))
                    .getEncoded());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String x5c(X509Certificate certificate) {
        try {
            return Base64.getEncoder().encodeToString(certificate.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String pem(X509Certificate... certificates) {
        StringBuilder pem = new StringBuilder();
        for (X509Certificate certificate : certificates) {
            try {
                pem.append(PemFiles.pem("CERTIFICATE", certificate.getEncoded()));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return pem.toString();
    }
}
