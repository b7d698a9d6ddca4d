package dev.registry.server.tls;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * Creates the private CA and the server certificates it signs, with Bouncy Castle's certificate
 * builder on top of the JDK's own crypto providers (no global provider registration needed).
 *
 * <p>EC P-256 keys: accepted by every client we target (docker, podman, skopeo, curl, the JDK)
 * and much cheaper to handshake with than RSA.
 */
final class CertificateIssuer {
    /** How long a generated CA lasts; clients that trust it should not have to re-trust often. */
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    /** Apple's limit for certificates from private CAs; longer ones are rejected by macOS and iOS clients. */
    static final Duration SERVER_VALIDITY = Duration.ofDays(825);
    /** Backdating absorbs clock skew between this host and its clients right after generation. */
    private static final Duration BACKDATE = Duration.ofHours(1);

    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateIssuer() {
    }

    /** A fresh EC P-256 key pair. */
    static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot generate EC P-256 keys", e);
        }
    }

    /** A self-signed CA certificate for {@code keys}: CA:true (path length 0), keyCertSign and cRLSign. */
    static X509Certificate newCa(KeyPair keys, String commonName, Instant now) {
        X500Name subject = name(commonName);
        Instant notBefore = now.minus(BACKDATE);
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serialNumber(), Date.from(notBefore),
                Date.from(notBefore.plus(CA_VALIDITY)), subject, keys.getPublic());
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()));
            builder.addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(keys.getPublic()));
        } catch (CertIOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build CA certificate extensions", e);
        }
        return sign(builder, keys.getPrivate());
    }

    /**
     * A server certificate for {@code serverKey} signed by the CA: CA:false, digitalSignature
     * (plus keyEncipherment for RSA keys, which TLS 1.2 RSA key exchange needs), serverAuth, the
     * given subjectAltNames, and a lifetime capped by the CA's own.
     */
    static X509Certificate newServerCertificate(PublicKey serverKey, SubjectAltNames hosts, X509Certificate ca, PrivateKey caKey,
                                                Instant now) {
        Instant notBefore = now.minus(BACKDATE);
        Instant notAfter = notBefore.plus(SERVER_VALIDITY);
        if (notAfter.isAfter(ca.getNotAfter().toInstant())) {
            notAfter = ca.getNotAfter().toInstant();
        }
        X500Name subject = name(truncate(hosts.primaryHost()));
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca, serialNumber(), Date.from(notBefore),
                Date.from(notAfter), subject, serverKey);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            int usage = KeyUsage.digitalSignature | (serverKey.getAlgorithm().equals("RSA") ? KeyUsage.keyEncipherment : 0);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(hosts.names().toArray(GeneralName[]::new)));
            builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(serverKey));
            builder.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier(ca, extensions));
        } catch (CertIOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build server certificate extensions", e);
        }
        return sign(builder, caKey);
    }

    /** The CA's own subjectKeyIdentifier when it has one, so path builders link the two exactly. */
    private static AuthorityKeyIdentifier authorityKeyIdentifier(X509Certificate ca, JcaX509ExtensionUtils extensions) {
        byte[] encoded = ca.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (encoded != null) {
            byte[] keyId = ASN1OctetString.getInstance(ASN1OctetString.getInstance(encoded).getOctets()).getOctets();
            return new AuthorityKeyIdentifier(keyId);
        }
        return extensions.createAuthorityKeyIdentifier(ca.getPublicKey());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signingKey) {
        String algorithm = switch (signingKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> throw new IllegalArgumentException("cannot sign with a " + signingKey.getAlgorithm() + " CA key");
        };
        try {
            return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(signingKey)));
        } catch (OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("cannot sign certificate", e);
        }
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "OCI Registry").addRDN(BCStyle.CN, commonName).build();
    }

    /** X.520 caps commonName at 64 characters; the SANs carry the real names anyway. */
    static String truncate(String commonName) {
        return commonName.length() <= 64 ? commonName : commonName.substring(0, 64);
    }

    /** Random, positive, at most 16 bytes: unpredictable as the CA/Browser Forum asks, within RFC 5280's 20 octets. */
    private static BigInteger serialNumber() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }
}
