package dev.registry.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code log.*}: the root log level, whether one access-log line is written per request, and the
 * format of every line.
 *
 * @param level one of {@code error}, {@code warn}, {@code info}, {@code debug} (default {@code info})
 * @param accessLogDisabled {@code log.accesslog.disabled} (default {@code false})
 * @param formatter {@code log.formatter}: {@link Formatter#TEXT} (the default) or {@link Formatter#JSON}
 * @param fields {@code log.fields}: constant fields added to every line, in the order given
 */
public record LogConfig(String level, boolean accessLogDisabled, Formatter formatter, Map<String, String> fields) {

    /** How each log line is written. */
    public enum Formatter {
        /** One human-readable line per event. */
        TEXT,
        /** One JSON object per line, with the access log's values as separate fields. */
        JSON
    }

    /**
     * The fields the JSON lines already have, which {@code log.fields} may not override: a
     * collector would otherwise read a constant where it expects the line's own value.
     */
    public static final java.util.Set<String> RESERVED_FIELDS = java.util.Set.of("time", "level", "msg", "logger",
            "thread", "error", "method", "uri", "status", "bytes", "duration_ms", "user", "remote_addr", "user_agent",
            "request_id");

    public LogConfig {
        fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** Text lines without extra fields. */
    public LogConfig(String level, boolean accessLogDisabled) {
        this(level, accessLogDisabled, Formatter.TEXT, Map.of());
    }

    /** Level {@code info}, access log on, text lines. */
    public static LogConfig defaults() {
        return new LogConfig("info", false);
    }
}
