package dev.registry.storage.driver.s3;

import dev.registry.storage.GarbageCollectorContract;
import dev.registry.storage.driver.StorageDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Files;

/** Garbage collection on the S3 driver against s3proxy (whole-second modification times, as S3). */
class S3GarbageCollectorTest extends GarbageCollectorContract {
    private static S3ProxyServer server;
    private static S3Client buckets;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3ProxyServer.start(Files.createTempDirectory("s3proxy-"), "512m", "transient");
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

    @Override
    protected StorageDriver newDriver() {
        String bucket = S3TestClients.createBucket(buckets, "gc");
        return new S3Driver(server.options(bucket).withRootDirectory("/registry/"));
    }

    @Override
    protected void closeDriver(StorageDriver driver) {
        ((S3Driver) driver).close();
    }
}
