package dev.registry.server;

import dev.registry.config.ConfigException;
import dev.registry.config.RegistryConfig;
import dev.registry.config.S3Config;
import dev.registry.storage.driver.s3.S3Driver;
import dev.registry.storage.driver.s3.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same push and pull flows as {@link RegistryServerTest} on {@code storage.s3} against a real
 * S3 server (s3proxy, in its own JVM), with redirects off so that the registry serves the bytes;
 * and the startup check's one-sentence errors for a wrong bucket, credentials and endpoint.
 */
class S3RegistryServerTest extends RegistryServerTest {
    private static S3ProxyServer s3;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3ProxyServer.start();
        server = RegistryServer.start(config(s3Config(s3.createBucket("server"), S3ProxyServer.SECRET_KEY, s3.endpoint())));
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    private static S3Config s3Config(String bucket, String secret, URI endpoint) {
        return new S3Config(S3ProxyServer.ACCESS_KEY, secret, null, S3ProxyServer.REGION, endpoint, true, bucket,
                "/registry", false, null, false, false, 5 * 1024 * 1024, 32L << 20, 10, 32L << 20, "STANDARD", false, "off");
    }

    private static RegistryConfig config(S3Config s3Config) {
        return TestServers.config(s3Config, true);
    }

    @Test
    void configuredDriverIsTheS3One() {
        assertInstanceOf(S3Driver.class, server.registry().driver());
    }

    private static String startupError(S3Config s3Config) {
        ConfigException e = assertThrows(ConfigException.class, () -> RegistryServer.start(config(s3Config)));
        assertTrue(e.getMessage().endsWith("."), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aMissingBucketStopsStartupNamingTheBucketKey() {
        String message = startupError(s3Config("no-such-bucket", S3ProxyServer.SECRET_KEY, s3.endpoint()));
        assertTrue(message.startsWith("storage.s3.bucket (REGISTRY_STORAGE_S3_BUCKET): bucket 'no-such-bucket'"), message);
        assertTrue(message.endsWith("does not exist: create the bucket or correct the name."), message);
    }

    @Test
    void wrongCredentialsStopStartupNamingTheKeys() {
        String message = startupError(s3Config(s3.createBucket("creds"), "wrong-secret", s3.endpoint()));
        assertTrue(message.startsWith("storage.s3.accesskey and storage.s3.secretkey (REGISTRY_STORAGE_S3_ACCESSKEY, "
                + "REGISTRY_STORAGE_S3_SECRETKEY): bucket '"), message);
        assertTrue(message.contains("refused the credentials (HTTP 403)"), message);
    }

    @Test
    void anUnreachableEndpointStopsStartupNamingTheEndpointKey() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        String message = startupError(s3Config(s3.createBucket("endpoint"), S3ProxyServer.SECRET_KEY,
                URI.create("http://127.0.0.1:" + closed)));
        assertTrue(message.startsWith("storage.s3.regionendpoint (REGISTRY_STORAGE_S3_REGIONENDPOINT): bucket '"), message);
        assertTrue(message.contains("cannot be reached"), message);
    }

    /** With redirects off, pulls are relayed from the store's signed URLs, not read through the SDK. */
    @Test
    void pullsAreRelayedFromSignedUrls() throws Exception {
        RelayedPulls.assertRelayed(config(s3Config(s3.createBucket("relay"), S3ProxyServer.SECRET_KEY, s3.endpoint())));
    }
}
