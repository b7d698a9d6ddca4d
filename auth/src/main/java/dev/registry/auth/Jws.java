package dev.registry.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.util.Base64;

/**
 * A JSON Web Signature in compact serialization ({@code header.payload.signature}, each
 * base64url without padding), parsed but not yet verified.
 *
 * @param header the protected header
 * @param claims the payload, a JSON object of claims
 * @param signingInput the bytes the signature covers: {@code header.payload} as sent
 * @param signature the signature bytes
 */
record Jws(ObjectNode header, ObjectNode claims, byte[] signingInput, byte[] signature) {
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    static Jws parse(String compact) throws InvalidTokenException {
        String[] parts = compact.split("\\.", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
            throw new InvalidTokenException("the token is not a signed JWT (three non-empty dot-separated parts)");
        }
        return new Jws(object(parts[0], "header"), object(parts[1], "claims"),
                (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII), decode(parts[2], "signature"));
    }

    /** Signs {@code claims} under {@code header}, which must name {@code algorithm} in {@code alg}. */
    static String sign(ObjectNode header, ObjectNode claims, PrivateKey key, JwsAlgorithm algorithm)
            throws GeneralSecurityException {
        String input = encode(header) + "." + encode(claims);
        byte[] signature = algorithm.sign(key, input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + ENCODER.encodeToString(signature);
    }

    String algorithm() {
        JsonNode alg = header.get("alg");
        return alg != null && alg.isTextual() ? alg.asText() : "";
    }

    private static String encode(ObjectNode node) {
        try {
            return ENCODER.encodeToString(Json.MAPPER.writeValueAsBytes(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    private static byte[] decode(String part, String what) throws InvalidTokenException {
        // Base64url without padding only: '=' or the standard alphabet's '+' and '/' do not belong in a JWS.
        if (!part.chars().allMatch(c -> (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '_')) {
            throw new InvalidTokenException("the token's " + what + " is not base64url");
        }
        try {
            return Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("the token's " + what + " is not base64url");
        }
    }

    private static ObjectNode object(String part, String what) throws InvalidTokenException {
        try {
            JsonNode node = Json.MAPPER.readTree(decode(part, what));
            if (node instanceof ObjectNode object) {
                return object;
            }
        } catch (IOException e) {
            // reported below
        }
        throw new InvalidTokenException("the token's " + what + " is not a JSON object");
    }
}
