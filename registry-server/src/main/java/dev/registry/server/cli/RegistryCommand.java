package dev.registry.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code java -jar registry-server.jar [subcommand]}: the registry's command line. Without a
 * subcommand it serves with the default configuration, as {@code serve} without a file does.
 * A subcommand is one class, added with one line to {@code subcommands} below.
 */
@Command(name = "registry-server",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "An OCI / Docker Distribution v2 registry. Without a subcommand: serve with the default configuration "
                + "(filesystem storage under ./data, listening on :5000).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:failure while running (storage, files, network)",
                "2:wrong command line",
                "3:invalid configuration"},
        subcommands = {
                ServeCommand.class,
                HtpasswdCommand.class,
                GarbageCollectCommand.class,
                ConfigCommand.class,
                dev.registry.server.TokenCommand.class,
                VersionCommand.class,
                CommandLine.HelpCommand.class,
        })
public final class RegistryCommand implements Callable<Integer> {

    /** The command line, with the exit codes of {@link ExitCodes}. */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new RegistryCommand());
        commandLine.setExitCodeExceptionMapper(exception ->
                exception instanceof CommandLine.ParameterException ? ExitCodes.USAGE : ExitCodes.FAILURE);
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        return commandLine;
    }

    @Override
    public Integer call() {
        return new ServeCommand().call();
    }
}
