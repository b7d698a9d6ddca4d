package dev.registry.storage.driver.s3;

import dev.registry.storage.ConcurrentChunkContract;
import dev.registry.storage.driver.StorageDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link ConcurrentChunkContract} on S3 (s3proxy): there both replicas' parts are accepted under
 * one part number and S3 keeps the later one, so only the content tag tells the states apart.
 */
class S3ConcurrentChunkTest extends ConcurrentChunkContract {
    private static S3ProxyServer server;
    private static S3Client buckets;
    private final List<S3Driver> opened = new ArrayList<>();

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

    @AfterEach
    void closeDrivers() {
        opened.forEach(S3Driver::close);
    }

    @Override
    protected int prefixSize() {
        return S3Options.MIN_PART_SIZE; // a whole part: the chunk after it is the upload's second part
    }

    @Override
    protected List<StorageDriver> replicasOfOneStore(int count) {
        String bucket = S3TestClients.createBucket(buckets, "race");
        List<StorageDriver> drivers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            S3Driver driver = new S3Driver(server.options(bucket).withRootDirectory("/registry/"));
            opened.add(driver);
            drivers.add(driver);
        }
        return drivers;
    }
}
