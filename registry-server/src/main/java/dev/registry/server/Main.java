package dev.registry.server;

import dev.registry.server.cli.RegistryCommand;

/**
 * The jar's entry point: the command line of {@link RegistryCommand} ({@code serve} when no
 * subcommand is given), exiting with its {@linkplain dev.registry.server.cli.ExitCodes exit code}.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(RegistryCommand.commandLine().execute(args));
    }
}
