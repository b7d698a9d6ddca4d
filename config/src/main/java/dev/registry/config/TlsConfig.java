package dev.registry.config;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code http.tls.*}: how the server port speaks TLS.
 *
 * @param certificate {@code http.tls.certificate}: PEM certificate chain, or {@code null}
 * @param key {@code http.tls.key}: PEM private key, or {@code null}
 * @param selfSigned {@code http.tls.selfsigned}: generate and keep a CA and server certificate,
 *                   used when no certificate is given; {@code null} when not configured
 * @param minimumVersion {@code http.tls.minimumtls}: {@code tls1.2} (default) or {@code tls1.3}
 */
public record TlsConfig(Path certificate, Path key, SelfSignedConfig selfSigned, String minimumVersion) {
    /** Plain HTTP. */
    public static final TlsConfig DISABLED = new TlsConfig(null, null, null, "tls1.2");

    /** Whether the port speaks TLS at all. */
    public boolean enabled() {
        return certificate != null || selfSigned != null;
    }

    /**
     * {@code http.tls.selfsigned.*}.
     *
     * @param hosts DNS names and IP addresses the server certificate is valid for
     * @param directory where {@code ca.crt}, the CA key, the server certificate and key are kept
     */
    public record SelfSignedConfig(List<String> hosts, Path directory) {
    }
}
