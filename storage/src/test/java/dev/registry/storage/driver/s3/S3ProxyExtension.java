package dev.registry.storage.driver.s3;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@link S3ProxyServer} for a test class, registered on a static field with
 * {@code @RegisterExtension}: started before the class's first test and stopped after its last.
 * Drivers opened through {@link #openDriver} are closed after each test.
 */
public final class S3ProxyExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
    private final String provider;
    private final String maxHeap;
    private final List<S3Driver> opened = new ArrayList<>();
    private S3ProxyServer server;
    private S3Client client;

    private S3ProxyExtension(String provider, String maxHeap) {
        this.provider = provider;
        this.maxHeap = maxHeap;
    }

    /**
     * s3proxy keeping objects in its heap of {@code maxHeap}: that store replaces an object
     * atomically, as S3 does (see {@link S3ProxyServer#start(java.nio.file.Path, String, String)}).
     */
    public static S3ProxyExtension inHeap(String maxHeap) {
        return new S3ProxyExtension("transient", maxHeap);
    }

    /** s3proxy keeping buckets as directories, whose files a test may look at ({@link S3ProxyServer#filesOf}). */
    public static S3ProxyExtension onDisk() {
        return new S3ProxyExtension("filesystem", "256m");
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        server = S3ProxyServer.start(Files.createTempDirectory("s3proxy-"), maxHeap, provider);
        client = S3TestClients.of(server);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        synchronized (opened) {
            opened.forEach(S3Driver::close);
            opened.clear();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    public S3ProxyServer server() {
        return server;
    }

    /** A path-style SDK client of the server with its credentials, for set-up and assertions. */
    public S3Client client() {
        return client;
    }

    /** A new empty bucket named {@code prefix-<random>}, made through the API (so on either store). */
    public String newBucket(String prefix) {
        return S3TestClients.createBucket(client, prefix);
    }

    /** Driver options for {@code bucket} on the server, with registry:2's other defaults. */
    public S3Options options(String bucket) {
        return server.options(bucket);
    }

    /** A driver with {@code options}, closed after the current test. */
    public S3Driver openDriver(S3Options options) {
        S3Driver driver = new S3Driver(options);
        synchronized (opened) {
            opened.add(driver);
        }
        return driver;
    }
}
