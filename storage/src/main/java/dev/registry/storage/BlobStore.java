package dev.registry.storage;

import dev.registry.storage.driver.FileInfo;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.Optional;

/**
 * Content-addressed blobs and the per-repository links to them.
 *
 * <p>A blob is stored once under {@code blobs/} and is visible in a repository only while that
 * repository links to it (through {@code _layers}, or {@code _manifests/revisions} for manifests).
 */
public final class BlobStore {
    private final StorageDriver driver;
    private final Links links;

    public BlobStore(StorageDriver driver) {
        this.driver = driver;
        this.links = new Links(driver);
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

    /** The blob as seen from repository {@code name}: present only if linked there. */
    public Optional<BlobInfo> stat(String name, Digest digest) throws IOException {
        if (!isLinked(name, digest)) {
            return Optional.empty();
        }
        return statGlobal(digest);
    }

    /** Whether {@code name} links to {@code digest} as a layer/config blob or as a manifest. */
    public boolean isLinked(String name, Digest digest) throws IOException {
        return links.exists(PathLayout.layerLink(name, digest))
                || links.exists(PathLayout.manifestRevisionLink(name, digest));
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
        Optional<BlobInfo> existing = statGlobal(digest);
        if (existing.isPresent() && existing.get().size() == content.length) {
            return;
        }
        driver.putContent(PathLayout.blobData(digest), content);
    }

    /**
     * Publishes verified upload data at {@code source} as blob {@code digest}: a rename, so the
     * blob appears whole or not at all. If an identical blob is already there, the upload's copy
     * is dropped instead.
     */
    void publish(String source, Digest digest, long size) throws IOException {
        Optional<BlobInfo> existing = statGlobal(digest);
        if (existing.isPresent() && existing.get().size() == size) {
            driver.delete(source);
            return;
        }
        driver.move(source, PathLayout.blobData(digest));
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
