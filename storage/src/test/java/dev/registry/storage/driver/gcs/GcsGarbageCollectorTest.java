package dev.registry.storage.driver.gcs;

import dev.registry.storage.GarbageCollectorContract;
import dev.registry.storage.driver.StorageDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Garbage collection on the GCS driver against {@link FakeGcsServer}. */
class GcsGarbageCollectorTest extends GarbageCollectorContract {
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
    protected StorageDriver newDriver() throws Exception {
        String bucket = "gc-" + BUCKETS.incrementAndGet();
        fake.createBucket(bucket);
        return GcsDriver.open(new GcsSettings(bucket, Optional.of(account.json()), "registry",
                4 * GcsSettings.CHUNK_GRANULARITY, Optional.of(fake.endpoint()), false));
    }
}
