package dev.registry.storage.driver.filesystem;

import java.nio.file.Path;

/**
 * Tells the kernel that a range of a file will not be read again soon, so that its cached pages,
 * once written back, can be freed ({@code posix_fadvise(POSIX_FADV_DONTNEED)}).
 *
 * <p>This is the Java 21 build, which cannot call native code without preview features: it
 * never advises. The Java 22+ build of this class ({@code src/main/java22}, packed into the jar
 * under {@code META-INF/versions/22}) calls {@code posix_fadvise} through the foreign function API.
 */
final class PageCacheAdvice implements AutoCloseable {

    private PageCacheAdvice() {
    }

    /** Whether advice can be given on this platform and Java version. */
    static boolean supported() {
        return false;
    }

    /** Opens {@code file} for advice; {@code null} if advice is not supported or the file cannot be opened. */
    static PageCacheAdvice open(Path file) {
        return null;
    }

    /** Asks the kernel to drop the clean cached pages of {@code [offset, offset + length)}; best effort. */
    void dontNeed(long offset, long length) {
    }

    @Override
    public void close() {
    }
}
