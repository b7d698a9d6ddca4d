package dev.registry.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);
    /** Compared with when the id is unknown, so that unknown ids cost what known ones do. */
    private static final byte[] NO_HASH = new byte[32];

    private final Clock clock;
    private final WatchedFile<Snapshot> file;

    /** The tokens of one version of the file, by id. */
    private record Snapshot(Map<String, LoginToken> byId) {
        static final Snapshot NONE = new Snapshot(Map.of());
    }

    LoginTokens(Path path, Clock clock, LongSupplier nanoTime) throws IOException {
        this.clock = clock;
        this.file = new WatchedFile<>(path, CHECK_INTERVAL, nanoTime, LoginTokens::read,
                (previous, failure) -> {
                    if (failure instanceof NoSuchFileException) {
                        if (previous != Snapshot.NONE) {
                            LOG.warn("login tokens file {} was removed: no login token is accepted until it is back", path);
                        }
                    } else {
                        LOG.error("cannot read login tokens file {} ({}): no login token is accepted until it can be read; "
                                + "passwords still work", path, failure.getMessage());
                    }
                    // the change may have been a revocation: a revoked token must not keep working
                    return Snapshot.NONE;
                },
                reloaded -> LOG.info("re-read login tokens file {}: {} tokens", path, reloaded.byId().size()),
                Snapshot.NONE);
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
        return file.path();
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
        if (token == null) {
            // created a moment ago, within the file's check interval: `token create` then a login
            token = file.fresh().byId().get(id.get());
        }
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
        return file.get();
    }

    private static Snapshot read(Path path) throws IOException {
        Map<String, LoginToken> byId = new HashMap<>();
        LoginTokenFile.parse(Files.readAllBytes(path)).forEach(token -> byId.put(token.id(), token));
        return new Snapshot(Map.copyOf(byId));
    }
}
