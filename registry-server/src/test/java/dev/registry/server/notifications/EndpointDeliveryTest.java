package dev.registry.server.notifications;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.registry.config.NotificationEndpointConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EndpointDeliveryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A listener that refuses while {@code down} is set and records every event it accepts. */
    private static final class FakeListener implements EnvelopeSender {
        final List<String> accepted = new ArrayList<>();
        final AtomicInteger attempts = new AtomicInteger();
        final List<Long> attemptTimes = new ArrayList<>();
        volatile boolean down;
        volatile CountDownLatch hang;

        @Override
        public synchronized void send(byte[] envelope) throws IOException, InterruptedException {
            attempts.incrementAndGet();
            attemptTimes.add(System.nanoTime());
            if (hang != null) {
                hang.await();
            }
            if (down) {
                throw new IOException("answered HTTP 503");
            }
            JsonNode events = JSON.readTree(envelope).get("events");
            events.forEach(event -> accepted.add(event.get("id").asText()));
        }

        synchronized List<String> accepted() {
            return List.copyOf(accepted);
        }

        @Override
        public void close() {
        }
    }

    private static NotificationEndpointConfig endpoint(int threshold, Duration backoff) {
        return new NotificationEndpointConfig("test", URI.create("http://127.0.0.1:9/"), Map.of(), Duration.ofSeconds(1),
                threshold, backoff, Set.of("application/octet-stream"), Set.of("pull"), false);
    }

    private static byte[] event(int n) {
        return ("{\"id\":\"" + n + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> ids(int from, int to) {
        List<String> ids = new ArrayList<>();
        for (int i = from; i < to; i++) {
            ids.add(String.valueOf(i));
        }
        return ids;
    }

    private static void awaitAccepted(FakeListener listener, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (listener.accepted().size() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(count, listener.accepted().size(), "accepted: " + listener.accepted());
    }

    @Test
    void eventsQueuedDuringAnOutageArriveInOrderOnceTheListenerIsBack() throws Exception {
        FakeListener listener = new FakeListener();
        listener.down = true;
        EndpointDelivery delivery = new EndpointDelivery(endpoint(2, Duration.ofMillis(50)), new MemoryEventQueue(1000), listener);
        delivery.start();
        for (int i = 0; i < 120; i++) {
            delivery.offer(event(i));
        }
        Thread.sleep(300);
        assertTrue(listener.attempts.get() >= 3, "retried while down: " + listener.attempts.get());

        listener.down = false;
        awaitAccepted(listener, 120);

        assertEquals(ids(0, 120), listener.accepted());
        delivery.offer(event(120));
        awaitAccepted(listener, 121);
        delivery.stop(Duration.ZERO);
        assertEquals(0, delivery.dropped());
    }

    @Test
    void afterTheThresholdAttemptsAreSpacedByTheBackoff() throws Exception {
        FakeListener listener = new FakeListener();
        listener.down = true;
        EndpointDelivery delivery = new EndpointDelivery(endpoint(3, Duration.ofMillis(400)), new MemoryEventQueue(10), listener);
        delivery.start();
        delivery.offer(event(0));
        Thread.sleep(1_500);
        delivery.stop(Duration.ZERO);

        List<Long> times;
        synchronized (listener) {
            times = List.copyOf(listener.attemptTimes);
        }
        // 3 at once, then one per 400 ms: about 6 in 1.5 s; far fewer than a busy loop would make.
        assertTrue(times.size() >= 4 && times.size() <= 8, "attempts: " + times.size());
        for (int i = 3; i < times.size(); i++) {
            long gap = times.get(i) - times.get(i - 1);
            assertTrue(gap >= TimeUnit.MILLISECONDS.toNanos(350), "attempt " + i + " came " + gap / 1_000_000 + " ms after the last");
        }
    }

    @Test
    void offeringNeverWaitsForAHangingListenerAndDropsBeyondTheInbox() throws Exception {
        FakeListener listener = new FakeListener();
        listener.hang = new CountDownLatch(1);
        EndpointDelivery delivery = new EndpointDelivery(endpoint(1, Duration.ofMillis(10)), new MemoryEventQueue(100_000), listener);
        delivery.start();
        delivery.offer(event(0));
        while (listener.attempts.get() == 0) {
            Thread.sleep(5);
        }
        long started = System.nanoTime();
        int offered = EndpointDelivery.INBOX_CAPACITY + 100;
        for (int i = 1; i <= offered; i++) {
            delivery.offer(event(i));
        }
        long tookMillis = (System.nanoTime() - started) / 1_000_000;

        assertTrue(tookMillis < 2_000, "offering " + offered + " events took " + tookMillis + " ms");
        assertEquals(100, delivery.dropped(), "the inbox holds INBOX_CAPACITY events while a POST hangs");
        listener.hang.countDown();
        listener.hang = null;
        awaitAccepted(listener, 1 + EndpointDelivery.INBOX_CAPACITY);
        assertEquals(ids(0, 1 + EndpointDelivery.INBOX_CAPACITY), listener.accepted(), "the events kept stay in order");
        delivery.stop(Duration.ZERO);
    }

    @Test
    void aFullQueueDropsNewEventsAndKeepsTheOldOnesInOrder() throws Exception {
        FakeListener listener = new FakeListener();
        listener.down = true;
        EndpointDelivery delivery = new EndpointDelivery(endpoint(1, Duration.ofMillis(20)), new MemoryEventQueue(5), listener);
        delivery.start();
        for (int i = 0; i < 8; i++) {
            delivery.offer(event(i));
            Thread.sleep(20); // let the thread move each into the queue
        }
        Thread.sleep(500); // every event has met the full queue before the listener comes back
        listener.down = false;
        awaitAccepted(listener, 5);
        Thread.sleep(100);

        assertEquals(ids(0, 5), listener.accepted());
        assertEquals(3, delivery.dropped());
        delivery.stop(Duration.ZERO);
    }

    @Test
    void eventsOnDiskWaitForTheNextStartAndEventsInMemoryGetTheGrace() throws Exception {
        FakeListener listener = new FakeListener();
        listener.down = true;
        EndpointDelivery first = new EndpointDelivery(endpoint(1, Duration.ofMillis(20)), SpoolEventQueue.open(dir, 100), listener);
        first.start();
        for (int i = 0; i < 10; i++) {
            first.offer(event(i));
        }
        Thread.sleep(100);
        long stopping = System.nanoTime();
        first.stop(Duration.ofSeconds(10));
        assertTrue(System.nanoTime() - stopping < TimeUnit.SECONDS.toNanos(3), "a disk queue does not wait for the grace");

        listener.down = false;
        EndpointDelivery second = new EndpointDelivery(endpoint(1, Duration.ofMillis(20)), SpoolEventQueue.open(dir, 100), listener);
        second.start();
        second.offer(event(10));
        awaitAccepted(listener, 11);
        assertEquals(ids(0, 11), listener.accepted());
        second.stop(Duration.ZERO);

        FakeListener slow = new FakeListener();
        slow.down = true;
        EndpointDelivery memory = new EndpointDelivery(endpoint(1, Duration.ofMillis(20)), new MemoryEventQueue(100), slow);
        memory.start();
        for (int i = 0; i < 3; i++) {
            memory.offer(event(i));
        }
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            slow.down = false;
        });
        memory.stop(Duration.ofSeconds(10));
        assertEquals(ids(0, 3), slow.accepted(), "events in memory are delivered within the grace at shutdown");
    }
}
