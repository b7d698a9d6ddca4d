package dev.registry.e2e.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.registry.e2e.RegistryProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A soak: {@value #CLIENTS} clients push small images (blobs, manifest, tag), pull them, list
 * tags and the catalog, and delete the manifests again, against the packaged server with
 * {@code -Xmx256m}, for {@code soak.seconds} (system property or {@code SOAK_SECONDS}; 90 by
 * default, the CI form). Every response is checked (status, digests, bytes); none may be
 * unexpected. The server's resident memory, sampled every second from {@code /proc/<pid>/status}
 * ({@code VmRSS}, cross-checked against {@code /proc/<pid>/stat}), must end at no more than
 * {@value #RSS_GROWTH_LIMIT} times what it was after the first {@value #WARM_UP_SECONDS} seconds.
 *
 * <p>The server's 256 MiB heap is committed and touched at start ({@code -Xms256m
 * -XX:+AlwaysPreTouch}; {@code -Dsoak.pretouch=false} leaves it out). Without it, the heap's pages
 * become resident as G1 first uses them, at a pace set by the load and the GC's pauses, so on a
 * busy machine the RSS after 20 s is taken before the young generation has grown and the check
 * measures the heap filling up to its fixed size rather than a leak (docs/benchmark.md, "Soak").
 * With it, the RSS can only grow outside the heap: metaspace, code, threads, malloc arenas and
 * Netty's direct buffers, the memory that is not bounded by {@code -Xmx}.
 *
 * <p>It always runs the packaged jar, and is skipped when {@code registry.url} or
 * {@code registry.impl} point the other API tests elsewhere. The long form, as docs/benchmark.md
 * ("Soak") ran it:
 * {@code ./mvnw -B -pl src/test -am verify -Dtest=SoakTest -Dsurefire.failIfNoSpecifiedTests=false -Dsoak.seconds=600
 * -Dsoak.pretouch=false}.
 * {@code soak.jvmOptions} (or {@code SOAK_JVM_OPTIONS}) is passed to the server as
 * {@code JAVA_TOOL_OPTIONS}, e.g. {@code -XX:NativeMemoryTracking=summary} to follow it with
 * {@code jcmd <pid> VM.native_memory}; the RSS samples are written to {@code rss.csv} in the test's
 * work directory.
 */
class SoakTest {
    static final int CLIENTS = 8;
    static final int WARM_UP_SECONDS = 20;
    static final double RSS_GROWTH_LIMIT = 1.3;
    /** One layer that every client pushes to the shared repository, concurrently. */
    static final byte[] BASE_LAYER = seededBytes(4096, 42);

    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong iterations = new AtomicLong();
    private final AtomicLong unexpected = new AtomicLong();
    /** The first unexpected responses, for the failure message. */
    private final ConcurrentLinkedQueue<String> firstFailures = new ConcurrentLinkedQueue<>();

    /** One reading of the server's resident memory. */
    record RssSample(double seconds, long statusKiB, long statKiB) {
    }

