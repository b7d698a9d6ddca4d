package dev.registry.config;

/**
 * {@code http.debug.*}: the second listener for operators (metrics and health), apart from the API
 * port so that it is never behind authentication or TLS and can stay off the public network.
 *
 * @param enabled whether {@code http.debug.addr} is set; without it nothing extra listens
 * @param bindHost host part of {@code http.debug.addr}; empty means every interface
 * @param port port part of {@code http.debug.addr}; {@code 0} when disabled
 * @param prometheus {@code http.debug.prometheus}
 */
public record DebugConfig(boolean enabled, String bindHost, int port, PrometheusConfig prometheus) {

    /** No {@code http.debug.addr}: no debug listener. */
    public static final DebugConfig DISABLED = new DebugConfig(false, "", 0, PrometheusConfig.DISABLED);

    /**
     * {@code http.debug.prometheus.*}: the Prometheus text exposition on the debug listener.
     *
     * @param enabled default {@code false}, as registry:2
     * @param path where the metrics are served (default {@link #DEFAULT_PATH})
     */
    public record PrometheusConfig(boolean enabled, String path) {
        public static final String DEFAULT_PATH = "/metrics";
        public static final PrometheusConfig DISABLED = new PrometheusConfig(false, DEFAULT_PATH);
    }
}
