package dev.registry.storage;

import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The lease that lets one process at a time collect garbage on a store shared by several
 * replicas: an object in storage holding its owner and expiry. The storage SPI has no
 * compare-and-set, so taking it is write, wait, read again: after {@link #settle} every rival
 * that read the lease as free before our write has written its own, and whoever's write is
 * there then (the last) holds it; the others back off. A holder renews it while it works and
 * deletes it when done; one that dies leaves it to expire.
 */
public final class CollectionLease {
    /** Outside {@code repositories/} and {@code blobs/}, so neither registry:2 nor our walkers look at it. */
    public static final String PATH = PathLayout.ROOT + "/_maintenance/garbagecollect/lease";

    private final StorageDriver driver;
    private final Clock clock;
    private final String owner;
    private final Duration ttl;
    private final Duration settle;

    /**
     * @param owner  unique per process (and per collection attempt)
     * @param ttl    how long the lease holds without renewal
     * @param settle how long to wait between writing the lease and reading it back; longer than any
     *               rival's gap between reading a free lease and writing its own
     */
    public CollectionLease(StorageDriver driver, Clock clock, String owner, Duration ttl, Duration settle) {
        this.driver = driver;
        this.clock = clock;
        this.owner = owner;
        this.ttl = ttl;
        this.settle = settle;
    }

    /** The lease as stored. */
    public record Holder(String owner, Instant expires) {
    }

    /** Takes the lease if it is free or expired; reports whether this process holds it now. */
    public boolean acquire() throws IOException, InterruptedException {
        Optional<Holder> current = read();
        if (current.isPresent() && !current.get().owner().equals(owner) && current.get().expires().isAfter(clock.instant())) {
            return false;
        }
        write();
        Thread.sleep(settle.toMillis());
        return holds();
    }

    /** Extends the lease; false if another process took it meanwhile (the caller must stop). */
    public boolean renew() throws IOException {
        if (!holds()) {
            return false;
        }
        write();
        return true;
    }

    /** Whether the stored lease is ours and unexpired. */
    public boolean holds() throws IOException {
        Optional<Holder> current = read();
        return current.isPresent() && current.get().owner().equals(owner) && current.get().expires().isAfter(clock.instant());
    }

    /** Gives the lease up if this process holds it. */
    public void release() throws IOException {
        if (read().map(h -> h.owner().equals(owner)).orElse(false)) {
            try {
                driver.delete(PATH);
            } catch (PathNotFoundException gone) {
                // expired and removed by nobody: fine
            }
        }
    }

    /** The stored lease, if there is a readable one. */
    public Optional<Holder> read() throws IOException {
        byte[] content;
        try {
            content = driver.getContent(PATH);
        } catch (PathNotFoundException none) {
            return Optional.empty();
        }
        String[] lines = new String(content, StandardCharsets.UTF_8).split("\n");
        if (lines.length < 2) {
            return Optional.empty(); // torn or foreign: treated as free, the next write replaces it
        }
        try {
            return Optional.of(new Holder(lines[0].trim(), Instant.parse(lines[1].trim())));
        } catch (DateTimeParseException unreadable) {
            return Optional.empty();
        }
    }

    private void write() throws IOException {
        Instant expires = clock.instant().plus(ttl);
        driver.putContent(PATH, (owner + "\n" + expires + "\n").getBytes(StandardCharsets.UTF_8));
    }

    public String owner() {
        return owner;
    }

    public Duration ttl() {
        return ttl;
    }
}
