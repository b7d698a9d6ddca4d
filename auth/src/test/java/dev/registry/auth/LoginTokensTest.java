package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoginTokensTest {
    private static final Instant NOW = Instant.parse("2026-12-03T19:50:00Z");

    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock(NOW);
    private final AtomicLong nanos = new AtomicLong();

    private LoginTokens tokens(Path file) throws IOException {
        return new LoginTokens(file, clock, nanos::get);
    }

    /** Lets the next check look at the file again. */
    private void nextSecond() {
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    }

    @Test
    void aValidTokenGivesItsEntry() throws IOException {
        Path file = dir.resolve("tokens.json");
        LoginToken.Issued issued = LoginTokenFile.create(file, "alice", "ci", NOW, null);
        LoginTokens tokens = tokens(file);

        assertEquals(Optional.of(issued.token()), tokens.verify(issued.text().toCharArray()));
        assertTrue(tokens.isValid(issued.token().id(), "alice"));
        assertFalse(tokens.isValid(issued.token().id(), "bob"));
    }

    @Test
    void passwordsUnknownTokensAndForgedTokensAreNotTokens() throws IOException {
        Path file = dir.resolve("tokens.json");
        LoginToken.Issued issued = LoginTokenFile.create(file, "alice", "ci", NOW, null);
        LoginTokens tokens = tokens(file);
        // a well-formed token for an id in the file, but another secret: the hash differs
        LoginToken.Issued other = LoginToken.generate("alice", "", NOW, null);
        String forged = issued.text().substring(0, 20) + other.text().substring(20);
        forged = forged.substring(0, forged.length() - 6) + checksumOf(forged.substring(0, forged.length() - 6));

        assertEquals(Optional.of(issued.token().id()), LoginToken.idOf(forged.toCharArray()), "well formed");
        assertEquals(Optional.empty(), tokens.verify(forged.toCharArray()));
        assertEquals(Optional.empty(), tokens.verify(other.text().toCharArray()), "not in the file");
        assertEquals(Optional.empty(), tokens.verify("correct horse".toCharArray()));
    }

    /** The checksum LoginToken appends to {@code body} (CRC32 in 6 base62 digits), computed independently. */
    private static String checksumOf(String body) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(body.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        String digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        long value = crc.getValue();
        char[] out = new char[6];
        for (int i = 5; i >= 0; i--) {
            out[i] = digits.charAt((int) (value % 62));
            value /= 62;
        }
        return new String(out);
    }

    @Test
    void anExpiredTokenIsRefused() throws IOException {
        Path file = dir.resolve("tokens.json");
        LoginToken.Issued issued = LoginTokenFile.create(file, "alice", "ci", NOW, NOW.plus(Duration.ofDays(90)));
        LoginTokens tokens = tokens(file);

        clock.advance(Duration.ofDays(90).minusSeconds(1));
        assertTrue(tokens.verify(issued.text().toCharArray()).isPresent());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(Optional.empty(), tokens.verify(issued.text().toCharArray()));
        assertFalse(tokens.isValid(issued.token().id(), "alice"));
    }

    @Test
    void createAndRevokeTakeEffectWithinASecondWithoutARestart() throws IOException {
        Path file = dir.resolve("tokens.json");
        LoginTokens tokens = tokens(file);
        assertEquals(List.of(), tokens.tokens(), "no file yet: no tokens");

        LoginToken.Issued issued = LoginTokenFile.create(file, "alice", "ci", NOW, null);
        assertEquals(Optional.empty(), tokens.verify(issued.text().toCharArray()), "checked at most once a second");
        nextSecond();
        assertTrue(tokens.verify(issued.text().toCharArray()).isPresent(), "picked up");

        LoginTokenFile.revoke(file, issued.token().id());
        nextSecond();
        assertEquals(Optional.empty(), tokens.verify(issued.text().toCharArray()), "revoked");
    }

    /** `token create` and then a login at once: an unknown id makes the file be looked at again. */
    @Test
    void aTokenCreatedAMomentAgoWorksAtOnce() throws IOException {
        Path file = dir.resolve("tokens.json");
        LoginTokens tokens = tokens(file);
        nanos.addAndGet(Duration.ofMillis(300).toNanos());
        LoginToken.Issued unknown = LoginToken.generate("alice", "", NOW, null);
        assertEquals(Optional.empty(), tokens.verify(unknown.text().toCharArray()), "no file: looked at it now");

        LoginToken.Issued issued = LoginTokenFile.create(file, "alice", "ci", NOW, null);
        assertEquals(Optional.empty(), tokens.verify(issued.text().toCharArray()),
                "an unknown id looks again at most every 20 ms");
        nanos.addAndGet(Duration.ofMillis(20).toNanos());
        assertTrue(tokens.verify(issued.text().toCharArray()).isPresent(), "within the second, not after it");

        // a revocation still waits for the interval: a known id does not make the file be read
        LoginTokenFile.revoke(file, issued.token().id());
        nanos.addAndGet(Duration.ofMillis(500).toNanos());
        assertTrue(tokens.verify(issued.text().toCharArray()).isPresent(), "revoked, not yet looked at");
        nanos.addAndGet(Duration.ofMillis(500).toNanos());
        assertEquals(Optional.empty(), tokens.verify(issued.text().toCharArray()), "revoked within a second");
    }

    @Test
    void aFileSwappedInLikeAKubernetesSecretUpdateIsPickedUp() throws IOException {
        // A Secret volume's file is a symlink into a directory the kubelet replaces as a whole.
        Path v1 = Files.createDirectories(dir.resolve("..2026_12_03_1"));
        Path v2 = Files.createDirectories(dir.resolve("..2026_12_03_2"));
        LoginToken.Issued first = LoginTokenFile.create(v1.resolve("tokens.json"), "alice", "", NOW, null);
        Files.copy(v1.resolve("tokens.json"), v2.resolve("tokens.json"));
        LoginToken.Issued second = LoginTokenFile.create(v2.resolve("tokens.json"), "alice", "", NOW, null);
        Files.setLastModifiedTime(v2.resolve("tokens.json"), Files.getLastModifiedTime(v1.resolve("tokens.json")));
        Path data = Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        Path file = Files.createSymbolicLink(dir.resolve("tokens.json"), Path.of("..data/tokens.json"));
        LoginTokens tokens = tokens(file);
        assertTrue(tokens.verify(first.text().toCharArray()).isPresent());
        assertFalse(tokens.verify(second.text().toCharArray()).isPresent());

        Path next = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
        Files.move(next, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        nextSecond();
        assertTrue(tokens.verify(second.text().toCharArray()).isPresent(), "the new file, same mtime, other inode");
    }

    @Test
    void anUnreadableFileAcceptsNoTokenRatherThanOldOnes() throws IOException {
        Path file = dir.resolve("tokens.json");
        LoginToken.Issued issued = LoginTokenFile.create(file, "alice", "ci", NOW, null);
        LoginTokens tokens = tokens(file);
        assertTrue(tokens.verify(issued.text().toCharArray()).isPresent());

        Files.writeString(file, "{ half a file");
        nextSecond();
        assertEquals(Optional.empty(), tokens.verify(issued.text().toCharArray()),
                "the change may have been a revocation");

        Files.delete(file);
        nextSecond();
        assertEquals(List.of(), tokens.tokens());
    }

    @Test
    void aMalformedFileStopsStartup() throws IOException {
        Path file = Files.writeString(dir.resolve("tokens.json"), "[1, 2]");

        IOException e = assertThrows(IOException.class, () -> LoginTokens.load(file, clock));
        assertTrue(e.getMessage().contains("not a tokens file"), e.getMessage());
    }
}
