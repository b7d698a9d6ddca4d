package dev.registry.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CleartextHttp2DetectorTest {
    private static final String PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    /** Stands for the handlers a protocol's consumer adds: records the bytes it is handed. */
    private static final class Received extends ChannelInboundHandlerAdapter {
        final StringBuilder bytes = new StringBuilder();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            bytes.append(buf.toString(StandardCharsets.US_ASCII));
            buf.release();
        }
    }

    private final List<String> chosen = new ArrayList<>();
    private Received received;

    private Consumer<ChannelPipeline> protocol(String name) {
        return pipeline -> {
            chosen.add(name);
            received = new Received();
            pipeline.addLast(received);
        };
    }

    private EmbeddedChannel channel(Duration timeout) {
        return new EmbeddedChannel(new CleartextHttp2Detector(protocol("http/1.1"), protocol("h2"), timeout));
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    @Test
    void theHttp2PrefaceChoosesHttp2AndIsHandedOn() {
        EmbeddedChannel channel = channel(Duration.ofSeconds(30));
        channel.writeInbound(ascii(PREFACE.substring(0, 10)));
        assertEquals(List.of(), chosen, "not decided on part of the preface");
        channel.writeInbound(ascii(PREFACE.substring(10) + "frames"));

        assertEquals(List.of("h2"), chosen);
        assertEquals(PREFACE + "frames", received.bytes.toString());
        assertNull(channel.pipeline().get(CleartextHttp2Detector.class));
        channel.advanceTimeBy(31, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertTrue(channel.isOpen(), "the deadline for the preface is gone once it came");
    }

    @Test
    void withoutATimeoutAPartialPrefaceWaits() {
        EmbeddedChannel channel = channel(Duration.ZERO);
        channel.writeInbound(ascii("PRI * "));
        channel.advanceTimeBy(1, TimeUnit.HOURS);
        channel.runScheduledPendingTasks();
        assertTrue(channel.isOpen());
        assertEquals(List.of(), chosen);
    }

    @Test
    void anythingElseChoosesHttp11AtOnce() {
        EmbeddedChannel channel = channel(Duration.ofSeconds(30));
        channel.writeInbound(ascii("GE"));

        assertEquals(List.of("http/1.1"), chosen);
        channel.writeInbound(ascii("T /v2/ HTTP/1.1\r\n\r\n"));
        assertEquals("GET /v2/ HTTP/1.1\r\n\r\n", received.bytes.toString());
        // PUT and PATCH share the preface's first letter; their second is not its
        chosen.clear();
        channel(Duration.ofSeconds(30)).writeInbound(ascii("PUT /v2/"));
        assertEquals(List.of("http/1.1"), chosen);
        assertEquals("PUT /v2/", received.bytes.toString());
    }

    @Test
    void aStalledPartialPrefaceIsClosedAfterTheTimeout() {
        EmbeddedChannel channel = channel(Duration.ofSeconds(30));
        channel.writeInbound(ascii("PRI * HTTP/2"));
        channel.advanceTimeBy(29, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertTrue(channel.isOpen());

        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertFalse(channel.isOpen());
        assertEquals(List.of(), chosen);
    }
}
