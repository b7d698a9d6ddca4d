package dev.registry.server.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RequestBodyTest {
    private final AtomicInteger flowChanges = new AtomicInteger();
    private final RequestBody body = new RequestBody(flowChanges::incrementAndGet);

    private ByteBuf chunk(int size, int seed) {
        ByteBuf buf = Unpooled.directBuffer(size);
        for (int i = 0; i < size; i++) {
            buf.writeByte((seed + i) & 0xff);
        }
        return buf;
    }

    /** Offers like the event loop does: the codec's reference is released after offer. */
    private void offer(ByteBuf buf, boolean last) {
        if (last) {
            body.offer(new DefaultLastHttpContent(buf));
        } else {
            body.offer(new DefaultHttpContent(buf));
        }
        buf.release();
    }

    private static byte[] bytes(ByteBuffer[] buffers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer buffer : buffers) {
            byte[] b = new byte[buffer.remaining()];
            buffer.duplicate().get(b);
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    @Test
    void lendsTheReceivedBuffersInOrderAndReleasesThemAtTheNextCall() throws IOException {
        ByteBuf a = chunk(1000, 1);
        ByteBuf b = chunk(3000, 7);
        ByteBuf c = chunk(500, 9);
        byte[] expected = new byte[4500];
        a.getBytes(0, expected, 0, 1000);
        b.getBytes(0, expected, 1000, 3000);
        c.getBytes(0, expected, 4000, 500);
        offer(a, false);
        offer(b, false);
        offer(c, true);

        ByteBuffer[] first = body.nextChunks(2000);
        assertArrayEquals(java.util.Arrays.copyOfRange(expected, 0, 4000), bytes(first),
                "whole buffers up to the limit, the one crossing it included");
        assertEquals(1, a.refCnt(), "lent, still held");
        assertEquals(1, b.refCnt());

        ByteBuffer[] second = body.nextChunks(2000);
        assertEquals(0, a.refCnt(), "released once the caller asks for more");
        assertEquals(0, b.refCnt());
        assertArrayEquals(java.util.Arrays.copyOfRange(expected, 4000, 4500), bytes(second));

        assertNull(body.nextChunks(2000), "end of body");
        assertEquals(0, c.refCnt());
    }

    @Test
    void discardReleasesWhatIsLentAndWhatIsQueued() throws IOException {
        ByteBuf a = chunk(100, 1);
        ByteBuf b = chunk(100, 2);
        offer(a, false);
        body.nextChunks(50);
        offer(b, false);
        body.discard();
        assertEquals(0, a.refCnt());
        assertEquals(0, b.refCnt());
        ByteBuf late = chunk(10, 3);
        offer(late, true);
        assertEquals(0, late.refCnt(), "chunks after a discard are dropped");
    }

    @Test
    void aClosedConnectionLeavesLentBuffersToTheWorkerAndFailsItsNextRead() throws IOException {
        ByteBuf a = chunk(100, 1);
        ByteBuf queued = chunk(100, 2);
        offer(a, false);
        ByteBuffer[] lent = body.nextChunks(50);
        offer(queued, false);

        body.fail();

        assertEquals(1, a.refCnt(), "the worker may still be writing it");
        assertEquals(0, queued.refCnt(), "nobody will read what is queued");
        assertEquals(100, lent[0].remaining());
        assertThrows(IOException.class, () -> body.nextChunks(50));
        assertEquals(0, a.refCnt(), "released by the worker's next call");
    }

    @Test
    void pausesAboveTheHighWaterMarkAndResumesWhenTheWorkerCatchesUp() throws IOException {
        List<ByteBuf> offered = new ArrayList<>();
        int size = 512 * 1024;
        while (!body.wantsPause()) {
            ByteBuf buf = chunk(size, offered.size());
            offered.add(buf);
            offer(buf, false);
        }
        assertTrue(offered.size() * (long) size > RequestBody.HIGH_WATER);
        assertEquals(1, flowChanges.get());

        long taken = 0;
        while (body.wantsPause()) {
            taken += bytes(body.nextChunks(size)).length;
        }
        assertEquals(2, flowChanges.get(), "one notification to pause, one to resume");
        assertTrue(offered.size() * (long) size - taken < RequestBody.LOW_WATER);
        assertFalse(body.isEnded());
    }

    @Test
    void readCopiesAcrossChunksAndSeesTheEnd() throws IOException {
        offer(chunk(10, 1), false);
        offer(chunk(10, 11), true);
        ByteBuffer into = ByteBuffer.allocate(64);
        int n;
        int total = 0;
        while ((n = body.read(into)) >= 0) {
            total += n;
        }
        assertEquals(20, total);
        into.flip();
        for (int i = 0; i < 20; i++) {
            assertEquals((byte) (1 + i), into.get(i));
        }
    }

    @Test
    void aWaitingWorkerIsWokenByHalfAMebibyteOrTheEndNotByEachSmallChunk() throws Exception {
        java.util.concurrent.CompletableFuture<Integer> first = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return bytes(body.nextChunks(Integer.MAX_VALUE)).length;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Thread.sleep(100); // the worker is waiting on an empty queue
        for (int i = 0; i < 7; i++) {
            offer(chunk(64 * 1024, i), false); // 448 KiB: below the wake-up size
        }
        Thread.sleep(300);
        assertFalse(first.isDone(), "seven socket reads' worth do not wake the worker");
        offer(chunk(64 * 1024, 7), false);
        assertEquals(RequestBody.WAKE_BYTES, (long) first.get(10, java.util.concurrent.TimeUnit.SECONDS),
                "the eighth makes half a MiB, taken in one batch");

        java.util.concurrent.CompletableFuture<Integer> last = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return bytes(body.nextChunks(Integer.MAX_VALUE)).length;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Thread.sleep(100);
        offer(chunk(1000, 1), false);
        offer(chunk(24, 2), true);
        assertEquals(1024, (int) last.get(10, java.util.concurrent.TimeUnit.SECONDS), "the end wakes it with less");
        assertNull(body.nextChunks(10));
    }
}
