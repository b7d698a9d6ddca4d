package dev.registry.e2e.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Content digests as the OCI image spec writes them: {@code <algorithm>:<lowercase hex>}. */
final class Digests {
    /** The digest of the two bytes {@code {}}, the OCI empty descriptor's content. */
    static final String EMPTY_JSON = sha256("{}".getBytes(StandardCharsets.US_ASCII));

    private Digests() {
    }

    static String sha256(byte[] data) {
        return of("sha256", data);
    }

    static String sha512(byte[] data) {
        return of("sha512", data);
    }

    static String of(String algorithm, byte[] data) {
        return algorithm + ":" + HexFormat.of().formatHex(hash(algorithm, data));
    }

    /** Whether {@code digest} (any supported algorithm) is the digest of {@code data}. */
    static boolean matches(String digest, byte[] data) {
        if (digest == null) {
            return false;
        }
        int colon = digest.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        String algorithm = digest.substring(0, colon);
        if (!algorithm.equals("sha256") && !algorithm.equals("sha512")) {
            return false;
        }
        return of(algorithm, data).equals(digest);
    }

    /** A digest of the given algorithm that names no content anyone pushed. */
    static String random(String algorithm) {
        byte[] seed = new byte[64];
        ThreadLocalRandom.current().nextBytes(seed);
        return of(algorithm, seed);
    }

    static String randomSha256() {
        return random("sha256");
    }

    static String hex(String digest) {
        return digest.substring(digest.indexOf(':') + 1);
    }

    private static byte[] hash(String algorithm, byte[] data) {
        String jca = switch (algorithm) {
            case "sha256" -> "SHA-256";
            case "sha512" -> "SHA-512";
            default -> throw new IllegalArgumentException(algorithm);
        };
        try {
            return MessageDigest.getInstance(jca).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] randomBytes(int size) {
        byte[] data = new byte[size];
        ThreadLocalRandom.current().nextBytes(data);
        return data;
    }
}
