package dev.registry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * A request body that lends out the buffers it received instead of copying them into the
 * caller's, so an upload can hash them and hand them to the storage writer in one gathering
 * write. The HTTP layer implements it; plain {@link ReadableByteChannel}s work too, with a copy.
 */
public interface ChunkSource extends ReadableByteChannel {

    /**
     * Waits for more of the body and lends it out.
     *
     * @param maxBytes about how many bytes to return at most; whole received buffers are
     *                 returned, so the total may exceed it by one buffer
     * @return the next buffers, holding at least one byte, or {@code null} at the end of the body;
     *         they stay valid until the next call or until the body is discarded, and must not
     *         be kept beyond that
     */
    ByteBuffer[] nextChunks(int maxBytes) throws IOException;
}
