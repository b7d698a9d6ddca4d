package dev.registry.server.notifications;

import java.io.IOException;
import java.util.List;

/**
 * The undelivered events of one endpoint, oldest first, each an event's JSON. Used by that
 * endpoint's delivery thread only, so implementations need no locking.
 */
interface EventQueue extends AutoCloseable {
    /** Appends an event; {@code false}, with nothing changed, when the queue is full. */
    boolean add(byte[] event) throws IOException;

    /** Up to {@code max} of the oldest events, without removing them. */
    List<byte[]> peek(int max) throws IOException;

    /** Removes the {@code count} oldest events, once they are delivered. */
    void remove(int count) throws IOException;

    /** How many events are queued. */
    int size();

    /** Whether the events are kept on disk, so that they survive the process. */
    boolean persistent();

    @Override
    void close() throws IOException;
}
