package dev.registry.server.cli;

/**
 * The exit codes of every subcommand, documented in docs/operations.md ("Command line").
 */
public final class ExitCodes {
    /** Done: the server stopped cleanly, the file is valid, the collection finished. */
    public static final int OK = 0;
    /** A failure while running: storage unreachable or failing, a file that cannot be written, a server that could not keep running. */
    public static final int FAILURE = 1;
    /** The command line is wrong: an unknown subcommand or option, a missing or extra argument, no password on standard input. */
    public static final int USAGE = 2;
    /** The configuration is invalid or unreadable (the message names the key and the fix). */
    public static final int CONFIGURATION = 3;

    private ExitCodes() {
    }
}
