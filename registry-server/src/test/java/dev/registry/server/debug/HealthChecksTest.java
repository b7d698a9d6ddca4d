package dev.registry.server.debug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.registry.config.HealthConfig;
import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class HealthChecksTest {
    private static final Duration FAST = Duration.ofMillis(20);

    @TempDir
    Path dir;

    /** A driver whose listing of the root does what the test says. */
    private static final class SwitchableDriver extends ForwardingDriver {
        final AtomicReference<IOException> failure = new AtomicReference<>();
        final AtomicInteger listings = new AtomicInteger();
        volatile CountDownLatch hold;
        volatile boolean failEveryButFourth;

        SwitchableDriver() {
            super(new InMemoryDriver());
        }

        @Override
        public List<String> list(String path) throws IOException {
            int call = listings.incrementAndGet();
            if (failEveryButFourth && call % 4 != 0) {
                throw new IOException("down");
            }
            CountDownLatch latch = hold;
            if (latch != null) {
                try {
                    latch.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            IOException e = failure.get();
            if (e != null) {
                throw e;
            }
            return super.list(path);
        }
    }

    private static HealthConfig storage(boolean enabled, int threshold) {
        return new HealthConfig(new HealthConfig.StorageDriverCheck(enabled, FAST, threshold), List.of(), List.of(), List.of());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void emptyStorageIsHealthyAndReady() throws Exception {
        // an in-memory driver with nothing stored has no root: not found means the backend answered
        try (HealthChecks health = HealthChecks.start(storage(true, 0), new InMemoryDriver())) {
            await(() -> health.storageUnready() == null, "storage is ready");
            assertEquals(Map.of(), health.failing());
            assertEquals("storagedriver_inmemory", health.storageCheckName());
        }
    }

    @Test
    void storageFailsOnAnyOtherErrorAndRecoversByItself() throws Exception {
        SwitchableDriver driver = new SwitchableDriver();
        try (HealthChecks health = HealthChecks.start(storage(true, 0), driver)) {
            await(() -> health.storageUnready() == null, "storage is ready");
            driver.failure.set(new java.nio.file.FileSystemException("/data", null, "Too many levels of symbolic links"));
            await(() -> !health.failing().isEmpty(), "the check fails");
            assertEquals(Map.of("storagedriver_inmemory", "FileSystemException: /data: Too many levels of symbolic links"),
                    health.failing());
            assertEquals("FileSystemException: /data: Too many levels of symbolic links", health.storageUnready());
            driver.failure.set(null);
            await(() -> health.failing().isEmpty(), "the check passes again");
            assertNull(health.storageUnready());
        }
    }

    @Test
    void storageNotFoundAtTheRootIsHealthy() throws Exception {
        SwitchableDriver driver = new SwitchableDriver();
        driver.failure.set(new PathNotFoundException("/"));
        try (HealthChecks health = HealthChecks.start(storage(true, 0), driver)) {
            await(() -> driver.listings.get() >= 3, "three checks ran");
            assertEquals(Map.of(), health.failing());
            assertNull(health.storageUnready());
        }
    }

    @Test
    void thresholdNeedsThatManyFailuresInARow() throws Exception {
        // three failures, one success, again and again
        SwitchableDriver fourNotThree = new SwitchableDriver();
        fourNotThree.failEveryButFourth = true;
        try (HealthChecks health = HealthChecks.start(storage(true, 4), fourNotThree)) {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
            while (System.nanoTime() < until) {
                assertEquals(Map.of(), health.failing(), "never four failures in a row");
                Thread.sleep(2);
            }
            assertTrue(fourNotThree.listings.get() >= 8, "several rounds ran: " + fourNotThree.listings.get());
        }
        SwitchableDriver three = new SwitchableDriver();
        three.failEveryButFourth = true;
        try (HealthChecks health = HealthChecks.start(storage(true, 3), three)) {
            await(() -> !health.failing().isEmpty(), "three failures in a row count");
        }
    }

    @Test
    void disabledStorageCheckStillDecidesReadinessButIsNotReported() throws Exception {
        SwitchableDriver driver = new SwitchableDriver();
        driver.failure.set(new IOException("down"));
        try (HealthChecks health = HealthChecks.start(storage(false, 0), driver)) {
            await(() -> health.storageUnready() != null && !health.storageUnready().equals("not checked yet"), "checked");
            assertEquals("down", health.storageUnready());
            assertEquals(Map.of(), health.failing(), "registry:2 reports it only with health.storagedriver.enabled");
        }
    }

    @Test
    void storageIsNotReadyBeforeItsFirstCheckAndAHungCheckFails() throws Exception {
        SwitchableDriver driver = new SwitchableDriver();
        CountDownLatch hold = new CountDownLatch(1);
        driver.hold = hold;
        try (HealthChecks health = HealthChecks.start(storage(true, 0), driver)) {
            assertEquals("not checked yet", health.storageUnready());
            await(() -> !health.failing().isEmpty(), "the hung check counts as failing");
            assertEquals("no answer within 0.02s", health.failing().get("storagedriver_inmemory"));
            int calls = driver.listings.get();
            Thread.sleep(100);
            assertEquals(calls, driver.listings.get(), "no second call while the first hangs");
            driver.hold = null;
            hold.countDown();
            await(() -> health.failing().isEmpty(), "healthy once it answers");
        }
    }

    @Test
    void fileCheckFailsWhileTheFileExists() throws Exception {
        Path down = dir.resolve("down");
        HealthConfig config = new HealthConfig(HealthConfig.StorageDriverCheck.DEFAULTS,
                List.of(new HealthConfig.FileCheck(down, FAST)), List.of(), List.of());
        try (HealthChecks health = HealthChecks.start(config, new InMemoryDriver())) {
            Thread.sleep(60);
            assertEquals(Map.of(), health.failing());
            Files.writeString(down, "");
            await(() -> !health.failing().isEmpty(), "the file check fails");
            assertEquals(Map.of(down.toString(), "file exists"), health.failing());
            Files.delete(down);
            await(() -> health.failing().isEmpty(), "the file check passes");
        }
    }

    @Test
    void httpCheckSendsHeadWithHeadersAndWantsTheStatus() throws Exception {
        AtomicInteger status = new AtomicInteger(204);
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", exchange -> {
            seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + exchange.getRequestHeaders().get("X-Token"));
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
        backend.start();
        try {
            URI uri = URI.create("http://127.0.0.1:" + backend.getAddress().getPort() + "/ping?x=1");
            HealthConfig config = new HealthConfig(HealthConfig.StorageDriverCheck.DEFAULTS, List.of(),
                    List.of(new HealthConfig.HttpCheck(uri, Map.of("X-Token", List.of("a", "b")), 204, Duration.ofSeconds(5), FAST, 0)), List.of());
            try (HealthChecks health = HealthChecks.start(config, new InMemoryDriver())) {
                await(() -> seen.size() >= 2, "two checks ran");
                assertEquals("HEAD /ping?x=1 [a, b]", seen.get(0));
                assertEquals(Map.of(), health.failing());
                status.set(200);
                await(() -> !health.failing().isEmpty(), "a 200 where 204 is wanted fails");
                assertEquals(Map.of(uri.toString(), "answered 200 where 204 was expected"), health.failing());
            }
        } finally {
            backend.stop(0);
        }
    }

    @Test
    void tcpCheckWantsAConnection() throws Exception {
        java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        int port = server.getLocalPort();
        HealthConfig config = new HealthConfig(HealthConfig.StorageDriverCheck.DEFAULTS, List.of(), List.of(),
                List.of(new HealthConfig.TcpCheck("127.0.0.1", port, Duration.ofSeconds(2), FAST, 0)));
        try (HealthChecks health = HealthChecks.start(config, new InMemoryDriver())) {
            Thread.sleep(100);
            assertEquals(Map.of(), health.failing());
            server.close();
            await(() -> !health.failing().isEmpty(), "the check fails once nothing listens");
            assertTrue(health.failing().get("127.0.0.1:" + port).startsWith("ConnectException"), health.failing().toString());
        } finally {
            server.close();
        }
    }

    @Test
    void httpCheckFailsWhenNothingListens() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        URI uri = URI.create("http://127.0.0.1:" + port + "/");
        HealthConfig config = new HealthConfig(HealthConfig.StorageDriverCheck.DEFAULTS, List.of(),
                // an interval long enough for the HTTP client's first connection on a loaded machine
                List.of(new HealthConfig.HttpCheck(uri, Map.of(), 200, Duration.ofSeconds(2), Duration.ofSeconds(2), 0)), List.of());
        try (HealthChecks health = HealthChecks.start(config, new InMemoryDriver())) {
            await(() -> !health.failing().isEmpty() && !health.failing().get(uri.toString()).startsWith("no answer"),
                    "the check fails");
            assertTrue(health.failing().get(uri.toString()).startsWith("ConnectException"), health.failing().toString());
        }
    }
}
