package dev.registry.server.notifications;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Undelivered events in files, so that they survive a restart or a crash of the registry.
 *
 * <p>Events are appended, one JSON line each, to numbered segment files of about
 * {@value #SEGMENT_BYTES} bytes. The file {@code position} names the first undelivered byte
 * (segment and offset); it is replaced atomically after each delivery, and segments before it are
 * deleted. Delivery is at least once: an envelope sent but not yet recorded as delivered when the
 * process dies is sent again after the restart. A line torn by a crash while it was appended is
 * cut off when the queue opens. Nothing is forced to disk per event, so a crash of the machine
 * (not of the process) can lose the last events written.
 */
final class SpoolEventQueue implements EventQueue {
    private static final Logger log = LoggerFactory.getLogger(SpoolEventQueue.class);
    static final long SEGMENT_BYTES = 1024 * 1024;
    private static final Pattern SEGMENT = Pattern.compile("(\\d{16})\\.events");
    private static final String POSITION = "position";

    /** One event read ahead, with where it ends so that removing it can move the position there. */
    private record Line(byte[] event, long segment, long end) {
    }

    private final Path directory;
    private final int limit;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final TreeSet<Long> segments = new TreeSet<>();
    /** Events read ahead of the position, oldest first; {@link #peek} serves them without reading again. */
    private final List<Line> readAhead = new ArrayList<>();
    private long readSegment;
    private long readOffset;
    private FileChannel writer;
    private long writeSegment;
    private long writeSize;
    private int size;

    private SpoolEventQueue(Path directory, int limit, FileChannel lockFile, FileLock lock) {
        this.directory = directory;
        this.limit = limit;
        this.lockFile = lockFile;
        this.lock = lock;
    }

    /**
     * Opens the queue in {@code directory}, creating it if needed, and takes up the events a
     * previous process left there.
     *
     * @throws IOException if the directory cannot be used, or another process has it open
     */
    static SpoolEventQueue open(Path directory, int limit) throws IOException {
        Files.createDirectories(directory);
        FileChannel lockFile = FileChannel.open(directory.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockFile.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // this process has it open already
        } catch (IOException | RuntimeException e) {
            lockFile.close();
            throw e;
        }
        if (lock == null) {
            lockFile.close();
            throw new IOException(directory + " is in use by another registry process");
        }
        SpoolEventQueue queue = new SpoolEventQueue(directory, limit, lockFile, lock);
        try {
            queue.recover();
        } catch (IOException | RuntimeException e) {
            queue.close();
            throw e;
        }
        return queue;
    }

    private void recover() throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            files.forEach(file -> {
                Matcher matcher = SEGMENT.matcher(file.getFileName().toString());
                if (matcher.matches()) {
                    segments.add(Long.parseLong(matcher.group(1)));
                }
            });
        }
        readSegment = segments.isEmpty() ? 1 : segments.first();
        readOffset = 0;
        Path position = directory.resolve(POSITION);
        if (Files.exists(position)) {
            String[] parts = Files.readString(position, StandardCharsets.US_ASCII).trim().split(" ");
            try {
                readSegment = Long.parseLong(parts[0]);
                readOffset = Long.parseLong(parts[1]);
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw new IOException(position + " is damaged: delete it to resend every queued event");
            }
        }
        for (Long delivered : new ArrayList<>(segments.headSet(readSegment))) {
            Files.deleteIfExists(segment(delivered));
            segments.remove(delivered);
        }
        if (!segments.contains(readSegment)) {
            readSegment = segments.isEmpty() ? Math.max(1, readSegment + 1) : segments.first();
            readOffset = 0;
        }
        if (!segments.isEmpty()) {
            cutTornLine(segments.last());
        }
        for (long number : segments) {
            size += countLines(number, number == readSegment ? readOffset : 0);
        }
        writeSegment = segments.isEmpty() ? readSegment : segments.last();
        openWriter();
        if (size > 0) {
            log.info("notification queue {}: {} undelivered event(s) from before the restart", directory, size);
        }
    }

    private void openWriter() throws IOException {
        writer = FileChannel.open(segment(writeSegment), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        writeSize = writer.size();
        segments.add(writeSegment);
    }

    /** A crash while a line was appended leaves part of it: that event was never queued whole. */
    private void cutTornLine(long number) throws IOException {
        try (FileChannel channel = FileChannel.open(segment(number), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long end = channel.size();
            long keep = end;
            ByteBuffer one = ByteBuffer.allocate(1);
            while (keep > 0) {
                one.clear();
                channel.read(one, keep - 1);
                if (one.get(0) == '\n') {
                    break;
                }
                keep--;
            }
            if (keep < end) {
                log.warn("notification queue {}: cutting off an event torn by a crash ({} bytes)", directory, end - keep);
                channel.truncate(keep);
            }
        }
    }

    private int countLines(long number, long from) throws IOException {
        int lines = 0;
        try (FileChannel channel = FileChannel.open(segment(number), StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            long at = from;
            int read;
            while ((read = channel.read(buffer.clear(), at)) > 0) {
                for (int i = 0; i < read; i++) {
                    if (buffer.get(i) == '\n') {
                        lines++;
                    }
                }
                at += read;
            }
        }
        return lines;
    }

    @Override
    public boolean add(byte[] event) throws IOException {
        if (size >= limit) {
            return false;
        }
        if (writeSize >= SEGMENT_BYTES) {
            writer.close();
            writeSegment++;
            openWriter();
        }
        ByteBuffer line = ByteBuffer.allocate(event.length + 1).put(event).put((byte) '\n').flip();
        while (line.hasRemaining()) {
            writer.write(line);
        }
        writeSize += event.length + 1L;
        size++;
        return true;
    }

    @Override
    public List<byte[]> peek(int max) throws IOException {
        long segment = readAhead.isEmpty() ? readSegment : readAhead.getLast().segment();
        long offset = readAhead.isEmpty() ? readOffset : readAhead.getLast().end();
        while (readAhead.size() < max) {
            long end = segment == writeSegment ? writeSize : Files.size(segment(segment));
            if (offset >= end) {
                Long next = segments.higher(segment);
                if (next == null) {
                    break;
                }
                segment = next;
                offset = 0;
                continue;
            }
            long next = readLines(segment, offset, end, max);
            if (next == offset) {
                break; // no whole line left (cannot happen with lines appended whole, but never loop)
            }
            offset = next;
        }
        List<byte[]> batch = new ArrayList<>(Math.min(max, readAhead.size()));
        for (int i = 0; i < max && i < readAhead.size(); i++) {
            batch.add(readAhead.get(i).event());
        }
        return batch;
    }

    /** Reads whole lines of one segment from {@code offset} into the read-ahead; returns where it stopped. */
    private long readLines(long segment, long offset, long end, int max) throws IOException {
        try (FileChannel channel = FileChannel.open(segment(segment), StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            long at = offset;
            long lineStart = offset;
            while (at < end && readAhead.size() < max) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), end - at));
                int read = channel.read(buffer, at);
                if (read <= 0) {
                    break;
                }
                for (int i = 0; i < read && readAhead.size() < max; i++) {
                    byte b = buffer.get(i);
                    if (b == '\n') {
                        lineStart = at + i + 1;
                        readAhead.add(new Line(line.toByteArray(), segment, lineStart));
                        line.reset();
                    } else {
                        line.write(b);
                    }
                }
                at += read;
            }
            // Only whole lines count; a partial one is read again from its start next time.
            return lineStart;
        }
    }

    @Override
    public void remove(int count) throws IOException {
        if (count <= 0) {
            return;
        }
        if (count > readAhead.size()) {
            throw new IllegalStateException("removing " + count + " events, only " + readAhead.size() + " were peeked");
        }
        Line last = readAhead.get(count - 1);
        readAhead.subList(0, count).clear();
        size -= count;
        readSegment = last.segment();
        readOffset = last.end();
        if (readSegment != writeSegment && readOffset >= Files.size(segment(readSegment))) {
            Long next = segments.higher(readSegment);
            readSegment = next == null ? writeSegment : next;
            readOffset = 0;
        }
        Path temporary = directory.resolve(POSITION + ".tmp");
        Files.writeString(temporary, readSegment + " " + readOffset + "\n", StandardCharsets.US_ASCII);
        Files.move(temporary, directory.resolve(POSITION), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        for (Long delivered : new ArrayList<>(segments.headSet(readSegment))) {
            Files.deleteIfExists(segment(delivered));
            segments.remove(delivered);
        }
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean persistent() {
        return true;
    }

    @Override
    public void close() throws IOException {
        try {
            if (writer != null) {
                writer.force(false);
                writer.close();
            }
        } finally {
            try {
                lock.release();
            } finally {
                lockFile.close();
            }
        }
    }

    private Path segment(long number) {
        return directory.resolve(String.format("%016d.events", number));
    }
}
