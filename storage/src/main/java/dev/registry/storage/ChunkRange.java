package dev.registry.storage;

/**
 * What a client declared about a chunk it sends: where it starts and how long it is, each
 * {@code -1} when not declared ({@code Content-Range} and {@code Content-Length} are optional).
 */
public record ChunkRange(long start, long length) {
    public static final ChunkRange UNDECLARED = new ChunkRange(-1, -1);

    public static ChunkRange ofLength(long length) {
        return new ChunkRange(-1, length);
    }
}
