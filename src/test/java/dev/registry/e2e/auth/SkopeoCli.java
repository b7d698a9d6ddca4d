package dev.registry.e2e.auth;

import dev.registry.e2e.clients.Cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** skopeo with none of the machine user's stored credentials: a private auth file and HOME under the test's directory. */
final class SkopeoCli {
    private SkopeoCli() {
    }

    /** {@code skopeo <args>}; a {@code copy} does not retry, so a refusal shows at once. */
    static Cli of(Path work, Duration timeout, String... args) throws IOException {
        Path home = work.resolve("home");
        Files.createDirectories(home);
        List<String> command = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
        command.add(args[0]);
        if (args[0].equals("copy")) {
            command.addAll(List.of("--retry-times", "0"));
        }
        command.addAll(List.of(args).subList(1, args.length));
        return Cli.of(command).env("HOME", home.toString())
                .env("REGISTRY_AUTH_FILE", work.resolve("auth.json").toString())
                .env("XDG_RUNTIME_DIR", home.toString())
                .timeout(timeout);
    }
}
