package dev.registry.server.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;

import java.util.Locale;

/**
 * Which TLS implementation encrypts the server's connections: BoringSSL through Netty's
 * {@code netty-tcnative} (bundled for linux-x86_64), or the JDK's {@code SSLEngine}.
 *
 * <p>BoringSSL is used when its native library loads: on a 2-core machine a 256 MiB push over
 * HTTP/1.1 cost the server about half the CPU time it cost with the JDK engine, and a pull over
 * HTTP/1.1 about a third less (docs/benchmark.md, TLS). Where it cannot load (another CPU or
 * operating system, a C library it does not link against, a {@code noexec} temporary directory)
 * the JDK engine serves the same protocols and cipher suites, only slower.
 *
 * <p>The system property {@value #PROPERTY} chooses: {@code auto} (the default: BoringSSL when
 * available), {@code jdk} (always the JDK engine; to rule the native library out when
 * diagnosing), or {@code openssl} (BoringSSL or refuse to start).
 */
public record TlsEngine(SslProvider provider, String description) {
    /** The system property that chooses the engine. */
    public static final String PROPERTY = "registry.tls.engine";

    /**
     * The engine the property asks for, given whether BoringSSL loaded.
     *
     * @param choice the property's value ({@code null} or blank means {@code auto})
     * @param openSslAvailable whether {@link OpenSsl#isAvailable()}
     * @param unavailabilityCause why it did not load, for the description (may be {@code null})
     * @throws IllegalArgumentException for an unknown choice, or {@code openssl} when it did not load
     */
    static TlsEngine choose(String choice, boolean openSslAvailable, Throwable unavailabilityCause) {
        String value = choice == null || choice.isBlank() ? "auto" : choice.strip().toLowerCase(Locale.ROOT);
        String why = unavailabilityCause == null ? "its native library did not load"
                : unavailabilityCause.getMessage() == null ? unavailabilityCause.toString() : unavailabilityCause.getMessage();
        return switch (value) {
            case "jdk" -> new TlsEngine(SslProvider.JDK, "JDK SSLEngine (chosen by -D" + PROPERTY + "=jdk)");
            case "openssl" -> {
                if (!openSslAvailable) {
                    throw new IllegalArgumentException("-D" + PROPERTY + "=openssl asks for BoringSSL, but " + why
                            + ": remove the property to fall back to the JDK engine");
                }
                yield openSsl();
            }
            case "auto" -> openSslAvailable ? openSsl()
                    : new TlsEngine(SslProvider.JDK, "JDK SSLEngine (BoringSSL unavailable: " + why + ")");
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + choice
                    + " is not an engine: use auto, openssl or jdk");
        };
    }

    /** The engine for this process, from the system property and whether BoringSSL loads. */
    static TlsEngine fromSystem() {
        String choice = System.getProperty(PROPERTY);
        if (choice != null && choice.strip().equalsIgnoreCase("jdk")) {
            // Do not even try to load the native library: that is what the switch is for.
            return choose(choice, false, null);
        }
        return choose(choice, OpenSsl.isAvailable(), OpenSsl.unavailabilityCause());
    }

    private static TlsEngine openSsl() {
        return new TlsEngine(SslProvider.OPENSSL, OpenSsl.versionString() + " via netty-tcnative");
    }

    /** Whether this is the native engine. */
    public boolean isOpenSsl() {
        return provider != SslProvider.JDK;
    }
}
