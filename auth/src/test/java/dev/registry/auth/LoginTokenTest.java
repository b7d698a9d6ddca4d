package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LoginTokenTest {
    private static final Instant NOW = Instant.parse("2026-12-03T19:50:00Z");

    private static LoginToken.Issued issue() {
        return LoginToken.generate("alice", "ci", NOW, null);
    }

    @Test
    void tokenHasThePrefixTheIdAndOnlyItsHashIsKept() throws Exception {
        LoginToken.Issued issued = issue();
        String text = issued.text();

        assertTrue(text.matches("regpat_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}"), text);
        assertEquals(LoginToken.LENGTH, text.length());
        assertEquals(issued.token().id(), text.substring(7, 19));
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII)),
                issued.token().sha256());
        assertFalse(issued.toString().contains(text.substring(20)), "the secret is never in toString");
        assertFalse(issued.token().toString().contains(text.substring(20)));
    }

    @Test
    void tokensAndIdsAreUnique() {
        Set<String> texts = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            LoginToken.Issued issued = issue();
            assertTrue(texts.add(issued.text()));
            assertTrue(ids.add(issued.token().id()));
        }
    }

    @Test
    void idIsReadOnlyFromAWellFormedTokenWithItsChecksum() {
        String text = issue().text();
        assertEquals(Optional.of(text.substring(7, 19)), LoginToken.idOf(text.toCharArray()));

        // one character of the secret changed: the checksum no longer matches
        char[] typo = text.toCharArray();
        typo[30] = typo[30] == 'a' ? 'b' : 'a';
        assertEquals(Optional.empty(), LoginToken.idOf(typo));
        // the checksum itself changed
        char[] badChecksum = text.toCharArray();
        badChecksum[badChecksum.length - 1] = badChecksum[badChecksum.length - 1] == '0' ? '1' : '0';
        assertEquals(Optional.empty(), LoginToken.idOf(badChecksum));

        for (String notToken : new String[] {"", "correct horse", text.substring(1), text + "x",
                "regpax_" + text.substring(7), text.replace('_', '-'), text.substring(0, 19) + "!" + text.substring(20)}) {
            assertEquals(Optional.empty(), LoginToken.idOf(notToken.toCharArray()), notToken);
        }
    }

    @Test
    void expiryIsExclusive() {
        LoginToken token = LoginToken.generate("alice", "", NOW, NOW.plusSeconds(60)).token();

        assertTrue(token.validAt(NOW.plusSeconds(59)));
        assertFalse(token.validAt(NOW.plusSeconds(60)));
        assertTrue(issue().token().validAt(Instant.MAX), "no expiry: valid for ever");
    }

    @Test
    void sha256OfTheCharsIsTheSha256OfTheText() {
        LoginToken.Issued issued = issue();

        assertTrue(issued.token().matches(LoginToken.sha256Of(issued.text().toCharArray())));
        assertFalse(issued.token().matches(LoginToken.sha256Of(issue().text().toCharArray())));
        assertNotEquals(issued.token(), issue().token());
    }
}
