package dev.registry.server.http;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import javax.net.ssl.SSLException;

/**
 * How the server's own connections to the store (the relay of blob bodies from URLs the store
 * signed) check the store's certificate: the way the store's driver is told to, so that a relay
 * works wherever the driver's own requests do.
 *
 * <p>Why: with {@code storage.s3.skipverify} the SDK trusts any certificate (a store with a
 * self-signed one, such as an in-cluster MinIO), and a relay that checked certificates would fail
 * its handshake on every such store and send every pull through the driver's reader instead (the
 * SDK over the JDK's TLS), at about twice the server's CPU per byte (docs/benchmark.md, S3 over https).
 *
 * <p>The SSL context is made on first use: a server whose store is not reached over https never
 * loads a TLS engine for it. The engine is Netty's default (BoringSSL when its native library
 * loads, as for the server's own port).
 */
public final class StoreTls {
    /** The JDK's trust store and host name checks, as the store's SDK uses by default. */
    public static final StoreTls VERIFIED = new StoreTls(false);
    /** Any certificate, for any host name: what {@code skipverify} tells the driver. */
    public static final StoreTls UNVERIFIED = new StoreTls(true);

    private final boolean trustAnyCertificate;
    private volatile SslContext context;

    private StoreTls(boolean trustAnyCertificate) {
        this.trustAnyCertificate = trustAnyCertificate;
    }

    /** The context for connections made this way, made on first use. */
    SslContext context() throws SSLException {
        SslContext made = context;
        if (made == null) {
            synchronized (this) {
                made = context;
                if (made == null) {
                    made = trustAnyCertificate
                            ? SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build()
                            : SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS").build();
                    context = made;
                }
            }
        }
        return made;
    }

    /**
     * Keeps connections (and an origin's failures) made one way apart from those made the other:
     * a connection whose certificate was never checked must not serve a relay that checks.
     */
    String poolKey(String origin) {
        return trustAnyCertificate ? origin + " (certificate not checked)" : origin;
    }
}
