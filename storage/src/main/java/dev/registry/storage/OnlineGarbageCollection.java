package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One replica's share of online garbage collection: each {@link #runOnce()} takes the
 * {@link CollectionLease} (or skips the round when another replica holds it), runs a
 * {@link GarbageCollector} collection with the grace period, renewing the lease as it goes and
 * stopping if it is lost, logs what it removed, and adds it to the counters a metrics exporter
 * reads ({@link #counters()}).
 */
public final class OnlineGarbageCollection {
    private static final Logger log = LoggerFactory.getLogger(OnlineGarbageCollection.class);

    private final GarbageCollector collector;
    private final CollectionLease lease;
    private final Clock clock;
    private final Duration gracePeriod;
    private final boolean deleteUntagged;
    private final Duration cacheExpiry;
    private final Counters counters = new Counters();

    /**
     * @param interval how often {@link #runOnce()} is called; the lease lasts long enough to cover a
     *                 collection (which stops after a quarter of the grace period) and is renewed meanwhile
     */
    public OnlineGarbageCollection(StorageDriver driver, Clock clock, Duration interval, Duration gracePeriod,
                                   boolean deleteUntagged) {
        this(driver, clock, interval, gracePeriod, deleteUntagged, Duration.ZERO);
    }

    /**
     * As {@link #OnlineGarbageCollection(StorageDriver, Clock, Duration, Duration, boolean)}, also
     * removing pull-through caches nobody pulled for {@code cacheExpiry} (zero: never).
     */
    public OnlineGarbageCollection(StorageDriver driver, Clock clock, Duration interval, Duration gracePeriod,
                                   boolean deleteUntagged, Duration cacheExpiry) {
        this(driver, clock, gracePeriod, deleteUntagged, cacheExpiry, new CollectionLease(driver, clock,
                hostName() + "/" + ProcessHandle.current().pid() + "/" + UUID.randomUUID(),
                leaseTtl(interval, gracePeriod), settle(interval)));
    }

    OnlineGarbageCollection(StorageDriver driver, Clock clock, Duration gracePeriod, boolean deleteUntagged,
                            CollectionLease lease) {
        this(driver, clock, gracePeriod, deleteUntagged, Duration.ZERO, lease);
    }

    OnlineGarbageCollection(StorageDriver driver, Clock clock, Duration gracePeriod, boolean deleteUntagged,
                            Duration cacheExpiry, CollectionLease lease) {
        this.collector = new GarbageCollector(driver, clock);
        this.clock = clock;
        this.gracePeriod = gracePeriod;
        this.deleteUntagged = deleteUntagged;
        this.cacheExpiry = cacheExpiry;
        this.lease = lease;
    }

    /** Long enough for a whole collection (at most a quarter of the grace period) plus slack. */
    static Duration leaseTtl(Duration interval, Duration gracePeriod) {
        Duration collection = gracePeriod.dividedBy(GarbageCollector.TIME_LIMIT_FRACTION);
        Duration ttl = collection.plus(collection);
        return ttl.compareTo(Duration.ofSeconds(5)) < 0 ? Duration.ofSeconds(5) : ttl;
    }

    /** A tenth of the interval, between 100 ms and 2 s: how long a rival can take from read to write. */
    static Duration settle(Duration interval) {
        Duration settle = interval.dividedBy(10);
        if (settle.compareTo(Duration.ofMillis(100)) < 0) {
            return Duration.ofMillis(100);
        }
        return settle.compareTo(Duration.ofSeconds(2)) > 0 ? Duration.ofSeconds(2) : settle;
    }

    /**
     * One round: collects if this replica gets the lease.
     *
     * @return the result, or null if another replica holds the lease or the round failed
     */
    public GarbageCollector.Result runOnce() throws InterruptedException {
        try {
            if (!lease.acquire()) {
                counters.skipped.incrementAndGet();
                log.debug("garbage collection: another replica holds the lease ({})", lease.read().map(CollectionLease.Holder::owner).orElse("?"));
                return null;
            }
        } catch (IOException e) {
            counters.failures.incrementAndGet();
            log.warn("garbage collection: cannot take the lease: {}", e.toString());
            return null;
        }
        log.info("garbage collection started");
        Instant[] renewed = {clock.instant()};
        GarbageCollector.Checkpoint renew = () -> {
            if (Duration.between(renewed[0], clock.instant()).compareTo(lease.ttl().dividedBy(3)) > 0) {
                if (!lease.renew()) {
                    throw new GarbageCollector.StoppedException("another replica took the collection lease");
                }
                renewed[0] = clock.instant();
            }
        };
        try {
            GarbageCollector.Result result = collector.collect(
                    new GarbageCollector.Options(false, deleteUntagged, gracePeriod, cacheExpiry),
                    removal -> log.info("garbage collection removed {}", removal), renew);
            counters.add(result);
            log.info("garbage collection finished in {} ms: removed {}", result.duration().toMillis(), result);
            return result;
        } catch (IOException | RuntimeException e) {
            counters.failures.incrementAndGet();
            log.warn("garbage collection finished with a failure (it runs again next interval): {}", e.toString());
            return null;
        } finally {
            try {
                lease.release();
            } catch (IOException e) {
                log.warn("garbage collection: cannot release the lease (it expires by itself): {}", e.toString());
            }
        }
    }

    /** Cumulative counters since start, for a metrics exporter. */
    public Counters counters() {
        return counters;
    }

    /** What this replica's collections did since it started. */
    public static final class Counters {
        private final AtomicLong runs = new AtomicLong();
        private final AtomicLong skipped = new AtomicLong();
        private final AtomicLong failures = new AtomicLong();
        private final AtomicLong bytes = new AtomicLong();
        private final Map<GarbageCollector.Kind, AtomicLong> removed = new EnumMap<>(GarbageCollector.Kind.class);

        Counters() {
            for (GarbageCollector.Kind kind : GarbageCollector.Kind.values()) {
                removed.put(kind, new AtomicLong());
            }
        }

        void add(GarbageCollector.Result result) {
            runs.incrementAndGet();
            bytes.addAndGet(result.bytes());
            result.counts().forEach((kind, count) -> removed.get(kind).addAndGet(count));
        }

        /** Collections this replica ran. */
        public long runs() {
            return runs.get();
        }

        /** Rounds skipped because another replica held the lease. */
        public long skipped() {
            return skipped.get();
        }

        /** Rounds that failed on a storage error. */
        public long failures() {
            return failures.get();
        }

        /** Bytes of blob data reclaimed. */
        public long bytesReclaimed() {
            return bytes.get();
        }

        /** Items removed of {@code kind}. */
        public long removed(GarbageCollector.Kind kind) {
            return removed.get(kind).get();
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }
}
