package dev.registry.e2e.replicas;

import java.nio.file.Path;

/** Three replicas on one shared directory (as on a shared volume). */
class FilesystemReplicasE2ETest extends SharedStoreReplicasContract {
    @Override
    protected String storageYaml(Path work) {
        return "  filesystem:\n    rootdirectory: " + work.resolve("shared-storage");
    }
}
