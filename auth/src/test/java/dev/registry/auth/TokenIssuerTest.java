package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.interfaces.ECPublicKey;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenIssuerTest {
    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Pki.NOW);

    @Test
    void generatesAPrivateP256KeyOnFirstUseAndKeepsIt() throws IOException {
        Path keyFile = dir.resolve("token.key");

        TokenIssuer first = TokenIssuer.load(keyFile, "registry-token-issuer", clock);
        TokenIssuer second = TokenIssuer.load(keyFile, "registry-token-issuer", clock);

        assertTrue(Files.readString(keyFile).startsWith("-----BEGIN PRIVATE KEY-----\n"));
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(keyFile));
        assertEquals(256, ((ECPublicKey) first.publicKey()).getParams().getCurve().getField().getFieldSize());
        assertArrayEquals(first.publicKey().getEncoded(), second.publicKey().getEncoded());
        assertEquals(first.keyId(), second.keyId());
        assertEquals(KeyIds.libtrust(first.publicKey()), first.keyId());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(keyFile), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void readsOpensslEcKeysInBothPemForms() throws IOException {
        // 'openssl ecparam -name prime256v1 -genkey -noout' (SEC 1) and the same key through
        // 'openssl pkcs8 -topk8 -nocrypt'; the kid was computed separately from 'openssl pkey -pubout'.
        Path sec1 = Files.writeString(dir.resolve("sec1.pem"), """
                -----BEGIN EC PRIVATE KEY-----
                MHcCAQEEIMYmzRxtlngLP1TCFMf0b8xw198r2u327s1oNG6zJWlzoAoGCCqGSM49
                AwEHoUQDQgAEmOdLO240r56cmutRGAVu8CMMsTXNYG6yrGCkkrR6EiLGIGLNrPvt
                sy+7j3yjeyr+OC8vLDr3mEOXHTSA/Ul4yQ==
                -----END EC PRIVATE KEY-----
                """);
        Path pkcs8 = Files.writeString(dir.resolve("pkcs8.pem"), """
                -----BEGIN PRIVATE KEY-----
                MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgxibNHG2WeAs/VMIU
                x/RvzHDX3yva7fbuzWg0brMlaXOhRANCAASY50s7bjSvnpya61EYBW7wIwyxNc1g
                brKsYKSStHoSIsYgYs2s++2zL7uPfKN7Kv44Ly8sOveYQ5cdNID9SXjJ
                -----END PRIVATE KEY-----
                """);
        String kid = "4CL6:F5MK:FZ3M:S3ZT:7TLF:ZJY2:O7CH:YHZH:HC33:L57I:DTNI:UMCY";

        assertEquals(kid, TokenIssuer.load(sec1, "i", clock).keyId());
        assertEquals(kid, TokenIssuer.load(pkcs8, "i", clock).keyId());
    }

    @Test
    void refusesOtherKeys() throws IOException {
        Path rsa = Files.writeString(dir.resolve("rsa.pem"), PemFiles.pem("PRIVATE KEY", Pki.rsa().getPrivate()
                .getEncoded()));
        Path p384 = Files.writeString(dir.resolve("p384.pem"), PemFiles.pem("PRIVATE KEY", Pki.ec("secp384r1")
                .getPrivate().getEncoded()));
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "hello");

        assertThrows(IOException.class, () -> TokenIssuer.load(rsa, "i", clock));
        assertThrows(IOException.class, () -> TokenIssuer.load(p384, "i", clock));
        assertThrows(IOException.class, () -> TokenIssuer.load(garbage, "i", clock));
    }

    @Test
    void signsEs256TokensWithKidAndX5cThatItsOwnCertificateVerifies() throws Exception {
        TokenIssuer issuer = TokenIssuer.load(dir.resolve("token.key"), "my \"issuer\", CN=x", clock);
        ObjectNode claims = Tokens.claims("ignored", Tokens.SERVICE, "alice", Pki.NOW, "app:pull");

        String token = issuer.sign(claims);

        Jws jws = Jws.parse(token);
        assertEquals("ES256", jws.header().get("alg").asText());
        assertEquals("JWT", jws.header().get("typ").asText());
        assertEquals(issuer.keyId(), jws.header().get("kid").asText());
        assertEquals(Pki.x5c(issuer.certificate()), jws.header().get("x5c").get(0).asText());
        assertEquals("my \"issuer\", CN=x", jws.claims().get("iss").asText());

        // Another registry given the issuer's certificate as its root bundle accepts the token through x5c...
        List<java.security.cert.X509Certificate> bundle = PemFiles.certificates(issuer.certificatePem());
        VerifiedToken verified = new TokenVerifier(new TokenKeys(bundle, Map.of(), clock), "my \"issuer\", CN=x",
                Tokens.SERVICE, clock).verifyAccessToken(token);
        assertEquals("alice", verified.subject());
        assertTrue(verified.allows(Access.pull("app")));
        assertFalse(verified.allows(Access.push("app")));

        // ...and so does one that trusts only the key, through kid.
        ObjectNode kidOnly = jws.header().deepCopy();
        kidOnly.remove("x5c");
        TokenKeys keyOnly = new TokenKeys(List.of(), Map.of(), clock);
        keyOnly.trust(issuer.publicKey());
        String resigned = Jws.sign(kidOnly, jws.claims(), privateKeyOf(dir.resolve("token.key")), JwsAlgorithm.ES256);
        assertEquals("alice", new TokenVerifier(keyOnly, "my \"issuer\", CN=x", Tokens.SERVICE, clock)
                .verifyAccessToken(resigned).subject());
    }

    @Test
    void certificateOfARestartedIssuerStillValidatesEarlierTokens() throws Exception {
        Path keyFile = dir.resolve("token.key");
        String token = TokenIssuer.load(keyFile, "iss", clock).sign(Tokens.claims("iss", Tokens.SERVICE, "bob",
                Pki.NOW, "app:pull"));
        TokenIssuer restarted = TokenIssuer.load(keyFile, "iss", clock);

        TokenKeys keys = new TokenKeys(List.of(restarted.certificate()), Map.of(), clock);
        keys.trust(restarted.publicKey());

        assertEquals("bob", new TokenVerifier(keys, "iss", Tokens.SERVICE, clock).verifyAccessToken(token).subject());
    }

    private static java.security.PrivateKey privateKeyOf(Path file) throws IOException {
        return PemFiles.privateKey(new java.io.StringReader(Files.readString(file)));
    }
}
