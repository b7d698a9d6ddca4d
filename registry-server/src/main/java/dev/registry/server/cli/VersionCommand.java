package dev.registry.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code version}: the registry's version and the Java runtime it runs on. */
@Command(name = "version", mixinStandardHelpOptions = true,
        description = "Print the registry's version and the Java runtime and platform it runs on.")
final class VersionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        for (String line : lines()) {
            spec.commandLine().getOut().println(line);
        }
        return ExitCodes.OK;
    }

    /** The version from the jar's manifest; classes outside the jar (tests) are a development build. */
    static String version() {
        String version = VersionCommand.class.getPackage().getImplementationVersion();
        return version == null ? "development build" : version;
    }

    static String[] lines() {
        return new String[]{
                "registry-server " + version(),
                "java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")",
                "platform " + System.getProperty("os.name") + " " + System.getProperty("os.arch")};
    }

    /** For {@code --version} on the top-level command. */
    static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return lines();
        }
    }
}
