package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwksTest {
    @TempDir
    Path dir;

    static String rsaJwk(String kid, RSAPublicKey key) {
        return "{\"kty\":\"RSA\",\"kid\":\"" + kid + "\",\"use\":\"sig\",\"n\":\"" + KeyIds.base64url(key.getModulus())
                + "\",\"e\":\"" + KeyIds.base64url(key.getPublicExponent()) + "\"}";
    }

    static String ecJwk(String kid, ECPublicKey key) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return "{\"kty\":\"EC\",\"kid\":\"" + kid + "\",\"crv\":\"P-256\",\"x\":\""
                + b64.encodeToString(KeyIds.fixed(key.getW().getAffineX(), 32)) + "\",\"y\":\""
                + b64.encodeToString(KeyIds.fixed(key.getW().getAffineY(), 32)) + "\"}";
    }

    static String edJwk(String kid, PublicKey key) {
        byte[] der = key.getEncoded();
        byte[] x = Arrays.copyOfRange(der, der.length - 32, der.length);
        return "{\"kty\":\"OKP\",\"kid\":\"" + kid + "\",\"crv\":\"Ed25519\",\"x\":\""
                + Base64.getUrlEncoder().withoutPadding().encodeToString(x) + "\"}";
    }

    @Test
    void readsRsaEcAndEd25519Keys() throws IOException {
        KeyPair rsa = Pki.rsa();
        KeyPair ec = Pki.ec("secp256r1");
        KeyPair ed = Pki.ed25519();
        Path file = Files.writeString(dir.resolve("jwks.json"), "{\"keys\": [" + rsaJwk("r", (RSAPublicKey) rsa.getPublic())
                + "," + ecJwk("e", (ECPublicKey) ec.getPublic()) + "," + edJwk("d", ed.getPublic()) + "]}");

        Map<String, PublicKey> keys = Jwks.read(file);

        assertEquals(List.of("r", "e", "d"), List.copyOf(keys.keySet()));
        assertEquals(rsa.getPublic(), keys.get("r"));
        assertEquals(ec.getPublic(), keys.get("e"));
        assertEquals(Arrays.toString(ed.getPublic().getEncoded()), Arrays.toString(keys.get("d").getEncoded()));
    }

    @Test
    void skipsEncryptionAndUnsupportedKeys() throws IOException {
        KeyPair rsa = Pki.rsa();
        String enc = rsaJwk("enc", (RSAPublicKey) rsa.getPublic()).replace("\"sig\"", "\"enc\"");
        Path file = Files.writeString(dir.resolve("jwks.json"), "{\"keys\": [" + enc + ", {\"kty\": \"oct\", \"k\": \"AA\"},"
                + "{\"kty\": \"EC\", \"crv\": \"P-192\", \"x\": \"AA\", \"y\": \"AA\"}, {\"kty\": \"RSA\"}]}");

        assertEquals(Map.of(), Jwks.read(file));
    }

    @Test
    void keysWithoutKidAreListedUnderTheirThumbprint() throws IOException {
        KeyPair rsa = Pki.rsa();
        Path file = Files.writeString(dir.resolve("jwks.json"), "{\"keys\": ["
                + rsaJwk("x", (RSAPublicKey) rsa.getPublic()).replace("\"kid\":\"x\",", "") + "]}");

        assertEquals(Map.of(KeyIds.thumbprint(rsa.getPublic()).orElseThrow(), rsa.getPublic()), Jwks.read(file));
    }

    @Test
    void notAKeySetFails() throws IOException {
        assertThrows(IOException.class, () -> Jwks.read(Files.writeString(dir.resolve("a.json"), "{\"kty\": \"RSA\"}")));
        assertThrows(IOException.class, () -> Jwks.read(Files.writeString(dir.resolve("b.json"), "not json")));
    }
}
