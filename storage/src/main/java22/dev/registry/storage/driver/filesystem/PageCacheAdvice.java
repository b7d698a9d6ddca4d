package dev.registry.storage.driver.filesystem;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Tells the kernel that a range of a file will not be read again soon, so that its cached pages,
 * once written back, can be freed ({@code posix_fadvise(POSIX_FADV_DONTNEED)}).
 *
 * <p>Java 22+ build: calls the C library through the foreign function API, on Linux on x86-64
 * and AArch64, where the constants below hold. The advice goes through a read-only descriptor of
 * its own, as the page cache belongs to the file, not to the descriptor that wrote it.
 */
final class PageCacheAdvice implements AutoCloseable {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int POSIX_FADV_DONTNEED = 4;

    private static final MethodHandle OPEN;
    private static final MethodHandle FADVISE;
    private static final MethodHandle CLOSE;

    static {
        MethodHandle open = null;
        MethodHandle fadvise = null;
        MethodHandle close = null;
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.equals("linux") && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                open = linker.downcallHandle(libc.find("open").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                        Linker.Option.firstVariadicArg(2));
                fadvise = linker.downcallHandle(libc.find("posix_fadvise").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                close = linker.downcallHandle(libc.find("close").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            } catch (RuntimeException | LinkageError unavailable) {
                // native access refused (--enable-native-access) or no C library: never advise
                open = null;
            }
        }
        OPEN = open;
        FADVISE = fadvise;
        CLOSE = close;
    }

    private final int fd;
    private boolean closed;

    private PageCacheAdvice(int fd) {
        this.fd = fd;
    }

    /** Whether advice can be given on this platform and Java version. */
    static boolean supported() {
        return OPEN != null;
    }

    /** Opens {@code file} for advice; {@code null} if advice is not supported or the file cannot be opened. */
    static PageCacheAdvice open(Path file) {
        if (OPEN == null) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment path = arena.allocateFrom(file.toString());
            int fd = (int) OPEN.invokeExact(path, O_RDONLY | O_CLOEXEC);
            return fd < 0 ? null : new PageCacheAdvice(fd);
        } catch (Throwable e) {
            return null;
        }
    }

    /** Asks the kernel to drop the clean cached pages of {@code [offset, offset + length)}; best effort. */
    synchronized void dontNeed(long offset, long length) {
        if (closed || length <= 0) {
            return;
        }
        try {
            int ignored = (int) FADVISE.invokeExact(fd, offset, length, POSIX_FADV_DONTNEED);
        } catch (Throwable e) {
            // advice only: the pages stay cached
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable e) {
            // nothing to do about a failed close of a read-only descriptor
        }
    }
}
