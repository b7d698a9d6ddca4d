package dev.registry.server.tls;

import dev.registry.config.ConfigException;
import dev.registry.config.TlsConfig;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which TLS engine the server picks, and that the contexts it builds use it. */
class TlsEngineTest {
    @TempDir
    Path temp;

    @AfterEach
    void clearProperty() {
        System.clearProperty(TlsEngine.PROPERTY);
    }

    @Test
    void autoPrefersBoringSslAndFallsBackToTheJdk() {
        assertEquals(SslProvider.OPENSSL, TlsEngine.choose(null, true, null).provider());
        assertEquals(SslProvider.OPENSSL, TlsEngine.choose(" AUTO ", true, null).provider());

        TlsEngine fallback = TlsEngine.choose("auto", false, new UnsatisfiedLinkError("no netty_tcnative_linux_x86_64 in java.library.path"));
        assertEquals(SslProvider.JDK, fallback.provider());
        assertFalse(fallback.isOpenSsl());
        assertEquals("JDK SSLEngine (BoringSSL unavailable: no netty_tcnative_linux_x86_64 in java.library.path)",
                fallback.description());
    }

    @Test
    void jdkIsChosenEvenWhereBoringSslLoads() {
        TlsEngine jdk = TlsEngine.choose("jdk", true, null);
        assertEquals(SslProvider.JDK, jdk.provider());
        assertEquals("JDK SSLEngine (chosen by -Dregistry.tls.engine=jdk)", jdk.description());
    }

    @Test
    void opensslOrUnknownValuesRefuseWithTheFix() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TlsEngine.choose("openssl", false, new UnsatisfiedLinkError("cannot load")));
        assertEquals("-Dregistry.tls.engine=openssl asks for BoringSSL, but cannot load: remove the property to fall back"
                + " to the JDK engine", missing.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> TlsEngine.choose("bouncy", true, null));
        assertEquals("-Dregistry.tls.engine=bouncy is not an engine: use auto, openssl or jdk", unknown.getMessage());
    }

    @Test
    void thisPlatformLoadsTheBundledBoringSsl() {
        TlsTestSupport.assumeOpenSslBundledOrAvailable();
        TlsEngine engine = TlsEngine.fromSystem();
        assertTrue(engine.isOpenSsl(), engine.description());
        assertEquals(SslProvider.OPENSSL, engine.provider());
    }

    @Test
    void serverTlsBuildsItsContextWithTheEngineThePropertyChooses() {
        SelfSignedCertificates.Result files = SelfSignedCertificates.ensure(List.of("127.0.0.1"), temp);
        TlsConfig config = new TlsConfig(files.certificate(), files.key(), null, "tls1.2");

        System.setProperty(TlsEngine.PROPERTY, "jdk");
        ServerTls jdk = ServerTls.open(config);
        assertEquals(SslProvider.JDK, jdk.context().engine().provider());
        assertInstanceOf(JdkSslContext.class, jdk.context().current());

        System.setProperty(TlsEngine.PROPERTY, "nonsense");
        ConfigException bad = assertThrows(ConfigException.class, () -> ServerTls.open(config));
        assertEquals("-Dregistry.tls.engine=nonsense is not an engine: use auto, openssl or jdk.", bad.getMessage());

        TlsTestSupport.assumeOpenSslBundledOrAvailable();
        System.clearProperty(TlsEngine.PROPERTY);
        ServerTls native0 = ServerTls.open(config);
        assertEquals(SslProvider.OPENSSL, native0.context().engine().provider());
        assertInstanceOf(OpenSslContext.class, native0.context().current());
    }
}
