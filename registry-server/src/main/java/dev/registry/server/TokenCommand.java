package dev.registry.server;

import dev.registry.auth.LoginToken;
import dev.registry.auth.LoginTokenFile;
import dev.registry.config.GoDuration;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code token create|list|revoke}: manages the login tokens file ({@code auth.tokens.path}) that
 * the registry re-reads on change. The file is named by {@code --file}, or by the
 * {@code REGISTRY_AUTH_TOKENS_PATH} environment variable (the registry's own override for that
 * key, so inside the registry's container the commands need no option).
 *
 * <p>Exit codes: 0 done; 1 the file cannot be read or written, or {@code revoke} found no such
 * token; 2 bad usage.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Manage login tokens (personal access tokens) of htpasswd users.",
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:the tokens file cannot be read or written, or no such token",
                "2:bad usage"})
public final class TokenCommand implements Runnable {
    private static final Pattern DAYS = Pattern.compile("(\\d+)([dw])");

    private final Clock clock;

    @Spec
    CommandSpec spec;

    public TokenCommand() {
        this(Clock.systemUTC());
    }

    TokenCommand(Clock clock) {
        this.clock = clock;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: create, list or revoke");
    }

    /** {@code --file}, shared by the subcommands. */
    static final class FileOption {
        @Option(names = "--file", paramLabel = "FILE", defaultValue = "${env:REGISTRY_AUTH_TOKENS_PATH}",
                description = "The login tokens file (auth.tokens.path); default: $REGISTRY_AUTH_TOKENS_PATH.")
        Path file;

        Path require(CommandSpec spec) {
            if (file == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give the tokens file with --file FILE "
                        + "or set REGISTRY_AUTH_TOKENS_PATH");
            }
            return file;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a login token for an htpasswd user and print it once, on standard output.",
                    "Only its SHA-256 is stored: a lost token cannot be shown again; revoke it and create another.",
                    "Log in with it under any user name: docker login -u any -p TOKEN registry.example.com"})
    static final class Create implements Callable<Integer> {
        @CommandLine.ParentCommand
        TokenCommand parent;
        @Spec
        CommandSpec spec;
        @CommandLine.Mixin
        FileOption file;
        @Parameters(paramLabel = "USER", description = "The htpasswd user the token logs in as.")
        String user;
        @Option(names = "--name", paramLabel = "NAME", defaultValue = "",
                description = "What the token is for, shown by 'token list', such as ci.")
        String name;
        @Option(names = "--expires", paramLabel = "DURATION", defaultValue = "never",
                description = "How long the token works: days (90d), weeks (2w), a Go duration (12h, 30m), "
                        + "or never (the default).")
        String expires;

        @Override
        public Integer call() throws IOException {
            Path path = file.require(spec);
            Duration lifetime = lifetime(spec, expires);
            Instant now = parent.clock.instant();
            LoginToken.Issued issued;
            try {
                issued = LoginTokenFile.create(path, user, name, now, lifetime == null ? null : now.plus(lifetime));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            spec.commandLine().getOut().println(issued.text());
            spec.commandLine().getOut().flush();
            LoginToken token = issued.token();
            spec.commandLine().getErr().println("created token " + token.id() + " for user '" + token.user() + "' in "
                    + path + ", " + (token.expires() == null ? "never expires" : "expires " + token.expires())
                    + "; it is not shown again");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the login tokens (never the tokens themselves), of one user or of all.")
    static final class ListTokens implements Callable<Integer> {
        @CommandLine.ParentCommand
        TokenCommand parent;
        @Spec
        CommandSpec spec;
        @CommandLine.Mixin
        FileOption file;
        @Parameters(paramLabel = "USER", arity = "0..1", description = "Only this user's tokens.")
        String user;

        @Override
        public Integer call() throws IOException {
            List<LoginToken> tokens = LoginTokenFile.read(file.require(spec)).stream()
                    .filter(token -> user == null || token.user().equals(user))
                    .toList();
            Instant now = parent.clock.instant();
            PrintWriter out = spec.commandLine().getOut();
            String format = "%-12s  %-20s  %-20s  %-20s  %s%n";
            out.printf(Locale.ROOT, format, "ID", "USER", "NAME", "CREATED", "EXPIRES");
            for (LoginToken token : tokens) {
                String expiry = token.expires() == null ? "never"
                        : token.expires() + (token.validAt(now) ? "" : " (expired)");
                out.printf(Locale.ROOT, format, token.id(), token.user(), token.name().isEmpty() ? "-" : token.name(),
                        token.created(), expiry);
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke a login token: it stops working within a second on every registry that reads "
                    + "the file.")
    static final class Revoke implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @CommandLine.Mixin
        FileOption file;
        @Parameters(paramLabel = "ID", description = "The token's id, as 'token list' shows it.")
        String id;

        @Override
        public Integer call() throws IOException {
            Path path = file.require(spec);
            LoginToken removed = LoginTokenFile.revoke(path, id);
            if (removed == null) {
                spec.commandLine().getErr().println("there is no token with the id '" + id + "' in " + path
                        + "; 'token list' shows the ids");
                return 1;
            }
            spec.commandLine().getErr().println("revoked token " + removed.id() + " of user '" + removed.user() + "'");
            return 0;
        }
    }

    /** {@code never} gives {@code null}; otherwise a positive duration. */
    static Duration lifetime(CommandSpec spec, String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.equals("never")) {
            return null;
        }
        Duration duration;
        Matcher days = DAYS.matcher(value);
        try {
            if (days.matches()) {
                duration = Duration.ofDays(Math.multiplyExact(Long.parseLong(days.group(1)),
                        days.group(2).equals("w") ? 7L : 1L));
            } else {
                duration = GoDuration.parse(value);
            }
        } catch (IllegalArgumentException | ArithmeticException e) {
            duration = null;
        }
        if (duration == null || duration.isNegative() || duration.isZero()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--expires is '" + text + "': give days "
                    + "(90d), weeks (2w), a Go duration (12h) or never");
        }
        return duration;
    }
}
