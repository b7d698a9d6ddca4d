package dev.registry.storage.driver.s3;

import dev.registry.storage.GarbageCollectorContract;
import dev.registry.storage.driver.StorageDriver;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Garbage collection on the S3 driver against s3proxy (whole-second modification times, as S3). */
class S3GarbageCollectorTest extends GarbageCollectorContract {
    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.inHeap("512m");

    @Override
    protected StorageDriver newDriver() {
        return new S3Driver(S3.options(S3.newBucket("gc")).withRootDirectory("/registry/"));
    }

    @Override
    protected void closeDriver(StorageDriver driver) {
        ((S3Driver) driver).close();
    }
}
