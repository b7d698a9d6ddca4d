package dev.registry.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A value read from a file and read again once the file changes, for files an operator edits
 * while the registry runs (htpasswd, login tokens). A change is a new modification time, size or
 * identity (inode): a Kubernetes Secret update swaps the file under its path, which may keep the
 * time and size. The file is looked at on the calling thread, at most once per interval; between
 * looks, {@link #get()} is a volatile read.
 *
 * @param <T> what the file holds
 */
final class WatchedFile<T> {
    /** Reads the value from the file. */
    @FunctionalInterface
    interface Reader<T> {
        T read(Path path) throws IOException;
    }

    /**
     * Decides what to serve when a changed file cannot be read: the previous value (keep serving
     * what worked) or another (serve nothing rather than something revoked). Also logs why.
     */
    @FunctionalInterface
    interface OnFailure<T> {
        T failed(T previous, IOException failure);
    }

    /** What identifies one version of the file. */
    private record Stamp(FileTime modified, long size, Object fileKey) {
        /** Matches no file: the next look that finds one reads it. */
        static final Stamp NONE = new Stamp(null, -1, null);

        static Stamp of(BasicFileAttributes attributes) {
            return new Stamp(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
        }
    }

    private record Loaded<T>(T value, Stamp stamp) {
    }

    /** How often {@link #fresh()} looks at most: bounds the {@code stat}s a stream of unknown names costs. */
    static final long RECHECK_NANOS = Duration.ofMillis(20).toNanos();

    private final Path path;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Reader<T> reader;
    private final OnFailure<T> onFailure;
    private final Consumer<T> onReload;
    private final Object reloadLock = new Object();
    private volatile Loaded<T> loaded;
    private volatile long lastCheck;

    /**
     * Reads the file now, so that a file that cannot be used fails at startup.
     *
     * @param ifMissing the value if the file does not exist at startup, or null if it must exist
     *                  (later, a missing file goes to {@code onFailure} like any other failure)
     * @param onReload  called with each value read after the first, for a log line
     * @throws IOException if the file cannot be read now
     */
    WatchedFile(Path path, Duration interval, LongSupplier nanoTime, Reader<T> reader, OnFailure<T> onFailure,
                Consumer<T> onReload, T ifMissing) throws IOException {
        this.path = path;
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
        this.reader = reader;
        this.onFailure = onFailure;
        this.onReload = onReload;
        Loaded<T> first;
        try {
            first = read();
        } catch (NoSuchFileException e) {
            if (ifMissing == null) {
                throw e;
            }
            first = new Loaded<>(ifMissing, Stamp.NONE);
        }
        this.loaded = first;
        this.lastCheck = nanoTime.getAsLong();
    }

    Path path() {
        return path;
    }

    /** The value of the file as of at most one interval ago. */
    T get() {
        return checkedWithin(intervalNanos);
    }

    /**
     * The value of the file as it is now, give or take {@link #RECHECK_NANOS}: for a look-up that
     * found nothing, as a token created or a user added a moment ago (within the interval) is not
     * in the value {@link #get()} returns yet. Costs a {@code stat}, and a read only if the file changed.
     */
    T fresh() {
        return checkedWithin(Math.min(intervalNanos, RECHECK_NANOS));
    }

    private T checkedWithin(long withinNanos) {
        long now = nanoTime.getAsLong();
        if (now - lastCheck < withinNanos) {
            return loaded.value();
        }
        synchronized (reloadLock) {
            if (now - lastCheck < withinNanos) {
                return loaded.value();
            }
            lastCheck = now;
            Loaded<T> old = loaded;
            try {
                BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                if (!Stamp.of(attributes).equals(old.stamp())) {
                    loaded = read();
                    onReload.accept(loaded.value());
                }
            } catch (IOException e) { // a missing file too
                T value = onFailure.failed(old.value(), e);
                // keeping the old value keeps its stamp; otherwise read again as soon as possible
                loaded = value == old.value() ? old : new Loaded<>(value, Stamp.NONE);
            }
            return loaded.value();
        }
    }

    /**
     * Stamps attributes read before the content: if the file changes in between, the next look
     * sees a new stamp and reads it again.
     */
    private Loaded<T> read() throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        return new Loaded<>(reader.read(path), Stamp.of(attributes));
    }

}
