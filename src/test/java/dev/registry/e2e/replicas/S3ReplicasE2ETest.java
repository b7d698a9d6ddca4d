package dev.registry.e2e.replicas;

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
        return s3Yaml(s3, s3.createBucket("replicas"));
    }

    /** The {@code storage:} entries for one bucket of {@code s3}, parts of S3's minimum size. */
    static String s3Yaml(S3ProxyServer s3, String bucket) {
        return String.join("\n",
                "  s3:",
                "    accesskey: " + S3ProxyServer.ACCESS_KEY,
                "    secretkey: " + S3ProxyServer.SECRET_KEY,
                "    region: " + S3ProxyServer.REGION,
                "    regionendpoint: " + s3.endpoint(),
                "    forcepathstyle: true",
                "    bucket: " + bucket,
                "    rootdirectory: /registry",
                "    chunksize: 5242880",
                "  redirect:",
                "    disable: true");
    }
}
