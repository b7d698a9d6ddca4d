package dev.registry.storage.driver.gcs;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageDriverContract;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The GCS driver, through the real google-cloud-storage client, against the common driver contract
 * on {@link FakeGcsServer}: a fresh bucket per test, a service-account key (so the client fetches
 * OAuth tokens and signs redirect URLs), a root directory and a 256 KiB chunk size, so that the
 * contract's streams take many resumable-upload requests.
 */
class GcsDriverContractTest extends StorageDriverContract {
    @RegisterExtension
    static final FakeGcsExtension GCS = new FakeGcsExtension();

    @Override
    protected StorageDriver newDriver() throws Exception {
        return GCS.openDriver(GCS.newBucket("contract"), "registry/root", GcsSettings.CHUNK_GRANULARITY);
    }
}
