package dev.registry.server;

import dev.registry.config.ConfigException;
import dev.registry.config.ConfigLoader;
import dev.registry.config.RegistryConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Command line: {@code serve [config.yml]} runs the registry (with no file: filesystem storage
 * under {@code ./data}, listening on {@code :5000}).
 */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger("dev.registry");

    private Main() {
    }

    public static void main(String[] args) {
        String command = args.length == 0 ? "serve" : args[0];
        switch (command) {
            case "serve" -> System.exit(serve(args.length > 1 ? Optional.of(Path.of(args[1])) : Optional.empty()));
            case "htpasswd" -> System.exit(htpasswd(args));
            case "token" -> System.exit(new picocli.CommandLine(new TokenCommand())
                    .execute(java.util.Arrays.copyOfRange(args, 1, args.length)));
            case "-h", "--help", "help" -> {
                log.info("usage: java -jar registry-server.jar serve [config.yml] | htpasswd FILE USER (password on stdin) | token create|list|revoke (token --help)");
                System.exit(0);
            }
            default -> {
                log.error("unknown command '{}': use 'serve [config.yml]'.", command);
                System.exit(2);
            }
        }
    }

    private static int serve(Optional<Path> configFile) {
        RegistryServer server;
        try {
            java.util.List<String> warnings = new java.util.ArrayList<>();
            RegistryConfig config = ConfigLoader.load(configFile, System.getenv(), warnings::add);
            LogbackSetup.apply(config.log()); // the warnings are logged in the configured format
            Logger configLog = LoggerFactory.getLogger(ConfigLoader.class);
            warnings.forEach(configLog::warn);
            server = RegistryServer.start(config);
        } catch (ConfigException e) {
            log.error(e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
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
        return 0;
    }

    /** {@code htpasswd FILE USER}: adds or updates a bcrypt entry, reading the password from stdin. */
    private static int htpasswd(String[] args) {
        if (args.length != 3) {
            log.error("usage: java -jar registry-server.jar htpasswd FILE USER, with the password on standard input.");
            return 2;
        }
        try {
            java.io.BufferedReader stdin = new java.io.BufferedReader(
                    new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
            String line = stdin.readLine();
            if (line == null || line.isEmpty()) {
                log.error("no password on standard input: pipe it in, e.g. echo secret | java -jar registry-server.jar htpasswd FILE USER.");
                return 2;
            }
            char[] password = line.toCharArray();
            boolean added = dev.registry.auth.HtpasswdFile.addOrUpdate(Path.of(args[1]), args[2], password);
            java.util.Arrays.fill(password, '\0');
            log.info("{} user '{}' in {}", added ? "added" : "updated", args[2], args[1]);
            return 0;
        } catch (IllegalArgumentException e) {
            log.error("{}", e.getMessage());
            return 2;
        } catch (java.io.IOException e) {
            log.error("cannot write {}: {}.", args[1], e.getMessage());
            return 1;
        }
    }
}
