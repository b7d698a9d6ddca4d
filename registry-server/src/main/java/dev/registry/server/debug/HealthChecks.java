package dev.registry.server.debug;

import dev.registry.config.HealthConfig;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The health checks of {@code health.*} (storage driver, file, HTTP and TCP), each running on its own schedule on its own virtual
 * thread, never on an event loop; the endpoints answer from the latest results.
 *
 * <p>A check that takes longer than its interval (a hung mount, a backend that does not answer)
 * counts as failing every interval until it returns, and no second call is started meanwhile.
 */
public final class HealthChecks implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HealthChecks.class);

    /** What one check does; returns normally when healthy. */
    @FunctionalInterface
    interface Probe {
        void check() throws Exception;
    }

    /** One check and its latest state. */
    static final class Check {
        final String name;
        final Duration interval;
        final int threshold;
        final Probe probe;
        /** Whether {@code /debug/health} reports it (the storage check is always run, for {@code /readyz}). */
        final boolean reported;
        private volatile boolean checked;
        private volatile String failure;
        private int consecutiveFailures;

        Check(String name, Duration interval, int threshold, Probe probe, boolean reported) {
            this.name = name;
            this.interval = interval;
            this.threshold = Math.max(threshold, 1);
            this.probe = probe;
            this.reported = reported;
        }

        /** The failure the check stands at, or {@code null} while healthy. */
        String failure() {
            return failure;
        }

        boolean checked() {
            return checked;
        }

        /** Runs on the check's own thread only. */
        void record(String error) {
            if (error == null) {
                if (failure != null) {
                    log.info("health check {} passes again", name);
                }
                consecutiveFailures = 0;
                failure = null;
            } else {
                consecutiveFailures++;
                if (consecutiveFailures >= threshold) {
                    if (failure == null) {
                        log.warn("health check {} fails: {}", name, error);
                    }
                    failure = error;
                }
            }
            checked = true;
        }
    }

    private final List<Check> checks;
    private final Check storage;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http;
    private volatile boolean closed;

    private HealthChecks(HealthConfig config, StorageDriver driver) {
        HealthConfig.StorageDriverCheck storageConfig = config.storageDriver();
        this.storage = new Check("storagedriver_" + driver.name(), storageConfig.interval(), storageConfig.threshold(),
                () -> checkStorage(driver), storageConfig.enabled());
        List<Check> all = new ArrayList<>();
        all.add(storage);
        for (HealthConfig.FileCheck file : config.files()) {
            all.add(new Check(file.file().toString(), file.interval(), 0, () -> checkFile(file), true));
        }
        this.http = config.http().isEmpty() ? null : HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(threads)
                .build();
        for (HealthConfig.HttpCheck check : config.http()) {
            all.add(new Check(check.uri().toString(), check.interval(), check.threshold(), () -> checkHttp(check), true));
        }
        for (HealthConfig.TcpCheck check : config.tcp()) {
            all.add(new Check(check.addr(), check.interval(), check.threshold(), () -> checkTcp(check), true));
        }
        this.checks = List.copyOf(all);
    }

    /** Starts every configured check, and the storage check {@code /readyz} needs. */
    public static HealthChecks start(HealthConfig config, StorageDriver driver) {
        HealthChecks health = new HealthChecks(config, driver);
        for (Check check : health.checks) {
            health.threads.execute(() -> health.run(check));
        }
        return health;
    }

    private void run(Check check) {
        Thread.currentThread().setName("health-" + check.name);
        long intervalNanos = check.interval.toNanos();
        while (!closed) {
            Future<?> call = threads.submit(() -> {
                check.probe.check();
                return null;
            });
            try {
                while (true) {
                    try {
                        call.get(intervalNanos, TimeUnit.NANOSECONDS);
                        check.record(null);
                        break;
                    } catch (TimeoutException e) {
                        check.record("no answer within " + describe(check.interval));
                        if (closed) {
                            return;
                        }
                    } catch (ExecutionException e) {
                        check.record(describe(e.getCause()));
                        break;
                    }
                }
                Thread.sleep(intervalNanos / 1_000_000, (int) (intervalNanos % 1_000_000));
            } catch (InterruptedException e) {
                call.cancel(true);
                return;
            }
        }
    }

    /**
     * registry:2 treats a missing root as healthy (an empty registry has none yet); every other
     * failure, such as a broken mount, a symlink loop, a permission problem or a root that is not
     * a directory, fails the check.
     */
    private static void checkStorage(StorageDriver driver) throws IOException {
        try {
            driver.list("/");
        } catch (PathNotFoundException e) {
            // the backend answered; there is just nothing stored yet
        }
    }

    /** Fails while the file exists: operators create it to take the instance out of service. */
    private static void checkFile(HealthConfig.FileCheck file) throws IOException {
        try {
            Files.readAttributes(file.file(), BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return;
        }
        throw new IOException("file exists");
    }

    private void checkHttp(HealthConfig.HttpCheck check) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(check.uri())
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .timeout(check.timeout());
        check.headers().forEach((name, values) -> values.forEach(value -> request.header(name, value)));
        HttpResponse<Void> response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() != check.statusCode()) {
            throw new IOException("answered " + response.statusCode() + " where " + check.statusCode() + " was expected");
        }
    }

    /** A TCP connection must open within the timeout; it is closed at once. */
    private static void checkTcp(HealthConfig.TcpCheck check) throws IOException {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(check.host(), check.port()), (int) Math.min(Integer.MAX_VALUE,
                    Math.max(1, check.timeout().toMillis())));
        }
    }

    private static String describe(Throwable error) {
        String message = error.getMessage();
        if (message == null || message.isBlank()) {
            return error.getClass().getSimpleName();
        }
        return error instanceof IOException && !(error.getClass() == IOException.class)
                ? error.getClass().getSimpleName() + ": " + message : message;
    }

    private static String describe(Duration duration) {
        return duration.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }

    /** The reported checks that are failing, by name, with their errors; empty when healthy. */
    public Map<String, String> failing() {
        Map<String, String> failing = new LinkedHashMap<>();
        for (Check check : checks) {
            String failure = check.failure();
            if (check.reported && failure != null) {
                failing.put(check.name, failure);
            }
        }
        return failing;
    }

    /**
     * Why storage is not ready, or {@code null} when its latest check passed. Before the first
     * check has finished, storage is not known to be reachable, so it is not ready.
     */
    public String storageUnready() {
        if (!storage.checked()) {
            return "not checked yet";
        }
        return storage.failure();
    }

    /** The storage check's name, {@code storagedriver_<driver>} as registry:2 names it. */
    public String storageCheckName() {
        return storage.name;
    }

    @Override
    public void close() {
        closed = true;
        threads.shutdownNow();
        if (http != null) {
            http.shutdownNow();
        }
    }
}
