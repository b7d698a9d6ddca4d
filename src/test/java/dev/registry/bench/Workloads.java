package dev.registry.bench;

import dev.registry.bench.BenchHttp.Response;
import dev.registry.bench.BenchHttp.Sink;
import dev.registry.bench.Report.Better;
import dev.registry.bench.Report.Goal;
import dev.registry.bench.Report.Metric;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark's workloads, each run against every {@link Target} with the same parameters,
 * repetitions interleaved between targets so that a noisy machine hurts both alike. Every
 * response is checked (status, {@code Docker-Content-Digest}, byte counts, digests of what was
 * pulled); any error makes that workload FAILED for that target instead of giving a figure.
 */
final class Workloads {
    static final long MIB = 1024 * 1024;
    static final double GIB = 1024.0 * 1024 * 1024;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    private static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    private static final int TAGS = 10;

    /** A registry to drive: one we started, or one running at a URL. */
    static final class Target {
        final String label;
        final String host;
        final int port;
        final ServerProcess server;
        final Long pid;

        Target(String label, String host, int port, ServerProcess server, Long pid) {
            this.label = label;
            this.host = host;
            this.port = port;
            this.server = server;
            this.pid = server != null ? Long.valueOf(server.pid()) : pid;
        }

        static Target of(ServerProcess server) {
            return new Target(server.kind.label, "127.0.0.1", server.port, server, null);
        }

        String baseUrl() {
            return (tls() == null ? "http://" : "https://") + host + ":" + port;
        }

        BenchHttp client() {
            return new BenchHttp(host, port, tls() == null ? null : tls().clientSockets());
        }

        ServerProcess.Tls tls() {
            return server == null ? null : server.tls;
        }
    }

    /** A verification failure: the registry answered, but not as it should have. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }
    }

    /** The small image of workloads 4 and 5 in one target. */
    record Image(byte[] config, String configDigest, byte[] layer, String layerDigest, byte[] manifest,
                 String manifestDigest, List<String> tags) {
    }

    private final RegistryBenchmark.Options o;
    private final Report report;
    private final List<Target> targets;
    private final Path scratch;
    private final String prefix;
    private final long salt;
    private final RegistryBenchmark.Progress progress;
    private final Map<Target, Image> images = new LinkedHashMap<>();
    private final Map<Target, Long> logMarks = new LinkedHashMap<>();
    private byte[] big;
    private byte[] warm;

    Workloads(RegistryBenchmark.Options o, Report report, List<Target> targets, Path scratch, String prefix, long salt,
              RegistryBenchmark.Progress progress) {
        this.o = o;
        this.report = report;
        this.targets = targets;
        this.scratch = scratch;
        this.prefix = prefix;
        this.salt = salt;
        this.progress = progress;
    }

    // ================================================================== 1. monolithic push

    /**
     * The targets in the order of repetition {@code rep}: reversed every other time, as workload 9
     * does, so that neither server always goes first (after the other's run has warmed s3proxy,
     * the client's JIT or the page cache, or left the disk busy).
     */
    private List<Target> inTurn(int rep) {
        List<Target> order = new ArrayList<>(targets);
        if (rep % 2 == 1) {
            java.util.Collections.reverse(order);
        }
        return order;
    }

    /** The goal for large pushes: 3x the reference on a disk, 1.5x on S3 (docs/benchmark.md). */
    private Goal pushGoal() {
        return Goal.ratioAtLeast(o.s3 ? 1.5 : 3);
    }

    void blobPushMonolithic() {
        Metric m = report.metric("1", "blob-push-monolithic",
                "blob push, monolithic POST + PUT ?digest= (" + o.blobMiB + " MiB)", "MiB/s", Better.HIGHER, pushGoal());
        progress.say("workload 1: monolithic blob push, " + o.blobMiB + " MiB x " + o.reps);
        mark();
        String repo = prefix + "/blobs";
        Map<Target, String> failed = new LinkedHashMap<>();
        Map<Target, List<Double>> samples = samples();
        for (Target t : targets) {
            try (BenchHttp http = t.client()) {
                for (int i = 0; i < 3; i++) {
                    byte[] w = warm(0x100 + i);
                    pushMonolithic(http, repo, w, 0, w.length, BenchHttp.digest(w));
                }
                // and one untimed push of the timed size: after the small ones our first big push
                // still ran 20-25% below the rest (the JIT had not compiled the push path yet)
                byte[] full = big();
                stamp(full, 0x1F00);
                pushMonolithic(http, repo, full, 0, full.length, BenchHttp.digest(full));
            } catch (Exception e) {
                failed.put(t, "warm-up: " + message(e));
            }
        }
        byte[] data = big();
        for (int rep = 0; rep < o.reps; rep++) {
            stamp(data, 0x1000 + rep);
            String digest = BenchHttp.digest(data);
            for (Target t : inTurn(rep)) {
                if (failed.containsKey(t)) {
                    continue;
                }
                try (BenchHttp http = t.client()) {
                    settleDisk();
                    long cpu0 = cpuTicks(t);
                    long t0 = System.nanoTime();
                    pushMonolithic(http, repo, data, 0, data.length, digest);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    countPushCpu(t, cpuTicks(t) - cpu0, data.length);
                    verifyBlob(http, repo, digest, data.length);
                    samples.get(t).add(data.length / (double) MIB / seconds);
                } catch (Exception e) {
                    failed.put(t, "repetition " + (rep + 1) + ": " + message(e));
                }
            }
        }
        finish(m, samples, failed, "median of " + o.reps);
    }

