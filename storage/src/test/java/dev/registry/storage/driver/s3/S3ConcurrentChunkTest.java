package dev.registry.storage.driver.s3;

import dev.registry.storage.ConcurrentChunkContract;
import dev.registry.storage.driver.StorageDriver;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link ConcurrentChunkContract} on S3 (s3proxy): there both replicas' parts are accepted under
 * one part number and S3 keeps the later one, so only the content tag tells the states apart.
 */
class S3ConcurrentChunkTest extends ConcurrentChunkContract {
    @RegisterExtension
    static final S3ProxyExtension S3 = S3ProxyExtension.inHeap("512m");

    @Override
    protected int prefixSize() {
        return S3Options.MIN_PART_SIZE; // a whole part: the chunk after it is the upload's second part
    }

    @Override
    protected List<StorageDriver> replicasOfOneStore(int count) {
        S3Options options = S3.options(S3.newBucket("race")).withRootDirectory("/registry/");
        List<StorageDriver> drivers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            drivers.add(S3.openDriver(options));
        }
        return drivers;
    }
}
