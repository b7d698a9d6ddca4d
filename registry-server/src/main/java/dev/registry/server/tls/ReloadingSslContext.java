package dev.registry.server.tls;

import dev.registry.config.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The server's Netty {@link SslContext}, rebuilt when its certificate or key file changes, so
 * rotated certificates (cert-manager, ACME clients) are served without a restart.
 *
 * <p>Connections call {@link #current()}; at most once per check interval that call looks at the
 * files' (certificate, key and client CAs) modification time, size and identity (following symlinks, which is how Kubernetes
 * swaps secret volumes) and rebuilds when they changed. A reload that fails (say the certificate
 * was written but the key not yet) keeps serving the previous context and logs one warning per
 * distinct file state; the next change is tried again.
 *
 * <p>The context speaks TLS 1.3 and 1.2 (or 1.3 only), with Netty's HTTP/2 cipher list (AEAD with
 * forward secrecy only) or the TLS 1.2 suites configured ({@code http.tls.ciphersuites}; TLS 1.3's
 * suites are always its three standard ones), and advertises {@code h2} (unless {@code http.http2.disabled})
 * and {@code http/1.1} through ALPN. It is built with the {@link TlsEngine} given (BoringSSL or the JDK's).
 *
 * <p>With client CA files ({@code http.tls.clientcas}) the context requires a client certificate
 * that chains to one of their certificates: a client without one, or with one from another CA,
 * fails the handshake, before any HTTP is read.
 */
public final class ReloadingSslContext {
    /** How often {@link #current()} looks at the files by default. */
    public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(5);

    /**
     * Plaintext bytes handed to the TLS engine per wrap (Netty's default is one record, 16 KiB).
     * BoringSSL turns 64 KiB into four full records in one call, so a blob costs a quarter of the
     * calls, output buffers and, for HTTP/2, copies that merge frame headers with their data; the
     * JDK engine still writes one record per call. Records stay at TLS's 16 KiB maximum.
     */
    static final int WRAP_DATA_SIZE = 64 * 1024;


    private static final Logger log = LoggerFactory.getLogger(ReloadingSslContext.class);

    private final Path certificateFile;
    private final Path keyFile;
    private final List<Path> clientCaFiles;
    private final List<String> protocols;
    private final List<String> ciphers;
    private final boolean http2;
    private final TlsEngine engine;
    private final long checkIntervalNanos;
    private final LongSupplier nanoTime;
    private final Object reloadLock = new Object();

    private volatile Loaded loaded;
    private volatile long nextCheck;
    /** The file state whose reload failed and was already reported; guarded by {@link #reloadLock}. */
    private FileState reportedFailure;

    private record Loaded(SslContext context, X509Certificate certificate, FileState files) {
    }

    /** Modification time, size and identity of every file; {@code null} parts for missing files. */
    private record FileState(Object certificate, Object key, List<Object> clientCas) {
    }

    private ReloadingSslContext(Path certificateFile, Path keyFile, List<Path> clientCaFiles, List<String> protocols,
                                List<String> ciphers, boolean http2, TlsEngine engine, Duration checkInterval,
                                LongSupplier nanoTime) {
        this.certificateFile = certificateFile;
        this.keyFile = keyFile;
        this.clientCaFiles = List.copyOf(clientCaFiles);
        this.protocols = protocols;
        this.ciphers = ciphers;
        this.http2 = http2;
        this.engine = engine;
        this.checkIntervalNanos = checkInterval.toNanos();
        this.nanoTime = nanoTime;
    }

    /**
     * What a context offers besides its certificate.
     *
     * @param clientCaFiles     CAs whose client certificates are required; none for no client certificates
     * @param minimumVersion    {@code tls1.2} or {@code tls1.3} ({@code null} means {@code tls1.2})
     * @param tls12CipherSuites TLS 1.2 suites by IANA name, in order of preference; none for the
     *                          default ones. Names the engine lacks are left out.
     * @param http2             whether ALPN offers {@code h2} before {@code http/1.1}
     */
    public record Settings(List<Path> clientCaFiles, String minimumVersion, List<String> tls12CipherSuites, boolean http2) {
        public Settings {
            clientCaFiles = List.copyOf(clientCaFiles);
            tls12CipherSuites = List.copyOf(tls12CipherSuites);
        }

        /** TLS 1.2 or newer (or 1.3 only), default suites, HTTP/2, no client certificates. */
        public static Settings of(String minimumVersion) {
            return new Settings(List.of(), minimumVersion, List.of(), true);
        }

        public Settings withClientCas(List<Path> files) {
            return new Settings(files, minimumVersion, tls12CipherSuites, http2);
        }

        public Settings withCipherSuites(List<String> suites) {
            return new Settings(clientCaFiles, minimumVersion, suites, http2);
        }

        public Settings withHttp2(boolean enabled) {
            return new Settings(clientCaFiles, minimumVersion, tls12CipherSuites, enabled);
        }
    }

    /**
     * Loads the certificate chain and key and builds the first context.
     *
     * @param minimumVersion {@code tls1.2} or {@code tls1.3} ({@code null} means {@code tls1.2})
     * @param engine the TLS implementation to build contexts with
     * @throws TlsFileException when the files cannot be used
     * @throws IllegalArgumentException for an unknown {@code minimumVersion}
     */
    public static ReloadingSslContext open(Path certificateFile, Path keyFile, String minimumVersion, TlsEngine engine) {
        return open(certificateFile, keyFile, Settings.of(minimumVersion), engine);
    }

    /**
     * As {@link #open(Path, Path, String, TlsEngine)}, requiring client certificates issued by the
     * CAs in {@code clientCaFiles} when that list is not empty.
     *
     * @throws TlsFileException when any of the files cannot be used
     */
    public static ReloadingSslContext open(Path certificateFile, Path keyFile, List<Path> clientCaFiles, String minimumVersion,
                                           TlsEngine engine) {
        return open(certificateFile, keyFile, Settings.of(minimumVersion).withClientCas(clientCaFiles), engine);
    }

    /**
     * Loads the certificate chain and key and builds the first context with {@code settings}.
     *
     * @throws TlsFileException when any of the files cannot be used
     * @throws IllegalArgumentException for an unknown minimum version
     */
    public static ReloadingSslContext open(Path certificateFile, Path keyFile, Settings settings, TlsEngine engine) {
        return open(certificateFile, keyFile, settings, engine, DEFAULT_CHECK_INTERVAL, System::nanoTime);
    }

    static ReloadingSslContext open(Path certificateFile, Path keyFile, String minimumVersion, TlsEngine engine,
                                    Duration checkInterval, LongSupplier nanoTime) {
        return open(certificateFile, keyFile, Settings.of(minimumVersion), engine, checkInterval, nanoTime);
    }

    static ReloadingSslContext open(Path certificateFile, Path keyFile, List<Path> clientCaFiles, String minimumVersion,
                                    TlsEngine engine, Duration checkInterval, LongSupplier nanoTime) {
        return open(certificateFile, keyFile, Settings.of(minimumVersion).withClientCas(clientCaFiles), engine, checkInterval,
                nanoTime);
    }

    static ReloadingSslContext open(Path certificateFile, Path keyFile, Settings settings, TlsEngine engine,
                                    Duration checkInterval, LongSupplier nanoTime) {
        ReloadingSslContext context = new ReloadingSslContext(certificateFile, keyFile, settings.clientCaFiles(),
                protocols(settings.minimumVersion()), ciphers(settings.tls12CipherSuites()), settings.http2(), engine,
                checkInterval, nanoTime);
        FileState state = context.fileState();
        context.loaded = context.load(state);
        context.nextCheck = nanoTime.getAsLong() + context.checkIntervalNanos;
        return context;
    }

    /**
     * The TLS protocol versions for a {@code http.tls.minimumtls} value, newest first.
     *
     * @throws IllegalArgumentException for anything but {@code tls1.2} and {@code tls1.3}
     */
    public static List<String> protocols(String minimumVersion) {
        String version = minimumVersion == null || minimumVersion.isBlank() ? "tls1.2" : minimumVersion.trim().toLowerCase(Locale.ROOT);
        return switch (version) {
            case "tls1.2" -> List.of("TLSv1.3", "TLSv1.2");
            case "tls1.3" -> List.of("TLSv1.3");
            default -> throw new IllegalArgumentException("minimum TLS version '" + minimumVersion
                    + "' is not supported: use tls1.2 or tls1.3 (older versions are insecure)");
        };
    }

    /**
     * The suites to enable: Netty's HTTP/2 list for none given; otherwise those given that are
     * TLS 1.2 suites, in their order, then TLS 1.3's.
     */
    static List<String> ciphers(List<String> tls12CipherSuites) {
        if (tls12CipherSuites.isEmpty()) {
            return Http2SecurityUtil.CIPHERS;
        }
        List<String> ciphers = new ArrayList<>();
        for (String suite : tls12CipherSuites) {
            if (!TlsConfig.TLS13_CIPHER_SUITES.contains(suite) && !ciphers.contains(suite)) {
                ciphers.add(suite);
            }
        }
        ciphers.addAll(TlsConfig.TLS13_CIPHER_SUITES);
        return List.copyOf(ciphers);
    }

    /**
     * The cipher suites the current context enables, in IANA names: the TLS 1.2 ones asked for that
     * the engine implements, and TLS 1.3's.
     */
    public List<String> enabledCipherSuites() {
        return loaded.context().cipherSuites();
    }

    /**
     * The context for a new connection, reloaded first if the files changed since the last look
     * (at most every check interval). Call {@code current().newHandler(channel.alloc())} per connection.
     */
    public SslContext current() {
        long now = nanoTime.getAsLong();
        if (now - nextCheck >= 0) {
            synchronized (reloadLock) {
                if (now - nextCheck >= 0) {
                    nextCheck = now + checkIntervalNanos;
                    reloadIfChanged();
                }
            }
        }
        return loaded.context();
    }

    /**
     * A TLS handler for a new connection, from {@link #current()}, that encrypts up to
     * {@link #WRAP_DATA_SIZE} bytes per call into the engine.
     */
    public SslHandler newHandler(ByteBufAllocator alloc) {
        SslHandler handler = current().newHandler(alloc);
        handler.setWrapDataSize(WRAP_DATA_SIZE);
        return handler;
    }

    /** The leaf certificate currently served, for logging. */
    public X509Certificate certificate() {
        return loaded.certificate();
    }

    private void reloadIfChanged() {
        FileState state = fileState();
        if (state.equals(loaded.files()) || state.equals(reportedFailure)) {
            return;
        }
        try {
            Loaded fresh = load(state);
            loaded = fresh;
            reportedFailure = null;
            log.info("reloaded TLS certificate {} (subject {}, expires {})", certificateFile,
                    fresh.certificate().getSubjectX500Principal().getName(), fresh.certificate().getNotAfter().toInstant());
        } catch (RuntimeException e) {
            reportedFailure = state;
            log.warn("TLS certificate files changed but cannot be loaded, still serving the previous certificate: {}",
                    e.getMessage());
        }
    }

    private Loaded load(FileState state) {
        CertifiedKey credentials = PemFiles.readCertifiedKey(certificateFile, keyFile);
        List<X509Certificate> clientCas = new ArrayList<>();
        for (Path file : clientCaFiles) {
            clientCas.addAll(PemFiles.readCaCertificates(file));
        }
        return new Loaded(newSslContext(credentials, clientCas, protocols, ciphers, http2, engine, certificateFile),
                credentials.leaf(), state);
    }

    private FileState fileState() {
        List<Object> clientCas = new ArrayList<>();
        for (Path file : clientCaFiles) {
            clientCas.add(stateOf(file));
        }
        return new FileState(stateOf(certificateFile), stateOf(keyFile), clientCas);
    }

    /** Whether connections must present a client certificate. */
    public boolean requiresClientCertificates() {
        return !clientCaFiles.isEmpty();
    }

    private static Object stateOf(Path file) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(attributes.lastModifiedTime(), attributes.size(), Objects.requireNonNullElse(attributes.fileKey(), ""));
        } catch (IOException e) {
            return null;
        }
    }

    /** The engine this context builds with. */
    public TlsEngine engine() {
        return engine;
    }

    /**
     * A server context from already validated credentials. Should BoringSSL refuse credentials the
     * JDK accepts, the JDK engine serves them rather than the server refusing to start.
     */
    static SslContext newSslContext(CertifiedKey credentials, List<X509Certificate> clientCas, List<String> protocols,
                                    List<String> ciphers, boolean http2, TlsEngine engine, Path certificateFile) {
        if (engine.isOpenSsl()) {
            try {
                return newSslContext(credentials, clientCas, protocols, ciphers, http2, engine.provider());
            } catch (SSLException | IllegalArgumentException e) {
                log.warn("BoringSSL cannot use TLS certificate {} and its key ({}); serving it with the JDK engine instead",
                        certificateFile, e.getMessage());
            }
        }
        try {
            return newSslContext(credentials, clientCas, protocols, ciphers, http2, SslProvider.JDK);
        } catch (SSLException | IllegalArgumentException e) {
            throw new TlsFileException(certificateFile, "TLS certificate " + certificateFile + " and its key cannot be used ("
                    + e.getMessage() + ").", e);
        }
    }

    private static SslContext newSslContext(CertifiedKey credentials, List<X509Certificate> clientCas, List<String> protocols,
                                            List<String> ciphers, boolean http2, SslProvider provider) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forServer(credentials.key(), credentials.chain());
        if (!clientCas.isEmpty()) {
            // The CAs are the trust anchors of client certificates (and are named in the server's
            // certificate request, so clients holding several certificates pick the right one).
            builder.trustManager(clientCas.toArray(X509Certificate[]::new)).clientAuth(ClientAuth.REQUIRE);
        }
        return builder
                .sslProvider(provider)
                .protocols(protocols)
                .ciphers(ciphers, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        // Without ALPN support in the JDK we would rather not advertise than fail handshakes.
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        // A client picking something we did not offer gets HTTP/1.1, the fallback below.
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        http2 ? List.of(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1)
                                : List.of(ApplicationProtocolNames.HTTP_1_1)))
                .build();
    }
}
