package dev.registry.server.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A private key and the certificate chain for it, leaf first.
 *
 * @param chain the leaf certificate followed by any intermediates (never empty)
 * @param key the leaf certificate's private key
 */
public record CertifiedKey(List<X509Certificate> chain, PrivateKey key) {
    public CertifiedKey {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a certificate chain needs at least one certificate");
        }
        chain = List.copyOf(chain);
    }

    /** The certificate the server presents. */
    public X509Certificate leaf() {
        return chain.get(0);
    }
}
