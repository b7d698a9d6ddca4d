package dev.registry.e2e.api;

import dev.registry.e2e.RegistryProcess;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each subcommand of the packaged jar: what it prints and its exit code (docs/operations.md, "Command line"). */
class CommandLineE2ETest {

    @Test
    void versionAndHelp() throws Exception {
        JarCommand.Result version = JarCommand.run(null, "version");
        assertEquals(0, version.exitCode(), version::toString);
        assertTrue(version.stdout().matches("(?s)registry-server \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\njava \\d+.*\nplatform .*\n"), version::toString);

        JarCommand.Result help = JarCommand.run(null, "--help");
        assertEquals(0, help.exitCode(), help::toString);
        for (String line : new String[]{"serve", "htpasswd", "garbage-collect", "config", "version"}) {
            assertTrue(help.stdout().contains("\n  " + line + " "), help::toString);
        }
        for (String subcommand : new String[]{"serve", "htpasswd", "garbage-collect", "version"}) {
            JarCommand.Result sub = JarCommand.run(null, subcommand, "--help");
            assertEquals(0, sub.exitCode(), sub::toString);
            assertTrue(sub.stdout().startsWith("Usage: registry-server " + subcommand), sub::toString);
        }
        JarCommand.Result check = JarCommand.run(null, "config", "check", "--help");
        assertTrue(check.exitCode() == 0 && check.stdout().startsWith("Usage: registry-server config check"), check::toString);
    }

    @Test
    void wrongCommandLinesExitWith2() throws Exception {
        JarCommand.Result unknown = JarCommand.run(null, "frobnicate");
        assertEquals(2, unknown.exitCode(), unknown::toString);
        assertTrue(unknown.stderr().contains("frobnicate"), unknown::toString);
        assertEquals(2, JarCommand.run(null, "garbage-collect").exitCode());
        assertEquals(2, JarCommand.run(null, "htpasswd", "file-only").exitCode());
    }

    @Test
    void htpasswdWritesABcryptEntryFromStandardInput() throws Exception {
        Path dir = RegistryProcess.workDir("cli-htpasswd");
        Path file = dir.resolve("htpasswd");
        JarCommand.Result added = JarCommand.run("s3cret-pass\n", "htpasswd", file.toString(), "alice");
        assertEquals(0, added.exitCode(), added::toString);
        assertEquals("added user 'alice' in " + file + "\n", added.stdout());
        assertTrue(Files.readString(file).strip().matches("alice:\\$2y\\$10\\$.{53}"), Files.readString(file));
        JarCommand.Result updated = JarCommand.run("other-pass\n", "htpasswd", file.toString(), "alice");
        assertEquals("updated user 'alice' in " + file + "\n", updated.stdout());

        JarCommand.Result noPassword = JarCommand.run("", "htpasswd", file.toString(), "bob");
        assertEquals(2, noPassword.exitCode(), noPassword::toString);
        assertTrue(noPassword.stderr().contains("no password on standard input"), noPassword::toString);
        assertFalse(Files.readString(file).contains("bob:"));
    }

    @Test
    void configCheckPrintsTheMaskedConfigurationAndWarningsOrExitsWith3() throws Exception {
        Path dir = RegistryProcess.workDir("cli-config");
        Path good = Files.writeString(dir.resolve("good.yml"), """
                version: 0.1
                http: {addr: ":5000", secret: topsecret-http}
                storage:
                  s3: {region: us-east-1, bucket: images, accesskey: AKIA1, secretkey: topsecret-s3}
                notaregistrykey: 1
                """);
        JarCommand.Result ok = JarCommand.run(null, "config", "check", good.toString());
        assertEquals(0, ok.exitCode(), ok::toString);
        assertFalse(ok.stdout().contains("topsecret"), ok::toString);
        assertTrue(ok.stdout().contains("secretKey: ********") && ok.stdout().contains("secret: ********"), ok::toString);
        assertTrue(ok.stdout().contains("warning: configuration key 'notaregistrykey' is unknown and is ignored"), ok::toString);
        assertTrue(ok.stdout().contains("bucket: \"images\""), ok::toString);

        Path bad = Files.writeString(dir.resolve("bad.yml"), "http: {addr: \":99999\"}\nstorage: {inmemory: {}}\n");
        JarCommand.Result invalid = JarCommand.run(null, "config", "check", bad.toString());
        assertEquals(3, invalid.exitCode(), invalid::toString);
        assertTrue(invalid.stderr().contains("http.addr"), invalid::toString);

        JarCommand.Result serve = JarCommand.run(null, "serve", bad.toString());
        assertEquals(3, serve.exitCode(), serve::toString);
        JarCommand.Result gc = JarCommand.run(null, "garbage-collect", dir.resolve("missing.yml").toString());
        assertEquals(3, gc.exitCode(), gc::toString);
    }
}
