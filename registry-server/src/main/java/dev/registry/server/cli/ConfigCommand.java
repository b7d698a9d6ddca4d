package dev.registry.server.cli;

import dev.registry.config.ConfigException;
import dev.registry.config.ConfigLoader;
import dev.registry.config.RegistryConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code config check config.yml}: what the server would run with, secrets masked, and every warning. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Work with the configuration file.",
        subcommands = {ConfigCommand.Check.class, CommandLine.HelpCommand.class})
final class ConfigCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Load config.yml as 'serve' would (REGISTRY_* variables included) and print every warning and "
                    + "the effective configuration, with defaults filled in and secrets masked.",
                    "Exits with 3 if the configuration is invalid, 0 otherwise (warnings included)."})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "config.yml", description = "The configuration file to check.")
        Path configFile;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            List<String> warnings = new ArrayList<>();
            RegistryConfig config;
            try {
                config = ConfigLoader.load(Optional.of(configFile), System.getenv(), warnings::add);
            } catch (ConfigException e) {
                for (String warning : warnings) {
                    out.println("warning: " + warning);
                }
                spec.commandLine().getErr().println("error: " + e.getMessage());
                return ExitCodes.CONFIGURATION;
            }
            for (String warning : warnings) {
                out.println("warning: " + warning);
            }
            out.println("# " + configFile + " is valid" + (warnings.isEmpty() ? "" : " (" + warnings.size() + " warning(s))")
                    + "; the effective configuration, secrets masked:");
            out.print(ConfigPrinter.print(config));
            out.flush();
            return ExitCodes.OK;
        }
    }
}
