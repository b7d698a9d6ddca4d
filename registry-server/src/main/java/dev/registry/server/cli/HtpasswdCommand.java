package dev.registry.server.cli;

import dev.registry.auth.HtpasswdFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** {@code htpasswd FILE USER}: adds or updates a bcrypt entry, reading the password from standard input. */
@Command(name = "htpasswd", mixinStandardHelpOptions = true,
        description = "Add USER to the htpasswd FILE (created if missing), or change their password, with a bcrypt hash. "
                + "The password is read from the first line of standard input, e.g. echo secret | ... htpasswd FILE USER.")
final class HtpasswdCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The htpasswd file (auth.htpasswd.path).")
    Path file;

    @Parameters(index = "1", paramLabel = "USER", description = "The user name.")
    String user;

    @Override
    public Integer call() {
        try {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isEmpty()) {
                spec.commandLine().getErr().println("no password on standard input: pipe it in, e.g. echo secret | "
                        + "java -jar registry-server.jar htpasswd FILE USER.");
                return ExitCodes.USAGE;
            }
            char[] password = line.toCharArray();
            boolean added = HtpasswdFile.addOrUpdate(file, user, password);
            Arrays.fill(password, '\0');
            spec.commandLine().getOut().println((added ? "added" : "updated") + " user '" + user + "' in " + file);
            return ExitCodes.OK;
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return ExitCodes.USAGE;
        } catch (IOException e) {
            spec.commandLine().getErr().println("cannot write " + file + ": " + e.getMessage() + ".");
            return ExitCodes.FAILURE;
        }
    }
}
