package dev.registry.e2e.auth;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;

/**
 * RSA key pairs and X.509 certificates for a test token issuer, made with the plain JDK: the JDK
 * has no public API to write certificates, so this writes the DER of RFC 5280's
 * {@code Certificate} itself (v3, SHA256withRSA, a {@code CN=} name, and for CAs the
 * {@code basicConstraints}/{@code keyUsage} extensions that PKIX path validation requires of
 * intermediates). The result is read back with {@link CertificateFactory}, so a malformed encoding
 * fails at once.
 */
final class Certificates {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
    private static final String COMMON_NAME = "2.5.4.3";
    private static final String KEY_USAGE = "2.5.29.15";
    private static final String BASIC_CONSTRAINTS = "2.5.29.19";
    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private Certificates() {
    }

    /** A key pair with its certificate. */
    record Issued(KeyPair keys, X509Certificate certificate) {
        /** The certificate as one PEM block. */
        String pem() {
            return Certificates.pem(certificate);
        }

        /** The certificate as an {@code x5c} entry: standard base64 (not base64url) of the DER. */
        String x5c() {
            try {
                return Base64.getEncoder().encodeToString(certificate.getEncoded());
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static KeyPair rsa(int bits) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(bits);
        return generator.generateKeyPair();
    }

    /** A self-signed certificate of {@code keys}, as {@code openssl req -x509 -newkey rsa:2048} makes one. */
    static Issued selfSigned(String commonName, KeyPair keys, boolean ca, Instant notBefore, Instant notAfter)
            throws GeneralSecurityException {
        return new Issued(keys, certificate(name(commonName), keys, name(commonName), keys, ca, notBefore, notAfter));
    }

    /** A certificate of {@code keys} signed by {@code issuer}. */
    static Issued issue(String commonName, KeyPair keys, Issued issuer, boolean ca, Instant notBefore, Instant notAfter)
            throws GeneralSecurityException {
        // the issuer's subject exactly as encoded, so that the names chain byte for byte
        byte[] issuerName = issuer.certificate().getSubjectX500Principal().getEncoded();
        return new Issued(keys, certificate(name(commonName), keys, issuerName, issuer.keys(), ca, notBefore,
                notAfter));
    }

    static String pem(X509Certificate certificate) {
        try {
            return "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(certificate.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An unencrypted PKCS#8 {@code PRIVATE KEY} block, as curl, OpenSSL and docker read client keys. */
    static String pem(java.security.PrivateKey key) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    private static X509Certificate certificate(byte[] subject, KeyPair subjectKeys, byte[] issuer, KeyPair issuerKeys,
                                               boolean ca, Instant notBefore, Instant notAfter)
            throws GeneralSecurityException {
        byte[] algorithm = sequence(oid(SHA256_WITH_RSA), new byte[] {0x05, 0x00});
        byte[] extensions = ca
                ? sequence(extension(BASIC_CONSTRAINTS, sequence(bool(true))),
                        extension(KEY_USAGE, keyUsage(0x06, 1))) // keyCertSign, cRLSign
                : sequence(extension(KEY_USAGE, keyUsage(0x80, 7))); // digitalSignature
        byte[] tbs = sequence(
                tagged(0xA0, integer(BigInteger.TWO)), // v3
                integer(new BigInteger(63, RANDOM).add(BigInteger.ONE)),
                algorithm,
                issuer,
                sequence(time(notBefore), time(notAfter)),
                subject,
                subjectKeys.getPublic().getEncoded(), // SubjectPublicKeyInfo, already DER
                tagged(0xA3, extensions));
        Signature signer = Signature.getInstance("SHA256withRSA");
        signer.initSign(issuerKeys.getPrivate());
        signer.update(tbs);
        byte[] der = sequence(tbs, algorithm, bitString(signer.sign(), 0));
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
    }

    // ---- DER ------------------------------------------------------------------------------------

    private static byte[] extension(String oid, byte[] value) {
        return sequence(oid(oid), bool(true), tagged(0x04, value)); // critical
    }

    private static byte[] keyUsage(int bits, int unusedBits) {
        return bitString(new byte[] {(byte) bits}, unusedBits);
    }

    private static byte[] name(String commonName) {
        return sequence(tagged(0x31, sequence(oid(COMMON_NAME),
                tagged(0x0C, commonName.getBytes(StandardCharsets.UTF_8)))));
    }

    private static byte[] time(Instant instant) {
        if (instant.atZone(ZoneOffset.UTC).getYear() >= 2050 || instant.atZone(ZoneOffset.UTC).getYear() < 1950) {
            throw new IllegalArgumentException("UTCTime covers 1950-2049 only: " + instant);
        }
        return tagged(0x17, UTC_TIME.format(instant).getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] bool(boolean value) {
        return new byte[] {0x01, 0x01, (byte) (value ? 0xFF : 0x00)};
    }

    private static byte[] integer(BigInteger value) {
        return tagged(0x02, value.toByteArray());
    }

    private static byte[] bitString(byte[] bits, int unusedBits) {
        byte[] content = new byte[bits.length + 1];
        content[0] = (byte) unusedBits;
        System.arraycopy(bits, 0, content, 1, bits.length);
        return tagged(0x03, content);
    }

    private static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Integer.parseInt(arcs[0]) * 40 + Integer.parseInt(arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            long arc = Long.parseLong(arcs[i]);
            int groups = 1;
            while ((arc >> (7 * groups)) != 0) {
                groups++;
            }
            for (int g = groups - 1; g >= 0; g--) {
                out.write((int) ((arc >> (7 * g)) & 0x7F) | (g > 0 ? 0x80 : 0));
            }
        }
        return tagged(0x06, out.toByteArray());
    }

    private static byte[] sequence(byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            content.writeBytes(part);
        }
        return tagged(0x30, content.toByteArray());
    }

    private static byte[] tagged(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(length >> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }
}
