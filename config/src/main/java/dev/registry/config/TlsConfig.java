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
 * @param clientCas {@code http.tls.clientcas}: PEM files of the CAs whose client certificates are
 *                  accepted; when not empty every connection must present a certificate issued by
 *                  one of them, and the TLS handshake fails without one
 * @param cipherSuites {@code http.tls.ciphersuites}: the TLS 1.2 cipher suites offered, by their
 *                     IANA names, in the server's order of preference; empty for the default (AEAD
 *                     suites with forward secrecy). TLS 1.3's suites cannot be chosen, as in
 *                     registry:2: they are always on, and naming them changes nothing (a list of
 *                     nothing else is refused while TLS 1.2 is allowed).
 * @param http2 whether TLS connections may speak HTTP/2 (ALPN {@code h2}); {@code false} with
 *              {@code http.http2.disabled: true}
 */
public record TlsConfig(Path certificate, Path key, SelfSignedConfig selfSigned, String minimumVersion,
                        List<Path> clientCas, List<String> cipherSuites, boolean http2) {
    /**
     * TLS 1.3's cipher suites. BoringSSL does not let them be chosen and Go (registry:2) ignores a
     * choice, so they are on whatever {@code http.tls.ciphersuites} says.
     */
    public static final List<String> TLS13_CIPHER_SUITES = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256");

    /** Plain HTTP. */
    public static final TlsConfig DISABLED = new TlsConfig(null, null, null, "tls1.2");

    public TlsConfig {
        clientCas = clientCas == null ? List.of() : List.copyOf(clientCas);
        cipherSuites = cipherSuites == null ? List.of() : List.copyOf(cipherSuites);
    }

    /** TLS with the default cipher suites and HTTP/2. */
    public TlsConfig(Path certificate, Path key, SelfSignedConfig selfSigned, String minimumVersion, List<Path> clientCas) {
        this(certificate, key, selfSigned, minimumVersion, clientCas, List.of(), true);
    }

    /** TLS with HTTP/2. */
    public TlsConfig(Path certificate, Path key, SelfSignedConfig selfSigned, String minimumVersion, List<Path> clientCas,
                     List<String> cipherSuites) {
        this(certificate, key, selfSigned, minimumVersion, clientCas, cipherSuites, true);
    }

    /** TLS without client certificates. */
    public TlsConfig(Path certificate, Path key, SelfSignedConfig selfSigned, String minimumVersion) {
        this(certificate, key, selfSigned, minimumVersion, List.of());
    }

    /** The TLS 1.2 suites of {@link #cipherSuites()}, in order: the names of TLS 1.3's left out. */
    public List<String> tls12CipherSuites() {
        return cipherSuites.stream().filter(suite -> !TLS13_CIPHER_SUITES.contains(suite)).toList();
    }

    /** Whether every connection must present a client certificate from {@link #clientCas()}. */
    public boolean requiresClientCertificates() {
        return !clientCas.isEmpty();
    }

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
