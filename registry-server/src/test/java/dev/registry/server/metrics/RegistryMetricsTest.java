package dev.registry.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.registry.server.http.Route;
import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.ForwardingWriter;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageWriter;
import dev.registry.storage.driver.filesystem.FilesystemDriver;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryMetricsTest {
    private final RegistryMetrics metrics = RegistryMetrics.create();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        metrics.close();
    }

    /** The value of the sample {@code series} (name and labels as the scrape writes them), or 0 when absent. */
    private double sample(String series) {
        for (String line : metrics.scrape().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        return 0;
    }

    private double requests(String method, String route, String status) {
        return sample("registry_http_requests_seconds_count{method=\"" + method + "\",route=\"" + route
                + "\",status=\"" + status + "\"}");
    }

    private double storage(String driver, String operation, String outcome) {
        return sample("registry_storage_operations_seconds_count{driver=\"" + driver + "\",operation=\"" + operation
                + "\",outcome=\"" + outcome + "\"}");
    }

    @Test
    void requestsAreCountedByMethodRouteAndStatusClass() {
        metrics.completed(HttpMethod.GET, Route.Kind.BLOB, 200, 0, 10, 1_000_000);
        metrics.completed(HttpMethod.GET, Route.Kind.BLOB, 206, 0, 5, 2_000_000);
        metrics.completed(HttpMethod.PATCH, Route.Kind.UPLOAD, 202, 100, 0, 1_000);
        metrics.completed(HttpMethod.POST, Route.Kind.UPLOAD_START, 202, 0, 0, 1_000);
        metrics.completed(HttpMethod.valueOf("OPTIONS"), Route.Kind.NOT_FOUND, 404, 0, 0, 1_000);
        metrics.completed(HttpMethod.valueOf("GET"), Route.Kind.MANIFEST, 503, 0, 0, 1_000);
        metrics.completed(HttpMethod.GET, Route.Kind.BASE, 101, 0, 0, 1_000);

        assertEquals(2, requests("GET", "blob", "2xx"));
        assertEquals(1, requests("PATCH", "blob_upload", "2xx"));
        assertEquals(1, requests("POST", "blob_upload", "2xx"));
        assertEquals(1, requests("other", "other", "4xx"));
        assertEquals(1, requests("GET", "manifest", "5xx"), "a method made elsewhere is still GET");
        assertEquals(1, requests("GET", "base", "1xx"));
        assertEquals(0.003, sample("registry_http_requests_seconds_sum{method=\"GET\",route=\"blob\",status=\"2xx\"}"), 1e-12);
        // 1 ms falls in the 1 ms bucket (le is inclusive), 2 ms in the 5 ms one
        assertEquals(1, sample("registry_http_requests_seconds_bucket{method=\"GET\",route=\"blob\",status=\"2xx\",le=\"0.001\"}"));
        assertEquals(2, sample("registry_http_requests_seconds_bucket{method=\"GET\",route=\"blob\",status=\"2xx\",le=\"0.005\"}"));
        assertEquals(15.0, sample("registry_http_response_bytes_total{route=\"blob\"}"));
        assertEquals(100.0, sample("registry_http_request_bytes_total{route=\"blob_upload\"}"));
    }

    @Test
    void everyRouteHasALabel() {
        for (Route.Kind route : Route.Kind.values()) {
            metrics.completed(HttpMethod.GET, route, 200, 1, 1, 1);
        }
        String scrape = metrics.scrape();
        for (String label : new String[] {"base", "manifest", "blob", "blob_upload", "tags", "catalog", "referrers", "token", "other"}) {
            assertTrue(scrape.contains("registry_http_requests_seconds_count{method=\"GET\",route=\"" + label + "\",status=\"2xx\"}"),
                    label);
        }
    }

    @Test
    void storageOperationsAreTimedByOutcome() throws IOException {
        StorageDriver driver = metrics.meter(new ForwardingDriver(new InMemoryDriver()) {
            @Override
            public void delete(String path) throws IOException {
                throw new IOException("disk on fire");
            }
        });
        driver.putContent("/a", "x".getBytes(StandardCharsets.UTF_8));
        driver.getContent("/a");
        assertThrows(PathNotFoundException.class, () -> driver.getContent("/missing"));
        assertThrows(IOException.class, () -> driver.delete("/a"));

        assertEquals(1, storage("inmemory", "put_content", "success"));
        assertEquals(1, storage("inmemory", "get_content", "success"));
        assertEquals(1, storage("inmemory", "get_content", "not_found"));
        assertEquals(1, storage("inmemory", "delete", "error"));
        assertEquals(0, storage("inmemory", "delete", "success"));
    }

    @Test
    void writersAreTimedAtCommitAndReadersStayFileChannels() throws IOException {
        StorageDriver driver = metrics.meter(new FilesystemDriver(dir));
        try (StorageWriter writer = driver.writer("/upload", false)) {
            writer.writeAll(new ByteBuffer[] {ByteBuffer.wrap(new byte[] {1, 2}), ByteBuffer.wrap(new byte[] {3})});
            assertEquals(3, writer.size());
            writer.commit();
        }
        driver.move("/upload", "/blob");
        try (var reader = driver.reader("/blob", 1)) {
            // zero-copy sends depend on the filesystem driver's FileChannel getting through
            assertInstanceOf(FileChannel.class, reader);
        }
        assertEquals(1, storage("filesystem", "writer", "success"));
        assertEquals(1, storage("filesystem", "writer_commit", "success"));
        assertEquals(1, storage("filesystem", "move", "success"));
        assertEquals(1, storage("filesystem", "reader", "success"));
    }

    @Test
    void meteredWritersPassOnTheirContentTag() throws IOException {
        StorageDriver driver = metrics.meter(new ForwardingDriver(new InMemoryDriver()) {
            @Override
            public StorageWriter writer(String path, boolean append) throws IOException {
                return new ForwardingWriter(super.writer(path, append)) {
                    @Override
                    public String contentTag() {
                        return "tag-of-" + size();
                    }
                };
            }
        });
        try (StorageWriter writer = driver.writer("/upload", false)) {
            writer.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertEquals("tag-of-3", writer.contentTag());
        }
    }

    /**
     * A method the metered driver or its writer does not override falls to the interface's
     * default instead of the real backend's: contentTag() did, which turned off the S3 and GCS
     * guard against one chunk sent to two replicas whenever metrics were on.
     */
    @Test
    void meteredDriverAndWritersOverrideEveryMethodOfTheirInterfaces() throws IOException {
        StorageDriver driver = metrics.meter(new InMemoryDriver());
        assertOverridesAll(StorageDriver.class, driver.getClass());
        try (StorageWriter writer = driver.writer("/upload", false)) {
            assertOverridesAll(StorageWriter.class, writer.getClass());
        }
    }

    private static void assertOverridesAll(Class<?> api, Class<?> implementation) {
        for (Method method : api.getMethods()) {
            if (Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            try {
                Method implemented = implementation.getMethod(method.getName(), method.getParameterTypes());
                assertTrue(!implemented.isDefault() && implemented.getDeclaringClass() == implementation,
                        implementation.getName() + " inherits " + method + " instead of passing it on");
            } catch (NoSuchMethodException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void caffeineCachesAndHandCountedCachesShareOneFamily() {
        Cache<String, String> cache = Caffeine.newBuilder().recordStats().build();
        metrics.monitor("manifest_content", cache);
        cache.put("a", "1");
        cache.getIfPresent("a");
        cache.getIfPresent("b");
        RegistryMetrics.CacheCounters remote = metrics.cacheCounters("proxy_docker_io");
        remote.hit();
        remote.hit();
        remote.miss();

        String scrape = metrics.scrape();
        assertTrue(scrape.contains("cache_gets_total{cache=\"manifest_content\",result=\"hit\"} 1.0"), scrape);
        assertTrue(scrape.contains("cache_gets_total{cache=\"manifest_content\",result=\"miss\"} 1.0"), scrape);
        assertTrue(scrape.contains("cache_gets_total{cache=\"proxy_docker_io\",result=\"hit\"} 2.0"), scrape);
        assertTrue(scrape.contains("cache_gets_total{cache=\"proxy_docker_io\",result=\"miss\"} 1.0"), scrape);
    }

    @Test
    void noCacheCountersCountNothing() {
        RegistryMetrics.CacheCounters.NONE.hit();
        RegistryMetrics.CacheCounters.NONE.miss();
        assertEquals(0.0, RegistryMetrics.CacheCounters.NONE.hits().count());
    }

    @Test
    void jvmFamiliesAreBound() {
        String scrape = metrics.scrape();
        for (String family : new String[] {"jvm_memory_used_bytes", "jvm_gc_memory_allocated_bytes_total",
                "jvm_threads_live_threads", "jvm_buffer_memory_used_bytes", "process_cpu_usage"}) {
            assertTrue(scrape.contains("\n" + family), family);
        }
    }
}
