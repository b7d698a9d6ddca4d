package dev.registry.server;

import dev.registry.config.RegistryConfig;
import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.ReadableByteChannel;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Checks, against a real object store, that with redirects off a blob pull is relayed from the
 * URL the store signs (the driver's reader is never opened) and arrives exact, whole and ranged.
 */
final class RelayedPulls {
    private RelayedPulls() {
    }

    /** @param config a configuration with {@code storage.redirect.disable: true} on an object store */
    static void assertRelayed(RegistryConfig config) throws Exception {
        CountingDriver driver = new CountingDriver(StorageDriverFactory.open(config.storage().driver()));
        RegistryServer server = RegistryServer.start(config, driver);
        try {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port();
            byte[] blob = new byte[6 * 1024 * 1024 + 3];
            new Random(5).nextBytes(blob);
            String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
            assertEquals(201, http.send(HttpRequest.newBuilder(URI.create(base + "/v2/relay/check/blobs/uploads/?digest=" + digest))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(), HttpResponse.BodyHandlers.discarding()).statusCode());
            HttpResponse<byte[]> whole = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/relay/check/blobs/" + digest)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, whole.statusCode());
            assertArrayEquals(blob, whole.body());
            HttpResponse<byte[]> ranged = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/relay/check/blobs/" + digest))
                    .header("Range", "bytes=4194000-5000000").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, ranged.statusCode());
            assertArrayEquals(Arrays.copyOfRange(blob, 4194000, 5000001), ranged.body());
            assertEquals(0, driver.blobReaderOpens.get(), "blob bodies came through the driver's reader, not the signed URL");
        } finally {
            server.close();
        }
    }

    private static final class CountingDriver extends ForwardingDriver {
        final AtomicInteger blobReaderOpens = new AtomicInteger();

        CountingDriver(StorageDriver delegate) {
            super(delegate);
        }

        @Override
        public ReadableByteChannel reader(String path, long offset) throws IOException {
            if (path.contains("/blobs/") && path.endsWith("/data")) {
                blobReaderOpens.incrementAndGet();
            }
            return delegate.reader(path, offset);
        }
    }
}
