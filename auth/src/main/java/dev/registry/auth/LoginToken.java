package dev.registry.auth;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * One login token (personal access token) of an htpasswd user, as the tokens file holds it: never
 * the token itself, only its SHA-256.
 *
 * <p>The token's text is {@value #PREFIX}, a 12-character id, {@code _}, 43 characters of secret
 * (256 random bits) and a 6-character checksum, all in base62:
 * {@code regpat_4fQk2LmZ8aBc_<43 chars><6 chars>}. The fixed prefix lets secret scanners (GitHub's,
 * gitleaks, trufflehog) find leaked tokens, and the CRC32 checksum lets them, and the registry, tell
 * a token from a string that merely looks like one without any lookup. The id in the text names
 * the file entry to compare with, so a check is one SHA-256 and one constant-time comparison.
 *
 * <p>A fast hash is enough here, unlike for passwords: bcrypt's cost protects guessable passwords
 * from offline guessing, but a 256-bit random secret cannot be guessed at any hashing speed
 * (2<sup>256</sup> tries), so a leaked tokens file reveals no usable token, and checking a token
 * costs microseconds instead of a bcrypt on every request.
 *
 * @param id      the public id, for {@code token list} and {@code token revoke}
 * @param user    the htpasswd user the token logs in as
 * @param name    what the token is for ({@code --name}), or the empty string
 * @param created when it was made
 * @param expires when it stops working, or {@code null} for never
 * @param sha256  the SHA-256 of the token's text (UTF-8)
 */
public record LoginToken(String id, String user, String name, Instant created, Instant expires, byte[] sha256) {
    /** The start of every token, for secret scanners. */
    public static final String PREFIX = "regpat_";
    static final int ID_LENGTH = 12;
    static final int SECRET_LENGTH = 43;
    static final int CHECKSUM_LENGTH = 6;
    /** The length of a token's text. */
    public static final int LENGTH = PREFIX.length() + ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH;
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final BigInteger SIXTY_TWO = BigInteger.valueOf(62);
    private static final SecureRandom RANDOM = new SecureRandom();

    public LoginToken {
        sha256 = sha256.clone();
    }

    /** Whether the token works at {@code now}: it has not expired. */
    public boolean validAt(Instant now) {
        return expires == null || now.isBefore(expires);
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    /** Whether {@code candidate}'s SHA-256 is this token's, compared in constant time. */
    boolean matches(byte[] candidateSha256) {
        return MessageDigest.isEqual(sha256, candidateSha256);
    }

    /** A new token's text and its file entry. */
    public record Issued(String text, LoginToken token) {
        @Override
        public String toString() {
            return "Issued[token=" + token + "]"; // never the text
        }
    }

    /** Makes a new random token for {@code user}. */
    static Issued generate(String user, String name, Instant created, Instant expires) {
        String id = randomBase62(71); // 12 characters; 71 random bits: ids never collide in practice
        String body = PREFIX + id + "_" + randomBase62(256);
        String text = body + base62(BigInteger.valueOf(crc32(body.toCharArray(), body.length())), CHECKSUM_LENGTH);
        return new Issued(text, new LoginToken(id, user, name, created, expires,
                sha256(text.getBytes(StandardCharsets.US_ASCII))));
    }

    /**
     * The id in {@code password} if it has a token's form and checksum; empty for anything else (an
     * ordinary password). Says nothing about whether the token exists.
     */
    static Optional<String> idOf(char[] password) {
        if (password.length != LENGTH || !CharBuffer.wrap(password, 0, PREFIX.length()).toString().equals(PREFIX)
                || password[PREFIX.length() + ID_LENGTH] != '_') {
            return Optional.empty();
        }
        int bodyLength = LENGTH - CHECKSUM_LENGTH;
        for (int i = PREFIX.length(); i < LENGTH; i++) {
            if (i != PREFIX.length() + ID_LENGTH && BASE62.indexOf(password[i]) < 0) {
                return Optional.empty();
            }
        }
        String checksum = base62(BigInteger.valueOf(crc32(password, bodyLength)), CHECKSUM_LENGTH);
        if (!CharBuffer.wrap(password, bodyLength, CHECKSUM_LENGTH).toString().equals(checksum)) {
            return Optional.empty();
        }
        return Optional.of(new String(password, PREFIX.length(), ID_LENGTH));
    }

    /** The SHA-256 of a token's text. */
    static byte[] sha256Of(char[] text) {
        ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(text));
        byte[] array = new byte[bytes.remaining()];
        bytes.get(array);
        try {
            return sha256(array);
        } finally {
            Arrays.fill(array, (byte) 0);
            Arrays.fill(bytes.array(), (byte) 0);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /**
     * The CRC32 of the first {@code length} characters (ASCII, checked before) as bytes; read from
     * the array itself so that the secret is not copied into a String that cannot be cleared.
     */
    private static long crc32(char[] text, int length) {
        CRC32 crc = new CRC32();
        for (int i = 0; i < length; i++) {
            crc.update(text[i]);
        }
        return crc.getValue();
    }

    /** {@code bits} random bits in base62, padded to the length that many bits can need. */
    private static String randomBase62(int bits) {
        int length = (int) Math.ceil(bits / (Math.log(62) / Math.log(2)));
        return base62(new BigInteger(bits, RANDOM), length);
    }

    private static String base62(BigInteger value, int length) {
        char[] digits = new char[length];
        BigInteger rest = value;
        for (int i = length - 1; i >= 0; i--) {
            BigInteger[] division = rest.divideAndRemainder(SIXTY_TWO);
            digits[i] = BASE62.charAt(division[1].intValue());
            rest = division[0];
        }
        if (rest.signum() != 0) {
            throw new IllegalArgumentException("does not fit in " + length + " base62 digits");
        }
        return new String(digits);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof LoginToken that && id.equals(that.id) && user.equals(that.user)
                && name.equals(that.name) && created.equals(that.created) && java.util.Objects.equals(expires,
                that.expires) && Arrays.equals(sha256, that.sha256);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "LoginToken[id=" + id + ", user=" + user + ", name=" + name + ", created=" + created + ", expires="
                + expires + ", sha256=" + HexFormat.of().formatHex(sha256) + "]";
    }
}
