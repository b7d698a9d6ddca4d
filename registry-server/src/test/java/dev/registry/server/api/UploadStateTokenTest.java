package dev.registry.server.api;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class UploadStateTokenTest {
    private static final String UUID = "0f6b6c1e-4a3b-4c8e-9d2f-1a2b3c4d5e6f";
    private static final Instant STARTED = Instant.parse("2026-12-04T15:00:00.123Z");

    /**
     * The bytes registry:2 verifies: HMAC-SHA256 of the JSON under the secret, then the JSON, in
     * URL-safe base64 with padding. The expected token was computed with Python's hmac and base64
     * modules, not with this code (MixedFleetUploadE2ETest has registry:2 itself accept them).
     */
    @Test
    void tokenIsTheHmacThenTheJsonInUrlSafeBase64() {
        String token = new UploadStateToken("shared-secret").pack("team/app", UUID, 5_242_880, STARTED);

        assertEquals("pPEGfgvKyRcTKo7u0SMG9XoV6bxYKH4vAOEne72irUN7Ik5hbWUiOiJ0ZWFtL2FwcCIsIlVVSUQiOiIwZjZiNmMxZS00YTNiLTRjOGUtOWQyZi0x"
                + "YTJiM2M0ZDVlNmYiLCJPZmZzZXQiOjUyNDI4ODAsIlN0YXJ0ZWRBdCI6IjIwMjYtMTItMDRUMTU6MDA6MDAuMTIzWiJ9", token);
    }

    /** Go's URLEncoding pads: a token whose length is not a multiple of three ends in '='. */
    @Test
    void tokenKeepsBase64Padding() {
        String token = new UploadStateToken("shared-secret").pack("ab", UUID, 0, Instant.parse("2026-12-04T15:00:00Z"));

        assertEquals("3MyBBp8GAdfUh-EvkH4fewMs6WPBLvurP_Q8HRZKMTR7Ik5hbWUiOiJhYiIsIlVVSUQiOiIwZjZiNmMxZS00YTNiLTRjOGUtOWQyZi0x"
                + "YTJiM2M0ZDVlNmYiLCJPZmZzZXQiOjAsIlN0YXJ0ZWRBdCI6IjIwMjYtMTItMDRUMTU6MDA6MDBaIn0=", token);
    }

    @Test
    void anotherSecretOrSizeGivesAnotherToken() {
        String token = new UploadStateToken("shared-secret").pack("team/app", UUID, 5_242_880, STARTED);

        assertNotEquals(token, new UploadStateToken("other-secret").pack("team/app", UUID, 5_242_880, STARTED));
        assertNotEquals(token, new UploadStateToken("shared-secret").pack("team/app", UUID, 5_242_881, STARTED));
    }

    @Test
    void anEmptySecretSignsNothing() {
        assertThrows(IllegalArgumentException.class, () -> new UploadStateToken(""));
    }
}
