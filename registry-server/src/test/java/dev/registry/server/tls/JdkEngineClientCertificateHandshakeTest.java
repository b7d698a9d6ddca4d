package dev.registry.server.tls;

import io.netty.handler.ssl.SslProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every test of {@link ClientCertificateHandshakeTest} again with the JDK's {@code SSLEngine}: what the
 * server uses where BoringSSL cannot load, or with {@code -Dregistry.tls.engine=jdk}.
 */
class JdkEngineClientCertificateHandshakeTest extends ClientCertificateHandshakeTest {
    @Override
    TlsEngine engine() {
        TlsEngine engine = TlsEngine.choose("jdk", true, null);
        assertEquals(SslProvider.JDK, engine.provider());
        return engine;
    }
}
