package dev.registry.storage.driver.gcs;

import dev.registry.storage.ConcurrentChunkContract;
import dev.registry.storage.driver.StorageDriver;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link ConcurrentChunkContract} on GCS ({@link FakeGcsServer}): only one of two appends to a
 * generation can finish, and the loser's hash state must not be taken for the winner's bytes.
 */
class GcsConcurrentChunkTest extends ConcurrentChunkContract {
    @RegisterExtension
    static final FakeGcsExtension GCS = new FakeGcsExtension();

    @Override
    protected List<StorageDriver> replicasOfOneStore(int count) throws Exception {
        String bucket = GCS.newBucket("race");
        List<StorageDriver> drivers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            drivers.add(GCS.openDriver(bucket, "registry", 4 * GcsSettings.CHUNK_GRANULARITY));
        }
        return drivers;
    }
}
