package dev.registry.storage.driver.inmemory;

import dev.registry.storage.driver.FileInfo;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StoragePaths;
import dev.registry.storage.driver.StorageWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Keeps every object in this process's heap: transient storage for throw-away registries, local
 * clusters and tests. Everything is lost when the process ends.
 *
 * <p>It behaves like an object store, not like a filesystem, so that the registry's object-store
 * paths are exercised without one: directories exist only as prefixes of objects' paths, and a
 * write is invisible to {@link #getContent}, {@link #reader}, {@link #stat} and {@link #list}
 * until it is committed (until then only a resumed writer's {@link StorageWriter#size()} counts
 * it, as with an unfinished multipart upload).
 *
 * <p>Objects are kept as lists of blocks of at most {@value #BLOCK_BYTES} bytes, so an object may
 * exceed 2 GiB and a growing write never copies what it already holds.
 */
public final class InMemoryDriver implements StorageDriver {
    static final int BLOCK_BYTES = 1024 * 1024;
    /** Between '/' and every character that may follow a segment, for skipping a directory's keys. */
    private static final char AFTER_SLASH = '/' + 1;

    private final ConcurrentSkipListMap<String, Content> objects = new ConcurrentSkipListMap<>();
    /** Writes closed without commit, by path; invisible to readers until committed. */
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Clock clock;

    public InMemoryDriver() {
        this(Clock.systemUTC());
    }

    public InMemoryDriver(Clock clock) {
        this.clock = clock;
    }

    @Override
    public String name() {
        return "inmemory";
    }

    /** Bytes held by committed objects (what a heap-size warning would look at). */
    public long storedBytes() {
        long total = 0;
        for (Content content : objects.values()) {
            total += content.size;
        }
        return total;
    }

    @Override
    public byte[] getContent(String path) throws IOException {
        Content content = object(path);
        if (content.size > Integer.MAX_VALUE - 16) {
            throw new IOException(path + " holds " + content.size + " bytes, too many for one array");
        }
        byte[] all = new byte[(int) content.size];
        int at = 0;
        for (byte[] block : content.blocks) {
            System.arraycopy(block, 0, all, at, block.length);
            at += block.length;
        }
        return all;
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        StoragePaths.check(path);
        List<byte[]> blocks = new ArrayList<>();
        for (int from = 0; from < content.length; from += BLOCK_BYTES) {
            blocks.add(java.util.Arrays.copyOfRange(content, from, Math.min(content.length, from + BLOCK_BYTES)));
        }
        objects.put(path, new Content(List.copyOf(blocks), content.length, clock.instant()));
    }

    @Override
    public ReadableByteChannel reader(String path, long offset) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset + " for " + path);
        }
        Content content = object(path);
        if (offset > content.size) {
            throw new IOException("offset " + offset + " beyond end of " + path + " (" + content.size + " bytes)");
        }
        return new BlockReader(content, offset);
    }

    @Override
    public StorageWriter writer(String path, boolean append) throws IOException {
        StoragePaths.check(path);
        Pending write = append
                ? pending.computeIfAbsent(path, p -> new Pending())
                : new Pending();
        if (!append) {
            pending.put(path, write);
        }
        return new BlockWriter(path, write);
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        StoragePaths.check(path);
        Content content = objects.get(path);
        if (content != null) {
            return new FileInfo(path, content.size, content.modified, false);
        }
        if (path.equals("/") || hasChildren(path)) {
            return new FileInfo(path, 0, Instant.EPOCH, true);
        }
        throw new PathNotFoundException(path);
    }

    @Override
    public List<String> list(String path) throws IOException {
        StoragePaths.check(path);
        String prefix = path.equals("/") ? "/" : path + "/";
        Set<String> children = new LinkedHashSet<>();
        String key = objects.ceilingKey(prefix);
        while (key != null && key.startsWith(prefix)) {
            int slash = key.indexOf('/', prefix.length());
            if (slash < 0) {
                children.add(key);
                key = objects.higherKey(key);
            } else {
                String child = key.substring(0, slash);
                children.add(child);
                // every key under child/ sorts before child + '0': skip them in one step
                key = objects.ceilingKey(child + AFTER_SLASH);
            }
        }
        if (children.isEmpty() && !path.equals("/")) {
            throw new PathNotFoundException(path);
        }
        return new ArrayList<>(children);
    }

    @Override
    public void move(String source, String destination) throws IOException {
        StoragePaths.check(destination);
        Content content = object(source);
        objects.put(destination, content);
        objects.remove(source, content);
    }

    @Override
    public void delete(String path) throws IOException {
        StoragePaths.check(path);
        boolean found = objects.remove(path) != null;
        ConcurrentNavigableMap<String, Content> tree = path.equals("/")
                ? objects
                : objects.subMap(path + "/", true, path + AFTER_SLASH, false);
        found |= !tree.isEmpty();
        tree.clear();
        String prefix = path.equals("/") ? "/" : path + "/";
        found |= pending.remove(path) != null;
        found |= pending.keySet().removeIf(key -> key.startsWith(prefix));
        if (!found) {
            throw new PathNotFoundException(path);
        }
    }

    private Content object(String path) throws PathNotFoundException {
        StoragePaths.check(path);
        Content content = objects.get(path);
        if (content == null) {
            throw new PathNotFoundException(path);
        }
        return content;
    }

    private boolean hasChildren(String path) {
        String first = objects.ceilingKey(path + "/");
        return first != null && first.startsWith(path + "/");
    }

    /** An immutable committed object. */
    private record Content(List<byte[]> blocks, long size, Instant modified) {
    }

    /** An uncommitted write: full blocks plus a tail that fills up to {@link #BLOCK_BYTES}. */
    private static final class Pending {
        final List<byte[]> blocks = new ArrayList<>();
        byte[] tail = new byte[0];
        int tailSize;
        long size;

        synchronized void write(ByteBuffer source) {
            while (source.hasRemaining()) {
                if (tailSize == BLOCK_BYTES) {
                    blocks.add(tail);
                    tail = new byte[0];
                    tailSize = 0;
                }
                int n = Math.min(source.remaining(), BLOCK_BYTES - tailSize);
                if (tail.length < tailSize + n) {
                    tail = java.util.Arrays.copyOf(tail, Math.min(BLOCK_BYTES, Math.max(tailSize + n, tail.length * 2)));
                }
                source.get(tail, tailSize, n);
                tailSize += n;
                size += n;
            }
        }

        synchronized Content seal(Instant now) {
            List<byte[]> all = new ArrayList<>(blocks);
            if (tailSize > 0) {
                all.add(java.util.Arrays.copyOf(tail, tailSize));
            }
            return new Content(List.copyOf(all), size, now);
        }

        synchronized long size() {
            return size;
        }
    }

    private final class BlockWriter implements StorageWriter {
        private final String path;
        private final Pending write;
        private boolean open = true;

        BlockWriter(String path, Pending write) {
            this.path = path;
            this.write = write;
        }

        @Override
        public int write(ByteBuffer source) throws IOException {
            ensureOpen();
            int n = source.remaining();
            write.write(source);
            return n;
        }

        @Override
        public long size() {
            return write.size();
        }

        @Override
        public void commit() throws IOException {
            ensureOpen();
            objects.put(path, write.seal(clock.instant()));
            pending.remove(path, write);
        }

        @Override
        public void cancel() {
            open = false;
            pending.remove(path, write);
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }

        private void ensureOpen() throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
        }
    }

    /** Reads an immutable object's blocks from an offset. */
    private static final class BlockReader implements ReadableByteChannel {
        private final Content content;
        private long position;
        private int block;
        private int inBlock;
        private boolean open = true;

        BlockReader(Content content, long offset) {
            this.content = content;
            this.position = offset;
            long skipped = 0;
            while (block < content.blocks.size() && skipped + content.blocks.get(block).length <= offset) {
                skipped += content.blocks.get(block).length;
                block++;
            }
            this.inBlock = (int) (offset - skipped);
        }

        @Override
        public int read(ByteBuffer destination) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            if (position >= content.size) {
                return -1;
            }
            int read = 0;
            while (destination.hasRemaining() && block < content.blocks.size()) {
                byte[] current = content.blocks.get(block);
                int n = Math.min(destination.remaining(), current.length - inBlock);
                destination.put(current, inBlock, n);
                inBlock += n;
                read += n;
                if (inBlock == current.length) {
                    block++;
                    inBlock = 0;
                }
            }
            position += read;
            return read;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }
}
