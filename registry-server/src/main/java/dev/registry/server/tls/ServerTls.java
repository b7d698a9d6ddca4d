package dev.registry.server.tls;

import dev.registry.config.ConfigException;
import dev.registry.config.TlsConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * TLS for the server port, from {@code http.tls}: the configured certificate and key, or a
 * self-signed CA and certificate kept in {@code http.tls.selfsigned.directory}; either way
 * reloaded when the files change, with ALPN choosing HTTP/2 or HTTP/1.1 per connection. With
 * {@code http.tls.clientcas} every connection must present a client certificate issued by one of
 * those CAs.
 */
public final class ServerTls {
    /**
     * Outbound bytes a TLS connection may queue before it reports itself unwritable (Netty's
     * default is 64 KiB). A blob is sent in 256 KiB chunks; with the default, every chunk made the
     * connection unwritable and the next one waited for the socket to drain below 32 KiB, a stop
     * and a wake-up per chunk. With room for a few chunks the event loop encrypts in longer runs:
     * on a busy 2-core machine a 256 MiB pull took about a fifth less CPU with this and
     * {@link ReloadingSslContext#WRAP_DATA_SIZE} (docs/benchmark.md, TLS). Memory: at most this
     * much per connection that is sending.
     */
    static final WriteBufferWaterMark WRITE_BUFFER = new WriteBufferWaterMark(512 * 1024, 1024 * 1024);

    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    private final ReloadingSslContext context;
    private final SelfSignedCertificates.Result selfSigned;

    private ServerTls(ReloadingSslContext context, SelfSignedCertificates.Result selfSigned) {
        this.context = context;
        this.selfSigned = selfSigned;
    }

