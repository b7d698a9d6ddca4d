package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoginTokenFileTest {
    private static final Instant NOW = Instant.parse("2026-12-03T19:50:00.123Z");

    @TempDir
    Path dir;

    @Test
    void missingFileHoldsNoTokens() throws IOException {
        assertEquals(List.of(), LoginTokenFile.read(dir.resolve("tokens.json")));
    }

    @Test
    void createWritesOnlyTheHashAndReadsBack() throws IOException {
        Path file = dir.resolve("tokens.json");
        LoginToken.Issued ci = LoginTokenFile.create(file, "alice", "ci", NOW, NOW.plusSeconds(90 * 86400));
        LoginToken.Issued laptop = LoginTokenFile.create(file, "bob", "", NOW, null);

        String content = Files.readString(file);
        assertFalse(content.contains(ci.text()), "the token itself is never stored");
        assertFalse(content.contains(ci.text().substring(20, 60)));
        JsonNode json = Json.MAPPER.readTree(content);
        JsonNode first = json.get("tokens").get(0);
        assertEquals(ci.token().id(), first.get("id").asText());
        assertEquals("alice", first.get("user").asText());
        assertEquals("ci", first.get("name").asText());
        assertEquals("2026-12-03T19:50:00Z", first.get("created").asText(), "whole seconds");
        assertEquals("2027-03-03T19:50:00.123Z", first.get("expires").asText());
        assertEquals(64, first.get("sha256").asText().length());
        assertFalse(json.get("tokens").get(1).has("expires"), "no expiry: left out");

        assertEquals(List.of(ci.token(), laptop.token()), LoginTokenFile.read(file));
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(file), "a new file is the owner's only");
    }

    @Test
    void revokeRemovesOneTokenAndKeepsTheFileMode() throws IOException {
        Path file = dir.resolve("tokens.json");
        LoginToken.Issued a = LoginTokenFile.create(file, "alice", "a", NOW, null);
        LoginToken.Issued b = LoginTokenFile.create(file, "alice", "b", NOW, null);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));

        assertEquals(a.token(), LoginTokenFile.revoke(file, a.token().id()));
        assertEquals(List.of(b.token()), LoginTokenFile.read(file));
        assertEquals(PosixFilePermissions.fromString("rw-r-----"), Files.getPosixFilePermissions(file));
        assertNull(LoginTokenFile.revoke(file, a.token().id()), "already gone");
        assertNull(LoginTokenFile.revoke(dir.resolve("none.json"), "abcdefghijkl"));
        assertFalse(Files.exists(dir.resolve("none.json")), "revoking from a missing file creates nothing");
        try (var names = Files.list(dir)) {
            assertEquals(List.of(), names.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp"))
                    .toList(), "no temporary file is left behind");
        }
    }

    @Test
    void concurrentCreatesLoseNoToken() throws Exception {
        Path file = dir.resolve("tokens.json");
        ConcurrentLinkedQueue<LoginToken> made = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 10; i++) {
                    try {
                        made.add(LoginTokenFile.create(file, "alice", "n" + i, NOW, null).token());
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(Set.copyOf(made), Set.copyOf(LoginTokenFile.read(file)));
        assertEquals(40, LoginTokenFile.read(file).size());
    }

    @Test
    void badInputIsRefused() {
        Path file = dir.resolve("tokens.json");
        assertThrows(IllegalArgumentException.class, () -> LoginTokenFile.create(file, "anonymous", "", NOW, null));
        assertThrows(IllegalArgumentException.class, () -> LoginTokenFile.create(file, "a:b", "", NOW, null));
        assertThrows(IllegalArgumentException.class, () -> LoginTokenFile.create(file, "alice", "x\ny", NOW, null));
        assertThrows(IllegalArgumentException.class, () -> LoginTokenFile.create(file, "alice", "", NOW,
                NOW.minusSeconds(1)));
        assertFalse(Files.exists(file));
    }

    @Test
    void malformedFilesAreReportedNotReadAsEmpty() throws IOException {
        String hash = "a".repeat(64);
        for (String[] bad : new String[][] {
                {"{", "not valid JSON"},
                {"[]", "not a tokens file"},
                {"{\"tokens\": {}}", "not a tokens file"},
                {"{\"tokens\": [{\"user\": \"alice\", \"created\": \"2026-01-01T00:00:00Z\", \"sha256\": \"" + hash
                        + "\"}]}", "token 1 has no id"},
                {"{\"tokens\": [{\"id\": \"short\", \"user\": \"alice\", \"created\": \"2026-01-01T00:00:00Z\", "
                        + "\"sha256\": \"" + hash + "\"}]}", "token 1 has the id 'short'"},
                {"{\"tokens\": [{\"id\": \"abcdefghijkl\", \"user\": \"alice\", \"created\": \"yesterday\", "
                        + "\"sha256\": \"" + hash + "\"}]}", "token 1 has the created 'yesterday'"},
                {"{\"tokens\": [{\"id\": \"abcdefghijkl\", \"user\": \"alice\", \"created\": \"2026-01-01T00:00:00Z\", "
                        + "\"sha256\": \"xyz\"}]}", "token 1 has a sha256 that is not"},
                {"{\"tokens\": [{\"id\": \"abcdefghijkl\", \"user\": \"alice\", \"created\": \"2026-01-01T00:00:00Z\", "
                        + "\"sha256\": \"" + hash + "\"}, {\"id\": \"abcdefghijkl\", \"user\": \"bob\", \"created\": "
                        + "\"2026-01-01T00:00:00Z\", \"sha256\": \"" + hash + "\"}]}", "token 2 repeats the id"}}) {
            Files.writeString(dir.resolve("bad.json"), bad[0]);
            IOException e = assertThrows(IOException.class, () -> LoginTokenFile.read(dir.resolve("bad.json")), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
        Files.writeString(dir.resolve("empty.json"), "");
        assertEquals(List.of(), LoginTokenFile.read(dir.resolve("empty.json")), "an empty Secret value");
    }
}
