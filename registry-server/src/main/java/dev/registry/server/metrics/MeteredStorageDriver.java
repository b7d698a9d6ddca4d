package dev.registry.server.metrics;

import dev.registry.storage.driver.FileInfo;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageWriter;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A {@link StorageDriver} that times every operation of the driver it wraps, by operation and
 * outcome ({@code registry_storage_operations_seconds{driver, operation, outcome}}), so every
 * backend is covered in one place. Channels and writers pass through unchanged (a filesystem
 * reader stays a {@code FileChannel}, for zero-copy sends); of a writer, {@code commit} and
 * {@code cancel} are timed, its writes are not.
 */
final class MeteredStorageDriver implements StorageDriver {
    /** Seconds, from 1 ms to 30 s. */
    private static final double[] BUCKETS = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

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
    private final Histogram seconds;
    /**
     * By operation and outcome, each made on first use: most pairs never happen (a filesystem has
     * no redirect URLs), and each series is 16 lines of the scrape.
     */
    private final AtomicReferenceArray<DistributionDataPoint> series =
            new AtomicReferenceArray<>(Operation.values().length * OUTCOMES);

    MeteredStorageDriver(StorageDriver driver, Histogram seconds) {
        this.driver = driver;
        this.seconds = seconds;
    }

    /** The one histogram every metered driver of a registry records into. */
    static Histogram histogram(PrometheusRegistry registry) {
        return Histogram.builder()
                .name("registry_storage_operations_seconds")
                .help("Storage driver operations, by driver, operation and outcome")
                .labelNames("driver", "operation", "outcome")
                .classicOnly().classicUpperBounds(BUCKETS).withoutExemplars()
                .register(registry);
    }

    private DistributionDataPoint series(Operation operation, Outcome outcome) {
        int index = operation.ordinal() * OUTCOMES + outcome.ordinal();
        DistributionDataPoint found = series.get(index);
        if (found == null) {
            // the histogram hands out one series per label set, so a race here is harmless
            found = seconds.labelValues(driver.name(), operation.name().toLowerCase(Locale.ROOT),
                    outcome.name().toLowerCase(Locale.ROOT));
            series.set(index, found);
        }
        return found;
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
            series(operation, outcome).observe((System.nanoTime() - start) / 1e9);
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
    public StorageWriter writerAt(String path, long size) throws IOException {
        StorageWriter writer = timed(Operation.WRITER, () -> driver.writerAt(path, size));
        return new MeteredWriter(writer);
    }

    @Override
    public Optional<StorageWriter> atomicWriter(String path) throws IOException {
        return timed(Operation.WRITER, () -> driver.atomicWriter(path)).map(MeteredWriter::new);
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
        public void expect(long bytes) throws IOException {
            writer.expect(bytes);
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
        public String contentTag() {
            // the upload service ties hash states to it: without it, two replicas taking one
            // chunk at once could leave a state for bytes the store did not keep
            return writer.contentTag();
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
