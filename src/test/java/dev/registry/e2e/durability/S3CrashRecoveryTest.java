package dev.registry.e2e.durability;

import dev.registry.e2e.RegistryProcess;
import dev.registry.storage.driver.s3.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link CrashRecoveryTest} on S3: the packaged server on an s3proxy bucket, killed with SIGKILL
 * mid-push and restarted on the same bucket (s3proxy keeps running, as S3 would).
 */
class S3CrashRecoveryTest extends CrashRecoveryTest {
    private static S3ProxyServer s3;
    private static String bucket;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start();
        bucket = s3.createBucket("crash");
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    /** Every blob completion is a multipart completion and a server-side copy: slower than a rename. */
    @Override
    protected Duration pushPhase() {
        return Duration.ofSeconds(120);
    }

    @Override
    protected RegistryProcess startRegistry() throws Exception {
        int port = RegistryProcess.freePort();
        Path dir = Files.createDirectories(root.resolveSibling("s3-conf-" + port));
        Path config = RegistryProcess.writeConfig(dir, port, RegistryProcess.s3Storage(s3, bucket, "/registry", false), "");
        return RegistryProcess.startWithConfig(config, port, Map.of(), Duration.ofSeconds(90));
    }

    /** The committed objects under blobs/ as s3proxy's filesystem store keeps them (unfinished parts are elsewhere). */
    @Override
    protected Map<String, byte[]> publishedBlobs() throws IOException {
        Map<String, byte[]> published = new HashMap<>();
        String marker = "/registry/docker/registry/v2/blobs/sha256/";
        for (Path file : s3.filesOf(bucket)) {
            String path = file.toString().replace('\\', '/');
            int at = path.indexOf(marker);
            if (at >= 0 && path.endsWith("/data")) {
                String hex = Path.of(path).getParent().getFileName().toString();
                published.put("sha256:" + hex, Files.readAllBytes(file));
            }
        }
        return published;
    }
}
