package dev.registry.storage.driver.filesystem;

import dev.registry.storage.driver.ConcurrentWriteException;
import dev.registry.storage.driver.FileInfo;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StoragePaths;
import dev.registry.storage.driver.StorageWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * Stores objects as files under a root directory, in the same tree CNCF Distribution's
 * filesystem driver uses, so either server can serve the other's directory.
 *
 * <p>Durability: {@link #putContent} and {@link #move} write aside, fsync, rename atomically and
 * fsync the parent directory, so a crash leaves either the old or the new object.
 */
public final class FilesystemDriver implements StorageDriver {
    private static final String TEMP_PREFIX = ".tmp-";
    /**
     * Background fsyncs of large writes in progress, and the page-cache advice after them. Platform
     * threads, not virtual ones: the advice is a native call, which would pin a virtual thread's
     * carrier (and so hold up request handling) for the milliseconds it takes. A thread per upload
     * that is flushing at that moment; idle ones end after a minute.
     */
    private static final Executor EARLY_FLUSHES = Executors.newCachedThreadPool(
            Thread.ofPlatform().name("fs-flush-", 0).daemon(true).factory());

    private final Path root;

    public FilesystemDriver(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        Files.createDirectories(this.root);
    }

    public Path root() {
        return root;
    }

    @Override
    public String name() {
        return "filesystem";
    }

    /** Maps a driver path to a file under the root, refusing anything that would escape it. */
    Path resolve(String path) {
        StoragePaths.check(path);
        Path resolved = root.resolve(path.substring(1)).normalize();
        if (!resolved.startsWith(root)) {
            throw new IllegalArgumentException("storage path leaves the root: " + path);
        }
        return resolved;
    }

    @Override
    public byte[] getContent(String path) throws IOException {
        Path file = resolve(path);
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new PathNotFoundException(path);
        } catch (IOException e) {
            if (Files.isDirectory(file)) {
                throw new PathNotFoundException(path); // a directory is not an object
            }
            throw e;
        }
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        writeAside(resolve(path), content, true);
    }

    /** Atomic like {@link #putContent}, without the two fsyncs: the content may be lost in a crash. */
    @Override
    public void putVolatileContent(String path, byte[] content) throws IOException {
        writeAside(resolve(path), content, false);
    }

    /**
     * Writes {@code content} to a temporary sibling of {@code target} and renames it over the
     * target; with {@code durable}, the file is synced before the rename and its directory after.
     *
     * <p>A concurrent delete of the target's directory tree (a blob link removed while the same
     * blob is pushed again) can take the temporary file or its directory away between the write
     * and the rename. The write is then made again in a fresh directory: it came last, so it wins,
     * as with any other two writers.
     */
    private void writeAside(Path target, byte[] content, boolean durable) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                writeAsideOnce(target, content, durable);
                return;
            } catch (NoSuchFileException raced) {
                if (attempt == 5) {
                    throw raced;
                }
            }
        }
    }

    /** Test seam: runs after a write-aside's temporary file is written, before its rename. */
    volatile Runnable beforeRename = () -> { };

    private void writeAsideOnce(Path target, byte[] content, boolean durable) throws IOException {
        Path temp = target.resolveSibling(TEMP_PREFIX + target.getFileName() + "-" + UUID.randomUUID());
        try {
            try (FileChannel channel = openCreatingParents(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                if (durable) {
                    channel.force(true);
                }
            }
            beforeRename.run();
            if (durable) {
                publish(temp, target);
            } else {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /** Opens {@code file}, creating its parent directories first if they are missing. */
    private static FileChannel openCreatingParents(Path file, StandardOpenOption... options) throws IOException {
        ensureDirectory(file.getParent());
        return FileChannel.open(file, options);
    }

    /**
     * Creates {@code directory} and its parents if it is not a directory yet. Checked first with
     * a {@code stat} that throws nothing: {@code Files.createDirectories} on a directory that
     * exists costs a failed {@code mkdir} and two exceptions (with stack traces), and a push
     * writes into existing directories several times.
     */
    private static void ensureDirectory(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            Files.createDirectories(directory);
        }
    }

    /** Renames {@code source} over {@code target} atomically and makes the rename durable. */
    private static void publish(Path source, Path target) throws IOException {
        rename(source, target);
        syncDirectory(target.getParent());
    }

    private static void rename(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some filesystems refuse fsync on a directory; the rename itself already happened.
            if (!Files.isDirectory(directory)) {
                throw e;
            }
        }
    }

    @Override
    public ReadableByteChannel reader(String path, long offset) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset + " for " + path);
        }
        Path file = resolve(path);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new PathNotFoundException(path);
        }
        if (Files.isDirectory(file)) {
            channel.close();
            throw new PathNotFoundException(path); // Linux opens a directory for reading
        }
        if (offset > 0) {
            if (offset > channel.size()) {
                channel.close();
                throw new IOException("offset " + offset + " beyond end of " + path);
            }
            channel.position(offset);
        }
        return channel;
    }

    @Override
    public StorageWriter writer(String path, boolean append) throws IOException {
        Path file = resolve(path);
        FileChannel channel = append
                ? openCreatingParents(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)
                : openCreatingParents(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        long size = channel.size();
        channel.position(size);
        return new FileWriter(file, channel, size, append ? fileKey(file) : null);
    }

    private static Object fileKey(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        Path file = resolve(path);
        // readAttributesIfExists: a missing path (a common answer here) costs no NoSuchFileException
        BasicFileAttributes attributes = file.getFileSystem().provider().readAttributesIfExists(file, BasicFileAttributes.class);
        if (attributes == null) {
            throw new PathNotFoundException(path);
        }
        return new FileInfo(path, attributes.isDirectory() ? 0 : attributes.size(),
                attributes.lastModifiedTime().toInstant(), attributes.isDirectory());
    }

    @Override
    public List<String> list(String path) throws IOException {
        Path directory = resolve(path);
        String prefix = path.endsWith("/") ? path : path + "/";
        List<String> children = new ArrayList<>();
        try (Stream<Path> entries = Files.list(directory)) {
            entries.forEach(entry -> {
                String name = entry.getFileName().toString();
                if (!name.startsWith(TEMP_PREFIX)) {
                    children.add(prefix + name);
                }
            });
        } catch (NoSuchFileException e) {
            throw new PathNotFoundException(path);
        }
        return children;
    }

    @Override
    public void move(String source, String destination) throws IOException {
        Path from = resolve(source);
        Path to = resolve(destination);
        ensureDirectory(to.getParent());
        try {
            rename(from, to);
        } catch (NoSuchFileException missing) {
            if (!Files.exists(from)) {
                throw new PathNotFoundException(source);
            }
            throw missing;
        }
        syncDirectory(to.getParent());
    }

    @Override
    public void delete(String path) throws IOException {
        Path target = resolve(path);
        if (!Files.exists(target)) {
            throw new PathNotFoundException(path);
        }
        try (Stream<Path> walk = Files.walk(target)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (DirectoryNotEmptyException | FileAlreadyExistsException raced) {
                    // a concurrent writer added an entry; what it wrote is not ours to remove
                }
            }
        } catch (NoSuchFileException gone) {
            // deleted concurrently
        }
    }

    /**
     * Appends to a file through its channel; {@link #commit()} is an fsync. A large write is
     * flushed to disk in the background every {@link #EARLY_FLUSH_BYTES} while it streams, and
     * what a chunk left unflushed is flushed in the background after it is closed, so that the
     * fsync at commit only has the tail left instead of the whole blob.
     *
     * <p>Once flushed, those pages are also dropped from the page cache ({@link PageCacheAdvice},
     * where supported). An upload is written once and then only renamed; caching it would evict
     * blobs that are being pulled, count against the container's memory limit, and make every
     * megabyte of the upload take fresh pages from the kernel, where reusing the few just dropped
     * is much cheaper (notably on virtual machines, whose host backs a fresh page on first touch).
     */
    private static final class FileWriter implements StorageWriter {
        private static final long EARLY_FLUSH_BYTES = 8L * 1024 * 1024;
        /** Below this, a closed chunk's data is left for the commit (or the kernel) to flush. */
        private static final long FLUSH_ON_CLOSE_BYTES = 1024 * 1024;

        private final Path file;
        private final FileChannel channel;
        /**
         * The file's identity when an appending writer opened it, {@code null} for a writer that
         * truncates: the path must still name this file when the writer takes its lock (see
         * {@link #claim}).
         */
        private final Object appendedKey;
        /** Held from an appending writer's first write or commit until it closes. */
        private FileLock lock;
        /** Opened by the first flush that drops pages; {@code null} before, or where unsupported. */
        private PageCacheAdvice advice;
        private boolean closed;
        /** End of what this writer wrote; kept by the writing thread. */
        private long end;
        /** Start of what no flush has dropped yet; kept by the flush tasks, which run one at a time. */
        private long undropped;
        private long unflushed;
        private CompletableFuture<Void> flushing = CompletableFuture.completedFuture(null);

        FileWriter(Path file, FileChannel channel, long size, Object appendedKey) {
            this.file = file;
            this.channel = channel;
            this.appendedKey = appendedKey;
            this.end = size;
            this.undropped = size;
        }

        /**
         * Makes this the only writer of an appended file, before its first byte or its commit: two
         * replicas sharing a volume could otherwise both write a chunk at one offset, one over the
         * other, and each save a hash state for the bytes it wrote. An advisory lock on the file
         * (a POSIX lock, which NFSv4 shares between hosts) is held until close, and whoever gets it
         * second finds the file longer than when it opened it, or no longer at its path (committed
         * and moved), and fails. Only one such writer is used per replica at a time, so within the
         * process an overlap is another replica's writer too.
         */
        private void claim() throws IOException {
            if (appendedKey == null || lock != null) {
                return;
            }
            FileLock acquired;
            try {
                acquired = channel.tryLock();
            } catch (OverlappingFileLockException heldInThisProcess) {
                acquired = null;
            }
            if (acquired == null) {
                throw new ConcurrentWriteException(file.toString(), channel.size());
            }
            lock = acquired;
            long now = channel.size();
            Object key;
            try {
                key = fileKey(file);
            } catch (NoSuchFileException moved) {
                key = null;
            }
            if (now != end || !appendedKey.equals(key)) {
                unlock();
                throw new ConcurrentWriteException(file.toString(), now);
            }
        }

        private void unlock() {
            FileLock held = lock;
            lock = null;
            if (held != null) {
                try {
                    held.release();
                } catch (IOException ignored) {
                    // the channel is closed, which released it
                }
            }
        }

        @Override
        public int write(ByteBuffer source) throws IOException {
            claim();
            int written = 0;
            while (source.hasRemaining()) {
                written += channel.write(source);
            }
            afterWrite(written);
            return written;
        }

        @Override
        public long writeAll(ByteBuffer[] sources) throws IOException {
            claim();
            long total = 0;
            for (ByteBuffer source : sources) {
                total += source.remaining();
            }
            long written = 0;
            while (written < total) {
                written += channel.write(sources);
            }
            afterWrite(written);
            return written;
        }

        private void afterWrite(long written) {
            end += written;
            unflushed += written;
            if (unflushed >= EARLY_FLUSH_BYTES && flushing.isDone()) {
                unflushed = 0;
                long upTo = end;
                flushing = CompletableFuture.runAsync(() -> flushQuietly(upTo), EARLY_FLUSHES);
            }
        }

        /** Flushes the file and then drops the now clean pages before {@code upTo} from the cache. */
        private void flushQuietly(long upTo) {
            try {
                channel.force(false);
            } catch (IOException ignored) {
                // commit() flushes again and reports failures
                return;
            }
            if (upTo > undropped) {
                PageCacheAdvice pages = advice();
                if (pages != null) {
                    pages.dontNeed(undropped, upTo - undropped);
                    undropped = upTo;
                }
            }
        }

        /** Opened here, on a flush task, so a small upload that never flushes never opens it. */
        private synchronized PageCacheAdvice advice() {
            if (advice == null && !closed && PageCacheAdvice.supported()) {
                advice = PageCacheAdvice.open(file);
            }
            return closed ? null : advice;
        }

        @Override
        public long size() {
            return end;
        }

        /**
         * Only the file's data and size: the directory entry is made durable by {@link #move}, which
         * every committed upload goes through, so syncing the upload's directory would be wasted.
         */
        @Override
        public void commit() throws IOException {
            claim();
            flushing.join();
            channel.force(true);
            unflushed = 0;
        }

        @Override
        public void cancel() throws IOException {
            closeQuietly();
            Files.deleteIfExists(file);
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        /**
         * Closes without waiting for the disk: a chunk that left a megabyte or more unflushed is
         * flushed by a background task that then closes the channel, so the next chunk (or the
         * commit) does not start with it all to write.
         */
        @Override
        public void close() throws IOException {
            if (!channel.isOpen()) {
                return;
            }
            // now, not when the background flush below closes the channel: the next chunk may come at once
            unlock();
            boolean flush = unflushed >= FLUSH_ON_CLOSE_BYTES;
            unflushed = 0;
            if (!flush && flushing.isDone()) {
                closeQuietly();
                return;
            }
            long upTo = end;
            // never wait here for an early flush still running: the client is waiting for the answer
            flushing.whenCompleteAsync((ignored, failure) -> {
                if (flush) {
                    flushQuietly(upTo);
                }
                closeQuietly();
            }, EARLY_FLUSHES);
        }

        private void closeQuietly() {
            synchronized (this) {
                closed = true;
                if (advice != null) {
                    advice.close();
                }
            }
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing was lost: the data is in the file, and a commit syncs it
            }
        }
    }
}
