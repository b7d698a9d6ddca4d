package dev.registry.storage;

import dev.registry.storage.driver.FileInfo;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.ReadableByteChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Content-addressed blobs and the per-repository links to them.
 *
 * <p>A blob is stored once under {@code blobs/} and is visible in a repository only while that
 * repository links to it (through {@code _layers}, or {@code _manifests/revisions} for manifests).
 */
public final class BlobStore {
    private static final Logger log = LoggerFactory.getLogger(BlobStore.class);
    private final StorageDriver driver;
    private final Links links;
    private final Clock clock;
    /**
     * With online garbage collection on: links (and blobs re-uploaded) older than this are written
     * again when a client is told the blob is there, so the collector sees them as recently used
     * (see {@link GarbageCollector}). Null when no online collection runs: nothing is written.
     */
    private final Duration refreshAfter;
    private final boolean concurrentLookups;
    private static final ExecutorService LOOKUPS = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("blob-lookup-", 0).factory());
    /**
     * Lookups one {@link #statAll} call has in flight at most: a manifest may list hundreds of
     * layers, and the store client's connection pool is shared with every other request.
     */
    private static final int MAX_LOOKUPS_PER_CALL = 16;

    public BlobStore(StorageDriver driver) {
        this(driver, Clock.systemUTC(), null, false);
    }

    /**
     * @param refreshAfter      half the online collector's grace period, or null without online collection
     * @param concurrentLookups look a blob's link and its size up at once: on an object store each
     *                          is a round trip, which a blob {@code GET} or {@code HEAD} then waits
     *                          for once instead of twice; on a disk two lookups in a row are cheaper
     *                          than a thread
     */
    public BlobStore(StorageDriver driver, Clock clock, Duration refreshAfter, boolean concurrentLookups) {
        this.driver = driver;
        this.links = new Links(driver);
        this.clock = clock;
        this.refreshAfter = refreshAfter;
        this.concurrentLookups = concurrentLookups;
    }

    /** The blob in the global store, whatever repository links to it. */
    public Optional<BlobInfo> statGlobal(Digest digest) throws IOException {
        try {
            FileInfo info = driver.stat(PathLayout.blobData(digest));
            return info.directory() ? Optional.empty() : Optional.of(new BlobInfo(digest, info.size()));
        } catch (PathNotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * The blob as seen from repository {@code name}: present only if linked there. With online
     * garbage collection on, a link found stale is written again (the client may now build on it).
     */
    public Optional<BlobInfo> stat(String name, Digest digest) throws IOException {
        if (!concurrentLookups) {
            return isLinked(name, digest) ? statGlobal(digest) : Optional.empty();
        }
        // A layer link found costs no more requests than looking up in turn; one not found costs
        // the size lookup, whose answer is dropped (left to finish: an interrupted request may
        // cost the store client its connection).
        Future<Optional<BlobInfo>> global = LOOKUPS.submit(() -> statGlobal(digest));
        boolean linked = false;
        try {
            linked = isLinked(name, digest);
        } finally {
            if (!linked) {
                global.cancel(false);
            }
        }
        return linked ? await(global) : Optional.empty();
    }

    /**
     * {@link #stat} of each of {@code digests}, in their order. With concurrent lookups they are
     * made at once (up to {@link #MAX_LOOKUPS_PER_CALL}), so a manifest's references are checked in
     * about one lookup's time, not one per blob.
     */
    public List<Optional<BlobInfo>> statAll(String name, List<Digest> digests) throws IOException {
        return lookUpAll(digests, digest -> stat(name, digest));
    }

    /** {@link #hasManifest} of each of {@code digests}, in their order, at once as {@link #statAll}. */
    List<Boolean> haveManifests(String name, List<Digest> digests) throws IOException {
        return lookUpAll(digests, digest -> hasManifest(name, digest));
    }

    private interface Lookup<T> {
        T apply(Digest digest) throws IOException;
    }

    private <T> List<T> lookUpAll(List<Digest> digests, Lookup<T> lookup) throws IOException {
        List<T> found = new ArrayList<>(digests.size());
        if (!concurrentLookups || digests.size() < 2) {
            for (Digest digest : digests) {
                found.add(lookup.apply(digest));
            }
            return found;
        }
        Semaphore inFlight = new Semaphore(MAX_LOOKUPS_PER_CALL);
        List<Future<T>> lookups = new ArrayList<>(digests.size());
        for (Digest digest : digests) {
            lookups.add(LOOKUPS.submit(() -> {
                inFlight.acquire();
                try {
                    return lookup.apply(digest);
                } finally {
                    inFlight.release();
                }
            }));
        }
        for (Future<T> result : lookups) {
            found.add(await(result));
        }
        return found;
    }

    private static <T> T await(Future<T> lookup) throws IOException {
        Futures.awaitUninterruptibly(lookup);
        if (lookup.state() == Future.State.SUCCESS) {
            return lookup.resultNow();
        }
        Throwable failure = lookup.exceptionNow();
        if (failure instanceof IOException io) {
            throw io;
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        throw new IOException("looking the blob up failed", failure);
    }

    /**
     * Whether {@code name} links to {@code digest} as a layer/config blob or as a manifest; a
     * stale link is refreshed as in {@link #stat(String, Digest)}.
     */
    public boolean isLinked(String name, Digest digest) throws IOException {
        return linkedAs(PathLayout.layerLink(name, digest), digest)
                || linkedAs(PathLayout.manifestRevisionLink(name, digest), digest);
    }

    /** Whether {@code name} has manifest {@code digest} (a revision link), refreshing it if stale. */
    boolean hasManifest(String name, Digest digest) throws IOException {
        return linkedAs(PathLayout.manifestRevisionLink(name, digest), digest);
    }

    private boolean linkedAs(String link, Digest digest) throws IOException {
        FileInfo info;
        try {
            info = driver.stat(link);
        } catch (PathNotFoundException e) {
            return false;
        }
        if (info.directory()) {
            return false;
        }
        if (isStale(info.modified())) {
            links.write(link, digest);
        }
        return true;
    }

    private boolean isStale(Instant modified) {
        return refreshAfter != null && modified.isBefore(clock.instant().minus(refreshAfter));
    }

    /** Whether online garbage collection runs beside this store (so pushes re-check what they reference). */
    boolean guardsAgainstCollection() {
        return refreshAfter != null;
    }

    /** The blob's bytes from {@code offset}; the caller closes the channel. */
    public ReadableByteChannel open(Digest digest, long offset) throws IOException {
        return driver.reader(PathLayout.blobData(digest), offset);
    }

    /** A pre-signed URL for the blob, where the backend can issue one. */
    public Optional<URI> redirectUrl(Digest digest, String method, Duration validFor) throws IOException {
        return driver.redirectUrl(PathLayout.blobData(digest), method, validFor);
    }

    /** The bytes of a small blob, such as a manifest. */
    public byte[] getContent(Digest digest) throws IOException {
        return driver.getContent(PathLayout.blobData(digest));
    }

    /** Stores small content (a manifest) under its digest, unless it is already there. */
    public void putContent(Digest digest, byte[] content) throws IOException {
        FileInfo existing;
        try {
            existing = driver.stat(PathLayout.blobData(digest));
        } catch (PathNotFoundException e) {
            existing = null;
        }
        if (existing != null && !existing.directory() && existing.size() == content.length && !isStale(existing.modified())) {
            return;
        }
        driver.putContent(PathLayout.blobData(digest), content);
    }

    /**
     * Publishes verified upload data at {@code source} as blob {@code digest}: a rename, so the
     * blob appears whole or not at all. If an identical blob is already there, the upload's copy
     * is dropped instead.
     *
     * <p>What is published is then checked to be {@code size} bytes. The bytes at {@code source}
     * are the verified ones unless a writer on another replica appended to the upload after its
     * commit (a client sending a chunk while the same upload is being completed): on an object
     * store the move copies whatever the key holds by then. Such bytes are removed again rather
     * than left under a digest that is not theirs. (Appends only ever lengthen an upload, so the
     * size tells; the filesystem driver keeps other writers out until the move is done.)
     */
    void publish(String source, Digest digest, long size) throws IOException {
        FileInfo existing;
        try {
            existing = driver.stat(PathLayout.blobData(digest));
        } catch (PathNotFoundException e) {
            existing = null;
        }
        // A stale copy is replaced rather than kept: its new modification time tells an online
        // collector that a client has just been promised this blob (the upload's new link may be
        // in a repository the collector has not listed).
        if (existing != null && !existing.directory() && existing.size() == size && !isStale(existing.modified())) {
            driver.delete(source);
            return;
        }
        String target = PathLayout.blobData(digest);
        try {
            driver.move(source, target);
        } catch (PathNotFoundException gone) {
            // completed or cancelled on another replica meanwhile (a client racing its own upload)
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "blob upload unknown to registry");
        }
        long published = driver.stat(target).size();
        if (published != size) {
            log.warn("blob {}: {} bytes were verified but {} published; the upload was appended to while it "
                    + "was completed, and the blob is removed", digest, size, published);
            driver.delete(target);
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID,
                    "the upload was appended to while it was being completed");
        }
    }

    /**
     * A writer straight to blob {@code digest}'s own path whose commit publishes it whole, where
     * the backend has one ({@link StorageDriver#atomicWriter}); the caller verifies the bytes
     * against the digest before it commits, and links the blob after.
     */
    Optional<StorageWriter> atomicWriter(Digest digest) throws IOException {
        return driver.atomicWriter(PathLayout.blobData(digest));
    }

    /**
     * Starts writing blob {@code digest} of {@code size} bytes that arrives from elsewhere (an
     * upstream registry) into repository {@code name}: see {@link BlobIngest}.
     */
    public BlobIngest ingest(String name, Digest digest, long size) throws IOException {
        return BlobIngest.start(driver, this, name, digest, size, java.time.Instant.now());
    }

    /** Links blob {@code digest} into repository {@code name}. */
    public void link(String name, Digest digest) throws IOException {
        links.write(PathLayout.layerLink(name, digest), digest);
    }

    /** Removes the repository's link to the blob; the global blob stays for garbage collection. */
    public boolean unlink(String name, Digest digest) throws IOException {
        return links.delete(PathLayout.layerLinkDirectory(name, digest));
    }

    /**
     * Cross-repository mount: links the blob into {@code to} if {@code from} has it.
     *
     * @return the mounted blob, or empty if {@code from} has no such blob
     */
    public Optional<BlobInfo> mount(String from, String to, Digest digest) throws IOException {
        Optional<BlobInfo> blob = stat(from, digest);
        if (blob.isPresent()) {
            link(to, digest);
        }
        return blob;
    }
}
