package dev.registry.e2e.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Reads JWTs the token server issued, and makes (forged or genuine) ones for the negative tests. */
record Jwt(ObjectNode header, ObjectNode claims, String signature) {
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    static Jwt parse(String compact) {
        String[] parts = compact.split("\\.", -1);
        if (parts.length != 3) {
            throw new AssertionError("not a compact JWS (three parts): " + compact);
        }
        try {
            return new Jwt((ObjectNode) Http.JSON.readTree(DECODER.decode(parts[0])),
                    (ObjectNode) Http.JSON.readTree(DECODER.decode(parts[1])), parts[2]);
        } catch (IOException | IllegalArgumentException | ClassCastException e) {
            throw new AssertionError("undecodable JWT " + compact, e);
        }
    }

    static String encode(JsonNode json) {
        return ENCODER.encodeToString(json.toString().getBytes(StandardCharsets.UTF_8));
    }

    static String encode(byte[] bytes) {
        return ENCODER.encodeToString(bytes);
    }

    static byte[] decode(String base64url) {
        return DECODER.decode(base64url);
    }

    /** {@code header.claims.} signed with ES256 (raw R||S) by {@code key}. */
    static String signEs256(ObjectNode header, ObjectNode claims, PrivateKey key) throws GeneralSecurityException {
        String input = encode(header) + "." + encode(claims);
        Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
        signer.initSign(key);
        signer.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + encode(signer.sign());
    }

    /** {@code header.claims.} signed with HS256 by {@code secret}. */
    static String signHs256(ObjectNode header, ObjectNode claims, byte[] secret) throws GeneralSecurityException {
        String input = encode(header) + "." + encode(claims);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        return input + "." + encode(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    }

    /** An EC private key from a PKCS#8 PEM file, such as the token server's {@code signingkey}. */
    static PrivateKey readEcKey(Path pem) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem, StandardCharsets.US_ASCII);
        if (!text.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new AssertionError("expected a PKCS#8 PEM key in " + pem);
        }
        String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }
}
