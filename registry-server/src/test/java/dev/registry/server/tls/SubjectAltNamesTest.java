package dev.registry.server.tls;

import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubjectAltNamesTest {
    @Test
    void dnsNamesAndIpLiteralsGetTheirOwnTypes() {
        SubjectAltNames names = SubjectAltNames.parse(List.of("Registry.Example.", "192.168.1.10", "[2001:db8::1]", "fe80::1",
                "*.example.com", "bücher.example"));
        assertEquals(List.of(GeneralName.dNSName, GeneralName.iPAddress, GeneralName.iPAddress, GeneralName.iPAddress,
                GeneralName.dNSName, GeneralName.dNSName), names.names().stream().map(GeneralName::getTagNo).toList());
        assertEquals(List.of("registry.example", "192.168.1.10", "2001:db8::1", "fe80::1", "*.example.com",
                "xn--bcher-kva.example"), names.hosts());
        assertEquals("registry.example", names.primaryHost());
    }

    @Test
    void duplicatesCollapseIncludingIpSpellings() {
        SubjectAltNames names = SubjectAltNames.parse(List.of("::1", "0:0:0:0:0:0:0:1", "[::1]", "LOCALHOST", "localhost"));
        assertEquals(List.of("::1", "localhost"), names.hosts());
        assertEquals("localhost", names.primaryHost(), "a DNS name is a better certificate subject than an address");
    }

    @Test
    void onlyIpAddressesUseTheFirstAsSubject() {
        assertEquals("10.1.2.3", SubjectAltNames.parse(List.of("10.1.2.3", "10.1.2.4")).primaryHost());
    }

    @Test
    void rejectsWhatIsNeitherNameNorAddress() {
        for (String bad : List.of("", " ", "registry.local:5000", "https://registry.local", "under_score.local", "-lead.local",
                "*.com", "a..b", "fe80::1%eth0", "x".repeat(64) + ".local")) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> SubjectAltNames.parse(List.of(bad)), bad);
            assertTrue(error.getMessage().startsWith("host '" + bad + "'"), error.getMessage());
        }
    }

    @Test
    void emptyOrMissingMeansLocalhost() {
        assertEquals(List.of("localhost", "127.0.0.1", "::1"), SubjectAltNames.parse(List.of()).hosts());
        assertEquals(List.of("localhost", "127.0.0.1", "::1"), SubjectAltNames.parse(null).hosts());
    }
}
