package dev.registry.server.mirror;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Cache hits and misses of the mirror, per remote: what a metrics registry can expose as
 * counters (each method is a monotonic count, safe to read from any thread).
 */
public final class MirrorCounters {
    /** The counts of one remote. */
    public static final class Remote {
        private final LongAdder manifestHits = new LongAdder();
        private final LongAdder manifestMisses = new LongAdder();
        private final LongAdder blobHits = new LongAdder();
        private final LongAdder blobMisses = new LongAdder();
        private final LongAdder staleServed = new LongAdder();
        private final LongAdder upstreamFailures = new LongAdder();

        /** Manifests served from the cache without fetching them upstream (a tag confirmed with a HEAD counts as a hit). */
        public long manifestHits() {
            return manifestHits.sum();
        }

        /** Manifests fetched upstream. */
        public long manifestMisses() {
            return manifestMisses.sum();
        }

        /** Blobs served from the cache. */
        public long blobHits() {
            return blobHits.sum();
        }

        /** Blob downloads started upstream (requests that waited for another's download are hits). */
        public long blobMisses() {
            return blobMisses.sum();
        }

        /** Tags served from the cache past their ttl because the remote was unavailable. */
        public long staleServed() {
            return staleServed.sum();
        }

        /** Requests to the remote that failed because it was unreachable or answered a server error. */
        public long upstreamFailures() {
            return upstreamFailures.sum();
        }
    }

    private final Map<String, Remote> remotes = new ConcurrentHashMap<>();

    /** The counts of remote {@code name}, created at zero on first use. */
    public Remote remote(String name) {
        return remotes.computeIfAbsent(name, n -> new Remote());
    }

    /** Every remote counted so far, by name. */
    public Map<String, Remote> all() {
        return Map.copyOf(remotes);
    }

    void manifestHit(String remote) {
        remote(remote).manifestHits.increment();
    }

    void manifestMiss(String remote) {
        remote(remote).manifestMisses.increment();
    }

    void blobHit(String remote) {
        remote(remote).blobHits.increment();
    }

    void blobMiss(String remote) {
        remote(remote).blobMisses.increment();
    }

    void staleServed(String remote) {
        remote(remote).staleServed.increment();
    }

    void upstreamFailure(String remote) {
        remote(remote).upstreamFailures.increment();
    }
}
