package dev.registry.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * Key identifiers that token servers put in the {@code kid} header.
 *
 * <ul>
 *   <li>{@link #libtrust}: what registry:2 (through docker/libtrust), GitLab, Harbor and most Docker
 *       token servers use: base32 of the first 240 bits of the SHA-256 of the key's DER
 *       SubjectPublicKeyInfo, in twelve groups of four joined by {@code :}.
 *   <li>{@link #thumbprint}: the RFC 7638 JWK thumbprint, which distribution v3 uses for the keys of
 *       its root certificate bundle.
 * </ul>
 */
final class KeyIds {
    private static final String BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    private KeyIds() {
    }

    static String libtrust(PublicKey key) {
        byte[] digest = Arrays.copyOf(sha256(key.getEncoded()), 30);
        String encoded = base32(digest);
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < encoded.length(); i += 4) {
            if (i > 0) {
                id.append(':');
            }
            id.append(encoded, i, Math.min(i + 4, encoded.length()));
        }
        return id.toString();
    }

    /** The RFC 7638 thumbprint of an RSA or EC key; empty for other kinds. */
    static Optional<String> thumbprint(PublicKey key) {
        // Members in lexicographic order, no whitespace: the canonical form RFC 7638 hashes.
        ObjectNode jwk = Json.MAPPER.createObjectNode();
        if (key instanceof RSAPublicKey rsa) {
            jwk.put("e", base64url(rsa.getPublicExponent()));
            jwk.put("kty", "RSA");
            jwk.put("n", base64url(rsa.getModulus()));
        } else if (key instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            String curve = switch (bits) {
                case 256 -> "P-256";
                case 384 -> "P-384";
                case 521 -> "P-521";
                default -> null;
            };
            if (curve == null) {
                return Optional.empty();
            }
            int length = (bits + 7) / 8;
            jwk.put("crv", curve);
            jwk.put("kty", "EC");
            jwk.put("x", Base64.getUrlEncoder().withoutPadding().encodeToString(fixed(ec.getW().getAffineX(), length)));
            jwk.put("y", Base64.getUrlEncoder().withoutPadding().encodeToString(fixed(ec.getW().getAffineY(), length)));
        } else {
            return Optional.empty();
        }
        try {
            byte[] canonical = Json.MAPPER.writeValueAsString(jwk).getBytes(StandardCharsets.UTF_8);
            return Optional.of(Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(canonical)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    static String base32(byte[] data) {
        StringBuilder out = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(BASE32.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(BASE32.charAt((buffer << (5 - bits)) & 31));
        }
        return out.toString();
    }

    /** The unsigned big-endian bytes of {@code value}, without a leading zero (JWK's encoding of RSA numbers). */
    static String base64url(BigInteger value) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** {@code value} as exactly {@code length} unsigned big-endian bytes (JWK's encoding of EC coordinates). */
    static byte[] fixed(BigInteger value, int length) {
        byte[] bytes = value.toByteArray();
        byte[] out = new byte[length];
        int copy = Math.min(bytes.length, length);
        System.arraycopy(bytes, bytes.length - copy, out, length - copy, copy);
        return out;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
