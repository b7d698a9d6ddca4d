package dev.registry.storage.driver;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A driver that passes every call to another one, for tests that observe or change a few calls
 * (count reads, record listings, hold a read, sign URLs) and leave the rest to a real driver.
 */
public class ForwardingDriver implements StorageDriver {
    protected final StorageDriver delegate;

    public ForwardingDriver(StorageDriver delegate) {
        this.delegate = delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public byte[] getContent(String path) throws IOException {
        return delegate.getContent(path);
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        delegate.putContent(path, content);
    }

    @Override
    public void putVolatileContent(String path, byte[] content) throws IOException {
        delegate.putVolatileContent(path, content);
    }

    @Override
    public ReadableByteChannel reader(String path, long offset) throws IOException {
        return delegate.reader(path, offset);
    }

    @Override
    public Optional<StorageWriter> atomicWriter(String path) throws IOException {
        return delegate.atomicWriter(path);
    }

    @Override
    public StorageWriter writer(String path, boolean append) throws IOException {
        return delegate.writer(path, append);
    }

    @Override
    public StorageWriter writerAt(String path, long size) throws IOException {
        return delegate.writerAt(path, size);
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        return delegate.stat(path);
    }

    @Override
    public List<String> list(String path) throws IOException {
        return delegate.list(path);
    }

    @Override
    public void move(String source, String destination) throws IOException {
        delegate.move(source, destination);
    }

    @Override
    public void delete(String path) throws IOException {
        delegate.delete(path);
    }

    @Override
    public Optional<URI> redirectUrl(String path, String method, Duration validFor) throws IOException {
        return delegate.redirectUrl(path, method, validFor);
    }
}
