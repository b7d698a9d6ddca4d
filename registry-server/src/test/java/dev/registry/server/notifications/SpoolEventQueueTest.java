package dev.registry.server.notifications;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolEventQueueTest {
    @TempDir
    Path dir;

    private static byte[] event(int n) {
        return ("{\"id\":\"" + n + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> text(List<byte[]> events) {
        return events.stream().map(e -> new String(e, StandardCharsets.UTF_8)).toList();
    }

    private static List<String> expected(int from, int to) {
        List<String> events = new ArrayList<>();
        for (int i = from; i < to; i++) {
            events.add(new String(event(i), StandardCharsets.UTF_8));
        }
        return events;
    }

    @Test
    void eventsComeOutInOrderAndOnlyRemovedOnesAreGone() throws IOException {
        try (SpoolEventQueue queue = SpoolEventQueue.open(dir, 100)) {
            for (int i = 0; i < 5; i++) {
                assertTrue(queue.add(event(i)));
            }
            assertEquals(expected(0, 3), text(queue.peek(3)));
            assertEquals(expected(0, 3), text(queue.peek(3)), "peeking again gives the same events");
            queue.remove(2);
            assertEquals(expected(2, 5), text(queue.peek(10)));
            assertEquals(3, queue.size());
            assertTrue(queue.persistent());
        }
    }

    @Test
    void undeliveredEventsSurviveAReopen() throws IOException {
        try (SpoolEventQueue queue = SpoolEventQueue.open(dir, 100)) {
            for (int i = 0; i < 4; i++) {
                queue.add(event(i));
            }
            queue.peek(1);
            queue.remove(1);
        }
        try (SpoolEventQueue queue = SpoolEventQueue.open(dir, 100)) {
            assertEquals(3, queue.size());
            assertEquals(expected(1, 4), text(queue.peek(10)));
            queue.add(event(4));
            assertEquals(expected(1, 5), text(queue.peek(10)));
        }
    }

    @Test
    void manySegmentsAreReadInOrderAndDeletedOnceDelivered() throws IOException {
        byte[] padding = new byte[10_000];
        java.util.Arrays.fill(padding, (byte) 'x');
        int count = 400; // about 4 MB: several segments
        int seen = 0;
        try (SpoolEventQueue queue = SpoolEventQueue.open(dir, 1000)) {
            for (int i = 0; i < count; i++) {
                assertTrue(queue.add(("{\"n\":" + i + ",\"p\":\"" + new String(padding, StandardCharsets.US_ASCII) + "\"}")
                        .getBytes(StandardCharsets.US_ASCII)));
            }
            assertTrue(segments() >= 4, "segments: " + segments());
            while (queue.size() > 0) {
                List<byte[]> batch = queue.peek(7);
                for (byte[] e : batch) {
                    assertTrue(new String(e, StandardCharsets.US_ASCII).startsWith("{\"n\":" + seen + ","), "event " + seen);
                    seen++;
                }
                queue.remove(batch.size());
                if (seen >= 200) {
                    break;
                }
            }
            assertTrue(segments() <= 3, "delivered segments are deleted: " + segments());
        }
        try (SpoolEventQueue queue = SpoolEventQueue.open(dir, 1000)) {
            assertEquals(count - seen, queue.size());
            assertTrue(new String(queue.peek(1).get(0), StandardCharsets.US_ASCII).startsWith("{\"n\":" + seen + ","));
        }
    }

    @Test
    void aFullQueueRefusesNewEventsAndKeepsTheOldOnes() throws IOException {
        try (SpoolEventQueue queue = SpoolEventQueue.open(dir, 2)) {
            assertTrue(queue.add(event(0)));
            assertTrue(queue.add(event(1)));
            assertFalse(queue.add(event(2)));
            assertEquals(expected(0, 2), text(queue.peek(10)));
        }
        try (SpoolEventQueue queue = SpoolEventQueue.open(dir, 2)) {
            assertFalse(queue.add(event(2)), "the limit counts the events left from before");
        }
    }

    @Test
    void aLineTornByACrashIsCutOff() throws IOException {
        try (SpoolEventQueue queue = SpoolEventQueue.open(dir, 100)) {
            queue.add(event(0));
            queue.add(event(1));
        }
        Path segment;
        try (Stream<Path> files = Files.list(dir)) {
            segment = files.filter(f -> f.toString().endsWith(".events")).findFirst().orElseThrow();
        }
        Files.write(segment, "{\"id\":\"2".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);

        try (SpoolEventQueue queue = SpoolEventQueue.open(dir, 100)) {
            assertEquals(expected(0, 2), text(queue.peek(10)));
            queue.add(event(3));
            assertEquals(List.of(expected(0, 2).get(0), expected(0, 2).get(1), expected(3, 4).get(0)), text(queue.peek(10)));
        }
    }

    @Test
    void aSecondProcessCannotOpenTheSameDirectory() throws IOException {
        try (SpoolEventQueue queue = SpoolEventQueue.open(dir, 100)) {
            IOException e = assertThrows(IOException.class, () -> SpoolEventQueue.open(dir, 100));
            assertTrue(e.getMessage().contains("in use by another registry process"), e.getMessage());
        }
    }

    private long segments() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".events")).count();
        }
    }
}