    /**
     * Writes out the dirty page cache (the {@code sync} command) before a timed push, so that
     * neither registry's push is slowed by the kernel writing back what the other one (or the
     * previous repetition) left in memory. The reference never syncs; ours does before it answers.
     */
    static void settleDisk() {
        try {
            Process sync = new ProcessBuilder("sync").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            sync.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (IOException e) {
            // no sync command: measure as is
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ================================================================== 2. chunked push

    /** At most this many untimed full-size pushes before workload 2 times any. */
    private static final int CHUNKED_WARM_PUSHES_MAX = 6;

    private final Map<Target, Integer> chunkedWarmPushes = new LinkedHashMap<>();

    /** @param floor with S3, the floor's rounds, which take turns with the servers' pushes; or null */
    void blobPushChunked(ChunkedFloor floor) {
        Metric m = report.metric("2", "blob-push-chunked",
                "blob push, " + o.chunkMiB + " MiB PATCHes + PUT (" + o.blobMiB + " MiB)", "MiB/s", Better.HIGHER, pushGoal());
        progress.say("workload 2: chunked blob push, " + o.blobMiB + " MiB in " + o.chunkMiB + " MiB PATCHes x " + o.reps);
        mark();
        String repo = prefix + "/blobs";
        long chunk = o.chunkMiB * MIB;
        Map<Target, String> failed = new LinkedHashMap<>();
        Map<Target, List<Double>> samples = samples();
        for (Target t : targets) {
            try (BenchHttp http = t.client()) {
                // in the timed runs' PATCH size, so the warm-up takes the same path (on S3 a PATCH
                // below 5 MiB ends in a short part, which the next one handles differently)
                for (int i = 0; i < 3; i++) {
                    byte[] w = warm(0x200 + i);
                    pushChunked(http, repo, w, w.length, Math.min(chunk, w.length), BenchHttp.digest(w));
                }
                // untimed pushes of the timed size until two in a row agree within 5% (at least
                // two, at most six): with one, our timed pushes on S3 still rose from 48 to 65 MiB/s
                // over five repetitions (2026-12-04), and from a fresh server by hand they ran at
                // 37, 43, 48, 55, 59 MiB/s before levelling off; registry:2 does not warm up
                byte[] full = big();
                double previous = 0;
                int pushes = 0;
                for (int i = 0; i < CHUNKED_WARM_PUSHES_MAX; i++) {
                    stamp(full, 0x2F00 + i);
                    long t0 = System.nanoTime();
                    pushChunked(http, repo, full, full.length, chunk, BenchHttp.digest(full));
                    double rate = full.length / (double) MIB / ((System.nanoTime() - t0) / 1e9);
                    pushes++;
                    if (i > 0 && Math.abs(rate - previous) <= 0.05 * previous) {
                        break;
                    }
                    previous = rate;
                }
                chunkedWarmPushes.put(t, pushes);
            } catch (Exception e) {
                failed.put(t, "warm-up: " + message(e));
            }
        }
        List<Double> floorSeconds = new ArrayList<>();
        String floorFailed = null;
        if (floor != null) {
            progress.say("2f: the floor (S3 requests alone), two untimed rounds, then one with each repetition");
            List<Double> untimed = new ArrayList<>();
            floorFailed = floorRound(floor, untimed);
            if (floorFailed == null) {
                floorFailed = floorRound(floor, untimed);
            }
        }
        byte[] data = big();
        for (int rep = 0; rep < o.reps; rep++) {
            stamp(data, 0x2000 + rep);
            String digest = BenchHttp.digest(data);
            // the floor takes turns too: before the servers in even repetitions, after them in odd ones
            if (floor != null && floorFailed == null && rep % 2 == 0) {
                floorFailed = floorRound(floor, floorSeconds);
            }
            for (Target t : inTurn(rep)) {
                if (failed.containsKey(t)) {
                    continue;
                }
                try (BenchHttp http = t.client()) {
                    settleDisk();
                    long cpu0 = cpuTicks(t);
                    long t0 = System.nanoTime();
                    pushChunked(http, repo, data, data.length, chunk, digest);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    countPushCpu(t, cpuTicks(t) - cpu0, data.length);
                    verifyBlob(http, repo, digest, data.length);
                    samples.get(t).add(data.length / (double) MIB / seconds);
                } catch (Exception e) {
                    failed.put(t, "repetition " + (rep + 1) + ": " + message(e));
                }
            }
            if (floor != null && floorFailed == null && rep % 2 == 1) {
                floorFailed = floorRound(floor, floorSeconds);
            }
        }
        for (Target t : targets) {
            if (!failed.containsKey(t)) {
                List<Double> s = samples.get(t);
                StringBuilder detail = new StringBuilder("median of " + o.reps + " after "
                        + chunkedWarmPushes.get(t) + " untimed full-size pushes, of");
                for (double v : s) {
                    detail.append(' ').append(Report.fmt(v));
                }
                m.value(t.label, median(s), List.copyOf(s), detail.append(spread(s)).toString());
            } else {
                m.fail(t.label, failed.get(t) + logExcerpt(t));
            }
        }
        if (floorFailed != null) {
            report.problem("2f (floor): " + floorFailed);
        } else if (floor != null) {
            ChunkedFloor.note(report, o.blobMiB, floorSeconds, m.figure(ServerProcess.Kind.OURS.label),
                    m.figure(ServerProcess.Kind.REFERENCE.label));
        }
    }

    /** One floor round into {@code seconds}, on a settled disk as each server's push; what went wrong, or null. */
    private static String floorRound(ChunkedFloor floor, List<Double> seconds) {
        settleDisk();
        try {
            seconds.add(floor.round());
            return null;
        } catch (IOException e) {
            return message(e);
        }
    }

    // ================================================================== push CPU, for 1 and 2

    /** Server CPU ticks and bytes of the timed pushes of workloads 1 and 2, per target. */
    private final Map<Target, long[]> pushCpu = new LinkedHashMap<>();

    private void countPushCpu(Target t, long ticks, long bytes) {
        long[] sums = pushCpu.computeIfAbsent(t, k -> new long[2]);
        sums[0] += ticks;
        sums[1] += bytes;
    }

    /**
     * Row 2c: the server's CPU time (utime + stime, all threads) per GiB of the timed pushes of
     * workloads 1 and 2. Unlike the rates, it changes little when other processes compete for
     * the CPU, and on a disk that syncs fast it is what bounds a push. Kernel threads that write
     * the page cache back (and a loop device's worker) are not counted, for either server.
     */
    void pushCpu() {
        Metric cpu = report.metric("2c", "blob-push-server-cpu", "blob push, server CPU per GiB received (1+2)", "CPU-s/GiB",
                Better.LOWER, Goal.NONE);
        for (Target t : targets) {
            long[] sums = pushCpu.get(t);
            if (t.pid == null) {
                cpu.skip(t.label, "no server pid (give --pid)");
            } else if (sums == null || sums[1] == 0) {
                cpu.fail(t.label, "no timed push completed");
            } else {
                double seconds = sums[0] / (double) ServerProcess.clockTicksPerSecond();
                cpu.value(t.label, seconds / (sums[1] / GIB), String.format(Locale.ROOT,
                        "%.2f CPU-s (utime+stime of pid %d) for %.2f GiB received", seconds, t.pid, sums[1] / GIB));
            }
        }
    }

    // ================================================================== disk, for 1 and 2

    /**
     * The disk's own durable write rate, to read workloads 1 and 2 against: the benchmark writes
     * the blob into a file beside the servers' storage and fsyncs it, which is what our server must
     * do before it answers a push, while the reference answers with its bytes still in memory.
     * Run after workload 2, so the disk is in the state the last pushes found it in.
     */
    void diskCeiling() {
        byte[] data = big();
        List<Double> rates = new ArrayList<>();
        Path file = scratch.resolve("disk-probe");
        progress.say("disk: " + data.length / MIB + " MiB written and fsynced beside the storage x " + o.reps);
        try {
            Files.createDirectories(scratch);
            for (int rep = 0; rep < o.reps; rep++) {
                settleDisk();
                long t0 = System.nanoTime();
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    for (int off = 0; off < data.length; off += (int) MIB) {
                        ByteBuffer slice = ByteBuffer.wrap(data, off, (int) Math.min(MIB, data.length - off));
                        while (slice.hasRemaining()) {
                            channel.write(slice);
                        }
                    }
                    channel.force(true);
                }
                rates.add(data.length / (double) MIB / ((System.nanoTime() - t0) / 1e9));
                Files.delete(file);
            }
            report.note(String.format(Locale.ROOT,
                    "disk: %d MiB written and fsynced by the benchmark into %s after workload 2, %d times: %s MiB/s. A durable push"
                            + " cannot beat this; the reference's pushes do not wait for the disk",
                    data.length / MIB, scratch, rates.size(),
                    String.join(", ", rates.stream().map(r -> String.format(Locale.ROOT, "%.0f", r)).toList())));
        } catch (IOException e) {
            report.note("disk: measuring the durable write rate in " + scratch + " failed: " + e);
        }
    }

    // ================================================================== 3. pull

    /** Untimed pulls of the big blob before workload 3 times any (see there why ten). */
    private static final int WARM_PULLS = 10;

    void blobPull() {
        Metric single = report.metric("3a", "blob-pull-single", "blob pull, one GET (" + o.blobMiB + " MiB)", "MiB/s",
                Better.HIGHER, Goal.ratioAtLeast(1));
        Metric parallel = report.metric("3b", "blob-pull-parallel",
                "blob pull, " + o.parallel + " parallel GETs (" + o.blobMiB + " MiB each)", "MiB/s", Better.HIGHER, Goal.ratioAtLeast(1));
        Metric cpu = report.metric("3c", "blob-pull-server-cpu", "blob pull, server CPU per GiB sent (3a+3b)", "CPU-s/GiB",
                Better.LOWER, Goal.ratioAtMost(0.5));
        // 3a's client hashes every byte, on a second thread, as a verifying client does: on a small
        // machine that hash (about 1.5 GB/s on one core, shared with both servers and the store)
        // can be what caps one download. 3d reads the same blob without hashing it (its digest was
        // checked by the pulls before), to show what each server itself relays.
        Metric counted = report.metric("3d", "blob-pull-single-unhashed",
                "blob pull, one GET, body counted but not hashed (" + o.blobMiB + " MiB)", "MiB/s", Better.HIGHER, Goal.NONE);
        progress.say("workload 3: blob pull, single x " + o.reps + " and " + o.parallel + " parallel x " + o.reps);
        mark();
        String repo = prefix + "/blobs";
        byte[] data = big();
        stamp(data, 0x3000);
        String digest = BenchHttp.digest(data);
        byte[] w = warm(0x3001);
        String warmDigest = BenchHttp.digest(w);
        Map<Target, String> failed = new LinkedHashMap<>();
        Map<Target, List<Double>> singles = samples();
        Map<Target, List<Double>> parallels = samples();
        Map<Target, List<Double>> countedSingles = samples();
        Map<Target, long[]> cpuAndBytes = new LinkedHashMap<>();
        for (Target t : targets) {
            cpuAndBytes.put(t, new long[2]);
            try (BenchHttp http = t.client()) {
                pushMonolithic(http, repo, data, 0, data.length, digest);
                pushMonolithic(http, repo, w, 0, w.length, warmDigest);
                for (int i = 0; i < 3; i++) {
                    pull(http, repo, warmDigest, w.length);
                }
                // untimed pulls of the big blob, as workload 9 does: on S3 the first pull through
                // our relay ran at 340 MiB/s and the next ones at 670-890 (curl, an idle machine),
                // because the JIT had not compiled the relay path yet. After three such pulls the
                // timed ones still rose from 600 to 800 MiB/s over the first six repetitions
                // (2026-12-04, ten repetitions); from a fresh server, pulls by curl ran at 250,
                // 500, 570, 630, 710, 750, 700, 830, 890, 910 MiB/s and then stayed at 860-950,
                // with the JIT compiling about a hundred methods a pull until the tenth. A registry
                // serves for days; the timed pulls measure that, after ten untimed ones (registry:2
                // gets the same ten)
                for (int i = 0; i < WARM_PULLS; i++) {
                    pull(http, repo, digest, data.length);
                }
            } catch (Exception e) {
                failed.put(t, "setup (push of the blob to pull) or warm-up: " + message(e));
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(o.parallel, daemon("pull"));
        try {
            for (int rep = 0; rep < o.reps; rep++) {
                for (Target t : inTurn(rep)) {
                    if (failed.containsKey(t)) {
                        continue;
                    }
                    try (BenchHttp http = t.client()) {
                        long cpu0 = cpuTicks(t);
                        long t0 = System.nanoTime();
                        long n = pull(http, repo, digest, data.length);
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        long cpu1 = cpuTicks(t);
                        singles.get(t).add(n / (double) MIB / seconds);
                        cpuAndBytes.get(t)[0] += cpu1 - cpu0;
                        cpuAndBytes.get(t)[1] += n;
                    } catch (Exception e) {
                        failed.put(t, "single GET, repetition " + (rep + 1) + ": " + message(e));
                    }
                }
            }
            for (int rep = 0; rep < o.reps; rep++) {
                for (Target t : inTurn(rep)) {
                    if (failed.containsKey(t)) {
                        continue;
                    }
                    try (BenchHttp http = t.client()) {
                        long t0 = System.nanoTime();
                        long n = pullCounted(http, repo, digest, data.length);
                        countedSingles.get(t).add(n / (double) MIB / ((System.nanoTime() - t0) / 1e9));
                    } catch (Exception e) {
                        failed.put(t, "single GET not hashed, repetition " + (rep + 1) + ": " + message(e));
                    }
                }
            }
            for (int rep = 0; rep < o.reps; rep++) {
                for (Target t : inTurn(rep)) {
                    if (failed.containsKey(t)) {
                        continue;
                    }
                    try {
                        long cpu0 = cpuTicks(t);
                        long t0 = System.nanoTime();
                        long n = parallelPull(pool, t, repo, digest, data.length, o.parallel);
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        long cpu1 = cpuTicks(t);
                        parallels.get(t).add(n / (double) MIB / seconds);
                        cpuAndBytes.get(t)[0] += cpu1 - cpu0;
                        cpuAndBytes.get(t)[1] += n;
                    } catch (Exception e) {
                        failed.put(t, o.parallel + " parallel GETs, repetition " + (rep + 1) + ": " + message(e));
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        finish(single, singles, failed, "median of " + o.reps);
        finish(parallel, parallels, failed, "aggregate, median of " + o.reps);
        finish(counted, countedSingles, failed, "median of " + o.reps);
        for (Target t : targets) {
            if (failed.containsKey(t)) {
                cpu.fail(t.label, failed.get(t));
            } else if (t.pid == null) {
                cpu.skip(t.label, "no server pid (give --pid)");
            } else {
                long ticks = cpuAndBytes.get(t)[0];
                long bytes = cpuAndBytes.get(t)[1];
                double seconds = ticks / (double) ServerProcess.clockTicksPerSecond();
                cpu.value(t.label, seconds / (bytes / GIB), String.format(Locale.ROOT,
                        "%.2f CPU-s (utime+stime of pid %d) for %.2f GiB sent", seconds, t.pid, bytes / GIB));
            }
        }
    }

    private long parallelPull(ExecutorService pool, Target t, String repo, String digest, long size, int n)
            throws Exception {
        List<Future<Long>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(pool.submit(() -> {
                try (BenchHttp http = t.client()) {
                    return pull(http, repo, digest, size);
                }
            }));
        }
        long total = 0;
        Exception first = null;
        for (Future<Long> f : futures) {
            try {
                total += f.get();
            } catch (ExecutionException e) {
                if (first == null) {
                    first = e.getCause() instanceof Exception c ? c : e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
        return total;
    }

    // ================================================================== 4. request rates

    void requestRates() {
        record Case(String id, String key, String title, String method, String path, List<String> headers) {
        }
        progress.say("workload 4: manifest HEAD/GET by tag, tags list, small blob GET at " + o.connections
                + " connections, " + o.duration.toSeconds() + " s each");
        mark();
        Map<Target, String> failed = new LinkedHashMap<>();
        for (Target t : targets) {
            try {
                Image image = image(t);
                verifyImage(t, image);
            } catch (Exception e) {
                failed.put(t, "setup (image push and checks): " + message(e));
            }
        }
        String repo = prefix + "/image";
        String layer = images.isEmpty() ? "sha256:0" : images.values().iterator().next().layerDigest();
        List<Case> cases = List.of(
                new Case("4a", "manifest-head-by-tag", "manifest HEAD by tag (java load generator)", "HEAD",
                        "/v2/" + repo + "/manifests/latest", List.of("Accept", OCI_MANIFEST)),
                new Case("4b", "manifest-get-by-tag", "manifest GET by tag (wrk)", "GET",
                        "/v2/" + repo + "/manifests/latest", List.of("Accept", OCI_MANIFEST)),
                new Case("4c", "tags-list", "tags list, " + TAGS + " tags (wrk)", "GET", "/v2/" + repo + "/tags/list", List.of()),
                new Case("4d", "small-blob-get", "small blob GET, 4 KiB (wrk)", "GET", "/v2/" + repo + "/blobs/" + layer, List.of()));
        for (Case c : cases) {
            Metric m = report.metric(c.id(), c.key(), c.title(), "req/s", Better.HIGHER, Goal.ratioAtLeast(5));
            for (Target t : targets) {
                if (failed.containsKey(t)) {
                    m.fail(t.label, failed.get(t) + logExcerpt(t));
                    continue;
                }
                try {
                    String detail = c.method().equals("HEAD")
                            ? runLoadGenerator(t, c.method(), c.path(), c.headers())
                            : runWrk(t, c.method(), c.path(), c.headers());
                    double rate = Double.parseDouble(detail.substring(0, detail.indexOf(' ')));
                    m.value(t.label, rate, detail.substring(detail.indexOf(' ') + 1));
                } catch (Exception e) {
                    m.fail(t.label, message(e) + logExcerpt(t));
                }
            }
        }
    }

    /** Returns "RATE summary", or throws with why it failed. */
    private String runWrk(Target t, String method, String path, List<String> headers) throws Exception {
        if (!o.warmup.isZero()) {
            Wrk.Result warmup = Wrk.run(scratch, t.baseUrl(), method, path, headers, o.connections, o.threads, o.warmup);
            if (warmup.failed()) {
                throw new Failure("wrk warm-up: " + warmup.problem() + "\n" + warmup.output().strip());
            }
        }
        Wrk.Result r = Wrk.run(scratch, t.baseUrl(), method, path, headers, o.connections, o.threads, o.duration);
        if (r.failed()) {
            throw new Failure("wrk: " + r.problem() + "\n" + r.output().strip());
        }
        return String.format(Locale.ROOT, "%.1f", r.requestsPerSecond()) + " " + r.summary();
    }

    private String runLoadGenerator(Target t, String method, String path, List<String> headers) throws Exception {
        if (!o.warmup.isZero()) {
            LoadGenerator.Result warmup = LoadGenerator.run(t.host, t.port, method, path, headers, o.connections, o.threads, o.warmup);
            if (warmup.failed()) {
                throw new Failure("load generator warm-up: " + warmup.summary());
            }
        }
        LoadGenerator.Result r = LoadGenerator.run(t.host, t.port, method, path, headers, o.connections, o.threads, o.duration);
        if (r.failed()) {
            throw new Failure("load generator: " + r.summary());
        }
        return String.format(Locale.ROOT, "%.1f", r.requestsPerSecond()) + " " + r.summary();
    }

    private Image image(Target t) throws IOException, Failure {
        Image existing = images.get(t);
        if (existing != null) {
            return existing;
        }
        String repo = prefix + "/image";
        byte[] layer = new byte[4096];
        fill(layer, 0, layer.length, new SplittableRandom(salt ^ 0x4000));
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + BenchHttp.digest(layer) + "\"]},\"config\":{\"Labels\":{\"bench\":\"" + Long.toHexString(salt) + "\"}}}")
                .getBytes(StandardCharsets.UTF_8);
        String configDigest = BenchHttp.digest(config);
        String layerDigest = BenchHttp.digest(layer);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
                + OCI_CONFIG + "\",\"digest\":\"" + configDigest + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\""
                + OCI_LAYER + "\",\"digest\":\"" + layerDigest + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
        String manifestDigest = BenchHttp.digest(manifest);
        List<String> tags = new ArrayList<>();
        tags.add("latest");
        for (int i = 1; i < TAGS; i++) {
            tags.add("v" + i);
        }
        try (BenchHttp http = t.client()) {
            pushMonolithic(http, repo, config, 0, config.length, configDigest);
            pushMonolithic(http, repo, layer, 0, layer.length, layerDigest);
            for (String tag : tags) {
                putManifest(http, repo, tag, manifest, manifestDigest);
            }
        }
        Image image = new Image(config, configDigest, layer, layerDigest, manifest, manifestDigest, List.copyOf(tags));
        images.put(t, image);
        return image;
    }

    private void verifyImage(Target t, Image image) throws IOException, Failure {
        String repo = prefix + "/image";
        try (BenchHttp http = t.client()) {
            Response head = http.exchange("HEAD", "/v2/" + repo + "/manifests/latest", null, Sink.DISCARD, "Accept", OCI_MANIFEST);
            expect(head, 200, "HEAD manifest by tag");
            expectDigest(head, image.manifestDigest(), "HEAD manifest by tag");
            expectLength(head, image.manifest().length, "HEAD manifest by tag");
            Response get = http.exchange("GET", "/v2/" + repo + "/manifests/latest", null, Sink.COLLECT, "Accept", OCI_MANIFEST);
            expect(get, 200, "GET manifest by tag");
            expectDigest(get, image.manifestDigest(), "GET manifest by tag");
            if (!Arrays.equals(get.body(), image.manifest())) {
                throw new Failure("GET manifest by tag: body differs from the manifest pushed");
            }
            Response tags = http.exchange("GET", "/v2/" + repo + "/tags/list", null, Sink.COLLECT);
            expect(tags, 200, "GET tags/list");
            List<String> listed = jsonStrings(tags.text(), "tags");
            if (!listed.containsAll(image.tags()) || listed.size() != image.tags().size()) {
                throw new Failure("GET tags/list: expected " + image.tags() + ", got " + tags.text());
            }
            long n = pull(http, repo, image.layerDigest(), image.layer().length);
            if (n != image.layer().length) {
                throw new Failure("GET small blob: " + n + " bytes");
            }
        }
    }

    // ================================================================== 5. catalog

    void catalog() {
        Metric m = report.metric("5", "catalog", "catalog, " + o.repos + " repositories, GET /v2/_catalog?n=1000 (wrk)",
                "req/s", Better.HIGHER, Goal.ratioAtLeast(5));
        progress.say("workload 5: catalog of " + o.repos + " repositories (creating them first)");
        mark();
        Metric onePage = report.metric("5b", "catalog-page-latency",
                "catalog, " + o.repos + " repositories, one GET /v2/_catalog?n=1000 after " + CATALOG_IDLE.toMillis()
                        + " ms idle (no walk reused)", "ms", Better.LOWER, Goal.atMost(1000, "ms"));
        Metric allPages = report.metric("5c", "catalog-pages-latency",
                "catalog, " + o.repos + " repositories, every page of n=100 (following Link) after "
                        + CATALOG_IDLE.toMillis() + " ms idle", "ms", Better.LOWER, Goal.ratioAtMost(1));
        String path = "/v2/_catalog?n=1000";
        for (Target t : targets) {
            String counted;
            try {
                Image image = image(t);
                long t0 = System.nanoTime();
                List<String> names = new ArrayList<>();
                try (BenchHttp http = t.client()) {
                    for (int i = 0; i < o.repos; i++) {
                        String repo = String.format(Locale.ROOT, "%s/catalog/r%03d", prefix, i);
                        names.add(repo);
                        mountOrPush(http, repo, prefix + "/image", image.config(), image.configDigest());
                        mountOrPush(http, repo, prefix + "/image", image.layer(), image.layerDigest());
                        putManifest(http, repo, "latest", image.manifest(), image.manifestDigest());
                    }
                    double setup = (System.nanoTime() - t0) / 1e9;
                    Response r = http.exchange("GET", path, null, Sink.COLLECT);
                    expect(r, 200, "GET " + path);
                    List<String> listed = jsonStrings(r.text(), "repositories");
                    boolean more = r.header("link") != null;
                    if (!more && !listed.containsAll(names)) {
                        List<String> missing = new ArrayList<>(names);
                        missing.removeAll(listed);
                        throw new Failure("GET " + path + ": " + missing.size() + " of the " + o.repos
                                + " repositories created are missing, e.g. " + missing.get(0));
                    }
                    counted = String.format(Locale.ROOT, "response lists %d repositories (%d bytes)%s; creating %d repos took %.1f s",
                            listed.size(), r.bodyLength(), more ? ", with a Link to more" : "", o.repos, setup);
                }
            } catch (Exception e) {
                m.fail(t.label, "setup: " + message(e) + logExcerpt(t));
                continue;
            }
            try {
                catalogLatency(t, onePage, allPages);
            } catch (Exception e) {
                onePage.fail(t.label, message(e) + logExcerpt(t));
                allPages.fail(t.label, message(e) + logExcerpt(t));
            }
            if (o.s3 && o.repos > 200) {
                // each request lists about as many directories as the page has names: 32 such
                // walks at once of 1,000 repositories on s3proxy did not answer within wrk's
                // warm-up on either server (registry:2 gave 500 after 5 s)
                m.skip(t.label, "on S3 with more than 200 repositories only the latencies 5b and 5c are measured");
                continue;
            }
            try {
                String detail = runWrk(t, "GET", path, List.of());
                double rate = Double.parseDouble(detail.substring(0, detail.indexOf(' ')));
                m.value(t.label, rate, detail.substring(detail.indexOf(' ') + 1) + "; " + counted);
            } catch (Exception e) {
                m.fail(t.label, message(e) + logExcerpt(t));
            }
        }
    }

    /**
     * How long before a catalog request: longer than our server reuses a walk that covered every
     * repository (0.5 s), so each timed request lists the store, as the first request after a
     * quiet spell does. Throughput with reuse is what wrk measures.
     */
    private static final Duration CATALOG_IDLE = Duration.ofMillis(600);

    /** 5b and 5c: the latency of one large page, and of paging through everything, each after a pause. */
    private void catalogLatency(Target t, Metric onePage, Metric allPages) throws IOException, Failure, InterruptedException {
        List<Double> single = new ArrayList<>();
        List<Double> paged = new ArrayList<>();
        int pages = 0;
        try (BenchHttp http = t.client()) {
            for (int i = 0; i < 3 + 7; i++) { // three untimed rounds for the JIT
                Thread.sleep(CATALOG_IDLE.toMillis());
                long t0 = System.nanoTime();
                Response r = http.exchange("GET", "/v2/_catalog?n=1000", null, Sink.COLLECT);
                double ms = (System.nanoTime() - t0) / 1e6;
                expect(r, 200, "GET /v2/_catalog?n=1000");
                Thread.sleep(CATALOG_IDLE.toMillis());
                t0 = System.nanoTime();
                int names = 0;
                pages = 0;
                String next = "/v2/_catalog?n=100";
                while (next != null) {
                    Response page = http.exchange("GET", next, null, Sink.COLLECT);
                    expect(page, 200, "GET " + next);
                    names += jsonStrings(page.text(), "repositories").size();
                    pages++;
                    String link = page.header("link");
                    next = link == null ? null : BenchHttp.targetOf(link.substring(link.indexOf('<') + 1, link.indexOf('>')));
                    if (pages > 100_000) {
                        throw new Failure("GET /v2/_catalog?n=100: more than 100,000 pages");
                    }
                }
                double pagedMs = (System.nanoTime() - t0) / 1e6;
                if (names < o.repos) {
                    throw new Failure("paging through the catalog listed " + names + " names, fewer than the " + o.repos + " repositories created");
                }
                if (i >= 3) {
                    single.add(ms);
                    paged.add(pagedMs);
                }
            }
        }
        onePage.value(t.label, median(single), List.copyOf(single), "median of " + single.size() + spread(single));
        allPages.value(t.label, median(paged), List.copyOf(paged),
                "median of " + paged.size() + ", " + pages + " pages each" + spread(paged));
    }

    private void mountOrPush(BenchHttp http, String repo, String from, byte[] content, String digest)
            throws IOException, Failure {
        Response post = http.exchange("POST", "/v2/" + repo + "/blobs/uploads/?mount=" + enc(digest) + "&from=" + enc(from),
                null, Sink.COLLECT);
        if (post.status() == 201) {
            expectDigest(post, digest, "POST mount");
            return;
        }
        expect(post, 202, "POST mount (falls back to an upload)");
        String loc = BenchHttp.targetOf(post.header("location"));
        Response put = http.exchange("PUT", BenchHttp.withQuery(loc, "digest", digest), BenchHttp.bytes(content), Sink.COLLECT,
                "Content-Type", "application/octet-stream");
        expect(put, 201, "PUT upload ?digest=");
        expectDigest(put, digest, "PUT upload");
    }

    // ================================================================== 6. small pushes

    /**
     * Warm-up of workload 6: rounds of pushes until the rate levels off (three rounds in a row
     * within 5% of each other), at least the minimum and at most the maximum count, and for at
     * most this long. A fixed count was not enough on a loaded machine: with other processes
     * competing for the CPU, the JIT compilers took several thousand pushes to catch up, and a
     * server still being compiled was measured at a fifth of its warm rate.
     */
    private static final int SMALL_PUSH_WARMUP_MIN = 2000;
    private static final int SMALL_PUSH_WARMUP_MAX = 8000;
    private static final int SMALL_PUSH_WARMUP_ROUND = 250;
    private static final Duration SMALL_PUSH_WARMUP = Duration.ofSeconds(60);

    private final Map<Target, Integer> warmupPushes = new LinkedHashMap<>();

    void smallPushes() {
        Metric m = report.metric("6", "small-blob-push-sequential",
                o.smallPushes + " sequential 4 KiB blob pushes (POST + PUT), one connection", "ops/s", Better.HIGHER, Goal.ratioAtLeast(2));
        progress.say("workload 6: " + o.smallPushes + " sequential 4 KiB pushes");
        mark();
        String repo = prefix + "/small";
        int warmups = 30;
        int total = warmups + o.smallPushes;
        byte[][] blobs = new byte[total][];
        String[] digests = new String[total];
        SplittableRandom random = new SplittableRandom(salt ^ 0x6000);
        for (int i = 0; i < total; i++) {
            blobs[i] = new byte[4096];
            fill(blobs[i], 0, 4096, random);
            digests[i] = BenchHttp.digest(blobs[i]);
        }
        for (Target t : targets) {
            try (BenchHttp http = t.client()) {
                for (int i = 0; i < warmups; i++) {
                    pushMonolithic(http, repo, blobs[i], 0, 4096, digests[i]);
                }
                // then more pushes of fresh blobs: a JIT-compiled server pushes about half as
                // fast for its first thousand or so, and steady state is what is measured here,
                // whether or not this workload runs after the others
                SplittableRandom warmupRandom = new SplittableRandom(salt ^ 0x6001);
                byte[] warm = new byte[4096];
                long warmUntil = System.nanoTime() + Math.max(o.warmup.toNanos(), SMALL_PUSH_WARMUP.toNanos());
                int pushed = 0;
                double[] rounds = new double[3]; // the last three rounds' rates, newest first
                boolean level = false;
                while (pushed < SMALL_PUSH_WARMUP_MAX && !(level && pushed >= SMALL_PUSH_WARMUP_MIN)
                        && System.nanoTime() < warmUntil) {
                    long roundStart = System.nanoTime();
                    for (int i = 0; i < SMALL_PUSH_WARMUP_ROUND; i++, pushed++) {
                        fill(warm, 0, warm.length, warmupRandom);
                        pushMonolithic(http, repo + "-warmup", warm, 0, warm.length, BenchHttp.digest(warm));
                    }
                    rounds[2] = rounds[1];
                    rounds[1] = rounds[0];
                    rounds[0] = SMALL_PUSH_WARMUP_ROUND / ((System.nanoTime() - roundStart) / 1e9);
                    double low = Math.min(rounds[0], Math.min(rounds[1], rounds[2]));
                    double high = Math.max(rounds[0], Math.max(rounds[1], rounds[2]));
                    level = low > 0 && high / low <= 1.05;
                }
                warmupPushes.put(t, pushed);
                int connectsBefore = http.connects();
                settleDisk();
                long t0 = System.nanoTime();
                for (int i = warmups; i < total; i++) {
                    pushMonolithic(http, repo, blobs[i], 0, 4096, digests[i]);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                int reconnects = http.connects() - connectsBefore;
                String detail = String.format(Locale.ROOT, "%d pushes in %.2f s, %.2f ms each, after %d warm-up pushes",
                        o.smallPushes, seconds, seconds * 1000 / o.smallPushes, warmupPushes.get(t))
                        + (reconnects > 0 ? "; the server closed the keep-alive connection, " + reconnects + " reconnects" : "");
                if (reconnects > 0) {
                    report.note("6 [" + t.label + "]: the server closed the keep-alive connection during sequential pushes ("
                            + reconnects + " reconnects in " + o.smallPushes + " pushes)");
                }
                m.value(t.label, o.smallPushes / seconds, detail);
            } catch (Exception e) {
                m.fail(t.label, message(e) + logExcerpt(t));
            }
        }
    }

    // ================================================================== 7. memory

    /**
     * Streams one blob of {@code o.memoryMiB} in a single chunked PATCH, commits it, pulls it
     * {@code o.memoryGets} times in parallel (verified), and reports the server's peak RSS.
     */
    void memory(Target t, Metric rss, Metric push, Metric pull) {
        long size = o.memoryMiB * MIB;
        String repo = prefix + "/memory";
        AtomicBoolean sampling = new AtomicBoolean(true);
        AtomicLong maxRss = new AtomicLong(-1);
        Thread sampler = null;
        if (t.pid != null) {
            long pid = t.pid;
            sampler = new Thread(() -> {
                while (sampling.get()) {
                    long kib = ServerProcess.statusKiB(pid, "VmRSS");
                    maxRss.accumulateAndGet(kib, Math::max);
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "rss-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }
        ExecutorService pool = Executors.newFixedThreadPool(o.memoryGets, daemon("memory-pull"));
        try {
            String digest;
            double pushSeconds;
            try (BenchHttp http = t.client()) {
                settleDisk();
                long t0 = System.nanoTime();
                Response post = http.exchange("POST", "/v2/" + repo + "/blobs/uploads/", null, Sink.COLLECT);
                expect(post, 202, "POST upload");
                String loc = BenchHttp.targetOf(post.header("location"));
                MessageDigest md = BenchHttp.sha256();
                Response patch = http.exchange("PATCH", loc, BenchHttp.chunked(out -> generate(out, size, salt ^ 0x7000, md)),
                        Sink.COLLECT, "Content-Type", "application/octet-stream");
                digest = "sha256:" + HexFormat.of().formatHex(md.digest());
                expect(patch, 202, "PATCH (one chunked-encoded body of " + o.memoryMiB + " MiB)");
                expectRange(patch, size, "PATCH");
                loc = BenchHttp.targetOf(patch.header("location"));
                Response put = http.exchange("PUT", BenchHttp.withQuery(loc, "digest", digest), null, Sink.COLLECT);
                expect(put, 201, "PUT ?digest= after the streamed PATCH");
                expectDigest(put, digest, "PUT ?digest=");
                pushSeconds = (System.nanoTime() - t0) / 1e9;
                verifyBlob(http, repo, digest, size);
            }
            push.value(t.label, size / (double) MIB / pushSeconds, String.format(Locale.ROOT, "%.1f s", pushSeconds));
            long t0 = System.nanoTime();
            long n = parallelPull(pool, t, repo, digest, size, o.memoryGets);
            double seconds = (System.nanoTime() - t0) / 1e9;
            pull.value(t.label, n / (double) MIB / seconds, String.format(Locale.ROOT, "%.1f GiB in %.1f s", n / GIB, seconds));
            sampling.set(false);
            if (t.pid == null) {
                rss.skip(t.label, "no server pid (give --pid)");
            } else {
                long hwm = ServerProcess.statusKiB(t.pid, "VmHWM");
                long peak = Math.max(hwm, maxRss.get());
                rss.value(t.label, peak / 1024.0, String.format(Locale.ROOT,
                        "VmHWM %.0f MiB, highest VmRSS sampled every 20 ms %.0f MiB, VmRSS at the end %.0f MiB%s",
                        hwm / 1024.0, maxRss.get() / 1024.0, ServerProcess.statusKiB(t.pid, "VmRSS") / 1024.0,
                        t.server == null ? " (VmHWM is the peak since the process started, not only this workload's)" : ""));
            }
        } catch (Exception e) {
            String why = message(e) + logExcerpt(t);
            for (Metric metric : List.of(rss, push, pull)) {
                if (!metric.outcomes.containsKey(t.label)) {
                    metric.fail(t.label, why);
                }
            }
            if (t.pid != null) {
                report.note("7 [" + t.label + "]: peak RSS (VmHWM) when the workload failed: "
                        + ServerProcess.statusKiB(t.pid, "VmHWM") / 1024 + " MiB");
            }
        } finally {
            sampling.set(false);
            pool.shutdownNow();
            if (sampler != null) {
                sampler.interrupt();
            }
        }
    }

    private static void generate(OutputStream out, long size, long seed, MessageDigest md) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] buffer = new byte[1 << 20];
        long done = 0;
        while (done < size) {
            int n = (int) Math.min(buffer.length, size - done);
            fill(buffer, 0, n, random);
            md.update(buffer, 0, n);
            out.write(buffer, 0, n);
            done += n;
        }
    }

    // ================================================================== protocol helpers

    private void pushMonolithic(BenchHttp http, String repo, byte[] data, long off, long len, String digest)
            throws IOException, Failure {
        Response post = http.exchange("POST", "/v2/" + repo + "/blobs/uploads/", null, Sink.COLLECT);
        expect(post, 202, "POST /v2/" + repo + "/blobs/uploads/");
        String loc = BenchHttp.targetOf(post.header("location"));
        Response put = http.exchange("PUT", BenchHttp.withQuery(loc, "digest", digest), BenchHttp.bytes(data, off, len),
                Sink.COLLECT, "Content-Type", "application/octet-stream");
        expect(put, 201, "PUT upload ?digest= (" + len + " bytes)");
        expectDigest(put, digest, "PUT upload ?digest=");
    }

    private void pushChunked(BenchHttp http, String repo, byte[] data, long len, long chunk, String digest)
            throws IOException, Failure {
        Response post = http.exchange("POST", "/v2/" + repo + "/blobs/uploads/", null, Sink.COLLECT);
        expect(post, 202, "POST /v2/" + repo + "/blobs/uploads/");
        String loc = BenchHttp.targetOf(post.header("location"));
        long offset = 0;
        while (offset < len) {
            long n = Math.min(chunk, len - offset);
            Response patch = http.exchange("PATCH", loc, BenchHttp.bytes(data, offset, n), Sink.COLLECT,
                    "Content-Type", "application/octet-stream", "Content-Range", offset + "-" + (offset + n - 1));
            expect(patch, 202, "PATCH Content-Range " + offset + "-" + (offset + n - 1));
            expectRange(patch, offset + n, "PATCH Content-Range " + offset + "-" + (offset + n - 1));
            loc = BenchHttp.targetOf(patch.header("location"));
            offset += n;
        }
        Response put = http.exchange("PUT", BenchHttp.withQuery(loc, "digest", digest), null, Sink.COLLECT);
        expect(put, 201, "PUT ?digest= after " + (len + chunk - 1) / chunk + " PATCHes");
        expectDigest(put, digest, "PUT ?digest= after PATCHes");
    }

    private void putManifest(BenchHttp http, String repo, String reference, byte[] manifest, String digest)
            throws IOException, Failure {
        Response put = http.exchange("PUT", "/v2/" + repo + "/manifests/" + reference, BenchHttp.bytes(manifest), Sink.COLLECT,
                "Content-Type", OCI_MANIFEST);
        expect(put, 201, "PUT manifest " + repo + ":" + reference);
        expectDigest(put, digest, "PUT manifest " + repo + ":" + reference);
    }

    private static void verifyBlob(BenchHttp http, String repo, String digest, long size) throws IOException, Failure {
        Response head = http.exchange("HEAD", "/v2/" + repo + "/blobs/" + digest, null, Sink.DISCARD);
        expect(head, 200, "HEAD blob after the push");
        expectLength(head, size, "HEAD blob after the push");
        expectDigest(head, digest, "HEAD blob after the push");
    }

    /** GETs a blob, hashing it as it arrives; checks status, length, digest header and content digest. */
    private static long pull(BenchHttp http, String repo, String digest, long size) throws IOException, Failure {
        Response r = getBlob(http, repo, digest, size, Sink.HASH);
        if (!digest.equals(r.digest())) {
            throw new Failure("GET blob: content hashes to " + r.digest() + ", expected " + digest);
        }
        expectDigest(r, digest, "GET blob");
        if (r.header("content-length") != null) {
            expectLength(r, size, "GET blob");
        }
        return r.bodyLength();
    }

    /** A GET of the blob whose bytes are counted, not hashed; its digest was checked by {@link #pull} before. */
    private static long pullCounted(BenchHttp http, String repo, String digest, long size) throws IOException, Failure {
        Response r = getBlob(http, repo, digest, size, Sink.DISCARD);
        expectDigest(r, digest, "GET blob");
        return r.bodyLength();
    }

    /** A GET of a blob that must answer 200 with {@code size} bytes, read into {@code sink}. */
    private static Response getBlob(BenchHttp http, String repo, String digest, long size, Sink sink)
            throws IOException, Failure {
        Response r = http.exchange("GET", "/v2/" + repo + "/blobs/" + digest, null, sink);
        if (r.status() != 200) {
            throw new Failure("GET blob: expected HTTP 200, got HTTP " + r.status());
        }
        if (r.bodyLength() != size) {
            throw new Failure("GET blob: received " + r.bodyLength() + " bytes, expected " + size);
        }
        return r;
    }

    private static void expect(Response r, int status, String what) throws Failure {
        if (r.status() != status) {
            throw new Failure(what + ": expected HTTP " + status + ", got " + r.describe());
        }
    }

    private static void expectDigest(Response r, String digest, String what) throws Failure {
        String header = r.header("docker-content-digest");
        if (!digest.equals(header)) {
            throw new Failure(what + ": Docker-Content-Digest is " + header + ", expected " + digest);
        }
    }

    private static void expectLength(Response r, long size, String what) throws Failure {
        String header = r.header("content-length");
        if (header == null || Long.parseLong(header) != size) {
            throw new Failure(what + ": Content-Length is " + header + ", expected " + size);
        }
    }

    private static void expectRange(Response r, long received, String what) throws Failure {
        String range = r.header("range");
        String expected = "0-" + (received - 1);
        if (!expected.equals(range)) {
            throw new Failure(what + ": Range is " + range + ", expected " + expected);
        }
    }

    private static final Pattern JSON_STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** The strings of the JSON array {@code "field": [...]} in {@code json} (flat arrays only). */
    static List<String> jsonStrings(String json, String field) {
        int at = json.indexOf("\"" + field + "\"");
        List<String> out = new ArrayList<>();
        if (at < 0) {
            return out;
        }
        int open = json.indexOf('[', at);
        int close = json.indexOf(']', open);
        if (open < 0 || close < 0) {
            return out;
        }
        Matcher m = JSON_STRING.matcher(json.substring(open + 1, close));
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    // ================================================================== bookkeeping

    private Map<Target, List<Double>> samples() {
        Map<Target, List<Double>> samples = new LinkedHashMap<>();
        for (Target t : targets) {
            samples.put(t, new ArrayList<>());
        }
        return samples;
    }

    private void finish(Metric m, Map<Target, List<Double>> samples, Map<Target, String> failed, String how) {
        for (Target t : targets) {
            if (failed.containsKey(t)) {
                m.fail(t.label, failed.get(t) + logExcerpt(t));
            } else {
                List<Double> s = samples.get(t);
                StringBuilder detail = new StringBuilder(how).append(" of");
                for (double v : s) {
                    detail.append(' ').append(Report.fmt(v));
                }
                detail.append(spread(s));
                m.value(t.label, median(s), List.copyOf(s), detail.toString());
            }
        }
    }

    /**
     * How far the lowest and highest sample lie from the median, e.g. {@code " (-12% .. +8%)"}:
     * the repetition-to-repetition swing, which the median alone hides. Empty for one sample.
     */
    static String spread(List<Double> values) {
        double median = median(values);
        if (values.size() < 2 || median <= 0) {
            return "";
        }
        double low = values.stream().mapToDouble(Double::doubleValue).min().orElse(median);
        double high = values.stream().mapToDouble(Double::doubleValue).max().orElse(median);
        return String.format(Locale.ROOT, " (%+.0f%% .. %+.0f%% of the median)", (low / median - 1) * 100, (high / median - 1) * 100);
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Remembers where each server's log ends, to quote what a failing workload made it log. */
    void mark() {
        for (Target t : targets) {
            if (t.server != null) {
                logMarks.put(t, t.server.logSize());
            }
        }
    }

    private String logExcerpt(Target t) {
        if (t.server == null) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        if (!t.server.alive()) {
            b.append("\nserver process exited with code ").append(t.server.process.exitValue());
        }
        String lines = t.server.logSince(logMarks.getOrDefault(t, 0L), 15);
        if (!lines.isBlank()) {
            b.append("\nserver log (").append(t.server.log).append(") during this workload:\n").append(lines);
        }
        return b.toString();
    }

    private static long cpuTicks(Target t) throws IOException {
        return t.pid == null ? 0 : ServerProcess.cpuTicks(t.pid);
    }

    static String message(Throwable e) {
        if (e instanceof Failure) {
            return e.getMessage();
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private byte[] big() {
        if (big == null) {
            big = new byte[(int) (o.blobMiB * MIB)];
            fill(big, 0, big.length, new SplittableRandom(salt));
        }
        return big;
    }

    /** A 16 MiB (at most the blob size) warm-up blob with its own content. */
    private byte[] warm(long marker) {
        if (warm == null) {
            warm = new byte[(int) (Math.min(16, o.blobMiB) * MIB)];
            fill(warm, 0, warm.length, new SplittableRandom(salt ^ 0x5555));
        }
        stamp(warm, marker);
        return warm;
    }

    /** Makes content unique per push: the first 8 bytes are the run's salt mixed with a marker. */
    private void stamp(byte[] data, long marker) {
        LONGS.set(data, 0, salt * 31 + marker);
    }

    static void fill(byte[] b, int off, int len, SplittableRandom random) {
        int i = off;
        int end = off + len;
        for (; i + 8 <= end; i += 8) {
            LONGS.set(b, i, random.nextLong());
        }
        for (; i < end; i++) {
            b[i] = (byte) random.nextInt();
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread thread = new Thread(r, name + "-" + n.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
