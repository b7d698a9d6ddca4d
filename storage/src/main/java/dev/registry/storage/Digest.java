package dev.registry.storage;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A content digest such as {@code sha256:6c3c...}: a supported algorithm and its lowercase hex
 * encoding of the exact length. Parsing is strict so that a digest can safely name a path.
 */
public record Digest(String algorithm, String hex) {
    private static final HexFormat HEX = HexFormat.of();

    public Digest {
        int expected = hexLength(algorithm);
        if (expected < 0) {
            throw new IllegalArgumentException("unsupported digest algorithm: " + algorithm);
        }
        if (hex.length() != expected || !isLowerHex(hex)) {
            throw new IllegalArgumentException("invalid " + algorithm + " digest: " + hex);
        }
    }

    /** Parses {@code algorithm:hex}, throwing {@link RegistryException} {@code DIGEST_INVALID} if malformed. */
    public static Digest parse(String value) {
        if (value == null) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "digest missing");
        }
        int colon = value.indexOf(':');
        if (colon <= 0) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "invalid digest: " + abbreviate(value));
        }
        String algorithm = value.substring(0, colon);
        String hex = value.substring(colon + 1);
        int expected = hexLength(algorithm);
        if (expected < 0) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "unsupported digest algorithm: " + abbreviate(algorithm));
        }
        if (hex.length() != expected || !isLowerHex(hex)) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "invalid " + algorithm + " digest: " + abbreviate(value));
        }
        return new Digest(algorithm, hex);
    }

    /** Whether {@code value} looks like a digest reference rather than a tag. */
    public static boolean looksLikeDigest(String value) {
        return value.indexOf(':') > 0;
    }

    /** The sha256 digest of {@code content}. */
    public static Digest sha256(byte[] content) {
        return of("sha256", content);
    }

    /** The digest of {@code content} with {@code algorithm}. */
    public static Digest of(String algorithm, byte[] content) {
        MessageDigest digest = newMessageDigest(algorithm);
        return new Digest(algorithm, HEX.formatHex(digest.digest(content)));
    }

    /** A digest from a finished {@link MessageDigest} of {@code algorithm}. */
    public static Digest of(String algorithm, MessageDigest finished) {
        return new Digest(algorithm, HEX.formatHex(finished.digest()));
    }

    /** A fresh {@link MessageDigest} for a supported algorithm ({@code sha256} or {@code sha512}). */
    public static MessageDigest newMessageDigest(String algorithm) {
        try {
            return switch (algorithm) {
                case "sha256" -> MessageDigest.getInstance("SHA-256");
                case "sha512" -> MessageDigest.getInstance("SHA-512");
                default -> throw new IllegalArgumentException("unsupported digest algorithm: " + algorithm);
            };
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int hexLength(String algorithm) {
        return switch (algorithm) {
            case "sha256" -> 64;
            case "sha512" -> 128;
            default -> -1;
        };
    }

    private static boolean isLowerHex(String hex) {
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String value) {
        return value.length() > 80 ? value.substring(0, 80) + "..." : value;
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
