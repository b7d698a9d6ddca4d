package dev.registry.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The login tokens file ({@code auth.tokens.path}): a JSON document of {@link LoginToken} entries,
 * hashes only, so that it can be shared between replicas as a Kubernetes Secret and read by people:
 *
 * <pre>{@code
 * {"tokens": [
 *   {"id": "4fQk2LmZ8aBc", "user": "alice", "name": "ci", "created": "2026-12-03T19:50:00Z",
 *    "expires": "2027-03-03T19:50:00Z", "sha256": "9f86d0...0a08"}
 * ]}
 * }</pre>
 *
 * <p>{@code expires} is left out for a token that does not expire. Changes replace the file
 * atomically (a temporary file in the same directory, then a rename) under an exclusive lock on a
 * sibling {@code .NAME.lock} file, so a running registry never reads half a file and two
 * {@code token} commands at once do not lose each other's change.
 */
public final class LoginTokenFile {
    private static final Pattern ID = Pattern.compile("[0-9A-Za-z]{" + LoginToken.ID_LENGTH + "}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** Longer names are refused: a name is a label, not a document. */
    public static final int MAX_NAME_LENGTH = 100;

    private LoginTokenFile() {
    }

    /**
     * The tokens in {@code file}; none if it does not exist.
     *
     * @throws IOException if it cannot be read or is not a tokens file (the message names the problem)
     */
    public static List<LoginToken> read(Path file) throws IOException {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return parse(content);
    }

    static List<LoginToken> parse(byte[] content) throws IOException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(content);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("it is not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        if (root == null || root.isMissingNode() || (root.isObject() && root.isEmpty())) {
            return List.of();
        }
        if (!root.isObject() || !root.path("tokens").isArray()) {
            throw new IOException("it is not a tokens file: expected {\"tokens\": [...]}");
        }
        List<LoginToken> tokens = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        int index = 0;
        for (JsonNode entry : root.get("tokens")) {
            index++;
            String where = "token " + index;
            String id = text(entry, "id", where);
            if (!ID.matcher(id).matches()) {
                throw new IOException(where + " has the id '" + id + "', which is not " + LoginToken.ID_LENGTH
                        + " letters and digits");
            }
            if (!ids.add(id)) {
                throw new IOException(where + " repeats the id '" + id + "'");
            }
            String user = text(entry, "user", where);
            try {
                HtpasswdFile.checkUser(user);
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage());
            }
            String sha256 = text(entry, "sha256", where);
            if (!SHA256.matcher(sha256).matches()) {
                throw new IOException(where + " has a sha256 that is not 64 lower-case hex digits");
            }
            String name = entry.path("name").isTextual() ? entry.get("name").asText() : "";
            tokens.add(new LoginToken(id, user, name, instant(entry, "created", where),
                    entry.hasNonNull("expires") ? instant(entry, "expires", where) : null,
                    HexFormat.of().parseHex(sha256)));
        }
        return List.copyOf(tokens);
    }

    private static String text(JsonNode entry, String field, String where) throws IOException {
        JsonNode value = entry.path(field);
        if (!value.isTextual() || value.asText().isEmpty()) {
            throw new IOException(where + " has no " + field);
        }
        return value.asText();
    }

    private static Instant instant(JsonNode entry, String field, String where) throws IOException {
        String text = text(entry, field, where);
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IOException(where + " has the " + field + " '" + text + "', which is not a time such as "
                    + "'2026-12-03T19:50:00Z'");
        }
    }

    /**
     * Adds a new token for {@code user} to {@code file} (created, mode 0600, if missing).
     *
     * @param name    what the token is for, may be empty
     * @param expires when it stops working, or {@code null} for never
     * @return the token's text, to be shown once, and its entry
     * @throws IllegalArgumentException if the user name or the name cannot be used
     */
    public static LoginToken.Issued create(Path file, String user, String name, Instant now, Instant expires)
            throws IOException {
        HtpasswdFile.checkUser(user);
        if (name.length() > MAX_NAME_LENGTH || name.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("the name must be at most " + MAX_NAME_LENGTH
                    + " characters without control characters");
        }
        Instant created = now.truncatedTo(ChronoUnit.SECONDS);
        if (expires != null && !expires.isAfter(created)) {
            throw new IllegalArgumentException("the expiry " + expires + " is not in the future");
        }
        LoginToken.Issued issued = LoginToken.generate(user, name, created, expires);
        update(file, tokens -> {
            List<LoginToken> more = new ArrayList<>(tokens);
            more.add(issued.token());
            return more;
        });
        return issued;
    }

    /**
     * Removes the token {@code id} from {@code file}.
     *
     * @return the removed token, or {@code null} if there was none with that id
     */
    public static LoginToken revoke(Path file, String id) throws IOException {
        LoginToken[] removed = new LoginToken[1];
        update(file, tokens -> {
            List<LoginToken> kept = new ArrayList<>();
            for (LoginToken token : tokens) {
                if (token.id().equals(id)) {
                    removed[0] = token;
                } else {
                    kept.add(token);
                }
            }
            return removed[0] == null ? null : kept;
        });
        return removed[0];
    }

    /** A change to the list of tokens; {@code null} means "leave the file alone". */
    private interface Change {
        List<LoginToken> apply(List<LoginToken> tokens);
    }

    private static void update(Path file, Change change) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path lockFile = absolute.resolveSibling("." + absolute.getFileName() + ".lock");
        // The file lock keeps other processes out; a JVM may hold one lock on a file only, so its own threads
        // queue here first.
        synchronized (LoginTokenFile.class) {
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock lock = channel.lock()) {
                List<LoginToken> changed = change.apply(read(absolute));
                if (changed != null) {
                    writeAtomically(absolute, format(changed));
                }
            }
        }
    }

    static byte[] format(List<LoginToken> tokens) throws IOException {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode array = root.putArray("tokens");
        for (LoginToken token : tokens) {
            ObjectNode entry = array.addObject();
            entry.put("id", token.id());
            entry.put("user", token.user());
            entry.put("name", token.name());
            entry.put("created", token.created().toString());
            if (token.expires() != null) {
                entry.put("expires", token.expires().toString());
            }
            entry.put("sha256", HexFormat.of().formatHex(token.sha256()));
        }
        String text = Json.MAPPER.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
        return (text + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void writeAtomically(Path file, byte[] content) throws IOException {
        // createTempFile makes the file readable by its owner only; an existing file keeps its mode.
        Path temporary = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
        try {
            if (Files.exists(file)) {
                PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
                if (view != null) {
                    Files.setPosixFilePermissions(temporary, view.readAttributes().permissions());
                }
            }
            Files.write(temporary, content);
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
