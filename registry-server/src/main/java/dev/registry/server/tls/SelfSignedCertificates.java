package dev.registry.server.tls;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Keeps a private CA and a server certificate signed by it in one directory, so a registry can
 * speak TLS with no certificate configured, and clients trust it once by installing
 * {@code ca.crt}.
 *
 * <p>Files: {@code ca.crt}, {@code ca.key}, {@code server.crt} (server certificate, then the CA)
 * and {@code server.key}; keys are PKCS#8 PEM with 0600 permissions. On each start the server
 * certificate is reused while it lists exactly the configured hosts, is more than
 * {@link #RENEW_BEFORE} from expiry and is signed by {@code ca.crt}; otherwise a new one is issued
 * from the same CA, so clients that already trust {@code ca.crt} keep working. A new CA is only
 * created when there is none (or it is about to expire itself).
 */
public final class SelfSignedCertificates {
    /** The CA certificate clients must trust. */
    public static final String CA_CERTIFICATE = "ca.crt";
    /** The CA's private key; never leaves the directory. */
    public static final String CA_KEY = "ca.key";
    /** The server's certificate chain: server certificate, then the CA. */
    public static final String SERVER_CERTIFICATE = "server.crt";
    /** The server certificate's private key. */
    public static final String SERVER_KEY = "server.key";
    /** Certificates closer than this to expiry are replaced at startup. */
    public static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private static final Logger log = LoggerFactory.getLogger(SelfSignedCertificates.class);

    /**
     * What {@link #ensure} found or made.
     *
     * @param caCertificate the CA certificate file clients must trust
     * @param certificate the server certificate chain file to serve
     * @param key the server key file
     * @param caGenerated whether a new CA was created (clients must trust the new {@code ca.crt})
     * @param certificateGenerated whether a new server certificate was issued
     * @param notAfter when the server certificate expires
     */
    public record Result(Path caCertificate, Path certificate, Path key, boolean caGenerated, boolean certificateGenerated,
                         Instant notAfter) {
        /** Whether anything was written. */
        public boolean generated() {
            return caGenerated || certificateGenerated;
        }

        /**
         * How to make Docker trust the CA, for the startup log.
         *
         * @param hostAndPort the address clients use, such as {@code registry.local:5000}
         */
        public String dockerTrustCommand(String hostAndPort) {
            return "mkdir -p /etc/docker/certs.d/" + hostAndPort + " && cp " + caCertificate.toAbsolutePath()
                    + " /etc/docker/certs.d/" + hostAndPort + "/ca.crt";
        }
    }

    private SelfSignedCertificates() {
    }

    /**
     * Makes sure {@code directory} holds a CA and a current server certificate for {@code hosts},
     * creating the directory (0700) if needed.
     *
     * @param hosts DNS names and IP literals clients use to reach the server; empty means
     *              {@code localhost}, {@code 127.0.0.1} and {@code ::1}
     * @throws IllegalArgumentException when a host is neither a DNS name nor an IP literal
     * @throws TlsFileException when the existing CA cannot be used and must be fixed or removed by hand
     * @throws UncheckedIOException when the directory cannot be written
     */
    public static Result ensure(List<String> hosts, Path directory) {
        return ensure(hosts, directory, Clock.systemUTC());
    }

    /** The CA key, which must be there to issue: replacing the CA silently would break every client that trusts it. */
    private static PrivateKey readCaKey(X509Certificate ca, Path caCertificateFile, Path caKeyFile) {
        try {
            PrivateKey caKey = PemFiles.readPrivateKey(caKeyFile);
            PemFiles.requireMatchingKey(ca, caCertificateFile, caKey, caKeyFile);
            return caKey;
        } catch (TlsFileException e) {
            throw new TlsFileException(caKeyFile, "cannot issue a server certificate from the self-signed CA "
                    + caCertificateFile + " because its key is unusable (" + e.getMessage() + "): restore " + caKeyFile
                    + ", or delete " + caCertificateFile + " to create a new CA that clients must trust again.", e);
        }
    }

    static Result ensure(List<String> hosts, Path directory, Clock clock) {
        SubjectAltNames names = SubjectAltNames.parse(hosts);
        Instant now = clock.instant();
        Path caCertificateFile = directory.resolve(CA_CERTIFICATE);
        Path caKeyFile = directory.resolve(CA_KEY);
        Path certificateFile = directory.resolve(SERVER_CERTIFICATE);
        Path keyFile = directory.resolve(SERVER_KEY);
        try {
            PrivateFiles.createDirectory(directory);
            X509Certificate ca = Files.exists(caCertificateFile) ? PemFiles.readCertificates(caCertificateFile).get(0) : null;
            if (ca != null && expiresSoon(ca, now)) {
                log.warn("self-signed CA {} expires on {}; creating a new CA, which clients must trust again", caCertificateFile,
                        ca.getNotAfter().toInstant());
                ca = null;
            }
            boolean caGenerated = false;
            PrivateKey caKey = null;
            if (ca == null) {
                KeyPair caKeys = CertificateIssuer.newKeyPair();
                ca = CertificateIssuer.newCa(caKeys, CertificateIssuer.truncate(names.primaryHost() + " Registry CA"), now);
                caKey = caKeys.getPrivate();
                // Key first: a crash in between leaves a key without certificate, which the next start replaces.
                PrivateFiles.write(caKeyFile, PemOutput.pkcs8(caKey), true);
                PrivateFiles.write(caCertificateFile, PemOutput.certificates(List.of(ca)), false);
                caGenerated = true;
            } else {
                X509Certificate reusable = reusableServerCertificate(ca, names, certificateFile, keyFile, now);
                if (reusable != null) {
                    return new Result(caCertificateFile, certificateFile, keyFile, false, false, reusable.getNotAfter().toInstant());
                }
                caKey = readCaKey(ca, caCertificateFile, caKeyFile);
            }
            KeyPair serverKeys = CertificateIssuer.newKeyPair();
            X509Certificate server = CertificateIssuer.newServerCertificate(serverKeys.getPublic(), names, ca, caKey, now);
            PrivateFiles.write(keyFile, PemOutput.pkcs8(serverKeys.getPrivate()), true);
            PrivateFiles.write(certificateFile, PemOutput.certificates(List.of(server, ca)), false);
            log.info("issued self-signed server certificate {} for {} (expires {})", certificateFile, String.join(", ", names.hosts()), server.getNotAfter().toInstant());
            return new Result(caCertificateFile, certificateFile, keyFile, caGenerated, true, server.getNotAfter().toInstant());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep TLS certificates in " + directory + " (" + describe(e) + ")", e);
        }
    }

    /**
     * The existing server certificate when it can be served again, else {@code null}. Anything
     * wrong with the server files only means a new certificate: they are ours to replace.
     */
    private static X509Certificate reusableServerCertificate(X509Certificate ca, SubjectAltNames names, Path certificateFile,
                                                             Path keyFile, Instant now) {
        if (!Files.exists(certificateFile) || !Files.exists(keyFile)) {
            return null;
        }
        X509Certificate server;
        try {
            server = PemFiles.readCertificates(certificateFile).get(0);
            PemFiles.requireMatchingKey(server, certificateFile, PemFiles.readPrivateKey(keyFile), keyFile);
        } catch (TlsFileException e) {
            log.info("replacing self-signed server certificate: {}", e.getMessage());
            return null;
        }
        if (!names.matchExactly(server)) {
            log.info("replacing self-signed server certificate {}: the configured hosts changed", certificateFile);
            return null;
        }
        if (expiresSoon(server, now)) {
            log.info("replacing self-signed server certificate {}: it expires on {}", certificateFile, server.getNotAfter().toInstant());
            return null;
        }
        if (!signedBy(server, ca)) {
            log.info("replacing self-signed server certificate {}: it was not issued by {}", certificateFile, CA_CERTIFICATE);
            return null;
        }
        return server;
    }

    private static String describe(IOException e) {
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            return e.getMessage() + " exists and is not a directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied on " + e.getMessage();
        }
        return e.toString();
    }

    private static boolean expiresSoon(X509Certificate certificate, Instant now) {
        return certificate.getNotAfter().toInstant().isBefore(now.plus(RENEW_BEFORE));
    }

    private static boolean signedBy(X509Certificate certificate, X509Certificate ca) {
        if (!certificate.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
            return false;
        }
        try {
            certificate.verify(ca.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
