package dev.registry.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * registry:2's {@code _state} query parameter of upload URLs: the upload's repository, id, size
 * and start time as JSON, preceded by its HMAC-SHA256 under {@code http.secret}, in URL-safe
 * base64 with padding. registry:2 refuses a chunk or completion without a token that verifies
 * under its own secret and names the size the upload has.
 *
 * <p>This registry reads upload state from the store and needs no token. It hands one out so that
 * registry:2 instances on the same store with the same {@code http.secret} can continue uploads
 * begun here, behind a load balancer that sends each request anywhere.
 */
final class UploadStateToken {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SecretKeySpec key;

    /** @param secret {@code http.secret}, not empty */
    UploadStateToken(String secret) {
        if (secret.isEmpty()) {
            throw new IllegalArgumentException("an upload state token needs http.secret");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    /** The token for an upload of {@code name} with id {@code uuid}, {@code offset} bytes long. */
    String pack(String name, String uuid, long offset, Instant startedAt) {
        // registry:2's field names; its JSON decoder reads an RFC 3339 time, which Instant prints
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("Name", name);
        state.put("UUID", uuid);
        state.put("Offset", offset);
        state.put("StartedAt", startedAt.toString());
        byte[] message;
        try {
            message = JSON.writeValueAsBytes(state);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("strings and numbers always serialise", e);
        }
        byte[] signature;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            signature = mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has HmacSHA256", e);
        }
        byte[] token = new byte[signature.length + message.length];
        System.arraycopy(signature, 0, token, 0, signature.length);
        System.arraycopy(message, 0, token, signature.length, message.length);
        return Base64.getUrlEncoder().encodeToString(token);
    }
}
