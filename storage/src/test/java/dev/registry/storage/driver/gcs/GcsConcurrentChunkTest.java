package dev.registry.storage.driver.gcs;

import dev.registry.storage.ConcurrentChunkContract;
import dev.registry.storage.driver.StorageDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link ConcurrentChunkContract} on GCS ({@link FakeGcsServer}): only one of two appends to a
 * generation can finish, and the loser's hash state must not be taken for the winner's bytes.
 */
class GcsConcurrentChunkTest extends ConcurrentChunkContract {
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static FakeGcsServer fake;
    private static FakeGcsServer.ServiceAccount account;

    @BeforeAll
    static void startFake() throws Exception {
        fake = FakeGcsServer.start();
        fake.requireCredentials();
        account = fake.newServiceAccount("registry@fake-project.iam.gserviceaccount.com");
    }

    @AfterAll
    static void stopFake() {
        if (fake != null) {
            fake.close();
        }
    }

    @Override
    protected List<StorageDriver> replicasOfOneStore(int count) throws Exception {
        String bucket = "race-" + BUCKETS.incrementAndGet();
        fake.createBucket(bucket);
        List<StorageDriver> drivers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            drivers.add(GcsDriver.open(new GcsSettings(bucket, Optional.of(account.json()), "registry",
                    4 * GcsSettings.CHUNK_GRANULARITY, Optional.of(fake.endpoint()), false)));
        }
        return drivers;
    }
}
