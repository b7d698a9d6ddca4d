package dev.registry.server.tls;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SelfSignedCertificatesTest {
    private static final List<String> HOSTS = List.of("registry.local", "127.0.0.1", "::1", "*.registry.local");

    @TempDir
    Path temp;

    @Test
    void generatesCaAndServerCertificateThatPkixValidates() throws Exception {
        Path directory = temp.resolve("tls/certs");
        SelfSignedCertificates.Result result = SelfSignedCertificates.ensure(HOSTS, directory);

        assertTrue(result.caGenerated());
        assertTrue(result.certificateGenerated());
        assertTrue(result.generated());
        assertEquals(directory.resolve("ca.crt"), result.caCertificate());
        assertEquals(directory.resolve("server.crt"), result.certificate());
        assertEquals(directory.resolve("server.key"), result.key());

        X509Certificate ca = PemFiles.readCertificates(result.caCertificate()).get(0);
        List<X509Certificate> chain = PemFiles.readCertificates(result.certificate());
        assertEquals(2, chain.size(), "server.crt holds the server certificate, then the CA");
        assertEquals(ca, chain.get(1));
        X509Certificate server = chain.get(0);

        // The JDK's PKIX validator, as any Java client would use it.
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        parameters.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(server)), parameters);
        assertEquals(result.notAfter(), server.getNotAfter().toInstant());
    }

    @Test
    void caHasCaExtensionsAndTenYearLifetime() throws Exception {
        SelfSignedCertificates.Result result = SelfSignedCertificates.ensure(HOSTS, temp);
        X509Certificate ca = PemFiles.readCertificates(result.caCertificate()).get(0);

        assertEquals(0, ca.getBasicConstraints(), "CA:true with path length 0");
        assertTrue(ca.getCriticalExtensionOIDs().contains(Extension.basicConstraints.getId()));
        assertTrue(ca.getCriticalExtensionOIDs().contains(Extension.keyUsage.getId()));
        boolean[] usage = ca.getKeyUsage();
        assertTrue(usage[5], "keyCertSign");
        assertTrue(usage[6], "cRLSign");
        assertFalse(usage[0], "no digitalSignature: the CA only signs certificates");
        assertTrue(ca.getSubjectX500Principal().getName().contains("CN=registry.local Registry CA"));
        assertEquals(ca.getSubjectX500Principal(), ca.getIssuerX500Principal());
        long days = Duration.between(ca.getNotBefore().toInstant(), ca.getNotAfter().toInstant()).toDays();
        assertEquals(3650, days);
        assertEquals("EC", ca.getPublicKey().getAlgorithm());
        assertEquals("SHA256withECDSA", ca.getSigAlgName());
        ca.verify(ca.getPublicKey());
    }

    @Test
    void serverCertificateHasSansUsageAndKeyIdentifiers() throws Exception {
        SelfSignedCertificates.Result result = SelfSignedCertificates.ensure(HOSTS, temp);
        X509Certificate ca = PemFiles.readCertificates(result.caCertificate()).get(0);
        X509Certificate server = TlsTestSupport.leaf(result.certificate());

        Set<String> dns = new HashSet<>();
        Set<InetAddress> ips = new HashSet<>();
        for (List<?> entry : server.getSubjectAlternativeNames()) {
            if ((Integer) entry.get(0) == 2) {
                dns.add((String) entry.get(1));
            } else if ((Integer) entry.get(0) == 7) {
                ips.add(InetAddress.getByName((String) entry.get(1)));
            }
        }
        assertEquals(Set.of("registry.local", "*.registry.local"), dns);
        assertEquals(Set.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1")), ips);

        assertEquals(-1, server.getBasicConstraints(), "CA:false");
        assertTrue(server.getCriticalExtensionOIDs().contains(Extension.basicConstraints.getId()));
        boolean[] usage = server.getKeyUsage();
        assertTrue(usage[0], "digitalSignature");
        assertFalse(usage[5], "not a CA");
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), server.getExtendedKeyUsage(), "serverAuth");
        assertTrue(server.getSerialNumber().signum() > 0);
        assertTrue(server.getSerialNumber().bitLength() <= 127);
        assertNotEquals(ca.getSerialNumber(), server.getSerialNumber());
        assertEquals("EC", server.getPublicKey().getAlgorithm());
        long days = Duration.between(server.getNotBefore().toInstant(), server.getNotAfter().toInstant()).toDays();
        assertTrue(days <= 825, "at most 825 days for Apple clients, was " + days);
        assertTrue(days >= 800);

        byte[] caKeyId = ASN1OctetString.getInstance(ASN1OctetString.getInstance(
                ca.getExtensionValue(Extension.subjectKeyIdentifier.getId())).getOctets()).getOctets();
        byte[] authorityKeyId = AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(
                server.getExtensionValue(Extension.authorityKeyIdentifier.getId())).getOctets()).getKeyIdentifier();
        assertArrayEquals(caKeyId, authorityKeyId);
        assertTrue(server.getExtensionValue(Extension.subjectKeyIdentifier.getId()) != null);
        assertTrue(server.getSubjectX500Principal().getName().contains("CN=registry.local"));
    }

    @Test
    void keysArePkcs8AndPrivate() throws Exception {
        Path directory = temp.resolve("new");
        SelfSignedCertificates.Result result = SelfSignedCertificates.ensure(HOSTS, directory);

        for (String key : List.of("ca.key", "server.key")) {
            Path file = directory.resolve(key);
            assertTrue(Files.readString(file).startsWith("-----BEGIN PRIVATE KEY-----"), key + " is PKCS#8");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), key);
        }
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(result.caCertificate())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(directory)));
        try (var files = Files.list(directory)) {
            assertEquals(Set.of("ca.crt", "ca.key", "server.crt", "server.key"),
                    new HashSet<>(files.map(path -> path.getFileName().toString()).toList()), "no temporary files left");
        }
        PemFiles.readCertifiedKey(result.certificate(), result.key());
    }

    @Test
    void reusesEverythingOnRestartWithSameHosts() throws Exception {
        SelfSignedCertificates.Result first = SelfSignedCertificates.ensure(HOSTS, temp);
        byte[] caBefore = Files.readAllBytes(first.caCertificate());
        byte[] serverBefore = Files.readAllBytes(first.certificate());
        byte[] keyBefore = Files.readAllBytes(first.key());

        // Same hosts, different order and spelling: still exactly the same set.
        SelfSignedCertificates.Result second = SelfSignedCertificates.ensure(
                List.of("[0:0:0:0:0:0:0:1]", "REGISTRY.local", "127.0.0.1", "*.registry.local", "registry.local"), temp);

        assertFalse(second.generated());
        assertArrayEquals(caBefore, Files.readAllBytes(second.caCertificate()));
        assertArrayEquals(serverBefore, Files.readAllBytes(second.certificate()));
        assertArrayEquals(keyBefore, Files.readAllBytes(second.key()));
    }

    @Test
    void changedHostsGetNewServerCertificateFromSameCa() throws Exception {
        SelfSignedCertificates.Result first = SelfSignedCertificates.ensure(HOSTS, temp);
        byte[] caBefore = Files.readAllBytes(first.caCertificate());
        byte[] caKeyBefore = Files.readAllBytes(temp.resolve("ca.key"));
        X509Certificate serverBefore = TlsTestSupport.leaf(first.certificate());

        SelfSignedCertificates.Result second = SelfSignedCertificates.ensure(List.of("registry.local", "10.0.0.5"), temp);

        assertFalse(second.caGenerated());
        assertTrue(second.certificateGenerated());
        assertArrayEquals(caBefore, Files.readAllBytes(second.caCertificate()), "clients trusting ca.crt keep working");
        assertArrayEquals(caKeyBefore, Files.readAllBytes(temp.resolve("ca.key")));
        X509Certificate serverAfter = TlsTestSupport.leaf(second.certificate());
        assertNotEquals(serverBefore.getSerialNumber(), serverAfter.getSerialNumber());
        assertNotEquals(serverBefore.getPublicKey(), serverAfter.getPublicKey());
        X509Certificate ca = PemFiles.readCertificates(second.caCertificate()).get(0);
        serverAfter.verify(ca.getPublicKey());
        assertTrue(SubjectAltNames.parse(List.of("10.0.0.5", "registry.local")).matchExactly(serverAfter));
        PemFiles.readCertifiedKey(second.certificate(), second.key());
    }

    @Test
    void serverCertificateNearExpiryIsRenewedFromSameCa() throws Exception {
        Instant start = Instant.parse("2030-01-01T00:00:00Z");
        SelfSignedCertificates.Result first = SelfSignedCertificates.ensure(HOSTS, temp, Clock.fixed(start, ZoneOffset.UTC));
        byte[] caBefore = Files.readAllBytes(first.caCertificate());

        Clock later = Clock.fixed(first.notAfter().minus(Duration.ofDays(29)), ZoneOffset.UTC);
        SelfSignedCertificates.Result renewed = SelfSignedCertificates.ensure(HOSTS, temp, later);

        assertFalse(renewed.caGenerated());
        assertTrue(renewed.certificateGenerated());
        assertTrue(renewed.notAfter().isAfter(first.notAfter()));
        assertArrayEquals(caBefore, Files.readAllBytes(renewed.caCertificate()));

        Clock notYet = Clock.fixed(first.notAfter().minus(Duration.ofDays(31)), ZoneOffset.UTC);
        assertFalse(SelfSignedCertificates.ensure(HOSTS, temp, notYet).generated(), "31 days left is still fine");
    }

    @Test
    void serverCertificateNeverOutlivesTheCa() throws Exception {
        Instant start = Instant.parse("2030-01-01T00:00:00Z");
        SelfSignedCertificates.ensure(HOSTS, temp, Clock.fixed(start, ZoneOffset.UTC));
        X509Certificate ca = PemFiles.readCertificates(temp.resolve("ca.crt")).get(0);
        Instant nearCaEnd = ca.getNotAfter().toInstant().minus(Duration.ofDays(100));

        SelfSignedCertificates.Result result = SelfSignedCertificates.ensure(List.of("other.local"), temp,
                Clock.fixed(nearCaEnd, ZoneOffset.UTC));

        assertFalse(result.caGenerated());
        assertEquals(ca.getNotAfter().toInstant(), result.notAfter());
    }

    @Test
    void caNearExpiryIsReplaced() throws Exception {
        Instant start = Instant.parse("2030-01-01T00:00:00Z");
        SelfSignedCertificates.Result first = SelfSignedCertificates.ensure(HOSTS, temp, Clock.fixed(start, ZoneOffset.UTC));
        X509Certificate ca = PemFiles.readCertificates(first.caCertificate()).get(0);

        SelfSignedCertificates.Result result = SelfSignedCertificates.ensure(HOSTS, temp,
                Clock.fixed(ca.getNotAfter().toInstant().minus(Duration.ofDays(10)), ZoneOffset.UTC));

        assertTrue(result.caGenerated());
        assertNotEquals(ca, PemFiles.readCertificates(result.caCertificate()).get(0));
    }

    @Test
    void serverCertificateFromAnotherCaOrDamagedIsReplaced() throws Exception {
        SelfSignedCertificates.Result first = SelfSignedCertificates.ensure(HOSTS, temp);
        Path other = temp.resolve("other");
        SelfSignedCertificates.ensure(HOSTS, other);
        Files.copy(other.resolve("server.crt"), first.certificate(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(other.resolve("server.key"), first.key(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        SelfSignedCertificates.Result result = SelfSignedCertificates.ensure(HOSTS, temp);
        assertTrue(result.certificateGenerated());
        assertFalse(result.caGenerated());
        TlsTestSupport.leaf(result.certificate()).verify(PemFiles.readCertificates(result.caCertificate()).get(0).getPublicKey());

        Files.writeString(result.key(), "garbage");
        assertTrue(SelfSignedCertificates.ensure(HOSTS, temp).certificateGenerated());
        Files.delete(result.certificate());
        assertTrue(SelfSignedCertificates.ensure(HOSTS, temp).certificateGenerated());
        PemFiles.readCertifiedKey(result.certificate(), result.key());
    }

    @Test
    void missingCaKeyIsAnErrorNotANewCa() throws Exception {
        SelfSignedCertificates.ensure(HOSTS, temp);
        Files.delete(temp.resolve("ca.key"));
        byte[] caBefore = Files.readAllBytes(temp.resolve("ca.crt"));

        // Same hosts: the server certificate is still good, so the CA key is not needed.
        assertFalse(SelfSignedCertificates.ensure(HOSTS, temp).generated());

        TlsFileException error = assertThrows(TlsFileException.class,
                () -> SelfSignedCertificates.ensure(List.of("elsewhere.local"), temp));
        assertTrue(error.getMessage().contains("ca.key"), error.getMessage());
        assertTrue(error.getMessage().contains("delete"), error.getMessage());
        assertArrayEquals(caBefore, Files.readAllBytes(temp.resolve("ca.crt")));
    }

    @Test
    void emptyHostsMeanLocalhost() throws Exception {
        SelfSignedCertificates.Result result = SelfSignedCertificates.ensure(List.of(), temp);
        assertTrue(SubjectAltNames.parse(List.of("localhost", "127.0.0.1", "::1")).matchExactly(TlsTestSupport.leaf(result.certificate())));
    }

    @Test
    void invalidHostIsRejectedBeforeWritingAnything() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> SelfSignedCertificates.ensure(List.of("registry.local:5000"), temp.resolve("never")));
        assertTrue(error.getMessage().contains("leave out the port"), error.getMessage());
        assertFalse(Files.exists(temp.resolve("never")));
    }

    @Test
    void dockerTrustCommandNamesCaFile() {
        SelfSignedCertificates.Result result = SelfSignedCertificates.ensure(HOSTS, temp);
        assertEquals("mkdir -p /etc/docker/certs.d/registry.local:5000 && cp " + temp.resolve("ca.crt").toAbsolutePath()
                + " /etc/docker/certs.d/registry.local:5000/ca.crt", result.dockerTrustCommand("registry.local:5000"));
    }

    @Test
    void validatesAtGenerationTimeEvenWhenClockIsInTheFuture() throws Exception {
        Instant future = Instant.parse("2031-06-01T00:00:00Z");
        SelfSignedCertificates.Result result = SelfSignedCertificates.ensure(HOSTS, temp, Clock.fixed(future, ZoneOffset.UTC));
        X509Certificate server = TlsTestSupport.leaf(result.certificate());
        server.checkValidity(Date.from(future));
        assertTrue(server.getNotBefore().toInstant().isBefore(future), "backdated for clock skew");
    }
}
