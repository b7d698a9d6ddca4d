package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class KeyIdsTest {
    // Public keys made with openssl; their expected libtrust IDs computed separately with Python's
    // hashlib and base64.b32encode over 'openssl pkey -pubout -outform DER'.
    private static final String EC_KEY = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/K6mh+TXPKlC28AUzSGUC/klDJOU"
            + "qB9RpbCUUq9t9vhYjadInwpJ5OYswfGXaXjAA753itIwTn0BaG53lu9YJQ==";
    private static final String EC_KID = "WTYH:KZA4:6AGI:6TSN:33Z4:T3EW:5QFT:QG6X:3OFX:P5WU:E7U3:CHCO";
    private static final String RSA_KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvV9Z4EQarRWmWLRPi1xz"
            + "SNCHX3qf+Zqy7OFQ4jCwiE8kd+Z/QCaCdfj7Bg2KYSqIf+VlbfwwylSc9g9n6rVn"
            + "B/w4Pp7zpVUY3qFKIL3GC9IuCmkzB7YaufVgdXyM6wjYzrg1E01Vnw6ZoYZlQdqt"
            + "chCJegboCQOTqOjv4bFUqewGBWj8c3bx42GazLCiaiKcNuuOIlZ58fNb0d3AhWAY"
            + "TfxhORELBIIYSoUT+v5xIaJtqZoFF/h9Dsl26Nxlb4i44oJ4FPOFmmNMaaGYvbBJ"
            + "+1DtjPZARcDuLomNhfUHVCYbyyD5OehqbS/1q0dTUXqOLEnCFwa13+uKiUZDbXJw"
            + "ewIDAQAB";
    private static final String RSA_KID = "A5K3:H4I6:4F2T:GXFB:7U4E:4GKI:SXWP:CGIB:6RJF:JKV6:POMX:IYUM";

    private static PublicKey key(String algorithm, String base64) throws Exception {
        return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(
                Base64.getDecoder().decode(base64)));
    }

    @Test
    void libtrustIdsMatchTheReferenceAlgorithm() throws Exception {
        assertEquals(EC_KID, KeyIds.libtrust(key("EC", EC_KEY)));
        assertEquals(RSA_KID, KeyIds.libtrust(key("RSA", RSA_KEY)));
    }

    @Test
    void libtrustIdsAreTwelveGroupsOfFour() {
        assertTrue(KeyIds.libtrust(Pki.ec("secp384r1").getPublic()).matches("([A-Z2-7]{4}:){11}[A-Z2-7]{4}"));
    }

    @Test
    void base32FollowsRfc4648() {
        assertEquals("MZXW6YTBOI", KeyIds.base32("foobar".getBytes()));
        assertEquals("MY", KeyIds.base32("f".getBytes()));
    }

    @Test
    void thumbprintMatchesRfc7638Example() throws Exception {
        // The RSA key and thumbprint of RFC 7638, section 3.1.
        var jwk = Json.MAPPER.readTree("""
                {"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
                 "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}
                """);

        assertEquals("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", KeyIds.thumbprint(Jwks.parse(jwk)).orElseThrow());
    }
}
