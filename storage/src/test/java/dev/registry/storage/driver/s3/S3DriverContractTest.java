package dev.registry.storage.driver.s3;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageDriverContract;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The driver contract against a real S3 server (s3proxy). Parts and copy chunks are S3's minimum
 * (5 MiB) so that the contract's streams span many parts, resumes meet short last parts, and its
 * moves of large objects are parallel multipart copies. s3proxy keeps the objects in its heap
 * (its transient store), which replaces an object atomically as S3 does; its filesystem store
 * rewrites files in place and fails the contract's torn-read check.
 */
class S3DriverContractTest extends StorageDriverContract {
    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.inHeap("1g");

    /** s3proxy's transient store serves a stale length with fresh bytes under a racing PUT. */
    @Override
    protected boolean storeReplacesObjectsAtomically() {
        return false;
    }

    @Override
    protected StorageDriver newDriver() {
        S3Options options = S3.options(S3.newBucket("contract"))
                .withRootDirectory("/registry/root/")
                .withChunkSizes(S3Options.MIN_PART_SIZE, S3Options.MIN_PART_SIZE, S3Options.MIN_PART_SIZE);
        return new S3Driver(options);
    }

    @Override
    protected void closeDriver(StorageDriver driver) {
        ((S3Driver) driver).close();
    }
}
