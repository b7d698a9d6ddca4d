package dev.registry.config;

/**
 * {@code log.*}: the root log level and whether one access-log line is written per request.
 *
 * @param level one of {@code error}, {@code warn}, {@code info}, {@code debug} (default {@code info})
 * @param accessLogDisabled {@code log.accesslog.disabled} (default {@code false})
 */
public record LogConfig(String level, boolean accessLogDisabled) {
    /** Level {@code info}, access log on. */
    public static LogConfig defaults() {
        return new LogConfig("info", false);
    }
}
