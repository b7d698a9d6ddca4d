package dev.registry.e2e.api;

import dev.registry.e2e.RegistryProcess;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the packaged jar's command line as an operator would, with its output and exit code. */
final class JarCommand {
    private JarCommand() {
    }

    record Result(List<String> args, int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "registry-server " + String.join(" ", args) + " -> exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    static Result run(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx128m");
        command.add("-jar");
        command.add(RegistryProcess.jar().toString());
        command.addAll(List.of(args));
        Path out = Files.createTempFile("jar-out-", ".txt");
        Path err = Files.createTempFile("jar-err-", ".txt");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("registry-server " + String.join(" ", args) + " did not finish in 120 s");
            }
            return new Result(List.of(args), process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
