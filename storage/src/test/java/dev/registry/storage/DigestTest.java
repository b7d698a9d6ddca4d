package dev.registry.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DigestTest {
    private static final String HEX64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String HEX128 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

    @Test
    void parsesSha256() {
        Digest d = Digest.parse("sha256:" + HEX64);
        assertEquals("sha256", d.algorithm());
        assertEquals(HEX64, d.hex());
        assertEquals("sha256:" + HEX64, d.toString());
        assertEquals(d, Digest.parse(d.toString()));
        assertEquals(new Digest("sha256", HEX64), d);
    }

    @Test
    void parsesSha512() {
        Digest d = Digest.parse("sha512:" + HEX128);
        assertEquals("sha512", d.algorithm());
        assertEquals(HEX128, d.hex());
        assertEquals("sha512:" + HEX128, d.toString());
    }

    @Test
    void knownDigestsOfEmptyContent() {
        assertEquals("sha256:" + HEX64, Digest.sha256(new byte[0]).toString());
        assertEquals("sha512:" + HEX128, Digest.of("sha512", new byte[0]).toString());
        assertEquals("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                Digest.sha256(TestSupport.utf8("hello")).toString());
    }

    static Stream<String> invalidDigests() {
        String upper = HEX64.toUpperCase();
        return Stream.of(
                "",
                ":",
                "sha256",
                "sha256:",
                "sha256" + HEX64,                          // missing colon
                ":" + HEX64,                               // missing algorithm
                "sha256:" + upper,                         // uppercase hex
                "sha256:" + HEX64.substring(0, 63) + "A",  // one uppercase char
                "sha256:" + HEX64.substring(0, 63),        // 63 chars
                "sha256:" + HEX64 + "0",                   // 65 chars
                "sha256:" + HEX64.substring(0, 63) + "g",  // non-hex
                "sha256:" + HEX64.substring(0, 63) + " ",  // space
                "sha256:" + HEX128,                        // sha512 length under sha256
                "sha512:" + HEX64,                         // sha256 length under sha512
                "SHA256:" + HEX64,                         // algorithm is case sensitive
                "md5:d41d8cd98f00b204e9800998ecf8427e",     // unknown algorithm
                "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
                "foo:" + HEX64,
                " sha256:" + HEX64,                        // leading space
                "sha256:" + HEX64 + "\n",                  // trailing newline
                "sha256::" + HEX64,
                "sha256:/../../" + HEX64.substring(8),
                "sha256:" + HEX64.substring(0, 60) + "/../",
                "sha256:" + HEX64.substring(0, 63) + "\u0000",
                "sha256+b64:" + HEX64);
    }

    @ParameterizedTest
    @MethodSource("invalidDigests")
    void invalidDigestsAreDigestInvalid(String value) {
        RegistryException e = TestSupport.assertRegistryError(ErrorCode.DIGEST_INVALID, () -> Digest.parse(value));
        assertEquals(400, e.status());
    }

    @Test
    void nullIsDigestInvalid() {
        TestSupport.assertRegistryError(ErrorCode.DIGEST_INVALID, () -> Digest.parse(null));
    }

    @Test
    void veryLongInputIsRefusedWithAbbreviatedMessage() {
        String value = "sha256:" + "a".repeat(10_000);
        RegistryException e = TestSupport.assertRegistryError(ErrorCode.DIGEST_INVALID, () -> Digest.parse(value));
        assertTrue(e.getMessage().length() < 300, e.getMessage());
    }

    @Test
    void constructorValidatesToo() {
        assertThrows(IllegalArgumentException.class, () -> new Digest("md5", "d41d8cd98f00b204e9800998ecf8427e"));
        assertThrows(IllegalArgumentException.class, () -> new Digest("sha256", HEX64.toUpperCase()));
        assertThrows(IllegalArgumentException.class, () -> new Digest("sha256", HEX64.substring(1)));
        assertThrows(IllegalArgumentException.class, () -> new Digest("sha512", HEX64));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 55, 56, 64, 1000, 100_000})
    void ofMatchesMessageDigest(int size) throws Exception {
        byte[] content = new byte[size];
        new Random(size).nextBytes(content);
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        String sha512 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(content));
        assertEquals(new Digest("sha256", sha256), Digest.sha256(content));
        assertEquals(new Digest("sha256", sha256), Digest.of("sha256", content));
        assertEquals(new Digest("sha512", sha512), Digest.of("sha512", content));

        MessageDigest running = Digest.newMessageDigest("sha256");
        running.update(content);
        assertEquals(Digest.sha256(content), Digest.of("sha256", running));
    }

    @Test
    void unsupportedAlgorithmForHashing() {
        assertThrows(IllegalArgumentException.class, () -> Digest.of("md5", new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> Digest.newMessageDigest("sha384"));
    }

    @Test
    void differentContentDifferentDigest() {
        assertNotEquals(Digest.sha256(new byte[] {1}), Digest.sha256(new byte[] {2}));
    }

    @Test
    void looksLikeDigest() {
        assertTrue(Digest.looksLikeDigest("sha256:" + HEX64));
        assertTrue(Digest.looksLikeDigest("x:y"));
        assertFalse(Digest.looksLikeDigest("latest"));
        assertFalse(Digest.looksLikeDigest(":abc"));
        assertFalse(Digest.looksLikeDigest(""));
    }
}
