package dev.registry.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Apache htpasswd file of {@code user:bcrypt-hash} lines, as made by {@code htpasswd -B}.
 *
 * <p>Only bcrypt ({@code $2y$}, {@code $2a$}, {@code $2b$}) is accepted, as in registry:2; lines
 * with other hashes are skipped with a warning that names the line number and user, never the hash.
 * The file is re-read when its modification time, size or identity changes, checked at most once
 * a second; if it cannot be read then, the users read before stay in effect.
 *
 * <p>Verifying runs one bcrypt whether or not the user exists (against a dummy hash of the same
 * cost), so that response times do not tell which users exist. A successful verification is
 * remembered for a few minutes (keyed by an HMAC of the password under a per-process random key)
 * so that the many requests of one {@code docker push} do not each pay for a bcrypt.
 */
public final class HtpasswdFile {
    private static final Logger LOG = LoggerFactory.getLogger(HtpasswdFile.class);
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);
    /** The cost {@link #hash(char[])} uses; Go's bcrypt.DefaultCost, which registry:2 uses. */
    public static final int COST = 10;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final WatchedFile<Snapshot> file;
    private final byte[] cacheKey = new byte[32];
    private final Cache<String, String> verified = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofMinutes(5))
            .maximumSize(10_000)
            .build();

    /** The users of one version of the file. */
    private record Snapshot(Map<String, String> hashes, String dummyHash) {
    }

    HtpasswdFile(Path path, LongSupplier nanoTime) throws IOException {
        RANDOM.nextBytes(cacheKey);
        this.file = new WatchedFile<>(path, CHECK_INTERVAL, nanoTime, HtpasswdFile::read,
                (previous, failure) -> {
                    // Keep serving the users we know rather than locking everyone out over a half-done edit.
                    LOG.warn("cannot re-read htpasswd file {} ({}); keeping the {} users read before", path,
                            failure.getMessage(), previous.hashes().size());
                    return previous;
                },
                reloaded -> LOG.info("re-read htpasswd file {}: {} users", path, reloaded.hashes().size()),
                null);
    }

    /**
     * Reads the file now, so that an unreadable file fails at startup.
     *
     * @throws IOException if the file cannot be read
     */
    public static HtpasswdFile load(Path path) throws IOException {
        return new HtpasswdFile(path, System::nanoTime);
    }

    public Path path() {
        return file.path();
    }

    /** Whether {@code password} is {@code user}'s. Takes about one bcrypt whatever the outcome. */
    public boolean verify(String user, char[] password) {
        Snapshot current = current();
        String hash = current.hashes().get(user);
        if (hash == null) {
            // added a moment ago, within the file's check interval: `htpasswd -B` then a login
            current = file.fresh();
            hash = current.hashes().get(user);
        }
        String cacheEntry = cacheEntry(user, password);
        if (hash != null && hash.equals(verified.getIfPresent(cacheEntry))) {
            return true;
        }
        boolean matches = OpenBSDBCrypt.checkPassword(hash != null ? hash : current.dummyHash(), password);
        if (hash != null && matches) {
            verified.put(cacheEntry, hash);
            return true;
        }
        return false;
    }

    /** Whether the file has a (bcrypt) entry for {@code user}. */
    public boolean contains(String user) {
        return current().hashes().containsKey(user);
    }

    /**
     * A short digest of {@code user}'s current hash: it changes whenever the password does, so a
     * refresh token bound to it stops working then. Reveals nothing usable about the password.
     */
    public Optional<String> fingerprint(String user) {
        String hash = current().hashes().get(user);
        if (hash == null) {
            return Optional.empty();
        }
        byte[] digest = sha256(hash.getBytes(StandardCharsets.US_ASCII));
        return Optional.of(Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 12)));
    }

    private Snapshot current() {
        return file.get();
    }

    private static Snapshot read(Path path) throws IOException {
        List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        Map<String, String> hashes = new HashMap<>();
        Map<Integer, Integer> costs = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            int number = i + 1;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                LOG.warn("htpasswd file {} line {} is not 'user:hash' and is ignored", path, number);
                continue;
            }
            String user = line.substring(0, colon);
            String hash = line.substring(colon + 1);
            if (!BCRYPT.matcher(hash).matches()) {
                LOG.warn("htpasswd file {} line {}: the password of user '{}' is not a bcrypt hash, which registry:2 "
                        + "requires too (make it with 'htpasswd -B'); the line is ignored", path, number, user);
                continue;
            }
            if (Principal.ANONYMOUS.name().equals(user)) {
                LOG.warn("htpasswd file {} line {}: the user name 'anonymous' stands for callers without credentials "
                        + "and cannot log in; the line is ignored", path, number);
                continue;
            }
            if (hashes.put(user, hash) != null) {
                LOG.warn("htpasswd file {} line {}: user '{}' appears again; this later line wins", path, number, user);
            }
            costs.merge(Integer.parseInt(hash.substring(4, 6)), 1, Integer::sum);
        }
        // The dummy hash costs what most entries cost, so unknown users take as long as known ones.
        int cost = costs.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(COST);
        return new Snapshot(Map.copyOf(hashes), dummyHash(cost));
    }

    private static String dummyHash(int cost) {
        char[] password = new char[16];
        for (int i = 0; i < password.length; i++) {
            password[i] = (char) ('a' + RANDOM.nextInt(26));
        }
        return OpenBSDBCrypt.generate("2y", password, salt(), cost);
    }

    private String cacheEntry(String user, char[] password) {
        ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(cacheKey, "HmacSHA256"));
            mac.update(bytes);
            return user + ":" + Base64.getEncoder().encodeToString(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        } finally {
            Arrays.fill(bytes.array(), (byte) 0);
        }
    }

    /** A {@code $2y$} bcrypt hash of {@code password} with cost {@value #COST}, as {@code htpasswd -B -C 10} makes. */
    public static String hash(char[] password) {
        return OpenBSDBCrypt.generate("2y", password, salt(), COST);
    }

    /**
     * Sets {@code user}'s password in the htpasswd file at {@code file}, creating the file (mode
     * 0600) if needed. Other lines are kept as they are. The file is replaced atomically (written
     * to a temporary file in the same directory, then renamed), so a running registry never reads
     * half of it.
     *
     * @return {@code true} if the user was added, {@code false} if an existing user's password was changed
     * @throws IllegalArgumentException if the user name cannot be used in an htpasswd file or the password is empty
     * @throws IOException if the file cannot be read or written
     */
    public static boolean addOrUpdate(Path file, String user, char[] password) throws IOException {
        checkUser(user);
        if (password.length == 0) {
            throw new IllegalArgumentException("the password is empty");
        }
        String entry = user + ":" + hash(password);
        List<String> lines = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        List<String> updated = new ArrayList<>();
        boolean found = false;
        for (String line : lines) {
            if (line.strip().startsWith(user + ":")) {
                if (!found) {
                    updated.add(entry);
                }
                found = true; // a repeated entry for the user is dropped, as it would override this one
            } else {
                updated.add(line);
            }
        }
        if (!found) {
            updated.add(entry);
        }
        writeAtomically(file, String.join("\n", updated) + "\n");
        return !found;
    }

    static void checkUser(String user) {
        if (user == null || user.isEmpty()) {
            throw new IllegalArgumentException("the user name is empty");
        }
        if (user.chars().anyMatch(c -> c == ':' || Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new IllegalArgumentException("the user name '" + user + "' contains ':', a space or a control "
                    + "character, which an htpasswd file cannot hold");
        }
        if (user.equals(Principal.ANONYMOUS.name()) || user.equals("*")) {
            throw new IllegalArgumentException("the user name '" + user + "' is reserved for access rules");
        }
    }

    private static void writeAtomically(Path file, String content) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path directory = absolute.getParent();
        // createTempFile makes the file readable by its owner only, which suits a password file.
        Path temporary = Files.createTempFile(directory, "." + absolute.getFileName(), ".tmp");
        try {
            if (Files.exists(absolute)) {
                PosixFileAttributeView view = Files.getFileAttributeView(absolute, PosixFileAttributeView.class);
                if (view != null) {
                    Files.setPosixFilePermissions(temporary, view.readAttributes().permissions());
                }
            }
            Files.writeString(temporary, content, StandardCharsets.UTF_8);
            try {
                Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static byte[] salt() {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return salt;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** The bcrypt cost of the dummy hash unknown users are checked against. */
    int dummyCost() {
        return Integer.parseInt(current().dummyHash().substring(4, 6));
    }

    /** The users, for tests and diagnostics; never the hashes. */
    List<String> users() {
        List<String> users = new ArrayList<>(current().hashes().keySet());
        Collections.sort(users);
        return users;
    }
}
