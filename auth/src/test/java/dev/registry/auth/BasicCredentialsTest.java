package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class BasicCredentialsTest {
    private static String basic(String text) {
        return "Basic " + Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parsesUserAndPassword() {
        BasicCredentials credentials = BasicCredentials.parse(basic("alice:pass:with:colons")).orElseThrow();

        assertEquals("alice", credentials.user());
        assertArrayEquals("pass:with:colons".toCharArray(), credentials.password());
    }

    @Test
    void schemeIgnoresCaseAndPasswordMayBeUtf8OrEmpty() {
        assertArrayEquals("pässwörd".toCharArray(), BasicCredentials.parse("basic " + basic("u:pässwörd")
                .substring(6)).orElseThrow().password());
        assertArrayEquals(new char[0], BasicCredentials.parse(basic("u:")).orElseThrow().password());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bearer abc", "Basic", "Basic !!!", "Basic dXNlcg==", "Digest x", "Basic OnB3"})
    void malformedOrOtherSchemesAreEmpty(String header) {
        assertTrue(BasicCredentials.parse(header).isEmpty(), header);
    }

    @Test
    void invalidUtf8IsEmpty() {
        String header = "Basic " + Base64.getEncoder().encodeToString(new byte[] {'u', ':', (byte) 0xff});

        assertTrue(BasicCredentials.parse(header).isEmpty());
    }

    @Test
    void headerRoundTrips() {
        BasicCredentials credentials = new BasicCredentials("bob", "S3cr3t!".toCharArray());

        assertEquals(basic("bob:S3cr3t!"), credentials.header());
        assertEquals(credentials, BasicCredentials.parse(credentials.header()).orElseThrow());
    }

    @Test
    void passwordNeverAppearsInToStringAndCanBeCleared() {
        BasicCredentials credentials = new BasicCredentials("bob", "S3cr3t!".toCharArray());

        assertFalse(credentials.toString().contains("S3cr3t"));
        credentials.clear();
        assertArrayEquals(new char[7], credentials.password());
    }
}
