package dev.registry.e2e.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A containers/storage store of a test's own, for podman and buildah: vfs driver, graph root under
 * {@code dir}, and a {@code storage.conf} naming both, so the machine's own images are never
 * touched. The run root and temporary files go to a short directory under /tmp, because podman
 * refuses a run root longer than 50 characters.
 */
record PrivateContainersStorage(Path dir, Path run) {

    static PrivateContainersStorage create(Path dir) {
        try {
            Path run = Files.createTempDirectory(Path.of("/tmp"), "e2e-storage-");
            Files.createDirectories(run.resolve("tmp"));
            Files.createDirectories(dir);
            PrivateContainersStorage storage = new PrivateContainersStorage(dir, run);
            Files.writeString(dir.resolve("storage.conf"), """
                    [storage]
                    driver = "vfs"
                    runroot = "%s"
                    graphroot = "%s"
                    """.formatted(storage.runRoot(), storage.graphRoot()));
            return storage;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path graphRoot() {
        return dir.resolve("root");
    }

    Path runRoot() {
        return run.resolve("run");
    }

    Path tmp() {
        return run.resolve("tmp");
    }

    /** The global flags that podman and buildah both take for this store. */
    List<String> flags() {
        return List.of("--root", graphRoot().toString(), "--runroot", runRoot().toString(), "--storage-driver", "vfs");
    }

    /** The environment that points containers/storage and temporary files here. */
    Map<String, String> environment() {
        return Map.of("CONTAINERS_STORAGE_CONF", dir.resolve("storage.conf").toString(), "TMPDIR", tmp().toString());
    }

    /** Removes the /tmp directory (the graph root goes with the test's work directory). */
    void removeRunDirectory() {
        Cli.of("rm", "-rf", run.toString()).run();
    }
}
