package dev.registry.auth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/** Builds JWTs for tests, including malformed and forged ones. */
final class Tokens {
    static final String ISSUER = "auth-issuer";
    static final String SERVICE = "registry.example.com";

    private Tokens() {
    }

    static ObjectNode header(JwsAlgorithm algorithm) {
        ObjectNode header = Json.MAPPER.createObjectNode();
        header.put("alg", algorithm.name());
        header.put("typ", "JWT");
        return header;
    }

    /** Claims valid at {@code now} for five minutes, granting {@code access} entries of "name:action,action". */
    static ObjectNode claims(String issuer, String audience, String subject, Instant now, String... access) {
        ObjectNode claims = Json.MAPPER.createObjectNode();
        claims.put("iss", issuer);
        claims.put("sub", subject);
        claims.put("aud", audience);
        claims.put("exp", now.plusSeconds(300).getEpochSecond());
        claims.put("nbf", now.getEpochSecond());
        claims.put("iat", now.getEpochSecond());
        claims.put("jti", "test-" + now.toEpochMilli());
        ArrayNode list = claims.putArray("access");
        for (String entry : access) {
            String[] parts = entry.split(":");
            ObjectNode resource = list.addObject();
            resource.put("type", parts.length == 3 ? parts[0] : "repository");
            resource.put("name", parts[parts.length - 2]);
            ArrayNode actions = resource.putArray("actions");
            for (String action : parts[parts.length - 1].split(",")) {
                actions.add(action);
            }
        }
        return claims;
    }

    static ObjectNode claims(Instant now, String... access) {
        return claims(ISSUER, SERVICE, "alice", now, access);
    }

    static String sign(ObjectNode header, ObjectNode claims, PrivateKey key, JwsAlgorithm algorithm) {
        try {
            return Jws.sign(header, claims, key, algorithm);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A token with the given header and claims and an arbitrary signature part. */
    static String unsigned(ObjectNode header, ObjectNode claims, String signature) {
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        return encoder.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                + encoder.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8)) + "." + signature;
    }

    static List<Access> pull(String repository) {
        return List.of(Access.pull(repository));
    }
}
