package dev.registry.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * A user name and password from an {@code Authorization: Basic} header or a token request form.
 * The password is a {@code char[]} so that it can be {@linkplain #clear() cleared}; it never
 * appears in {@link #toString()}.
 */
public record BasicCredentials(String user, char[] password) {

    /**
     * Reads {@code Basic base64(user:password)}, the scheme name in any case.
     *
     * @return the credentials, or empty when the header is absent, uses another scheme or is malformed
     */
    public static Optional<BasicCredentials> parse(String authorization) {
        if (authorization == null) {
            return Optional.empty();
        }
        String header = authorization.trim();
        int space = header.indexOf(' ');
        if (space < 0 || !header.substring(0, space).toLowerCase(Locale.ROOT).equals("basic")) {
            return Optional.empty();
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(header.substring(space + 1).trim());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(decoded));
            char[] text = new char[chars.remaining()];
            chars.get(text);
            Arrays.fill(chars.array(), '\0');
            int colon = indexOf(text, ':');
            if (colon <= 0) {
                Arrays.fill(text, '\0');
                return Optional.empty();
            }
            String user = new String(text, 0, colon);
            char[] password = Arrays.copyOfRange(text, colon + 1, text.length);
            Arrays.fill(text, '\0');
            return Optional.of(new BasicCredentials(user, password));
        } catch (CharacterCodingException e) {
            return Optional.empty();
        } finally {
            Arrays.fill(decoded, (byte) 0);
        }
    }

    /**
     * Whether the header is {@code Basic} with an empty user name and password ({@code Basic Og==},
     * base64 of {@code ":"}): what containers/image clients (skopeo, podman, buildah) send when
     * they have no credentials. It means "anonymous", not a login attempt.
     */
    public static boolean isEmpty(String authorization) {
        if (authorization == null) {
            return false;
        }
        String header = authorization.trim();
        int space = header.indexOf(' ');
        if (space < 0 || !header.substring(0, space).toLowerCase(Locale.ROOT).equals("basic")) {
            return false;
        }
        String encoded = header.substring(space + 1).trim();
        return encoded.equals("Og==") || encoded.equals("Og");
    }

    /** The {@code Authorization} header value for these credentials, for clients and tests. */
    public String header() {
        byte[] prefix = (user + ":").getBytes(StandardCharsets.UTF_8);
        ByteBuffer secret = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        byte[] joined = new byte[prefix.length + secret.remaining()];
        System.arraycopy(prefix, 0, joined, 0, prefix.length);
        secret.get(joined, prefix.length, secret.remaining());
        String header = "Basic " + Base64.getEncoder().encodeToString(joined);
        Arrays.fill(joined, (byte) 0);
        Arrays.fill(secret.array(), (byte) 0);
        return header;
    }

    /** Overwrites the password in memory. */
    public void clear() {
        Arrays.fill(password, '\0');
    }

    private static int indexOf(char[] text, char c) {
        for (int i = 0; i < text.length; i++) {
            if (text[i] == c) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BasicCredentials that && user.equals(that.user) && Arrays.equals(password,
                that.password);
    }

    @Override
    public int hashCode() {
        return user.hashCode();
    }

    @Override
    public String toString() {
        return "BasicCredentials[user=" + user + ", password=(redacted)]";
    }
}
