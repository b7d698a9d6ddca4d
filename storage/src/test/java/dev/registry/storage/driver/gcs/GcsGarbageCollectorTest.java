package dev.registry.storage.driver.gcs;

import dev.registry.storage.GarbageCollectorContract;
import dev.registry.storage.driver.StorageDriver;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Garbage collection on the GCS driver against {@link FakeGcsServer}. */
class GcsGarbageCollectorTest extends GarbageCollectorContract {
    @RegisterExtension
    static final FakeGcsExtension GCS = new FakeGcsExtension();

    @Override
    protected StorageDriver newDriver() throws Exception {
        return GCS.openDriver(GCS.newBucket("gc"), "registry", 4 * GcsSettings.CHUNK_GRANULARITY);
    }
}
