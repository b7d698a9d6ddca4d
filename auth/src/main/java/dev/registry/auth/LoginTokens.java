package dev.registry.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The login tokens the registry accepts: the {@link LoginTokenFile} at {@code auth.tokens.path},
 * re-read when its modification time, size or identity (inode) changes, checked at most once a
 * second, so that {@code token create} and {@code token revoke} take effect without a restart, on
 * every replica that shares the file (a Kubernetes Secret update swaps the file under its path).
 *
 * <p>A missing file means no tokens. A file that cannot be read or parsed later also means no
 * tokens (and an error in the log) rather than the tokens read before: the change may have been a
 * revocation, and a revoked token must not keep working. Passwords keep working either way.
 */
public final class LoginTokens {
    private static final Logger LOG = LoggerFactory.getLogger(LoginTokens.class);
    private static final long CHECK_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();
    /** Compared with when the id is unknown, so that unknown ids cost what known ones do. */
    private static final byte[] NO_HASH = new byte[32];

    private final Path path;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final Object reloadLock = new Object();
    private volatile Snapshot snapshot;
    private volatile long lastCheck;

    /** The tokens of one version of the file, by id. */
    private record Snapshot(Map<String, LoginToken> byId, FileTime modified, long size, Object fileKey) {
        static final Snapshot NONE = new Snapshot(Map.of(), null, -1, null);
    }

    LoginTokens(Path path, Clock clock, LongSupplier nanoTime) throws IOException {
        this.path = path;
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.snapshot = read(path);
        this.lastCheck = nanoTime.getAsLong();
    }

    /**
     * Reads the file now (if it exists), so that a malformed file fails at startup.
     *
     * @throws IOException if the file exists but cannot be read or is not a tokens file
     */
    public static LoginTokens load(Path path, Clock clock) throws IOException {
        return new LoginTokens(path, clock, System::nanoTime);
    }

    public Path path() {
        return path;
    }

    /**
     * The token {@code password} is, if it is one that works now: of a token's form, in the file,
     * its SHA-256 equal (compared in constant time) and not expired.
     */
    public Optional<LoginToken> verify(char[] password) {
        Optional<String> id = LoginToken.idOf(password);
        if (id.isEmpty()) {
            return Optional.empty();
        }
        LoginToken token = current().byId().get(id.get());
        byte[] hash = LoginToken.sha256Of(password);
        boolean matches = token != null ? token.matches(hash) : MessageDigest.isEqual(NO_HASH, hash);
        if (token == null || !matches || !token.validAt(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(token);
    }

    /** Whether the token {@code id} of {@code user} is still in the file and not expired. */
    public boolean isValid(String id, String user) {
        LoginToken token = current().byId().get(id);
        return token != null && token.user().equals(user) && token.validAt(clock.instant());
    }

    /** The tokens now in effect, for tests and diagnostics. */
    List<LoginToken> tokens() {
        return List.copyOf(current().byId().values());
    }

    private Snapshot current() {
        long now = nanoTime.getAsLong();
        if (now - lastCheck < CHECK_INTERVAL_NANOS) {
            return snapshot;
        }
        synchronized (reloadLock) {
            if (now - lastCheck < CHECK_INTERVAL_NANOS) {
                return snapshot;
            }
            lastCheck = now;
            Snapshot old = snapshot;
            try {
                BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                if (!attributes.lastModifiedTime().equals(old.modified()) || attributes.size() != old.size()
                        || !Objects.equals(attributes.fileKey(), old.fileKey())) {
                    snapshot = read(path);
                    LOG.info("re-read login tokens file {}: {} tokens", path, snapshot.byId().size());
                }
            } catch (NoSuchFileException e) {
                if (old != Snapshot.NONE) {
                    LOG.warn("login tokens file {} was removed: no login token is accepted until it is back", path);
                }
                snapshot = Snapshot.NONE;
            } catch (IOException e) {
                LOG.error("cannot read login tokens file {} ({}): no login token is accepted until it can be read; "
                        + "passwords still work", path, e.getMessage());
                snapshot = Snapshot.NONE;
            }
            return snapshot;
        }
    }

    private static Snapshot read(Path path) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return Snapshot.NONE;
        }
        List<LoginToken> tokens = LoginTokenFile.parse(Files.readAllBytes(path));
        Map<String, LoginToken> byId = new HashMap<>();
        tokens.forEach(token -> byId.put(token.id(), token));
        return new Snapshot(Map.copyOf(byId), attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
    }
}