    /**
     * Loads (or for self-signed, first generates) the certificate and builds the TLS context.
     *
     * @throws ConfigException naming the {@code http.tls} setting at fault when it cannot be used
     * @throws IllegalArgumentException when {@code config} does not enable TLS
     */
    public static ServerTls open(TlsConfig config) {
        TlsEngine engine;
        try {
            engine = TlsEngine.fromSystem();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage() + ".");
        }
        ServerTls tls = open(config, engine);
        log.info("TLS engine: {}", engine.description());
        if (!config.cipherSuites().isEmpty()) {
            if (config.minimumVersion().equals("tls1.3")) {
                log.warn("http.tls.ciphersuites is ignored: with http.tls.minimumtls tls1.3 only TLS 1.3's own suites are used, "
                        + "and those cannot be chosen");
            } else {
                log.info("TLS 1.2 cipher suites, from http.tls.ciphersuites: {}", tls.context.enabledCipherSuites().stream()
                        .filter(suite -> !TlsConfig.TLS13_CIPHER_SUITES.contains(suite)).toList());
            }
        }
        if (config.requiresClientCertificates()) {
            log.info("TLS: every connection must present a client certificate issued by a CA in {}", config.clientCas());
        }
        return tls;
    }

    /** {@link #open(TlsConfig)} with the given engine instead of the system property's. */
    static ServerTls open(TlsConfig config, TlsEngine engine) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("TLS is not enabled in this configuration");
        }
        try {
            ReloadingSslContext.protocols(config.minimumVersion());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("http.tls.minimumtls (REGISTRY_HTTP_TLS_MINIMUMTLS): " + e.getMessage() + ".");
        }
        if (config.certificate() != null) {
            if (config.key() == null) {
                throw new ConfigException("http.tls.key (REGISTRY_HTTP_TLS_KEY) is required with http.tls.certificate: "
                        + "give the certificate's private key file.");
            }
            return new ServerTls(checkCipherSuites(openContext(config.certificate(), config.key(), config, engine), config, engine),
                    null);
        }
        SelfSignedCertificates.Result generated = ensureSelfSigned(config.selfSigned());
        return new ServerTls(checkCipherSuites(openContext(generated.certificate(), generated.key(), config, engine), config, engine),
                generated);
    }

    /**
     * Stops startup when the engine implements none of the TLS 1.2 suites asked for (TLS 1.2
     * clients could not connect at all), and warns about those it leaves out.
     */
    private static ReloadingSslContext checkCipherSuites(ReloadingSslContext context, TlsConfig config, TlsEngine engine) {
        List<String> asked = config.tls12CipherSuites();
        if (asked.isEmpty() || config.minimumVersion().equals("tls1.3")) {
            return context;
        }
        List<String> enabled = context.enabledCipherSuites();
        List<String> missing = asked.stream().filter(suite -> !enabled.contains(suite)).toList();
        if (missing.size() == asked.size()) {
            throw new ConfigException("http.tls.ciphersuites (REGISTRY_HTTP_TLS_CIPHERSUITES): the TLS engine (" + engine.description()
                    + ") implements none of " + asked + ", so TLS 1.2 clients could not connect: add a suite such as "
                    + "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 or TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.");
        }
        if (!missing.isEmpty()) {
            log.warn("http.tls.ciphersuites: the TLS engine ({}) does not implement {}; they are not offered", engine.description(),
                    missing);
        }
        return context;
    }

    private static SelfSignedCertificates.Result ensureSelfSigned(TlsConfig.SelfSignedConfig selfSigned) {
        if (selfSigned.directory() == null) {
            throw new ConfigException("http.tls.selfsigned.directory (REGISTRY_HTTP_TLS_SELFSIGNED_DIRECTORY) is required: "
                    + "give a directory to keep the generated CA and server certificate in.");
        }
        try {
            return SelfSignedCertificates.ensure(selfSigned.hosts(), selfSigned.directory());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("http.tls.selfsigned.hosts (REGISTRY_HTTP_TLS_SELFSIGNED_HOSTS): " + e.getMessage()
                    + ": list DNS names and IP addresses only.", e);
        } catch (UncheckedIOException e) {
            throw new ConfigException("http.tls.selfsigned.directory (REGISTRY_HTTP_TLS_SELFSIGNED_DIRECTORY): " + e.getMessage()
                    + ": give a directory this process may write.", e);
        } catch (TlsFileException e) {
            throw new ConfigException("http.tls.selfsigned.directory (REGISTRY_HTTP_TLS_SELFSIGNED_DIRECTORY): " + e.getMessage(), e);
        }
    }

    private static ReloadingSslContext openContext(Path certificate, Path key, TlsConfig config, TlsEngine engine) {
        try {
            return ReloadingSslContext.open(certificate, key, new ReloadingSslContext.Settings(config.clientCas(),
                    config.minimumVersion(), config.cipherSuites(), config.http2()), engine);
        } catch (TlsFileException e) {
            String setting = config.clientCas().contains(e.file()) ? "http.tls.clientcas (REGISTRY_HTTP_TLS_CLIENTCAS)"
                    : config.certificate() == null
                    ? "http.tls.selfsigned.directory (REGISTRY_HTTP_TLS_SELFSIGNED_DIRECTORY)"
                    : key.equals(e.file()) ? "http.tls.key (REGISTRY_HTTP_TLS_KEY)"
                    : "http.tls.certificate (REGISTRY_HTTP_TLS_CERTIFICATE)";
            throw new ConfigException(setting + ": " + e.getMessage(), e);
        }
    }

    /**
     * Adds TLS and protocol negotiation to a new connection; call from the server's
     * {@code ChannelInitializer} instead of adding the HTTP handlers directly.
     *
     * @param http1 adds the HTTP/1.1 handlers to the connection pipeline once ALPN picked
     *              {@code http/1.1} (or the client did not use ALPN)
     * @param http2Stream adds the request handlers to each HTTP/2 stream pipeline, which already
     *                    holds the frame-to-HTTP-object codec and a {@code ChunkedWriteHandler}
     */
    public void initChannel(Channel channel, Consumer<ChannelPipeline> http1, Consumer<ChannelPipeline> http2Stream) {
        channel.config().setWriteBufferWaterMark(WRITE_BUFFER);
        channel.pipeline()
                .addLast("tls", context.newHandler(channel.alloc()))
                .addLast("alpn", new HttpProtocolNegotiationHandler(http1, http2Stream));
    }

    /** Whether every connection must present a client certificate ({@code http.tls.clientcas}). */
    public boolean requiresClientCertificates() {
        return context.requiresClientCertificates();
    }

    /** The reloading context, for callers that build their own pipeline. */
    public ReloadingSslContext context() {
        return context;
    }

    /** What was found or generated in self-signed mode; empty when a certificate is configured. */
    public Optional<SelfSignedCertificates.Result> selfSigned() {
        return Optional.ofNullable(selfSigned);
    }
}
