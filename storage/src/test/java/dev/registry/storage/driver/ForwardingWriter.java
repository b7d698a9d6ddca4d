package dev.registry.storage.driver;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A writer that passes every call to another one, for tests that observe a few calls (what was
 * written, when it closed) and leave the rest to a real driver's writer.
 */
public class ForwardingWriter implements StorageWriter {
    protected final StorageWriter delegate;

    public ForwardingWriter(StorageWriter delegate) {
        this.delegate = delegate;
    }

    @Override
    public int write(ByteBuffer source) throws IOException {
        return delegate.write(source);
    }

    @Override
    public long writeAll(ByteBuffer[] sources) throws IOException {
        return delegate.writeAll(sources);
    }

    @Override
    public void expect(long bytes) throws IOException {
        delegate.expect(bytes);
    }

    @Override
    public long size() {
        return delegate.size();
    }

    @Override
    public void commit() throws IOException {
        delegate.commit();
    }

    @Override
    public void cancel() throws IOException {
        delegate.cancel();
    }

    @Override
    public String contentTag() {
        return delegate.contentTag();
    }

    @Override
    public boolean isOpen() {
        return delegate.isOpen();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
