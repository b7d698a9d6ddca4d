package dev.registry.e2e.auth;

import dev.registry.e2e.clients.Cli;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * External commands that need standard input ({@code docker login --password-stdin}, the jar's
 * {@code htpasswd} command), which {@link Cli} does not offer. Same contract as {@link Cli}: a
 * timeout that kills the command and fails the test, output captured in files.
 */
final class Commands {
    private Commands() {
    }

    /** Runs {@code command} with {@code stdin} (or none) and extra {@code env}, failing the test on timeout. */
    static Cli.Result run(List<String> command, Map<String, String> env, String stdin, Duration timeout) {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("auth-cmd-", ".out");
            err = Files.createTempFile("auth-cmd-", ".err");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            if (stdin == null) {
                builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            builder.environment().putAll(env);
            Process process;
            try {
                process = builder.start();
            } catch (IOException e) {
                throw new AssertionError("could not start " + String.join(" ", command) + ": " + e, e);
            }
            if (stdin != null) {
                try (OutputStream in = process.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // the command exited without reading: its exit code tells
                }
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                Cli.Result partial = new Cli.Result(command, -1, Files.readAllBytes(out), Files.readString(err));
                throw new AssertionError("command timed out after " + timeout.toSeconds() + "s:\n" + partial.describe());
            }
            return new Cli.Result(command, process.exitValue(), Files.readAllBytes(out),
                    new String(Files.readAllBytes(err), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + String.join(" ", command), e);
        } finally {
            for (Path file : new Path[] {out, err}) {
                if (file != null) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException ignored) {
                        // a leftover temp file is harmless
                    }
                }
            }
        }
    }

    /** As {@link #run} but fails the test unless the command exits 0. */
    static Cli.Result check(List<String> command, Map<String, String> env, String stdin, Duration timeout) {
        Cli.Result result = run(command, env, stdin, timeout);
        if (!result.ok()) {
            throw new AssertionError("command failed:\n" + result.describe());
        }
        return result;
    }
}
