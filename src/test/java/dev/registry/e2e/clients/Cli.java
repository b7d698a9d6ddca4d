package dev.registry.e2e.clients;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One external command, run with a timeout, no stdin, and its output captured in files (so a
 * chatty tool can never block on a full pipe).
 *
 * <pre>{@code
 * Cli.Result r = Cli.of("skopeo", "inspect", "--raw", ref).timeout(Duration.ofMinutes(1)).check();
 * }</pre>
 *
 * {@link #check()} fails the test with the full command line and its output unless it exits 0;
 * {@link #run()} just reports. A command that outlives its timeout is killed (with its children)
 * and fails the test either way.
 */
public final class Cli {
    /** Default for commands that do not set their own timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(3);

    private final List<String> command;
    private final Map<String, String> env = new LinkedHashMap<>();
    private Duration timeout = DEFAULT_TIMEOUT;
    private Path directory;

    private Cli(List<String> command) {
        this.command = List.copyOf(command);
    }

    public static Cli of(String... command) {
        return new Cli(Arrays.asList(command));
    }

    public static Cli of(List<String> command) {
        return new Cli(command);
    }

    public Cli timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    public Cli env(String name, String value) {
        env.put(name, value);
        return this;
    }

    public Cli env(Map<String, String> values) {
        env.putAll(values);
        return this;
    }

    public Cli directory(Path directory) {
        this.directory = directory;
        return this;
    }

    /** What a finished command did. */
    public record Result(List<String> command, int exitCode, byte[] stdoutBytes, String stderr) {
        public String stdout() {
            return new String(stdoutBytes, StandardCharsets.UTF_8);
        }

        public boolean ok() {
            return exitCode == 0;
        }

        public String describe() {
            return "$ " + String.join(" ", command) + "\nexit code " + exitCode
                    + "\n--- stdout ---\n" + abbreviate(stdout()) + "\n--- stderr ---\n" + abbreviate(stderr);
        }
    }

    /** Runs the command and fails the test unless it exits 0. */
    public Result check() {
        Result result = run();
        if (!result.ok()) {
            throw new AssertionError("command failed:\n" + result.describe());
        }
        return result;
    }

    /** Runs the command to completion (or its timeout, which fails the test). */
    public Result run() {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("cli-", ".out");
            err = Files.createTempFile("cli-", ".err");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            if (directory != null) {
                builder.directory(directory.toFile());
            }
            builder.environment().putAll(env);
            Process process;
            try {
                process = builder.start();
            } catch (IOException e) {
                throw new AssertionError("could not start " + String.join(" ", command) + ": " + e, e);
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                Result partial = new Result(command, -1, Files.readAllBytes(out), Files.readString(err));
                throw new AssertionError("command timed out after " + timeout.toSeconds() + "s:\n" + partial.describe());
            }
            return new Result(command, process.exitValue(), Files.readAllBytes(out),
                    new String(Files.readAllBytes(err), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + String.join(" ", command), e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** The executable {@code tool} on PATH, if any. */
    public static Optional<Path> which(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Skips the calling test unless every tool is on PATH. */
    public static void assumeTools(String... tools) {
        List<String> missing = new ArrayList<>();
        for (String tool : tools) {
            if (which(tool).isEmpty()) {
                missing.add(tool);
            }
        }
        assumeTrue(missing.isEmpty(), () -> "skipped: " + String.join(", ", missing)
                + " not found on PATH (.ci/run installs the real clients)");
    }

    private static String abbreviate(String text) {
        int max = 20_000;
        return text.length() <= max ? text : text.substring(0, max / 2) + "\n[... "
                + (text.length() - max) + " chars left out ...]\n" + text.substring(text.length() - max / 2);
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover temp file is harmless
            }
        }
    }
}
