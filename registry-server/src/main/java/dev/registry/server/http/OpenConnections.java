package dev.registry.server.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client connections a server has open and how many requests each is serving, so that a
 * shutdown can let requests in progress finish (an upload, a pull) while it closes idle
 * keep-alive connections and refuses new ones.
 */
public final class OpenConnections {
    private static final AttributeKey<AtomicInteger> REQUESTS = AttributeKey.valueOf("registry.requestsInProgress");
    private static final long POLL_MILLIS = 50;

    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    /** Tracks a newly accepted connection until it closes; while draining, closes it at once. */
    public void add(Channel connection) {
        connection.attr(REQUESTS).set(new AtomicInteger());
        connections.add(connection);
        connection.closeFuture().addListener(closed -> connections.remove(connection));
        if (draining) {
            connection.close();
        }
    }

    /** Whether the server is shutting down: responses then close their connection. */
    public boolean draining() {
        return draining;
    }

    /** A request began on {@code channel} (a connection, or an HTTP/2 stream of one). */
    void requestStarted(Channel channel) {
        requests(connectionOf(channel)).incrementAndGet();
    }

    /** The request on {@code channel} was answered, or its connection went away. */
    void requestEnded(Channel channel) {
        requests(connectionOf(channel)).decrementAndGet();
    }

    /** How many connections are open now. */
    public int size() {
        return connections.size();
    }

    /**
     * Stops keep-alive and waits for the requests in progress: connections without one are
     * closed right away, the others once their requests are answered or when {@code timeout}
     * has passed.
     *
     * @return whether every connection closed before the timeout; the rest are closed anyway
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        draining = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Channel connection : connections) {
                // checked again on the event loop, where requests start, so none starts unseen
                connection.eventLoop().execute(() -> {
                    if (requests(connection).get() <= 0) {
                        connection.close();
                    }
                });
            }
            if (connections.isEmpty()) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                connections.forEach(Channel::close);
                return false;
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    private static Channel connectionOf(Channel channel) {
        return channel instanceof Http2StreamChannel && channel.parent() != null ? channel.parent() : channel;
    }

    /** The counter {@link #add} gave the connection; every connection passes through it first. */
    private static AtomicInteger requests(Channel connection) {
        return connection.attr(REQUESTS).get();
    }
}
