package dev.registry.storage;

import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static dev.registry.storage.TestSupport.pushBlob;
import static dev.registry.storage.TestSupport.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Garbage collection on the in-memory driver, plus what needs a clock the test moves. */
class InMemoryGarbageCollectorTest extends GarbageCollectorContract {
    @Override
    protected StorageDriver newDriver() {
        return new InMemoryDriver();
    }

    /** A clock the test moves forward. */
    private static final class MovingClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    /**
     * A collector whose lease expired while it worked (a long pause) and was taken by another
     * replica stops at its next renewal, before it deletes anything more.
     */
    @Test
    void aCollectorThatLostItsLeaseStopsBeforeSweeping() throws Exception {
        MovingClock clock = new MovingClock();
        InMemoryDriver store = new InMemoryDriver(clock);
        Registry registry = new Registry(store, true, clock);
        BlobInfo garbage = pushBlob(registry, "repo", random(1000, 50));
        clock.now.set(clock.now.get().plus(Duration.ofHours(2))); // the garbage is old now

        Duration ttl = Duration.ofSeconds(30);
        StorageDriver pausing = new ForwardingDriver(store) {
            @Override
            public List<String> list(String path) throws IOException {
                if (path.endsWith("/blobs")) {
                    // the collector pauses past its lease; another replica takes the expired lease
                    clock.now.set(clock.now.get().plus(ttl.plusSeconds(1)));
                    store.putContent(CollectionLease.PATH,
                            ("replica-2\n" + clock.instant().plus(ttl) + "\n").getBytes(StandardCharsets.UTF_8));
                }
                return super.list(path);
            }
        };
        CollectionLease lease = new CollectionLease(pausing, clock, "replica-1", ttl, Duration.ZERO);
        OnlineGarbageCollection collection = new OnlineGarbageCollection(pausing, clock, Duration.ofHours(1), false, lease);
        GarbageCollector.Result result = collection.runOnce();
        assertFalse(result.complete(), "the collection stopped");
        assertEquals(0, result.count(GarbageCollector.Kind.BLOB));
        assertTrue(registry.blobs().statGlobal(garbage.digest()).isPresent(), "nothing was swept after the lease was lost");
        assertEquals("replica-2", lease.read().orElseThrow().owner(), "the other replica's lease is left alone");
    }
}
