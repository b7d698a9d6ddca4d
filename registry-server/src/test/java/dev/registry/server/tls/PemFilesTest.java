package dev.registry.server.tls;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.util.io.pem.PemObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PemFilesTest {
    @TempDir
    Path temp;

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static X509Certificate certificateFor(KeyPair keys) {
        return CertificateIssuer.newCa(keys, "test", Instant.now());
    }

    private Path certificateFile(X509Certificate... chain) throws IOException {
        Path file = temp.resolve("cert.pem");
        Files.writeString(file, PemOutput.certificates(List.of(chain)));
        return file;
    }

    @Test
    void readsPkcs8EcKey() throws Exception {
        KeyPair keys = CertificateIssuer.newKeyPair();
        Path key = temp.resolve("key.pem");
        Files.writeString(key, PemOutput.pkcs8(keys.getPrivate()));
        assertTrue(Files.readString(key).contains("BEGIN PRIVATE KEY"));

        CertifiedKey loaded = PemFiles.readCertifiedKey(certificateFile(certificateFor(keys)), key);
        assertEquals(keys.getPrivate(), loaded.key());
    }

    @Test
    void readsSec1EcKey() throws Exception {
        KeyPair keys = CertificateIssuer.newKeyPair();
        Path key = temp.resolve("key.pem");
        // SEC1 with the curve named but without the optional public key (OpenSSL's own keys, with it, are tested below).
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
        java.math.BigInteger secret = ((java.security.interfaces.ECPrivateKey) keys.getPrivate()).getS();
        ECPrivateKey sec1 = new ECPrivateKey(256, secret, info.getPrivateKeyAlgorithm().getParameters());
        TlsTestSupport.writePem(key, new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
        assertTrue(Files.readString(key).contains("BEGIN EC PRIVATE KEY"));

        PrivateKey loaded = PemFiles.readPrivateKey(key);
        assertEquals("EC", loaded.getAlgorithm());
        PemFiles.requireMatchingKey(certificateFor(keys), temp.resolve("cert.pem"), loaded, key);
    }

    @Test
    void readsPkcs1AndPkcs8RsaKeys() throws Exception {
        KeyPair keys = rsa();
        X509Certificate certificate = certificateFor(keys);
        Path pkcs1 = temp.resolve("rsa1.pem");
        TlsTestSupport.writePem(pkcs1, keys.getPrivate());
        assertTrue(Files.readString(pkcs1).contains("BEGIN RSA PRIVATE KEY"));
        Path pkcs8 = temp.resolve("rsa8.pem");
        Files.writeString(pkcs8, PemOutput.pkcs8(keys.getPrivate()));

        Path cert = certificateFile(certificate);
        assertEquals("RSA", PemFiles.readCertifiedKey(cert, pkcs1).key().getAlgorithm());
        assertEquals("RSA", PemFiles.readCertifiedKey(cert, pkcs8).key().getAlgorithm());
    }

    @Test
    void readsKeysMadeByOpenssl() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl not installed");
        // 'ecparam -genkey' writes an EC PARAMETERS block before the SEC1 key.
        Path ecKey = temp.resolve("ec.key");
        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", ecKey.toString());
        assertTrue(Files.readString(ecKey).contains("BEGIN EC PARAMETERS"));
        Path ecCert = temp.resolve("ec.crt");
        run("openssl", "req", "-x509", "-new", "-key", ecKey.toString(), "-subj", "/CN=ec", "-days", "2", "-out", ecCert.toString());
        PemFiles.readCertifiedKey(ecCert, ecKey);

        Path rsaKey = temp.resolve("rsa.key");
        Path rsaCert = temp.resolve("rsa.crt");
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", rsaKey.toString(), "-subj", "/CN=rsa",
                "-days", "2", "-out", rsaCert.toString());
        PemFiles.readCertifiedKey(rsaCert, rsaKey);

        Path edKey = temp.resolve("ed.key");
        Path edCert = temp.resolve("ed.crt");
        run("openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", edKey.toString(), "-subj", "/CN=ed",
                "-days", "2", "-out", edCert.toString());
        PemFiles.readCertifiedKey(edCert, edKey);

        Path encrypted = temp.resolve("encrypted.key");
        run("openssl", "pkcs8", "-topk8", "-in", ecKey.toString(), "-passout", "pass:secret", "-out", encrypted.toString());
        TlsFileException error = assertThrows(TlsFileException.class, () -> PemFiles.readPrivateKey(encrypted));
        assertTrue(error.getMessage().contains("encrypted"), error.getMessage());
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + output);
    }

    @Test
    void keepsChainOrderAndSkipsBundledKey() throws Exception {
        KeyPair a = CertificateIssuer.newKeyPair();
        KeyPair b = CertificateIssuer.newKeyPair();
        X509Certificate first = certificateFor(a);
        X509Certificate second = certificateFor(b);
        Path file = temp.resolve("bundle.pem");
        Files.writeString(file, PemOutput.certificates(List.of(first, second)) + PemOutput.pkcs8(a.getPrivate()));

        assertEquals(List.of(first, second), PemFiles.readCertificates(file));
        assertEquals(a.getPrivate(), PemFiles.readPrivateKey(file), "a key file may bundle the certificate too");
        assertEquals(first, PemFiles.readCertifiedKey(file, file).leaf());
    }

    @Test
    void mismatchedKeyNamesBothFiles() throws Exception {
        Path cert = certificateFile(certificateFor(CertificateIssuer.newKeyPair()));
        Path key = temp.resolve("other.key");
        Files.writeString(key, PemOutput.pkcs8(CertificateIssuer.newKeyPair().getPrivate()));

        TlsFileException error = assertThrows(TlsFileException.class, () -> PemFiles.readCertifiedKey(cert, key));
        assertEquals(key, error.file());
        assertEquals("TLS key file " + key + " does not match the public key of the certificate in " + cert
                + ": give the key the certificate was issued for.", error.getMessage());
    }

    @Test
    void keyOfAnotherAlgorithmIsNamed() throws Exception {
        Path cert = certificateFile(certificateFor(CertificateIssuer.newKeyPair()));
        Path key = temp.resolve("rsa.key");
        Files.writeString(key, PemOutput.pkcs8(rsa().getPrivate()));

        TlsFileException error = assertThrows(TlsFileException.class, () -> PemFiles.readCertifiedKey(cert, key));
        assertTrue(error.getMessage().contains("holds a RSA key but the certificate in " + cert + " is for a EC key"),
                error.getMessage());
    }

    @Test
    void missingEmptyAndNonPemFilesAreExplained() throws Exception {
        Path missing = temp.resolve("missing.pem");
        assertEquals("TLS certificate file " + missing + " does not exist: check the path.",
                assertThrows(TlsFileException.class, () -> PemFiles.readCertificates(missing)).getMessage());
        assertEquals("TLS key file " + missing + " does not exist: check the path.",
                assertThrows(TlsFileException.class, () -> PemFiles.readPrivateKey(missing)).getMessage());

        Path empty = Files.writeString(temp.resolve("empty.pem"), "\n");
        assertTrue(assertThrows(TlsFileException.class, () -> PemFiles.readCertificates(empty)).getMessage().contains("is empty"));

        Path text = Files.writeString(temp.resolve("text.pem"), "hello world\n");
        String notPem = assertThrows(TlsFileException.class, () -> PemFiles.readCertificates(text)).getMessage();
        assertEquals("TLS certificate file " + text + " is not PEM (no '-----BEGIN CERTIFICATE-----' block): give a PEM"
                + " certificate chain (server certificate first).", notPem);

        Path der = temp.resolve("cert.der");
        Files.write(der, certificateFor(CertificateIssuer.newKeyPair()).getEncoded());
        assertTrue(assertThrows(TlsFileException.class, () -> PemFiles.readCertificates(der)).getMessage().contains("binary DER"));

        // A key file given where the certificate belongs, and the other way round.
        Path keyOnly = Files.writeString(temp.resolve("key.pem"), PemOutput.pkcs8(CertificateIssuer.newKeyPair().getPrivate()));
        assertTrue(assertThrows(TlsFileException.class, () -> PemFiles.readCertificates(keyOnly)).getMessage()
                .contains("holds no CERTIFICATE PEM block"));
        Path certOnly = certificateFile(certificateFor(CertificateIssuer.newKeyPair()));
        assertTrue(assertThrows(TlsFileException.class, () -> PemFiles.readPrivateKey(certOnly)).getMessage()
                .contains("holds no PRIVATE KEY PEM block"));

        Path damaged = Files.writeString(temp.resolve("damaged.pem"),
                "-----BEGIN CERTIFICATE-----\nAAAA!!!!\n-----END CERTIFICATE-----\n");
        assertTrue(assertThrows(TlsFileException.class, () -> PemFiles.readCertificates(damaged)).getMessage()
                .contains("damaged PEM block"));
    }

    @Test
    void bcEncryptedKeyIsExplained() throws Exception {
        Path key = temp.resolve("encrypted.pem");
        KeyPair keys = CertificateIssuer.newKeyPair();
        TlsTestSupport.writePem(key, new JcaMiscPEMGenerator(keys.getPrivate(),
                new JcePEMEncryptorBuilder("AES-256-CBC").setProvider(new BouncyCastleProvider()).build("secret".toCharArray())));

        TlsFileException error = assertThrows(TlsFileException.class, () -> PemFiles.readPrivateKey(key));
        assertTrue(error.getMessage().startsWith("TLS key file " + key + " is encrypted with a passphrase"), error.getMessage());
    }

    @Test
    void expiredCertificateIsOnlyAWarning() throws Exception {
        KeyPair keys = CertificateIssuer.newKeyPair();
        Path cert = certificateFile(certificateFor(keys));
        Path key = Files.writeString(temp.resolve("key.pem"), PemOutput.pkcs8(keys.getPrivate()));
        Logger logger = (Logger) LoggerFactory.getLogger(PemFiles.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        try {
            Clock afterExpiry = Clock.fixed(Instant.now().plus(java.time.Duration.ofDays(4000)), ZoneOffset.UTC);
            PemFiles.readCertifiedKey(cert, key, afterExpiry);
        } finally {
            logger.detachAppender(events);
        }
        assertEquals(1, events.list.size());
        assertEquals(Level.WARN, events.list.get(0).getLevel());
        assertTrue(events.list.get(0).getFormattedMessage().contains("expired"), events.list.get(0).getFormattedMessage());
    }
}
