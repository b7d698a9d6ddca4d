package dev.registry.auth;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a JSON Web Key Set ({@code {"keys": [...]}}) of public signing keys: RSA, EC (P-256,
 * P-384, P-521) and OKP Ed25519 keys. Keys for encryption ({@code "use": "enc"}) and of other kinds
 * are skipped with a warning.
 */
final class Jwks {
    private static final Logger LOG = LoggerFactory.getLogger(Jwks.class);
    /** The DER SubjectPublicKeyInfo prefix of an Ed25519 key; the 32 key bytes follow. */
    private static final byte[] ED25519_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private Jwks() {
    }

    /**
     * @return each usable key by its {@code kid}; keys without one are listed under their RFC 7638 thumbprint
     * @throws IOException if the file cannot be read or is not a key set
     */
    static Map<String, PublicKey> read(Path file) throws IOException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IOException("the JWKS file " + file + " is not valid JSON", e);
        }
        if (root == null || !root.path("keys").isArray()) {
            throw new IOException("the JWKS file " + file + " has no \"keys\" list");
        }
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        int index = 0;
        for (JsonNode jwk : root.get("keys")) {
            index++;
            if (!jwk.path("use").asText("sig").equals("sig")) {
                continue;
            }
            try {
                PublicKey key = parse(jwk);
                String kid = jwk.path("kid").asText("");
                if (kid.isEmpty()) {
                    kid = KeyIds.thumbprint(key).orElse(KeyIds.libtrust(key));
                }
                keys.put(kid, key);
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                LOG.warn("JWKS file {}: key {} is not a usable public signing key ({}) and is ignored", file, index,
                        e.getMessage());
            }
        }
        return keys;
    }

    static PublicKey parse(JsonNode jwk) throws GeneralSecurityException {
        String kty = jwk.path("kty").asText("");
        return switch (kty) {
            case "RSA" -> KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
                    number(jwk, "n"), number(jwk, "e")));
            case "EC" -> {
                String curve = switch (jwk.path("crv").asText("")) {
                    case "P-256" -> "secp256r1";
                    case "P-384" -> "secp384r1";
                    case "P-521" -> "secp521r1";
                    default -> throw new IllegalArgumentException("unsupported curve '" + jwk.path("crv").asText("")
                            + "'");
                };
                AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
                parameters.init(new ECGenParameterSpec(curve));
                ECPoint point = new ECPoint(number(jwk, "x"), number(jwk, "y"));
                yield KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point,
                        parameters.getParameterSpec(ECParameterSpec.class)));
            }
            case "OKP" -> {
                if (!jwk.path("crv").asText("").equals("Ed25519")) {
                    throw new IllegalArgumentException("unsupported curve '" + jwk.path("crv").asText("") + "'");
                }
                byte[] x = bytes(jwk, "x");
                if (x.length != 32) {
                    throw new IllegalArgumentException("an Ed25519 key has 32 bytes");
                }
                byte[] der = new byte[ED25519_PREFIX.length + 32];
                System.arraycopy(ED25519_PREFIX, 0, der, 0, ED25519_PREFIX.length);
                System.arraycopy(x, 0, der, ED25519_PREFIX.length, 32);
                yield KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
            }
            default -> throw new IllegalArgumentException("unsupported key type '" + kty + "'");
        };
    }

    private static BigInteger number(JsonNode jwk, String member) {
        return new BigInteger(1, bytes(jwk, member));
    }

    private static byte[] bytes(JsonNode jwk, String member) {
        JsonNode value = jwk.get(member);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw new IllegalArgumentException("member '" + member + "' is missing");
        }
        return Base64.getUrlDecoder().decode(value.asText());
    }
}
