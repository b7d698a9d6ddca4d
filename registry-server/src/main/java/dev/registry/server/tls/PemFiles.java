package dev.registry.server.tls;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads PEM certificate chains and private keys (PKCS#8 {@code PRIVATE KEY}, PKCS#1
 * {@code RSA PRIVATE KEY}, SEC1 {@code EC PRIVATE KEY}) with errors that name the file and the
 * problem, because these files come from operators and cert-manager, not from us.
 */
public final class PemFiles {
    private static final Logger log = LoggerFactory.getLogger(PemFiles.class);

    private PemFiles() {
    }

    /**
     * Reads a server certificate chain and its key and checks that they belong together.
     * An expired or not yet valid leaf certificate is only logged: refusing to start would not
     * help the operator who is about to replace it.
     *
     * @throws TlsFileException naming the file when either cannot be used
     */
    public static CertifiedKey readCertifiedKey(Path certificateFile, Path keyFile) {
        return readCertifiedKey(certificateFile, keyFile, Clock.systemUTC());
    }

    static CertifiedKey readCertifiedKey(Path certificateFile, Path keyFile, Clock clock) {
        List<X509Certificate> chain = readCertificates(certificateFile);
        PrivateKey key = readPrivateKey(keyFile);
        requireMatchingKey(chain.get(0), certificateFile, key, keyFile);
        warnIfNotCurrentlyValid(chain.get(0), certificateFile, clock.instant());
        return new CertifiedKey(chain, key);
    }

    /**
     * Reads every certificate in a PEM file, in file order; other PEM blocks (a key bundled in the
     * same file) are skipped.
     *
     * @throws TlsFileException when the file is missing, unreadable or holds no certificate
     */
    public static List<X509Certificate> readCertificates(Path file) {
        return readCertificates(file, "TLS certificate file ", "a PEM certificate chain (server certificate first)");
    }

    /**
     * Reads the CA certificates of a {@code http.tls.clientcas} file: every certificate in it, in
     * file order, each of which becomes a trust anchor for client certificates.
     *
     * @throws TlsFileException when the file is missing, unreadable or holds no certificate
     */
    public static List<X509Certificate> readCaCertificates(Path file) {
        return readCertificates(file, "client CA file ", "the PEM certificates of the CAs that issue client certificates");
    }

    private static List<X509Certificate> readCertificates(Path file, String kind, String expected) {
        String text = readText(file, kind);
        List<X509Certificate> certificates = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object object;
            while ((object = parser.readObject()) != null) {
                if (object instanceof X509CertificateHolder holder) {
                    certificates.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new TlsFileException(file, kind + file + " holds a damaged PEM block (" + reason(e)
                    + "): replace it with " + expected + ".", e);
        }
        if (certificates.isEmpty()) {
            throw new TlsFileException(file, kind + file + " " + notPemHint(text, "CERTIFICATE")
                    + ": give " + expected + ".");
        }
        return certificates;
    }

    /**
     * Reads the first private key in a PEM file.
     *
     * @throws TlsFileException when the file is missing, unreadable, encrypted or holds no key
     */
    public static PrivateKey readPrivateKey(Path file) {
        String text = readText(file, "TLS key file ");
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object object;
            while ((object = parser.readObject()) != null) {
                if (object instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (object instanceof PEMKeyPair pair) {
                    // Only the private half: SEC1 keys may omit the public key, which getKeyPair() requires.
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (object instanceof PEMEncryptedKeyPair || object instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new TlsFileException(file, "TLS key file " + file + " is encrypted with a passphrase: decrypt it"
                            + " (openssl pkey -in KEY -out KEY.plain) and give the unencrypted key.");
                }
                // Anything else (EC PARAMETERS before an EC key, a certificate bundled alongside) is not the key.
                if (!(object instanceof ASN1ObjectIdentifier || object instanceof X509CertificateHolder)) {
                    log.debug("{}: skipping PEM object {}", file, object.getClass().getSimpleName());
                }
            }
        } catch (TlsFileException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new TlsFileException(file, "TLS key file " + file + " holds a damaged or unsupported private key ("
                    + reason(e) + "): give an unencrypted PKCS#8, PKCS#1 RSA or SEC1 EC key in PEM.", e);
        }
        throw new TlsFileException(file, "TLS key file " + file + " " + notPemHint(text, "PRIVATE KEY")
                + ": give an unencrypted PKCS#8, PKCS#1 RSA or SEC1 EC key in PEM.");
    }

    /**
     * Checks that {@code key} is the private half of the certificate's public key by signing and
     * verifying a random challenge, which works the same for RSA, EC and EdDSA keys.
     *
     * @throws TlsFileException naming the key file when they do not match
     */
    public static void requireMatchingKey(X509Certificate certificate, Path certificateFile, PrivateKey key, Path keyFile) {
        PublicKey publicKey = certificate.getPublicKey();
        if (!publicKey.getAlgorithm().equals(key.getAlgorithm())) {
            throw new TlsFileException(keyFile, "TLS key file " + keyFile + " holds a " + key.getAlgorithm()
                    + " key but the certificate in " + certificateFile + " is for a " + publicKey.getAlgorithm()
                    + " key: give the key the certificate was issued for.");
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> key.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            return; // Unusual key type: leave the verdict to the TLS handshake.
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            log.debug("key check for {} failed", keyFile, e);
        }
        throw new TlsFileException(keyFile, "TLS key file " + keyFile + " does not match the public key of the certificate in "
                + certificateFile + ": give the key the certificate was issued for.");
    }

    /** Logs, without failing, a leaf certificate that clients will reject because of its dates. */
    static void warnIfNotCurrentlyValid(X509Certificate certificate, Path file, Instant now) {
        if (certificate.getNotAfter().toInstant().isBefore(now)) {
            log.warn("TLS certificate in {} expired on {}: clients will refuse it until it is replaced", file,
                    certificate.getNotAfter().toInstant());
        } else if (certificate.getNotBefore().toInstant().isAfter(now)) {
            log.warn("TLS certificate in {} is not valid before {}: clients will refuse it until then (check the clock)", file,
                    certificate.getNotBefore().toInstant());
        }
    }

    private static String readText(Path file, String kind) {
        try {
            // ISO-8859-1 never fails to decode, so binary (DER) input reaches the "not PEM" hint below.
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new TlsFileException(file, kind + file + " does not exist: check the path.", e);
        } catch (AccessDeniedException e) {
            throw new TlsFileException(file, kind + file + " is not readable by this process: fix its permissions.", e);
        } catch (IOException e) {
            throw new TlsFileException(file, kind + file + " cannot be read (" + e.getMessage() + ").", e);
        }
    }

    private static String notPemHint(String text, String label) {
        if (text.isBlank()) {
            return "is empty";
        }
        if (!text.isEmpty() && text.charAt(0) == 0x30) {
            return "looks like binary DER, not PEM (convert it with openssl, e.g. 'openssl x509 -inform der' or 'openssl pkey -inform der')";
        }
        if (!text.contains("-----BEGIN ")) {
            return "is not PEM (no '-----BEGIN " + label + "-----' block)";
        }
        return "holds no " + label + " PEM block";
    }

    private static String reason(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
