package dev.registry.storage.driver.filesystem;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.io.TempDirFactory;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Both builds of {@link PageCacheAdvice}: the Java 21 one the test classpath sees, and the Java
 * 22+ one that the multi-release jar serves on newer runtimes, loaded here from its versioned
 * directory. Whether pages are cached is read with util-linux's {@code fincore}.
 */
class PageCacheAdviceTest {
    private static final int MIB = 1024 * 1024;

    /** Under target/ rather than /tmp, which may be a tmpfs. */
    @TempDir(factory = UnderTarget.class)
    Path dir;

    static final class UnderTarget implements TempDirFactory {
        @Override
        public Path createTempDirectory(AnnotatedElementContext element,
                                        ExtensionContext context) throws IOException {
            Path target = Files.createDirectories(Path.of("target"));
            return Files.createTempDirectory(target, "page-cache-");
        }
    }

    @Test
    void java21BuildNeverAdvises() throws IOException {
        Path file = Files.write(dir.resolve("blob"), new byte[4096]);
        assertFalse(PageCacheAdvice.supported());
        assertNull(PageCacheAdvice.open(file));
    }

    @Test
    void java22BuildDropsFlushedPagesAndKeepsTheContent() throws Exception {
        try (URLClassLoader loader = java22Classes()) {
            Class<?> advice = loader.loadClass(PageCacheAdvice.class.getName());
            assertTrue((boolean) call(advice, null, "supported"));

            byte[] content = new byte[8 * MIB];
            new Random(42).nextBytes(content);
            Path file = dir.resolve("blob");
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(false);
            }
            assertEquals(8L * MIB, residentBytes(file), "just written, the file is cached");

            Object handle = call(advice, null, "open", file);
            try {
                call(advice, handle, "dontNeed", 2L * MIB, 4L * MIB);
                assertEquals(4L * MIB, residentBytes(file), "only the advised range is dropped");
                call(advice, handle, "dontNeed", 0L, 8L * MIB);
                assertEquals(0L, residentBytes(file));
            } finally {
                call(advice, handle, "close");
            }
            call(advice, handle, "dontNeed", 0L, 8L * MIB); // after close: ignored, not a crash
            assertArrayEquals(content, Files.readAllBytes(file), "dropping cached pages never changes the file");
            assertNull(call(advice, null, "open", dir.resolve("missing")));
        }
    }

    /**
     * The driver as the Java 22+ jar runs it: an upload written as four 8 MiB chunks, each by its
     * own writer (as four PATCHes are), then committed, leaves the page cache once the background
     * flushes are done, and the stored bytes are exactly what was written.
     */
    @Test
    void uploadWrittenThroughTheDriverLeavesTheCacheOnceFlushed() throws Exception {
        try (URLClassLoader loader = java22Classes()) {
            Class<?> driverType = loader.loadClass(FilesystemDriver.class.getName());
            Object driver = driverType.getConstructor(Path.class).newInstance(dir.resolve("root"));
            byte[] content = new byte[32 * MIB];
            new Random(7).nextBytes(content);
            String path = "/uploads/0/data";
            for (int chunk = 0; chunk < 4; chunk++) {
                Object writer = call(driverType, driver, "writer", path, true);
                call(writer.getClass(), writer, "write", ByteBuffer.wrap(content, chunk * 8 * MIB, 8 * MIB));
                call(writer.getClass(), writer, "close");
            }
            Object committer = call(driverType, driver, "writer", path, true);
            assertEquals(32L * MIB, call(committer.getClass(), committer, "size"));
            call(committer.getClass(), committer, "commit");
            call(committer.getClass(), committer, "close");

            Path file = dir.resolve("root/uploads/0/data");
            long resident = residentBytes(file);
            for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); resident > 0 && System.nanoTime() < deadline; ) {
                Thread.sleep(50); // the last chunks' flushes end in the background
                resident = residentBytes(file);
            }
            assertEquals(0L, resident, "flushed upload pages are dropped from the page cache");
            assertArrayEquals(content, Files.readAllBytes(file));
        }
    }

    /**
     * A loader that sees the Java 22 classes first, as a multi-release jar does on Java 22+; the
     * test is skipped where they cannot run or where page-cache residency cannot be observed.
     */
    private URLClassLoader java22Classes() throws Exception {
        assumeTrue(Runtime.version().feature() >= 22, "the Java 22 build runs on Java 22 or later; this is " + Runtime.version());
        assumeTrue(isLinuxWithFincore(), "needs Linux on x86-64 or AArch64 with util-linux's fincore");
        String filesystem = Files.getFileStore(dir).type();
        assumeTrue(!filesystem.equals("tmpfs") && !filesystem.equals("ramfs"),
                "the temporary directory is on " + filesystem + ", whose pages live only in the cache");
        Path classes = Path.of(PageCacheAdvice.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path versioned = classes.resolve("META-INF/versions/22");
        assertTrue(Files.isDirectory(versioned), "built with JDK " + Runtime.version() + " but " + versioned + " is missing");
        return new URLClassLoader(new URL[]{versioned.toUri().toURL(), classes.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
    }

    private static Object call(Class<?> type, Object target, String name, Object... args) throws Exception {
        for (Method method : type.getDeclaredMethods()) {
            if (method.getName().equals(name) && method.getParameterCount() == args.length) {
                method.setAccessible(true);
                return method.invoke(target, args);
            }
        }
        throw new NoSuchMethodException(name);
    }

    private static boolean isLinuxWithFincore() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!System.getProperty("os.name", "").equalsIgnoreCase("linux")
                || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            return false;
        }
        try {
            return !run("fincore", "--version").isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static long residentBytes(Path file) throws IOException {
        return Long.parseLong(run("fincore", "--bytes", "--noheadings", "--output", "RES", file.toString()).strip());
    }

    private static String run(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
