package dev.registry.server.metrics;

import dev.registry.storage.driver.FileInfo;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageWriter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A {@link StorageDriver} that times every operation of the driver it wraps, by operation and
 * outcome ({@code registry_storage_operations_seconds{driver, operation, outcome}}), so every
 * backend is covered in one place. Channels and writers pass through unchanged (a filesystem
 * reader stays a {@code FileChannel}, for zero-copy sends); of a writer, {@code commit} and
 * {@code cancel} are timed, its writes are not.
 */
final class MeteredStorageDriver implements StorageDriver {
    private static final Duration[] BUCKETS = {
            Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30)};

    /** The timed operations; their label is the lower-case name. */
    enum Operation {
        GET_CONTENT, PUT_CONTENT, PUT_VOLATILE_CONTENT, READER, WRITER, WRITER_COMMIT, WRITER_CANCEL, STAT, LIST,
        MOVE, DELETE, REDIRECT_URL
    }

    /** How an operation ended: {@code not_found} is an answer, not a failure. */
    enum Outcome {
        SUCCESS, NOT_FOUND, ERROR
    }

    private static final int OUTCOMES = Outcome.values().length;

    private final StorageDriver driver;
    private final MeterRegistry registry;
    /**
     * By operation and outcome, each made on first use: most pairs never happen (a filesystem has
     * no redirect URLs), and each timer is 17 lines of the scrape.
     */
    private final AtomicReferenceArray<Timer> timers = new AtomicReferenceArray<>(Operation.values().length * OUTCOMES);

    MeteredStorageDriver(StorageDriver driver, MeterRegistry registry) {
        this.driver = driver;
        this.registry = registry;
    }

    private Timer timer(Operation operation, Outcome outcome) {
        int index = operation.ordinal() * OUTCOMES + outcome.ordinal();
        Timer timer = timers.get(index);
        if (timer == null) {
            // the registry hands out one timer per tag set, so a race here is harmless
            timer = Timer.builder("registry.storage.operations")
                    .description("Storage driver operations, by driver, operation and outcome")
                    .tags("driver", driver.name(), "operation", operation.name().toLowerCase(Locale.ROOT),
                            "outcome", outcome.name().toLowerCase(Locale.ROOT))
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry);
            timers.set(index, timer);
        }
        return timer;
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException;
    }

    @FunctionalInterface
    private interface VoidCall {
        void run() throws IOException;
    }

    private <T> T timed(Operation operation, Call<T> call) throws IOException {
        long start = System.nanoTime();
        Outcome outcome = Outcome.ERROR;
        try {
            T result = call.run();
            outcome = Outcome.SUCCESS;
            return result;
        } catch (PathNotFoundException e) {
            outcome = Outcome.NOT_FOUND;
            throw e;
        } finally {
            timer(operation, outcome).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private void timed(Operation operation, VoidCall call) throws IOException {
        timed(operation, () -> {
            call.run();
            return null;
        });
    }

    @Override
    public String name() {
        return driver.name();
    }

    @Override
    public byte[] getContent(String path) throws IOException {
        return timed(Operation.GET_CONTENT, () -> driver.getContent(path));
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        timed(Operation.PUT_CONTENT, () -> driver.putContent(path, content));
    }

    @Override
    public void putVolatileContent(String path, byte[] content) throws IOException {
        timed(Operation.PUT_VOLATILE_CONTENT, () -> driver.putVolatileContent(path, content));
    }

    @Override
    public ReadableByteChannel reader(String path, long offset) throws IOException {
        return timed(Operation.READER, () -> driver.reader(path, offset));
    }

    @Override
    public StorageWriter writer(String path, boolean append) throws IOException {
        StorageWriter writer = timed(Operation.WRITER, () -> driver.writer(path, append));
        return new MeteredWriter(writer);
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        return timed(Operation.STAT, () -> driver.stat(path));
    }

    @Override
    public List<String> list(String path) throws IOException {
        return timed(Operation.LIST, () -> driver.list(path));
    }

    @Override
    public void move(String source, String destination) throws IOException {
        timed(Operation.MOVE, () -> driver.move(source, destination));
    }

    @Override
    public void delete(String path) throws IOException {
        timed(Operation.DELETE, () -> driver.delete(path));
    }

    @Override
    public Optional<URI> redirectUrl(String path, String method, Duration validFor) throws IOException {
        return timed(Operation.REDIRECT_URL, () -> driver.redirectUrl(path, method, validFor));
    }

    /** Passes writes straight through (they are many and small); times the commit and the cancel. */
    private final class MeteredWriter implements StorageWriter {
        private final StorageWriter writer;

        MeteredWriter(StorageWriter writer) {
            this.writer = writer;
        }

        @Override
        public long writeAll(ByteBuffer[] sources) throws IOException {
            return writer.writeAll(sources);
        }

        @Override
        public int write(ByteBuffer source) throws IOException {
            return writer.write(source);
        }

        @Override
        public long size() {
            return writer.size();
        }

        @Override
        public void commit() throws IOException {
            timed(Operation.WRITER_COMMIT, writer::commit);
        }

        @Override
        public void cancel() throws IOException {
            timed(Operation.WRITER_CANCEL, writer::cancel);
        }

        @Override
        public boolean isOpen() {
            return writer.isOpen();
        }

        @Override
        public void close() throws IOException {
            writer.close();
        }
    }
}
