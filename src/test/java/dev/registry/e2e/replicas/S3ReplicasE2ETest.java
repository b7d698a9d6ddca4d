package dev.registry.e2e.replicas;

import dev.registry.e2e.RegistryProcess;
import dev.registry.storage.driver.s3.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Path;

/**
 * Three replicas on one S3 bucket (s3proxy in its own JVM, a fresh bucket per test), with
 * redirects off so that the replicas serve the bytes the tests compare.
 */
class S3ReplicasE2ETest extends SharedStoreReplicasContract {
    private static S3ProxyServer s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start();
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    @Override
    protected String storageYaml(Path work) {
        return RegistryProcess.s3Storage(s3, s3.createBucket("replicas"), "/registry", false);
    }
}
