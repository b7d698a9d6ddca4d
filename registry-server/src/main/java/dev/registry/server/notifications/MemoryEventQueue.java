package dev.registry.server.notifications;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** Undelivered events in memory, up to a limit; they are lost when the process stops. */
final class MemoryEventQueue implements EventQueue {
    private final ArrayDeque<byte[]> events = new ArrayDeque<>();
    private final int limit;

    MemoryEventQueue(int limit) {
        this.limit = limit;
    }

    @Override
    public boolean add(byte[] event) {
        if (events.size() >= limit) {
            return false;
        }
        events.addLast(event);
        return true;
    }

    @Override
    public List<byte[]> peek(int max) {
        List<byte[]> batch = new ArrayList<>(Math.min(max, events.size()));
        Iterator<byte[]> oldest = events.iterator();
        while (batch.size() < max && oldest.hasNext()) {
            batch.add(oldest.next());
        }
        return batch;
    }

    @Override
    public void remove(int count) {
        for (int i = 0; i < count; i++) {
            events.removeFirst();
        }
    }

    @Override
    public int size() {
        return events.size();
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public void close() {
    }
}
