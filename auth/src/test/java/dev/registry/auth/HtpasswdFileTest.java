package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtpasswdFileTest {
    /** Made by Apache's tool: {@code htpasswd -nbB alice 'correct horse'} (cost 5, its default). */
    static final String ALICE = "alice:$2y$05$5iD/zKoPb5yoQVCpjhfpk.QeXoDLdbu9urcjffDGoOlSqoAa4YCAy";
    /** {@code htpasswd -nbB -C 5 bob 'S3cr3t!'}. */
    static final String BOB = "bob:$2y$05$CQSqGB9Vdm9G4PXAZGN6Qeqs7Pt17QR1buuYnSqNUBcn0cL5YdXCC";
    /** {@code printf 'pässwörd-ü' | htpasswd -niB erin}: a UTF-8 password. */
    static final String ERIN = "erin:$2y$05$14kSynbJlHgrhGN0t8CMA.5kXjoG9CzSP8fJWIUU8oOh5w6QR1gCW";
    /** {@code htpasswd -nbm carol md5pass}: apr1 MD5, which is not accepted. */
    static final String CAROL_MD5 = "carol:$apr1$Enx4Lxou$bKgeFPmO3a/k9l8z8dblk1";
    /** {@code htpasswd -nbs dave shapass}: SHA-1, which is not accepted. */
    static final String DAVE_SHA = "dave:{SHA}z0jT3TdveclVlHs5WCpg5cPeIe8=";

    @TempDir
    Path dir;

    private final AtomicLong nanos = new AtomicLong();

    private HtpasswdFile file(String... lines) throws IOException {
        Path path = dir.resolve("htpasswd");
        Files.writeString(path, String.join("\n", lines) + "\n");
        return new HtpasswdFile(path, nanos::get);
    }

    @Test
    void verifiesHashesMadeByApacheHtpasswd() throws IOException {
        HtpasswdFile users = file(ALICE, BOB, ERIN);

        assertTrue(users.verify("alice", "correct horse".toCharArray()));
        assertTrue(users.verify("bob", "S3cr3t!".toCharArray()));
        assertTrue(users.verify("erin", "pässwörd-ü".toCharArray()));
        assertEquals(List.of("alice", "bob", "erin"), users.users());
    }

    @Test
    void wrongPasswordsAndUnknownUsersFail() throws IOException {
        HtpasswdFile users = file(ALICE);

        assertFalse(users.verify("alice", "correct horse ".toCharArray()));
        assertFalse(users.verify("alice", "".toCharArray()));
        assertFalse(users.verify("Alice", "correct horse".toCharArray()));
        assertFalse(users.verify("mallory", "correct horse".toCharArray()));
    }

    @Test
    void acceptsEveryBcryptVariant() throws IOException {
        String a = OpenBSDBCrypt.generate("2a", "pw-a".toCharArray(), new byte[16], 4);
        String b = OpenBSDBCrypt.generate("2b", "pw-b".toCharArray(), new byte[16], 4);
        HtpasswdFile users = file("a:" + a, "b:" + b);

        assertTrue(users.verify("a", "pw-a".toCharArray()));
        assertTrue(users.verify("b", "pw-b".toCharArray()));
    }

    @Test
    void skipsNonBcryptCommentsBlankAndMalformedLines() throws IOException {
        HtpasswdFile users = file("# users", "", CAROL_MD5, DAVE_SHA, "plain:text", "no-colon", ":$2y$05$x",
                "  " + ALICE + "  ", "anonymous:" + ALICE.substring(6));

        assertEquals(List.of("alice"), users.users());
        assertFalse(users.verify("carol", "md5pass".toCharArray()), "MD5 hashes are refused, as in registry:2");
        assertFalse(users.verify("dave", "shapass".toCharArray()));
        assertFalse(users.verify("plain", "text".toCharArray()), "plain text is never a password");
        assertFalse(users.verify("anonymous", "correct horse".toCharArray()), "'anonymous' is reserved");
        assertTrue(users.verify("alice", "correct horse".toCharArray()), "surrounding spaces are ignored");
    }

    @Test
    void laterDuplicateWins() throws IOException {
        HtpasswdFile users = file(ALICE, "alice:" + BOB.substring(4));

        assertFalse(users.verify("alice", "correct horse".toCharArray()));
        assertTrue(users.verify("alice", "S3cr3t!".toCharArray()));
    }

    @Test
    void unknownUsersAreCheckedAgainstADummyHashOfTheFilesCost() throws IOException {
        assertEquals(5, file(ALICE, BOB).dummyCost());
        assertEquals(HtpasswdFile.COST, file("# nobody").dummyCost());
        String cost6 = OpenBSDBCrypt.generate("2y", "x".toCharArray(), new byte[16], 6);
        assertEquals(6, file("a:" + cost6, "b:" + cost6, ALICE).dummyCost());
    }

    @Test
    void reloadsWhenTheFileChangesButAtMostOnceASecond() throws IOException {
        HtpasswdFile users = file(ALICE);
        Path path = users.path();
        Files.writeString(path, ALICE + "\n" + BOB + "\n");
        Files.setLastModifiedTime(path, FileTime.fromMillis(Files.getLastModifiedTime(path).toMillis() + 5000));

        assertFalse(users.verify("bob", "S3cr3t!".toCharArray()), "not re-read within a second");

        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertTrue(users.verify("bob", "S3cr3t!".toCharArray()));
    }

    /** `htpasswd -B` and then a login at once: an unknown user makes the file be looked at again. */
    @Test
    void aUserAddedAMomentAgoLogsInAtOnce() throws IOException {
        HtpasswdFile users = file(ALICE);
        Path path = users.path();
        nanos.addAndGet(Duration.ofMillis(300).toNanos());
        assertFalse(users.verify("bob", "S3cr3t!".toCharArray()), "no bob yet");
        Files.writeString(path, ALICE + "\n" + BOB + "\n");
        Files.setLastModifiedTime(path, FileTime.fromMillis(Files.getLastModifiedTime(path).toMillis() + 5000));

        assertFalse(users.verify("bob", "S3cr3t!".toCharArray()), "an unknown user looks again at most every 20 ms");
        nanos.addAndGet(Duration.ofMillis(20).toNanos());
        assertTrue(users.verify("bob", "S3cr3t!".toCharArray()), "within the second, not after it");
    }

    @Test
    void reloadNoticesAFileSwappedInWithTheSameSizeAndModificationTime() throws IOException {
        // as a Kubernetes Secret update does: another file (inode) under the path
        HtpasswdFile users = file("bob:" + HtpasswdFile.hash("first password".toCharArray()));
        Path path = users.path();
        Path next = dir.resolve("htpasswd.next");
        Files.writeString(next, "bob:" + HtpasswdFile.hash("other password".toCharArray()) + "\n");
        assertEquals(Files.size(path), Files.size(next));
        Files.setLastModifiedTime(next, Files.getLastModifiedTime(path));
        Files.move(next, path, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());

        assertTrue(users.verify("bob", "other password".toCharArray()));
        assertFalse(users.verify("bob", "first password".toCharArray()));
    }

    @Test
    void reloadNoticesAChangedSizeWithTheSameModificationTime() throws IOException {
        HtpasswdFile users = file(BOB);
        Path path = users.path();
        FileTime modified = Files.getLastModifiedTime(path);
        Files.writeString(path, ALICE + "\n");
        Files.setLastModifiedTime(path, modified);
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());

        assertTrue(users.verify("alice", "correct horse".toCharArray()));
        assertFalse(users.verify("bob", "S3cr3t!".toCharArray()), "removed users are gone");
    }

    @Test
    void rememberedLoginDoesNotOutliveAPasswordChange() throws IOException {
        HtpasswdFile users = file(ALICE);
        assertTrue(users.verify("alice", "correct horse".toCharArray()));
        assertTrue(users.verify("alice", "correct horse".toCharArray()), "remembered");

        HtpasswdFile.addOrUpdate(users.path(), "alice", "new password".toCharArray());
        Files.setLastModifiedTime(users.path(), FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());

        assertFalse(users.verify("alice", "correct horse".toCharArray()));
        assertTrue(users.verify("alice", "new password".toCharArray()));
    }

    @Test
    void keepsTheKnownUsersWhenTheFileDisappears() throws IOException {
        HtpasswdFile users = file(ALICE);
        Files.delete(users.path());
        nanos.addAndGet(Duration.ofSeconds(5).toNanos());

        assertTrue(users.verify("alice", "correct horse".toCharArray()));
    }

    @Test
    void missingFileFailsToLoad() {
        assertThrows(NoSuchFileException.class, () -> HtpasswdFile.load(dir.resolve("missing")));
    }

    @Test
    void fingerprintChangesWithThePassword() throws IOException {
        HtpasswdFile users = file(ALICE, BOB);
        String before = users.fingerprint("alice").orElseThrow();

        assertNotEquals(users.fingerprint("bob").orElseThrow(), before);
        assertTrue(users.fingerprint("nobody").isEmpty());
        assertFalse(before.contains("5iD/zKoPb5yo"), "the fingerprint does not contain the hash");

        HtpasswdFile.addOrUpdate(users.path(), "alice", "other".toCharArray());
        Files.setLastModifiedTime(users.path(), FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertNotEquals(before, users.fingerprint("alice").orElseThrow());
    }

    // ---- writer ----

    @Test
    void writerCreatesAFileReadableOnlyByItsOwnerWithA2yCost10Hash() throws IOException {
        Path path = dir.resolve("new-htpasswd");

        assertTrue(HtpasswdFile.addOrUpdate(path, "alice", "s3cret".toCharArray()));

        String line = Files.readString(path);
        assertTrue(line.matches("alice:\\$2y\\$10\\$[./A-Za-z0-9]{53}\n"), line);
        assertTrue(OpenBSDBCrypt.checkPassword(line.substring(6).strip(), "s3cret".toCharArray()));
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(path));
        assertTrue(HtpasswdFile.load(path).verify("alice", "s3cret".toCharArray()));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(path), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void writerReplacesTheUsersLineAndKeepsTheOthers() throws IOException {
        Path path = Files.writeString(dir.resolve("htpasswd"), "# team\n" + ALICE + "\n" + BOB + "\n"
                + "alice:$2y$05$old\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r-----"));

        assertFalse(HtpasswdFile.addOrUpdate(path, "alice", "changed".toCharArray()));

        List<String> lines = Files.readAllLines(path);
        assertEquals(3, lines.size(), lines.toString());
        assertEquals("# team", lines.get(0));
        assertTrue(lines.get(1).startsWith("alice:$2y$10$"));
        assertEquals(BOB, lines.get(2));
        assertEquals(PosixFilePermissions.fromString("rw-r-----"), Files.getPosixFilePermissions(path),
                "the file's permissions are kept");
        HtpasswdFile users = HtpasswdFile.load(path);
        assertTrue(users.verify("alice", "changed".toCharArray()));
        assertTrue(users.verify("bob", "S3cr3t!".toCharArray()));
    }

    @Test
    void writerAppendsNewUsers() throws IOException {
        Path path = Files.writeString(dir.resolve("htpasswd"), ALICE);

        assertTrue(HtpasswdFile.addOrUpdate(path, "bob", "pw".toCharArray()));

        List<String> lines = Files.readAllLines(path);
        assertEquals(ALICE, lines.get(0));
        assertTrue(lines.get(1).startsWith("bob:$2y$10$"));
    }

    @Test
    void writerRefusesNamesAnHtpasswdFileCannotHoldOrRulesReserve() {
        Path path = dir.resolve("htpasswd");
        for (String user : new String[] {"", "a:b", "a b", "tab\tuser", "anonymous", "*"}) {
            assertThrows(IllegalArgumentException.class, () -> HtpasswdFile.addOrUpdate(path, user, "pw".toCharArray()),
                    user);
        }
        assertThrows(IllegalArgumentException.class, () -> HtpasswdFile.addOrUpdate(path, "alice", new char[0]));
        assertFalse(Files.exists(path));
    }
}
