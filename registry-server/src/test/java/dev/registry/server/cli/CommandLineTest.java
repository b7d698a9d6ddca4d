package dev.registry.server.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line in process: each subcommand's output and exit code (the packaged jar is tested in src/test). */
class CommandLineTest {
    @TempDir
    Path dir;

    record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine commandLine = RegistryCommand.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    @Test
    void everySubcommandHasHelp() {
        for (String[] args : new String[][]{{"--help"}, {"serve", "--help"}, {"htpasswd", "--help"},
                {"garbage-collect", "--help"}, {"config", "--help"}, {"config", "check", "--help"}, {"version", "--help"},
                {"help", "garbage-collect"}}) {
            Run run = run(args);
            assertEquals(0, run.exitCode(), String.join(" ", args));
            assertTrue(run.out().startsWith("Usage: registry-server"), String.join(" ", args) + ": " + run.out());
        }
        String top = run("--help").out();
        for (String subcommand : new String[]{"serve", "htpasswd", "garbage-collect", "config", "version"}) {
            assertTrue(top.contains("\n  " + subcommand + " "), subcommand + " listed in:\n" + top);
        }
        assertTrue(top.contains("3   invalid configuration"), top);
        assertTrue(run("garbage-collect", "--help").out().contains("--dry-run"));
    }

    @Test
    void versionPrintsTheVersionAndRuntime() {
        Run run = run("version");
        assertEquals(0, run.exitCode());
        String[] lines = run.out().split("\n");
        assertEquals(3, lines.length, run.out());
        assertTrue(lines[0].startsWith("registry-server "), lines[0]);
        assertTrue(lines[1].startsWith("java " + Runtime.version().feature()), lines[1]);
        assertEquals(run.out(), run("--version").out());
    }

    @Test
    void wrongCommandLinesExitWith2() {
        assertEquals(ExitCodes.USAGE, run("frobnicate").exitCode());
        assertEquals(ExitCodes.USAGE, run("garbage-collect").exitCode(), "config.yml is required");
        assertEquals(ExitCodes.USAGE, run("htpasswd", "only-a-file").exitCode());
        assertEquals(ExitCodes.USAGE, run("garbage-collect", "--no-such-option", "x.yml").exitCode());
        Run config = run("config");
        assertEquals(ExitCodes.USAGE, config.exitCode());
        assertTrue(config.err().contains("check"), config.err());
    }

    @Test
    void configCheckMasksSecretsAndPrintsWarnings() throws IOException {
        Path file = Files.writeString(dir.resolve("config.yml"), """
                version: 0.1
                log: {level: debug, formatter: text}
                http:
                  addr: :5000
                  secret: http-secret-value
                  headers:
                    Authorization: [Basic dXNlcjpwYXNz]
                    X-Content-Type-Options: [nosniff]
                storage:
                  s3:
                    accesskey: AKIAEXAMPLE
                    secretkey: s3-secret-value
                    sessiontoken: session-token-value
                    region: eu-west-1
                    bucket: images
                  maintenance:
                    garbagecollect: {enabled: true, interval: 2s, graceperiod: 8s}
                nosuchsection: {x: 1}
                """);
        Run run = run("config", "check", file.toString());
        assertEquals(0, run.exitCode(), run.err());
        String out = run.out();
        for (String secret : new String[]{"http-secret-value", "s3-secret-value", "session-token-value", "dXNlcjpwYXNz"}) {
            assertFalse(out.contains(secret), secret + " leaked:\n" + out);
        }
        assertTrue(out.contains("secretKey: ********"), out);
        assertTrue(out.contains("sessionToken: ********"), out);
        assertTrue(out.contains("secret: ********"), out);
        assertTrue(out.contains("Authorization: ********"), out);
        assertTrue(out.contains("accessKey: \"AKIAEXAMPLE\""), out);
        assertTrue(out.contains("bucket: \"images\""), out);
        assertTrue(out.contains("gracePeriod: 8s"), out);
        assertTrue(out.contains("warning: configuration key 'nosuchsection' is unknown and is ignored"), out);
        assertTrue(out.contains("formatter: \"TEXT\""), out);
        assertFalse(out.contains("'log.formatter' is not supported"), out);
    }

    @Test
    void configCheckOfAnInvalidFileExitsWith3NamingTheKey() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.yml"), """
                storage:
                  filesystem: {rootdirectory: /srv}
                  maintenance: {garbagecollect: {interval: soon}}
                """);
        Run run = run("config", "check", file.toString());
        assertEquals(ExitCodes.CONFIGURATION, run.exitCode());
        assertTrue(run.err().startsWith("error: ") && run.err().contains("storage.maintenance.garbagecollect.interval"), run.err());
        assertEquals(ExitCodes.CONFIGURATION, run("config", "check", dir.resolve("missing.yml").toString()).exitCode());
    }

    @Test
    void garbageCollectListsInADryRunThenRemoves() throws IOException {
        Path root = dir.resolve("data");
        Path orphan = root.resolve("docker/registry/v2/blobs/sha256/2c/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824/data");
        Files.createDirectories(orphan.getParent());
        Files.writeString(orphan, "hello");
        Path config = Files.writeString(dir.resolve("config.yml"), "storage: {filesystem: {rootdirectory: " + root + "}}\n");

        Run dry = run("garbage-collect", "--dry-run", config.toString());
        assertEquals(0, dry.exitCode(), dry.err());
        assertEquals("""
                would remove blob sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 (5 bytes)
                dry run: would remove 0 manifest(s), 1 blob(s) (5 bytes), 0 link(s), 0 upload leftover(s); would reclaim 5 bytes
                """, dry.out());
        assertTrue(Files.exists(orphan));

        Run real = run("garbage-collect", config.toString());
        assertEquals(0, real.exitCode(), real.err());
        assertTrue(real.out().startsWith("removed blob sha256:2cf24dba"), real.out());
        assertTrue(real.out().endsWith("reclaimed 5 bytes\n"), real.out());
        assertFalse(Files.exists(orphan));
    }

    @Test
    void garbageCollectExpiresCachedRepositoriesWithCacheExpiry() throws IOException {
        Path root = dir.resolve("data");
        Path repository = root.resolve("docker/registry/v2/repositories/hub/library/old");
        Path marker = repository.resolve("_proxy/cache");
        Files.createDirectories(marker.getParent());
        Files.writeString(marker, "{\"remote\":\"hub\",\"upstream\":\"library/old\",\"lastPulled\":\"2026-01-01T00:00:00Z\"}");
        Path link = repository.resolve("_layers/sha256/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824/link");
        Files.createDirectories(link.getParent());
        Files.writeString(link, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        Path config = Files.writeString(dir.resolve("config.yml"), "storage: {filesystem: {rootdirectory: " + root + "}}\n");

        Run kept = run("garbage-collect", config.toString());
        assertEquals(0, kept.exitCode(), kept.err());
        assertTrue(Files.exists(marker), "without an expiry a cache stays: " + kept.out());

        assertEquals(ExitCodes.USAGE, run("garbage-collect", "--cache-expiry", "a week", config.toString()).exitCode());
        Run expired = run("garbage-collect", "--cache-expiry", "720h", config.toString());
        assertEquals(0, expired.exitCode(), expired.err());
        assertTrue(expired.out().startsWith("removed cached repository hub/library/old last pulled 2026-01-01T00:00:00Z\n"),
                expired.out());
        assertTrue(expired.out().contains(", 1 expired cached repositories"), expired.out());
        assertFalse(Files.exists(repository), "the whole repository is gone");
    }
}
