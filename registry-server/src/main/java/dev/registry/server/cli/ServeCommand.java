package dev.registry.server.cli;

import ch.qos.logback.classic.Level;
import dev.registry.config.ConfigException;
import dev.registry.config.ConfigLoader;
import dev.registry.config.RegistryConfig;
import dev.registry.server.RegistryServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code serve [config.yml]}: runs the registry until it is stopped (SIGTERM, Ctrl-C). */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the registry until it is stopped (SIGTERM or Ctrl-C drain requests in progress for up to "
                + "http.draintimeout). REGISTRY_* environment variables override the file's keys.")
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger("dev.registry");

    @Parameters(arity = "0..1", paramLabel = "config.yml",
            description = "The configuration file (registry:2's format). Without it: filesystem storage under ./data, listening on :5000.")
    Path configFile;

    @Override
    public Integer call() {
        RegistryServer server;
        try {
            java.util.List<String> warnings = new java.util.ArrayList<>();
            RegistryConfig config = ConfigLoader.load(Optional.ofNullable(configFile), System.getenv(), warnings::add);
            dev.registry.server.LogbackSetup.apply(config.log()); // the warnings are logged in the configured format
            Logger configLog = LoggerFactory.getLogger(ConfigLoader.class);
            warnings.forEach(configLog::warn);
            server = RegistryServer.start(config);
        } catch (ConfigException e) {
            log.error(e.getMessage());
            return ExitCodes.CONFIGURATION;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.FAILURE;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down");
            server.close();
        }, "shutdown"));
        try {
            server.awaitClose();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ExitCodes.OK;
    }

    static void setLogLevel(String level) {
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(level, Level.INFO));
    }
}
