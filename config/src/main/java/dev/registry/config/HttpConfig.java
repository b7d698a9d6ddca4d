package dev.registry.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code http.*}: where the server listens and how it names itself to clients.
 *
 * @param bindHost host part of {@code http.addr}; empty means every interface (default {@code ""})
 * @param port port part of {@code http.addr} (default {@code 5000})
 * @param host {@code http.host}: external base URL such as {@code https://registry.example:5000}
 *             used to build absolute {@code Location} headers; empty when not set
 * @param secret {@code http.secret}; empty when not set
 * @param relativeUrls {@code http.relativeurls}: answer with relative {@code Location} headers
 * @param prefix {@code http.prefix}: path prefix the API is served under, normalised to start and
 *               end with {@code /} (default {@code /})
 * @param headers {@code http.headers}: extra headers added to every response
 * @param tls {@code http.tls}: whether and how the port speaks TLS; {@link TlsConfig#DISABLED}
 *            when not configured
 * @param drainTimeout {@code http.draintimeout}: on SIGTERM, how long requests in progress may take
 *                     to finish before the server stops (default {@link #DEFAULT_DRAIN_TIMEOUT}; zero
 *                     stops at once)
 * @param headerTimeout {@code http.headertimeout}: how long a client may take to send a request's
 *                      line and headers, counted from its first byte; a connection still sending
 *                      them then is closed (default {@link #DEFAULT_HEADER_TIMEOUT}; zero: no limit)
 * @param debug {@code http.debug}: the metrics and health listener; {@link DebugConfig#DISABLED}
 *              when {@code http.debug.addr} is not set
 * @param h2c {@code http.h2c.enabled}: plain-HTTP connections may speak HTTP/2 with prior knowledge
 */
public record HttpConfig(
        String bindHost,
        int port,
        String host,
        String secret,
        boolean relativeUrls,
        String prefix,
        Map<String, List<String>> headers,
        TlsConfig tls,
        Duration drainTimeout,
        Duration headerTimeout,
        DebugConfig debug,
        boolean h2c) {

    /** Without h2c. */
    public HttpConfig(String bindHost, int port, String host, String secret, boolean relativeUrls, String prefix,
                      Map<String, List<String>> headers, TlsConfig tls, Duration drainTimeout, Duration headerTimeout,
                      DebugConfig debug) {
        this(bindHost, port, host, secret, relativeUrls, prefix, headers, tls, drainTimeout, headerTimeout, debug, false);
    }

    /** Below Kubernetes' default grace period of 30 s, so a drained pod is not killed first. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(25);

    /** Generous for any real client on a slow link, short enough that slow-header attacks hold few sockets long. */
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(30);
}
