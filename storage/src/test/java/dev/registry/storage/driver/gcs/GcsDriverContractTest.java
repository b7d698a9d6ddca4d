package dev.registry.storage.driver.gcs;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageDriverContract;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The GCS driver, through the real google-cloud-storage client, against the common driver contract
 * on {@link FakeGcsServer}: a fresh bucket per test, a service-account key (so the client fetches
 * OAuth tokens and signs redirect URLs), a root directory and a 256 KiB chunk size, so that the
 * contract's streams take many resumable-upload requests.
 */
class GcsDriverContractTest extends StorageDriverContract {
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
        String bucket = "contract-" + BUCKETS.incrementAndGet();
        fake.createBucket(bucket);
        return GcsDriver.open(new GcsSettings(bucket, Optional.of(account.json()), "registry/root",
                GcsSettings.CHUNK_GRANULARITY, Optional.of(fake.endpoint()), false));
    }
}
