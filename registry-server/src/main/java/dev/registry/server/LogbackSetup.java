package dev.registry.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import dev.registry.config.LogConfig;
import org.slf4j.LoggerFactory;

/**
 * Logback's configuration in code: one line per event on standard error, Netty at WARN, the
 * rest at INFO (then {@code log.level}); once the configuration is read, {@link #apply} switches to
 * JSON lines for {@code log.formatter: json}. Parsing an XML file instead costs about 400 classes
 * and a good part of the start-up time. Logback still reads a file given with
 * {@code -Dlogback.configurationFile=...}, and {@code log.formatter} then leaves that file's
 * appenders alone.
 */
public final class LogbackSetup extends ContextAwareBase implements Configurator {
    private static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0} - %msg%n";
    private static final String APPENDER = "STDERR";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();

        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName(APPENDER);
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        context.getLogger("io.netty").setLevel(Level.WARN);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * Applies {@code log.level}, and {@code log.formatter} with {@code log.fields} to every line
     * from now on (access log included).
     */
    public static void apply(LogConfig config) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another SLF4J binding, as in some tests: it has its own configuration
        }
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(config.level(), Level.INFO));
        if (config.formatter() != LogConfig.Formatter.JSON) {
            return;
        }
        if (!(root.getAppender(APPENDER) instanceof ConsoleAppender<ILoggingEvent> stderr)) {
            root.warn("log.formatter: json is ignored because Logback is configured by {}; configure JSON there",
                    System.getProperty("logback.configurationFile"));
            return;
        }
        JsonLogEncoder encoder = new JsonLogEncoder(config.fields());
        encoder.setContext(context);
        encoder.start();
        // Swapped on the running appender: stopping it would close standard error. This runs before the
        // server starts its threads, so no other thread is encoding meanwhile.
        stderr.setEncoder(encoder);
    }
}
