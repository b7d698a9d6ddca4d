package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.filesystem.FilesystemDriver;
import org.junit.jupiter.api.function.Executable;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Shared helpers for the storage tests. */
final class TestSupport {
    private TestSupport() {
    }

    static Registry registry(Path root) throws IOException {
        return new Registry(new FilesystemDriver(root), true, Clock.systemUTC());
    }

    static Registry registry(Path root, Clock clock) throws IOException {
        return new Registry(new FilesystemDriver(root), true, clock);
    }

    static Registry registry(StorageDriver driver) {
        return new Registry(driver, true, Clock.systemUTC());
    }

    static ReadableByteChannel channel(byte[] content) {
        return Channels.newChannel(new ByteArrayInputStream(content));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Uploads {@code content} into {@code repo} in one monolithic request and returns the blob. */
    static BlobInfo pushBlob(Registry registry, String repo, byte[] content) throws IOException {
        UploadSession session = registry.uploads().start(repo);
        return registry.uploads().complete(repo, session.uuid(), Digest.sha256(content), channel(content),
                ChunkRange.UNDECLARED);
    }

    static byte[] readAll(ReadableByteChannel channel) throws IOException {
        try (channel) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                out.write(buffer.array(), 0, buffer.limit());
                buffer.clear();
            }
            return out.toByteArray();
        }
    }

    static RegistryException assertRegistryError(ErrorCode code, Executable executable) {
        RegistryException e = assertThrows(RegistryException.class, executable);
        assertEquals(code, e.code(), () -> "unexpected code, message: " + e.getMessage());
        return e;
    }

    /** A clock the test moves by hand. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
