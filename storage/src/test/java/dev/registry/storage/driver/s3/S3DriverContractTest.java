package dev.registry.storage.driver.s3;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageDriverContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Files;

/**
 * The driver contract against a real S3 server (s3proxy). Parts and copy chunks are S3's minimum
 * (5 MiB) so that the contract's streams span many parts, resumes meet short last parts, and its
 * moves of large objects are parallel multipart copies. s3proxy keeps the objects in its heap
 * (its transient store), which replaces an object atomically as S3 does; its filesystem store
 * rewrites files in place and fails the contract's torn-read check.
 */
class S3DriverContractTest extends StorageDriverContract {
    private static S3ProxyServer server;
    private static S3Client buckets;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3ProxyServer.start(Files.createTempDirectory("s3proxy-"), "1g", "transient");
        buckets = S3TestClients.of(server);
    }

    @AfterAll
    static void stopServer() {
        if (buckets != null) {
            buckets.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** s3proxy's transient store serves a stale length with fresh bytes under a racing PUT. */
    @Override
    protected boolean storeReplacesObjectsAtomically() {
        return false;
    }

    @Override
    protected StorageDriver newDriver() {
        String bucket = S3TestClients.createBucket(buckets, "contract");
        S3Options options = server.options(bucket)
                .withRootDirectory("/registry/root/")
                .withChunkSizes(S3Options.MIN_PART_SIZE, S3Options.MIN_PART_SIZE, S3Options.MIN_PART_SIZE);
        return new S3Driver(options);
    }

    @Override
    protected void closeDriver(StorageDriver driver) {
        ((S3Driver) driver).close();
    }
}