    @Test
    void eightClientsPushPullListAndDeleteWithFlatMemory() throws Exception {
        // it measures the packaged server's process, so it never runs against another registry
        Assumptions.assumeTrue(TestRegistry.kind() == TestRegistry.Kind.JAR, "the soak runs the packaged jar only");
        long seconds = Long.parseLong(setting("soak.seconds", "SOAK_SECONDS", "90"));
        boolean pretouch = Boolean.parseBoolean(setting("soak.pretouch", "SOAK_PRETOUCH", "true"));
        String jvmOptions = ((pretouch ? "-Xms256m -XX:+AlwaysPreTouch " : "")
                + setting("soak.jvmOptions", "SOAK_JVM_OPTIONS", "")).trim();
        assertTrue(seconds > WARM_UP_SECONDS + 10, "soak.seconds must be over " + (WARM_UP_SECONDS + 10));
        assertTrue(Files.isReadable(Path.of("/proc/self/status")), "the soak reads /proc, which this system lacks");

        Path work = RegistryProcess.workDir("soak");
        Path root = work.resolve("storage");
        int port = RegistryProcess.freePort();
        Path config = work.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: info
                  accesslog:
                    disabled: true
                http:
                  addr: 127.0.0.1:%d
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                """.formatted(port, root));
        Map<String, String> env = jvmOptions.isBlank() ? Map.of() : Map.of("JAVA_TOOL_OPTIONS", jvmOptions);
        try (RegistryProcess registry = RegistryProcess.startWithConfig(config, port, env)) {
            long pid = registry.process().pid();
            System.out.printf("soak: %d s, %d clients, server pid %d, JAVA_TOOL_OPTIONS '%s', work directory %s%n",
                    seconds, CLIENTS, pid, jvmOptions, work);

            List<RssSample> samples = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            long start = System.nanoTime();
            ExecutorService threads = Executors.newFixedThreadPool(CLIENTS + 1);
            Future<?> sampler = threads.submit(() -> sampleRss(pid, start, stop, samples));
            List<Future<?>> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int id = i;
                clients.add(threads.submit(() -> runClient(registry.baseUrl(), id, stop)));
            }
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
            stop.set(true);
            for (Future<?> client : clients) {
                client.get(2, TimeUnit.MINUTES);
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            sampler.get(10, TimeUnit.SECONDS);
            threads.shutdown();

            writeSamples(work.resolve("rss.csv"), samples);
            RssSample warm = samples.stream().filter(s -> s.seconds() >= WARM_UP_SECONDS).findFirst().orElseThrow();
            RssSample end = samples.get(samples.size() - 1);
            System.out.printf("soak: %d requests in %.1f s = %.0f requests/s, %d image cycles, %d unexpected%n",
                    requests.get(), elapsed, requests.get() / elapsed, iterations.get(), unexpected.get());
            System.out.printf("soak: VmRSS %.1f MiB after %.0f s, %.1f MiB at the end (%.2fx)%n",
                    warm.statusKiB() / 1024.0, warm.seconds(), end.statusKiB() / 1024.0,
                    end.statusKiB() / (double) warm.statusKiB());

            assertTrue(registry.process().isAlive(), "the server died:\n" + tail(registry.output()));
            assertEquals(0, unexpected.get(), () -> "unexpected responses, the first ones:\n"
                    + String.join("\n", firstFailures));
            assertTrue(iterations.get() >= CLIENTS * 10L, "too little work done to prove anything: " + iterations.get());
            assertTrue(end.statusKiB() <= RSS_GROWTH_LIMIT * warm.statusKiB(),
                    "resident memory grew from " + warm.statusKiB() + " KiB after " + WARM_UP_SECONDS + " s to "
                            + end.statusKiB() + " KiB; samples in " + work.resolve("rss.csv"));
            assertFalse(registry.output().contains("ERROR") || registry.output().contains("OutOfMemoryError"),
                    () -> tail(registry.output()));
        }
    }

    /**
     * One client: until {@code stop}, push an image (a unique config and layer, plus the base
     * layer shared by every client), tag it, pull it back, find it in the tag list (and, every
     * fourth time, its repository in the catalog), delete it by digest and see it gone.
     */
    private void runClient(String baseUrl, int id, AtomicBoolean stop) {
        RegistryClient client = new RegistryClient(baseUrl);
        Random random = new Random(id);
        for (long n = 0; !stop.get(); n++) {
            String repository = n % 4 == 3 ? "soak/shared" : "soak/c" + id;
            try {
                if (cycle(client, random, repository, "c" + id + "-" + n, n % 4 == 0)) {
                    iterations.incrementAndGet();
                }
            } catch (IOException | RuntimeException e) {
                fail(repository + " iteration " + n + ": " + e);
            }
        }
    }

    /** One image's life; reports whether every response was as expected. */
    private boolean cycle(RegistryClient client, Random random, String repository, String tag, boolean catalog)
            throws IOException {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                + "\"n\":" + random.nextLong() + "}").getBytes(StandardCharsets.UTF_8);
        byte[] layer = new byte[512 + random.nextInt(4096)];
        random.nextBytes(layer);
        Descriptor configDescriptor = Descriptor.of(Manifests.OCI_CONFIG, config);
        Descriptor base = Descriptor.of(Manifests.OCI_LAYER, BASE_LAYER);
        Descriptor unique = Descriptor.of(Manifests.OCI_LAYER, layer);

        // the shared layer: HEAD first, as clients do, and push only if it is missing
        ApiResponse head = call(client.head("/v2/" + repository + "/blobs/" + base.digest()));
        if (head.status() == 200) {
            if (!expect(head, 200, String.valueOf(BASE_LAYER.length), "Content-Length")
                    || !expect(head, 200, base.digest(), "Docker-Content-Digest")) {
                return false;
            }
        } else if (!expect(head, 404) || !pushBlob(client, repository, BASE_LAYER, base.digest())) {
            return false;
        }
        if (!pushBlob(client, repository, config, configDescriptor.digest())
                || !pushBlob(client, repository, layer, unique.digest())) {
            return false;
        }

        byte[] manifest = Manifests.ociManifest(configDescriptor, List.of(base, unique));
        String digest = Digests.sha256(manifest);
        ApiResponse put = call(client.putManifest(repository, tag, Manifests.OCI_MANIFEST, manifest));
        if (!expect(put, 201, digest, "Docker-Content-Digest")) {
            return false;
        }

        ApiResponse pulled = call(client.getManifest(repository, tag));
        if (!expect(pulled, 200, digest, "Docker-Content-Digest") || !sameBytes(pulled, manifest)
                || !expect(pulled, 200, Manifests.OCI_MANIFEST, "Content-Type")) {
            return false;
        }
        ApiResponse blob = call(client.get("/v2/" + repository + "/blobs/" + unique.digest()));
        if (!expect(blob, 200, unique.digest(), "Docker-Content-Digest") || !sameBytes(blob, layer)) {
            return false;
        }

        ApiResponse tags = call(client.get("/v2/" + repository + "/tags/list"));
        if (!expect(tags, 200) || !contains(tags, "tags", tag) || !(tags.json().path("name").asText().equals(repository)
                || fail("tags/list of " + repository + " names " + tags.json().path("name")))) {
            return false;
        }
        if (catalog) {
            ApiResponse repositories = call(client.get("/v2/_catalog"));
            if (!expect(repositories, 200) || !contains(repositories, "repositories", repository)) {
                return false;
            }
        }

        ApiResponse deleted = call(client.delete("/v2/" + repository + "/manifests/" + digest));
        if (!expect(deleted, 202)) {
            return false;
        }
        ApiResponse gone = call(client.getManifest(repository, tag));
        return expect(gone, 404) && (gone.errorCodes().equals(List.of("MANIFEST_UNKNOWN"))
                || fail("GET of a deleted tag: " + gone));
    }

    /** POST, then a monolithic PUT with the content; 202 and 201 with the digest expected. */
    private boolean pushBlob(RegistryClient client, String repository, byte[] content, String digest) throws IOException {
        ApiResponse started = call(client.post("/v2/" + repository + "/blobs/uploads/", new byte[0]));
        if (!expect(started, 202) || !(started.header("Location") != null || fail("no Location: " + started))) {
            return false;
        }
        ApiResponse put = call(client.put(RegistryClient.withDigest(client.location(started), digest), content,
                "Content-Type", "application/octet-stream"));
        return expect(put, 201, digest, "Docker-Content-Digest");
    }

    private ApiResponse call(ApiResponse response) {
        requests.incrementAndGet();
        return response;
    }

    private boolean expect(ApiResponse response, int status) {
        return response.status() == status || fail("expected " + status + ": " + response);
    }

    private boolean expect(ApiResponse response, int status, String value, String header) {
        return expect(response, status)
                && (value.equals(response.header(header)) || fail("expected " + header + ": " + value + ": " + response));
    }

    private boolean sameBytes(ApiResponse response, byte[] expected) {
        return java.util.Arrays.equals(response.body(), expected) || fail("bytes differ: " + response);
    }

    private boolean contains(ApiResponse response, String field, String value) {
        for (JsonNode item : response.json().path(field)) {
            if (item.asText().equals(value)) {
                return true;
            }
        }
        return fail(field + " lacks " + value + ": " + response);
    }

    /** Counts an unexpected response; always false, so checks read {@code ok || fail(...)}. */
    private boolean fail(String message) {
        if (unexpected.incrementAndGet() <= 20) {
            firstFailures.add(message);
        }
        return false;
    }

    /** Reads the server's RSS every second until {@code stop}, and once more after it. */
    private Void sampleRss(long pid, long start, AtomicBoolean stop, List<RssSample> samples) throws Exception {
        long pageKiB = pageSizeKiB();
        long next = System.nanoTime();
        while (true) {
            boolean last = stop.get();
            long status = vmRssKiB(pid);
            long stat = statRssPages(pid) * pageKiB;
            double at = (System.nanoTime() - start) / 1e9;
            // two views of the same kernel counter: they must agree, or one of them is misread
            assertTrue(Math.abs(status - stat) <= Math.max(1024, status / 50),
                    "VmRSS " + status + " KiB and /proc/" + pid + "/stat " + stat + " KiB disagree");
            samples.add(new RssSample(at, status, stat));
            if (Math.round(at) % 10 == 0) {
                System.out.printf("soak: t=%4.0f s VmRSS %.1f MiB, %d requests so far%n", at, status / 1024.0, requests.get());
            }
            if (last) {
                return null;
            }
            next += TimeUnit.SECONDS.toNanos(1);
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                TimeUnit.NANOSECONDS.sleep(sleep);
            }
        }
    }

    /** {@code VmRSS} of {@code /proc/<pid>/status}, in KiB. */
    static long vmRssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }

    /** Field 24, {@code rss}, of {@code /proc/<pid>/stat}, in pages. */
    static long statRssPages(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        // the command name (field 2) is in parentheses and may hold spaces: count from after it
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Long.parseLong(fields[24 - 3]);
    }

    /** The kernel's page size in KiB, as this JVM's first mapping in {@code /proc/self/smaps} states it. */
    static long pageSizeKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (line.startsWith("KernelPageSize:")) {
                return Long.parseLong(line.substring(15).trim().split("\\s+")[0]);
            }
        }
        return 4;
    }

    private static void writeSamples(Path file, List<RssSample> samples) throws IOException {
        StringBuilder csv = new StringBuilder("seconds,vmrss_kib,stat_rss_kib\n");
        for (RssSample s : samples) {
            csv.append(String.format(java.util.Locale.ROOT, "%.1f,%d,%d%n", s.seconds(), s.statusKiB(), s.statKiB()));
        }
        Files.writeString(file, csv);
    }

    private static String setting(String property, String variable, String fallback) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(variable);
        }
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    private static byte[] seededBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static String tail(String output) {
        return output.length() > 4000 ? output.substring(output.length() - 4000) : output;
    }
}
