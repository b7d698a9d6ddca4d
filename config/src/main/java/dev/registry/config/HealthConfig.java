package dev.registry.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code health.*}: the checks behind {@code /debug/health} on the debug listener, with
 * registry:2's keys and defaults. Each check runs on its own schedule; the endpoint answers from
 * the latest results.
 *
 * @param storageDriver {@code health.storagedriver}
 * @param files {@code health.file}: one check per entry
 * @param http {@code health.http}: one check per entry
 * @param tcp {@code health.tcp}: one check per entry
 */
public record HealthConfig(StorageDriverCheck storageDriver, List<FileCheck> files, List<HttpCheck> http,
                           List<TcpCheck> tcp) {

    /** registry:2's interval for every check that does not give one. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    /** Nothing configured: the storage check is off and there are no file or HTTP checks. */
    public static final HealthConfig DEFAULTS = new HealthConfig(
            new StorageDriverCheck(false, DEFAULT_INTERVAL, 0), List.of(), List.of(), List.of());

    /**
     * {@code health.storagedriver.*}: whether the storage backend answers.
     *
     * @param enabled whether {@code /debug/health} reports it (default {@code false}, as registry:2);
     *                {@code /readyz} always uses it
     * @param interval time between checks (default {@link #DEFAULT_INTERVAL})
     * @param threshold consecutive failures before the check counts as failing; {@code 0} and
     *                  {@code 1} both mean the first failure (default {@code 0})
     */
    public record StorageDriverCheck(boolean enabled, Duration interval, int threshold) {
        // not built from the outer constants: either class may be initialised first
        public static final StorageDriverCheck DEFAULTS = new StorageDriverCheck(false, Duration.ofSeconds(10), 0);
    }

    /**
     * One {@code health.file} entry: fails while {@code file} exists (an operator's switch to
     * take the instance out of rotation).
     *
     * @param file the path to watch, absolute
     * @param interval time between checks (default {@link #DEFAULT_INTERVAL})
     */
    public record FileCheck(Path file, Duration interval) {
    }

    /**
     * One {@code health.http} entry: a {@code HEAD} request that must answer {@code statusCode}.
     *
     * @param uri the URL to request
     * @param headers headers sent with the request
     * @param statusCode the expected status (default {@code 200})
     * @param timeout how long the request may take (default: the interval)
     * @param interval time between checks (default {@link #DEFAULT_INTERVAL})
     * @param threshold consecutive failures before the check counts as failing ({@code 0} and
     *                  {@code 1}: the first)
     */
    public record HttpCheck(URI uri, Map<String, List<String>> headers, int statusCode, Duration timeout,
                            Duration interval, int threshold) {
    }

    /**
     * One {@code health.tcp} entry: a TCP connection to {@code host:port} must open.
     *
     * @param host the host to connect to
     * @param port its port
     * @param timeout how long connecting may take (default: the interval)
     * @param interval time between checks (default {@link #DEFAULT_INTERVAL})
     * @param threshold consecutive failures before the check counts as failing ({@code 0} and
     *                  {@code 1}: the first)
     */
    public record TcpCheck(String host, int port, Duration timeout, Duration interval, int threshold) {
        /** {@code host:port} as configured, the check's name. */
        public String addr() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }
}
