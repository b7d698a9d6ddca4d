package dev.registry.server.notifications;

import dev.registry.config.NotificationEndpointConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Delivers the events of one endpoint, in order, on its own thread.
 *
 * <p>Requests only {@link #offer} events into a bounded inbox, which never blocks. The thread
 * moves them into the endpoint's {@link EventQueue} (memory or disk), sends the oldest ones in
 * one envelope (up to {@value #MAX_BATCH} events) and removes them once the endpoint accepted it.
 * A failed envelope is sent again, with the same events and more behind them, as
 * {@link RetryPolicy} allows, for as long as it takes. When the inbox or the queue is full, new
 * events are dropped, counted and logged; the events queued before them keep their order.
 */
final class EndpointDelivery {
    private static final Logger log = LoggerFactory.getLogger(EndpointDelivery.class);
    /** Events per envelope when several wait, as after an outage; registry:2 sends one each time. */
    static final int MAX_BATCH = 50;
    /** Events offered while the thread is busy with one POST; more are dropped. */
    static final int INBOX_CAPACITY = 4096;
    private static final long IDLE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final NotificationEndpointConfig endpoint;
    private final EventQueue queue;
    private final EnvelopeSender sender;
    private final RetryPolicy retries;
    private final ArrayBlockingQueue<byte[]> inbox = new ArrayBlockingQueue<>(INBOX_CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private final EndpointCounters counters = new EndpointCounters();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile long stopBy;
    private long droppedReported;
    private long lastDropLog;
    private long lastFailureLog;

    EndpointDelivery(NotificationEndpointConfig endpoint, EventQueue queue, EnvelopeSender sender) {
        this.endpoint = endpoint;
        this.queue = queue;
        this.sender = sender;
        this.retries = new RetryPolicy(endpoint.threshold(), endpoint.backoff());
        this.thread = Thread.ofPlatform().name("notifications-" + endpoint.name()).daemon().unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    String name() {
        return endpoint.name();
    }

    EndpointCounters counters() {
        return counters;
    }

    /** Whether this endpoint wants events with {@code action} on a target of {@code mediaType}. */
    boolean wants(String action, String mediaType) {
        return !endpoint.ignoredActions().contains(action)
                && (mediaType == null || !endpoint.ignoredMediaTypes().contains(mediaType));
    }

    /** Hands an event to the delivery thread; never blocks. */
    void offer(byte[] event) {
        if (stopping || !inbox.offer(event)) {
            dropped.incrementAndGet();
            counters.dropped(1);
        }
    }

    /** Events dropped because the inbox or the queue was full, or offered while stopping. */
    long dropped() {
        return dropped.get();
    }

    /**
     * Stops the thread. Events in memory are delivered for up to {@code grace}; events on disk
     * stay there for the next start. Returns when the thread has ended.
     */
    void stop(Duration grace) {
        stopBy = System.nanoTime() + (queue.persistent() ? 0 : grace.toNanos());
        stopping = true;
        thread.interrupt(); // ends an idle wait; a POST in progress is cut off and sent again later
        try {
            thread.join(grace.toMillis() + endpoint.timeout().toMillis() + 5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Releases the queue and the HTTP client of an endpoint whose thread was never started. */
    void abandon() {
        try {
            queue.close();
        } catch (IOException e) {
            log.debug("notifications to {}: closing the event queue failed: {}", endpoint.name(), e.toString());
        }
        sender.close();
    }

    private void run() {
        try {
            deliver();
        } catch (IOException e) {
            log.error("notifications to {}: the event queue failed, no more events are sent: {}", endpoint.name(), e.toString());
        } catch (RuntimeException e) {
            log.error("notifications to {}: delivery stopped", endpoint.name(), e);
        } finally {
            finish();
        }
    }

    private void deliver() throws IOException {
        counters.pending(queue.size()); // a spool queue starts with what an earlier run left
        while (true) {
            moveInbox();
            if (stopping && (queue.persistent() || queue.size() == 0 || System.nanoTime() >= stopBy)) {
                return;
            }
            List<byte[]> batch = queue.peek(MAX_BATCH);
            if (batch.isEmpty()) {
                awaitInbox(IDLE_WAIT_NANOS);
                continue;
            }
            long delay = retries.delayNanos(System.nanoTime());
            if (delay > 0) {
                awaitInbox(delay);
                continue;
            }
            try {
                sender.send(EventJson.envelope(batch));
            } catch (IOException e) {
                failed(e);
                continue;
            } catch (InterruptedException e) {
                continue; // stopping: the loop decides whether to go on
            }
            queue.remove(batch.size());
            counters.delivered(batch.size());
            counters.pending(queue.size());
            if (retries.failures() > 0) {
                log.info("notifications to {}: delivered again after {} failed attempt(s); {} event(s) still queued",
                        endpoint.name(), retries.failures(), queue.size());
            }
            retries.succeeded();
            reportDrops();
        }
    }

    private void failed(IOException e) {
        retries.failed(System.nanoTime());
        counters.failed();
        long now = System.nanoTime();
        if (retries.failures() == 1 || now - lastFailureLog >= LOG_EVERY_NANOS) {
            lastFailureLog = now;
            log.warn("notifications to {} ({}) failed {} time(s) in a row, {} event(s) queued, retrying: {}",
                    endpoint.name(), endpoint.url(), retries.failures(), queue.size(), e.getMessage());
        }
        reportDrops();
    }

    /** Waits up to {@code nanos} for a new event, queueing it if one comes; returns early when stopping. */
    private void awaitInbox(long nanos) throws IOException {
        if (stopping && (queue.persistent() || System.nanoTime() >= stopBy)) {
            return;
        }
        try {
            byte[] event = inbox.poll(nanos, TimeUnit.NANOSECONDS);
            if (event != null) {
                enqueue(event);
            }
        } catch (InterruptedException e) {
            // stop() interrupts to end the wait; the loop sees stopping
        }
    }

    private void moveInbox() throws IOException {
        byte[] event;
        while ((event = inbox.poll()) != null) {
            enqueue(event);
        }
    }

    private void enqueue(byte[] event) throws IOException {
        if (!queue.add(event)) {
            dropped.incrementAndGet();
            counters.dropped(1);
            reportDrops();
        }
        counters.pending(queue.size());
    }

    private void reportDrops() {
        long total = dropped.get();
        long now = System.nanoTime();
        if (total > droppedReported && (droppedReported == 0 || now - lastDropLog >= LOG_EVERY_NANOS)) {
            log.warn("notifications to {}: {} event(s) dropped because its queue was full ({} events, "
                    + "notifications.queue.maxevents)", endpoint.name(), total - droppedReported, queue.size());
            droppedReported = total;
            lastDropLog = now;
        }
    }

    private void finish() {
        try {
            moveInbox();
        } catch (IOException | RuntimeException e) {
            log.warn("notifications to {}: could not queue the last events: {}", endpoint.name(), e.toString());
        }
        int left = queue.size();
        if (left > 0 && queue.persistent()) {
            log.info("notifications to {}: {} undelivered event(s) kept on disk for the next start", endpoint.name(), left);
        } else if (left > 0) {
            log.warn("notifications to {}: {} undelivered event(s) lost at shutdown (set notifications.queue.directory "
                    + "to keep them)", endpoint.name(), left);
        }
        try {
            queue.close();
        } catch (IOException e) {
            log.warn("notifications to {}: closing the event queue failed: {}", endpoint.name(), e.toString());
        }
        sender.close();
    }
}
