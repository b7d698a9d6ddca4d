package dev.registry.server.tls;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReloadingSslContextTest {
    @TempDir
    Path temp;

    private final AtomicLong clock = new AtomicLong(1_000);
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(ReloadingSslContext.class);
    private SelfSignedCertificates.Result files;

    @BeforeEach
    void setUp() {
        files = SelfSignedCertificates.ensure(List.of("one.local"), temp);
        events.start();
        logger.addAppender(events);
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(events);
    }

    private ReloadingSslContext open(String minimumVersion) {
        return ReloadingSslContext.open(files.certificate(), files.key(), minimumVersion, TlsEngine.fromSystem(), Duration.ofSeconds(5),
                clock::get);
    }

    private void advance(Duration duration) {
        clock.addAndGet(duration.toNanos());
    }

    @Test
    void protocolsForMinimumVersion() {
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), ReloadingSslContext.protocols("tls1.2"));
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), ReloadingSslContext.protocols(null));
        assertEquals(List.of("TLSv1.3"), ReloadingSslContext.protocols("TLS1.3"));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> ReloadingSslContext.protocols("tls1.1"));
        assertTrue(error.getMessage().contains("use tls1.2 or tls1.3"), error.getMessage());
    }

    @Test
    void contextAdvertisesH2AndHttp11AndModernSuites() {
        SslContext context = open("tls1.2").current();
        assertTrue(context.isServer());
        assertEquals(List.of("h2", "http/1.1"), context.applicationProtocolNegotiator().protocols());
        assertTrue(context.cipherSuites().contains("TLS_AES_128_GCM_SHA256"), context.cipherSuites().toString());
        assertTrue(context.cipherSuites().contains("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), context.cipherSuites().toString());
        assertTrue(context.cipherSuites().stream().noneMatch(suite -> suite.contains("CBC") || suite.startsWith("TLS_RSA_")),
                "only forward-secret AEAD suites: " + context.cipherSuites());
        SSLEngine engine = context.newEngine(ByteBufAllocator.DEFAULT);
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), protocolVersions(engine));

        SSLEngine tls13 = open("tls1.3").current().newEngine(ByteBufAllocator.DEFAULT);
        assertEquals(List.of("TLSv1.3"), protocolVersions(tls13));
    }

    /**
     * The enabled protocol versions, newest first, without Netty's OpenSSL engine's
     * {@code SSLv2Hello}, which names a ClientHello format (one BoringSSL cannot even parse),
     * not a protocol; {@code TlsHandshakeTest} checks that old versions are refused.
     */
    private static List<String> protocolVersions(SSLEngine engine) {
        return java.util.Arrays.stream(engine.getEnabledProtocols())
                .filter(protocol -> !protocol.equals("SSLv2Hello"))
                .sorted(java.util.Comparator.reverseOrder())
                .toList();
    }

    @Test
    void reloadsChangedFilesAtMostOncePerInterval() {
        ReloadingSslContext reloading = open(null);
        SslContext first = reloading.current();
        assertSame(first, reloading.current(), "unchanged files keep the context");
        advance(Duration.ofSeconds(10));
        assertSame(first, reloading.current(), "unchanged files keep the context after a check too");

        SelfSignedCertificates.ensure(List.of("two.local"), temp);
        advance(Duration.ofSeconds(1));
        assertSame(first, reloading.current(), "no look at the files before the interval is up");

        advance(Duration.ofSeconds(5));
        SslContext second = reloading.current();
        assertNotSame(first, second);
        assertTrue(SubjectAltNames.parse(List.of("two.local")).matchExactly(reloading.certificate()));
        assertTrue(events.list.stream().anyMatch(event -> event.getLevel() == Level.INFO
                && event.getFormattedMessage().startsWith("reloaded TLS certificate")));
    }

    @Test
    void failedReloadKeepsServingAndWarnsOnce() throws Exception {
        ReloadingSslContext reloading = open(null);
        SslContext first = reloading.current();
        var servedBefore = reloading.certificate();

        // Half-way through a rotation: a new key next to the old certificate.
        Files.writeString(files.key(), PemOutput.pkcs8(CertificateIssuer.newKeyPair().getPrivate()));
        for (int i = 0; i < 3; i++) {
            advance(Duration.ofSeconds(6));
            assertSame(first, reloading.current());
        }
        List<ILoggingEvent> warnings = events.list.stream().filter(event -> event.getLevel() == Level.WARN).toList();
        assertEquals(1, warnings.size(), "one warning per broken file state");
        assertTrue(warnings.get(0).getFormattedMessage().contains("still serving the previous certificate"));
        assertTrue(warnings.get(0).getFormattedMessage().contains("does not match"), warnings.get(0).getFormattedMessage());

        // A missing file is another broken state, reported once as well.
        Files.delete(files.certificate());
        advance(Duration.ofSeconds(6));
        assertSame(first, reloading.current());
        assertEquals(2, events.list.stream().filter(event -> event.getLevel() == Level.WARN).count());

        // The rotation completes: the new pair is picked up.
        SelfSignedCertificates.ensure(List.of("one.local"), temp);
        advance(Duration.ofSeconds(6));
        assertNotSame(first, reloading.current());
        assertNotEquals(servedBefore, reloading.certificate());
    }

    @Test
    void initialFailureIsAnError() throws Exception {
        Files.writeString(files.certificate(), "not a certificate");
        TlsFileException error = assertThrows(TlsFileException.class, () -> open(null));
        assertEquals(files.certificate(), error.file());
    }
}
