package dev.registry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.auth.LoginToken;
import dev.registry.auth.LoginTokenFile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TokenCommandTest {
    private static final Instant NOW = Instant.parse("2026-12-03T19:50:00Z");

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run run(Instant now, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new TokenCommand(Clock.fixed(now, ZoneOffset.UTC)));
        command.setOut(new PrintWriter(out));
        command.setErr(new PrintWriter(err));
        int exit = command.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Run run(String... args) {
        return run(NOW, args);
    }

    @Test
    void createPrintsTheTokenOnceAndStoresItsHash() throws Exception {
        Path file = dir.resolve("tokens.json");
        Run created = run("create", "alice", "--name", "ci", "--expires", "90d", "--file", file.toString());

        assertEquals(0, created.exit(), created.err());
        String token = created.out().strip();
        assertTrue(token.matches("regpat_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}"), created.out());
        assertEquals(1, created.out().lines().count(), "only the token on standard output, for scripts");
        List<LoginToken> tokens = LoginTokenFile.read(file);
        assertEquals(1, tokens.size());
        LoginToken entry = tokens.get(0);
        assertEquals("alice", entry.user());
        assertEquals("ci", entry.name());
        assertEquals(NOW, entry.created());
        assertEquals(NOW.plus(Duration.ofDays(90)), entry.expires());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes())),
                HexFormat.of().formatHex(entry.sha256()));
        assertFalse(Files.readString(file).contains(token));
        assertTrue(created.err().contains("created token " + entry.id() + " for user 'alice'"), created.err());
        assertFalse(created.err().contains(token), "the token only on standard output");
    }

    @Test
    void listShowsEveryTokenButNeverTheTokenAndMarksExpiredOnes() {
        Path file = dir.resolve("tokens.json");
        String ci = run("create", "alice", "--name", "ci", "--expires", "2w", "--file", file.toString()).out().strip();
        String laptop = run("create", "bob", "--file", file.toString()).out().strip();

        Run all = run(NOW.plus(Duration.ofDays(15)), "list", "--file", file.toString());
        assertEquals(0, all.exit(), all.err());
        List<String> lines = all.out().lines().toList();
        assertEquals(3, lines.size(), all.out());
        assertTrue(lines.get(0).matches("ID\\s+USER\\s+NAME\\s+CREATED\\s+EXPIRES"), lines.get(0));
        assertTrue(lines.get(1).matches(ci.substring(7, 19) + "\\s+alice\\s+ci\\s+2026-12-03T19:50:00Z\\s+"
                + "2026-12-17T19:50:00Z \\(expired\\)"), lines.get(1));
        assertTrue(lines.get(2).matches(laptop.substring(7, 19) + "\\s+bob\\s+-\\s+2026-12-03T19:50:00Z\\s+never"),
                lines.get(2));
        assertFalse(all.out().contains(ci.substring(20)) || all.out().contains(laptop.substring(20)));

        Run bob = run("list", "bob", "--file", file.toString());
        assertEquals(2, bob.out().lines().count(), bob.out());
        assertTrue(bob.out().contains("bob"));
    }

    @Test
    void revokeRemovesTheTokenAndUnknownIdsFail() throws Exception {
        Path file = dir.resolve("tokens.json");
        String token = run("create", "alice", "--file", file.toString()).out().strip();
        String id = token.substring(7, 19);

        Run revoked = run("revoke", id, "--file", file.toString());
        assertEquals(0, revoked.exit(), revoked.err());
        assertEquals(List.of(), LoginTokenFile.read(file));
        Run again = run("revoke", id, "--file", file.toString());
        assertEquals(1, again.exit());
        assertTrue(again.err().contains("there is no token with the id '" + id + "'"), again.err());
    }

    @Test
    void badUsageIsExitCodeTwoAndWritesNothing() {
        Path file = dir.resolve("tokens.json");
        for (String[] args : List.of(
                new String[] {"create", "alice", "--expires", "soon", "--file", file.toString()},
                new String[] {"create", "alice", "--expires", "0d", "--file", file.toString()},
                new String[] {"create", "anonymous", "--file", file.toString()},
                new String[] {"create", "--file", file.toString()},
                new String[] {"frobnicate"},
                new String[] {})) {
            Run run = run(args);
            assertEquals(2, run.exit(), String.join(" ", args) + ": " + run.err());
            assertFalse(run.err().isBlank(), String.join(" ", args));
        }
        assertFalse(Files.exists(file));
    }

    @Test
    void expiryAcceptsDaysWeeksAndGoDurations() {
        assertEquals(Duration.ofDays(90), TokenCommand.lifetime(null, "90d"));
        assertEquals(Duration.ofDays(14), TokenCommand.lifetime(null, "2w"));
        assertEquals(Duration.ofHours(12), TokenCommand.lifetime(null, "12h"));
        assertEquals(null, TokenCommand.lifetime(null, "never"));
    }

    @Test
    void helpListsTheSubcommands() {
        Run help = run("--help");

        assertEquals(0, help.exit());
        for (String word : List.of("create", "list", "revoke", "Exit codes")) {
            assertTrue(help.out().contains(word), help.out());
        }
    }
}
