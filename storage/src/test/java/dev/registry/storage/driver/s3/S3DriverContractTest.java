package dev.registry.storage.driver.s3;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageDriverContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The driver contract against a real S3 server (s3proxy). Parts and copy chunks are S3's minimum
 * (5 MiB) so that the contract's streams span many parts, resumes meet short last parts, and its
 * moves of large objects are parallel multipart copies.
 */
class S3DriverContractTest extends StorageDriverContract {
    private static S3ProxyServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3ProxyServer.start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected StorageDriver newDriver() {
        S3Options options = server.options(server.createBucket("contract"))
                .withRootDirectory("/registry/root/")
                .withChunkSizes(S3Options.MIN_PART_SIZE, S3Options.MIN_PART_SIZE, S3Options.MIN_PART_SIZE);
        return new S3Driver(options);
    }

    @Override
    protected void closeDriver(StorageDriver driver) {
        ((S3Driver) driver).close();
    }
}
