package dev.registry.bench;

import dev.registry.bench.Report.Better;
import dev.registry.bench.Report.Goal;
import dev.registry.bench.Report.Metric;
import dev.registry.bench.ServerProcess.Kind;
import dev.registry.bench.Workloads.Target;

import java.io.IOException;
import dev.registry.storage.driver.s3.S3ProxyServer;

import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Registry benchmark. Side by side (the default): starts our registry ({@code java -jar
 * registry-server.jar serve}) and the reference CNCF Distribution ({@code docker-registry
 * serve}), each on its own free loopback port with fresh storage under one temporary directory
 * and the access log off, runs every workload against both with the same parameters, and
 * prints both figures and the ratio ours/reference. With {@code --against URL}: drives one
 * registry that is already running. See docs/benchmark.md; {@code --help} lists the options.
 */
public final class RegistryBenchmark {
    private RegistryBenchmark() {
    }

    static final String USAGE = """
            usage: RegistryBenchmark [options]

              side by side (default): starts our registry and docker-registry, runs all workloads on both
              --against URL        drive a registry already running at URL (http://host:port) instead
              --pid PID            with --against: the server's pid, for CPU (3c) and memory (7a) figures

              --jar PATH           our registry-server.jar (copied to the work directory before starting)
                                   [registry-server/target/registry-server.jar]
              --java PATH          java for our server [the java running the benchmark]
              --reference PATH     the reference registry binary [docker-registry]
              --our-jvm-opts "..." extra JVM options for our server in workloads 1-6 and 8 []
              --log-level LEVEL    log.level of both servers [warn]

              --workloads LIST     which workloads, e.g. 1,2,3 or 4-6 [1-9]
              --quick              smaller run: --blob-mib 64 --reps 2 --duration 5s --warmup 2s
                                   --memory-mib 512 --startups 3
              --blob-mib N         blob size of workloads 1-3 and 9 [256]
              --chunk-mib N        PATCH size of workload 2 [8]
              --reps N             repetitions of workloads 1-3 and 9 (median reported) [3]
              --parallel N         parallel GETs of workload 3 [4]
              --duration D         length of each request-rate measurement, e.g. 10s [10s]
              --warmup D           warm-up before each request-rate measurement [5s]
              --connections N      keep-alive connections for request rates [32]
              --threads N          wrk / load generator threads [2]
              --repos N            repositories in the catalog workload (5, 5b, 5c) [200]
              --small-pushes N     sequential 4 KiB pushes of workload 6 [300]
              --memory-mib N       blob size of workload 7 [2048]
              --memory-gets N      parallel GETs of workload 7 [8]
              --memory-xmx SIZE    -Xmx of our server in workload 7 [128m]
              --startups N         start-ups measured per registry in workload 8 [5]
              --s3                 both servers store on S3: one s3proxy (jar from --s3proxy-jar or the
                                   s3proxy.jar system property), a fresh bucket each, redirects off
              --s3-tls             as --s3, with s3proxy over https (a self-signed certificate both
                                   servers take unverified, skipverify), as real S3 endpoints are
              --s3proxy-jar PATH   the s3proxy jar-with-dependencies for --s3
              --s3-floor PATH      src/test/bench/S3Floor.java: with --s3 (plain http), run after
                                   workload 2 to note the floor of its S3 requests (run.sh gives it)
              --workdir DIR        where both servers keep their storage (and logs): the disk
                                   measured, e.g. a tmpfs or RAM-backed ext4 [a new temporary directory]
              --keep               keep the storage directories afterwards (logs are always kept)
            """;

    /** Options; public fields with defaults. */
    static final class Options {
        String against;
        Long pid;
        Path jar = Path.of(System.getProperty("bench.jar", "registry-server/target/registry-server.jar"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String reference = "docker-registry";
        List<String> ourJvmOpts = List.of();
        String logLevel = "warn";
        Set<Integer> workloads = new TreeSet<>(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9));
        long blobMiB = 256;
        long chunkMiB = 8;
        int reps = 3;
        int parallel = 4;
        Duration duration = Duration.ofSeconds(10);
        Duration warmup = Duration.ofSeconds(5);
        int connections = 32;
        int threads = 2;
        int repos = 200;
        int smallPushes = 300;
        long memoryMiB = 2048;
        int memoryGets = 8;
        String memoryXmx = "128m";
        int startups = 5;
        Path workdir;
        boolean s3;
        boolean s3Tls;
        String s3proxyJar;
        Path s3Floor;
        boolean keep;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String value = null;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    value = arg.substring(eq + 1);
                    arg = arg.substring(0, eq);
                }
                switch (arg) {
                    case "-h", "--help" -> throw new UsageException(null);
                    case "--quick" -> {
                        o.blobMiB = 64;
                        o.reps = 2;
                        o.duration = Duration.ofSeconds(5);
                        o.warmup = Duration.ofSeconds(2);
                        o.memoryMiB = 512;
                        o.startups = 3;
                    }
                    case "--keep" -> o.keep = true;
                    case "--s3" -> o.s3 = true;
                    case "--s3-tls" -> {
                        o.s3 = true;
                        o.s3Tls = true;
                    }
                    default -> {
                        if (value == null) {
                            if (i + 1 >= args.length) {
                                throw new UsageException("missing value for " + arg);
                            }
                            value = args[++i];
                        }
                        o.set(arg, value);
                    }
                }
            }
            if (o.blobMiB < 1 || o.blobMiB > 1024) {
                throw new UsageException("--blob-mib must be 1..1024 (the blob is held in memory)");
            }
            if (o.reps < 1 || o.chunkMiB < 1 || o.parallel < 1 || o.connections < 1 || o.threads < 1
                    || o.repos < 1 || o.smallPushes < 1 || o.memoryMiB < 1 || o.memoryGets < 1 || o.startups < 1) {
                throw new UsageException("counts and sizes must be positive");
            }
            return o;
        }

        private void set(String name, String value) {
            try {
                switch (name) {
                    case "--against" -> against = value.replaceAll("/+$", "");
                    case "--pid" -> pid = Long.parseLong(value);
                    case "--jar" -> jar = Path.of(value);
                    case "--java" -> java = Path.of(value);
                    case "--reference" -> reference = value;
                    case "--our-jvm-opts" -> ourJvmOpts = value.isBlank() ? List.of() : List.of(value.strip().split("\\s+"));
                    case "--log-level" -> logLevel = value;
                    case "--workloads" -> workloads = parseSet(value);
                    case "--blob-mib" -> blobMiB = Long.parseLong(value);
                    case "--chunk-mib" -> chunkMiB = Long.parseLong(value);
                    case "--reps" -> reps = Integer.parseInt(value);
                    case "--parallel" -> parallel = Integer.parseInt(value);
                    case "--duration" -> duration = parseDuration(value);
                    case "--warmup" -> warmup = parseDuration(value);
                    case "--connections" -> connections = Integer.parseInt(value);
                    case "--threads" -> threads = Integer.parseInt(value);
                    case "--repos" -> repos = Integer.parseInt(value);
                    case "--small-pushes" -> smallPushes = Integer.parseInt(value);
                    case "--memory-mib" -> memoryMiB = Long.parseLong(value);
                    case "--memory-gets" -> memoryGets = Integer.parseInt(value);
                    case "--memory-xmx" -> memoryXmx = value;
                    case "--startups" -> startups = Integer.parseInt(value);
                    case "--workdir" -> workdir = Path.of(value);
                    case "--s3proxy-jar" -> s3proxyJar = value;
                    case "--s3-floor" -> s3Floor = Path.of(value);
                    default -> throw new UsageException("unknown option " + name);
                }
            } catch (NumberFormatException e) {
                throw new UsageException("bad value for " + name + ": " + value);
            }
        }

        static Set<Integer> parseSet(String value) {
            Set<Integer> set = new TreeSet<>();
            for (String part : value.split(",")) {
                String p = part.strip();
                int dash = p.indexOf('-');
                if (dash > 0) {
                    for (int i = Integer.parseInt(p.substring(0, dash)); i <= Integer.parseInt(p.substring(dash + 1)); i++) {
                        set.add(i);
                    }
                } else if (!p.isEmpty()) {
                    set.add(Integer.parseInt(p));
                }
            }
            return set;
        }

        static Duration parseDuration(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            if (v.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(v));
        }
    }

    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** Progress lines on stderr, with the time since the start. */
    static final class Progress {
        private final long start = System.nanoTime();
        private final PrintStream err;

        Progress(PrintStream err) {
            this.err = err;
        }

        void say(String text) {
            err.printf(Locale.ROOT, "[%6.1fs] %s%n", (System.nanoTime() - start) / 1e9, text);
            err.flush();
        }

        double seconds() {
            return (System.nanoTime() - start) / 1e9;
        }
    }

    /**
     * Exits with {@link #run}'s status; under {@code mvn exec:java} (system property
     * {@code bench.exit=false}) throws instead, so that Maven reports the failure.
     */
    public static void main(String[] args) throws Exception {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            if (Boolean.parseBoolean(System.getProperty("bench.exit", "true"))) {
                System.exit(code);
            }
            throw new IllegalStateException(code == 1 ? "some workloads FAILED (see the problems above)" : "bad usage or set-up");
        }
    }

    /** Returns 0 when every workload gave figures, 1 when some FAILED, 2 on bad usage or set-up. */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (UsageException e) {
            if (e.getMessage() != null) {
                err.println(e.getMessage());
            }
            err.print(USAGE);
            return e.getMessage() == null ? 0 : 2;
        }
        Progress progress = new Progress(err);
        Path workdir = o.workdir != null ? Files.createDirectories(o.workdir.toAbsolutePath())
                : Files.createTempDirectory("registry-bench-");
        long salt = ThreadLocalRandom.current().nextLong();
        boolean sideBySide = o.against == null;
        String machine = machine(o, sideBySide);
        progress.say("machine: " + machine);
        progress.say("work directory (configs, server logs, wrk scripts): " + workdir);
        List<String> labels = sideBySide ? List.of(Kind.OURS.label, Kind.REFERENCE.label) : List.of("target");
        Report report = new Report(labels);
        report.note(describeParameters(o));
        Path scratch = workdir.resolve("wrk");

        List<ServerProcess> mainServers = new ArrayList<>();
        List<Target> targets = new ArrayList<>();
        ServerProcess.Launch launch = null;
        S3ProxyServer s3 = null;
        try {
            if (o.s3 && sideBySide) {
                if (o.s3proxyJar != null) {
                    System.setProperty("s3proxy.jar", o.s3proxyJar);
                }
                s3 = S3ProxyServer.start(workdir.resolve("s3proxy"), "1g", "filesystem", o.s3Tls);
                progress.say("s3proxy on " + s3.endpoint() + ", pid " + s3.pid() + ", buckets under " + workdir.resolve("s3proxy"));
                report.note("storage: s3 on s3proxy " + s3.endpoint() + " (filesystem blob store in " + workdir.resolve("s3proxy")
                        + "), a fresh bucket per server, storage.redirect.disable on both"
                        + (o.s3Tls ? ", over https (self-signed, skipverify on both)" : ", over plain http")
                        + "; its CPU is not in the servers' figures");
            }
            if (sideBySide) {
                Path jar = o.jar.toAbsolutePath().normalize();
                if (!Files.isRegularFile(jar)) {
                    err.println("our registry jar not found: " + jar + " (build it, or give --jar)");
                    return 2;
                }
                Path copy = workdir.resolve("registry-server.jar");
                Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
                progress.say("our server: " + jar + " (copied to " + copy + ")");
                launch = new ServerProcess.Launch(o.java, copy, o.reference, o.logLevel, o.ourJvmOpts, s3);
                if (o.workloads.stream().anyMatch(w -> w <= 6)) {
                    for (Kind kind : Kind.values()) {
                        ServerProcess server = ServerProcess.start(kind, workdir.resolve(kind.label), launch, List.of());
                        mainServers.add(server);
                        targets.add(Target.of(server));
                        progress.say(String.format(Locale.ROOT, "%s: %s on port %d, pid %d, log %s (ready in %.0f ms)",
                                kind.label, kind == Kind.OURS ? "registry-server.jar" : o.reference, server.port, server.pid(),
                                server.log, server.startupNanos / 1e6));
                    }
                }
            } else {
                URI uri = URI.create(o.against);
                if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
                    err.println("--against wants http://host:port");
                    return 2;
                }
                int port = uri.getPort() < 0 ? 80 : uri.getPort();
                targets.add(new Target("target", uri.getHost(), port, null, o.pid));
                try (BenchHttp http = new BenchHttp(uri.getHost(), port)) {
                    BenchHttp.Response r = http.exchange("GET", "/v2/", null, BenchHttp.Sink.COLLECT);
                    if (r.status() != 200) {
                        err.println("GET " + o.against + "/v2/ answered " + r.describe() + "; the benchmark needs an open registry");
                        return 2;
                    }
                }
            }
            String prefix = sideBySide ? "bench" : "bench-" + HexFormat.of().toHexDigits(salt).substring(0, 8);
            Workloads w = new Workloads(o, report, targets, scratch, prefix, salt, progress);
            if (o.workloads.contains(1)) {
                w.blobPushMonolithic();
            }
            if (o.workloads.contains(2)) {
                try (ChunkedFloor floor = s3 == null ? null : ChunkedFloor.start(o, report, launch.jar(), s3)) {
                    w.blobPushChunked(floor);
                }
            }
            if (o.workloads.contains(1) || o.workloads.contains(2)) {
                w.pushCpu();
                w.diskCeiling();
            }
            if (o.workloads.contains(3)) {
                w.blobPull();
            }
            if (o.workloads.contains(4)) {
                w.requestRates();
            }
            if (o.workloads.contains(5)) {
                w.catalog();
            }
            if (o.workloads.contains(6)) {
                w.smallPushes();
            }
            for (ServerProcess server : mainServers) {
                if (!server.alive()) {
                    report.problem(server.kind.label + " server exited (code " + server.process.exitValue()
                            + ") during the run; log " + server.log + ":\n" + ServerProcess.tail(server.log, 20));
                }
                server.close();
                if (!o.keep) {
                    server.deleteStorage();
                }
            }
            mainServers.clear();
            if (o.workloads.contains(9)) {
                if (sideBySide) {
                    tlsWorkload(o, report, launch, workdir, prefix, salt, progress);
                } else {
                    report.note("9 (TLS) needs to start both servers with one certificate: side-by-side mode only");
                }
            }
            if (o.workloads.contains(7)) {
                memoryWorkload(o, report, launch, workdir, targets, prefix, salt, progress, sideBySide);
            }
            if (o.workloads.contains(8)) {
                if (sideBySide) {
                    startupWorkload(o, report, launch, workdir, progress);
                } else {
                    report.note("8 (start-up) needs to start the servers: side-by-side mode only");
                }
            }
        } finally {
            for (ServerProcess server : mainServers) {
                server.close();
            }
            if (s3 != null) {
                s3.close();
            }
        }
        for (Path log : serverLogs(workdir)) {
            long bad = Files.readAllLines(log).stream()
                    .filter(l -> l.contains("ERROR") || l.contains("level=error") || l.contains("Exception")).count();
            if (bad > 0) {
                report.problem(log + " has " + bad + " error/exception lines; first of them:\n"
                        + String.join("\n", Files.readAllLines(log).stream()
                        .filter(l -> l.contains("ERROR") || l.contains("level=error") || l.contains("Exception")).limit(5).toList()));
            }
        }
        report.note(String.format(Locale.ROOT, "whole run took %.0f s; server logs and configs are in %s", progress.seconds(), workdir));
        report.print(out, machine);
        out.flush();
        return report.anyFailed() ? 1 : 0;
    }

    // ------------------------------------------------------------------ workload 7

    private static void memoryWorkload(Options o, Report report, ServerProcess.Launch launch, Path workdir,
                                       List<Target> aTargets, String prefix, long salt, Progress progress, boolean sideBySide)
            throws Exception {
        Metric rss = report.metric("7a", "memory-peak-rss", "memory: server peak RSS, " + o.memoryMiB + " MiB streamed push + "
                + o.memoryGets + " parallel GETs" + (sideBySide ? " (ours -Xmx" + o.memoryXmx + ")" : ""), "MiB", Better.LOWER,
                Goal.atMost(320, "MiB"));
        Metric push = report.metric("7b", "memory-streamed-push", "memory: one chunked-encoded PATCH of " + o.memoryMiB + " MiB + PUT",
                "MiB/s", Better.HIGHER, Goal.NONE);
        Metric pull = report.metric("7c", "memory-parallel-pull", "memory: " + o.memoryGets + " parallel verified GETs of it",
                "MiB/s", Better.HIGHER, Goal.NONE);
        progress.say("workload 7: memory, " + o.memoryMiB + " MiB in one chunked PATCH, then " + o.memoryGets + " parallel GETs");
        if (!sideBySide) {
            Workloads w = new Workloads(o, report, aTargets, workdir.resolve("wrk"), prefix, salt, progress);
            w.memory(aTargets.get(0), rss, push, pull);
            return;
        }
        for (Kind kind : Kind.values()) {
            ServerProcess server;
            try {
                List<String> extra = kind == Kind.OURS ? List.of("-Xmx" + o.memoryXmx) : List.of();
                server = ServerProcess.start(kind, workdir.resolve(kind.label + "-memory"), launch, extra);
            } catch (Exception e) {
                for (Metric m : List.of(rss, push, pull)) {
                    m.fail(kind.label, "could not start the server: " + e.getMessage());
                }
                continue;
            }
            try {
                Target t = Target.of(server);
                progress.say("  " + kind.label + ": pid " + server.pid() + ", log " + server.log);
                Workloads w = new Workloads(o, report, List.of(t), workdir.resolve("wrk"), prefix, salt, progress);
                w.mark();
                w.memory(t, rss, push, pull);
            } finally {
                server.close();
                if (!o.keep) {
                    server.deleteStorage();
                }
            }
        }
    }

    // ------------------------------------------------------------------ workload 9

    private static void tlsWorkload(Options o, Report report, ServerProcess.Launch launch, Path workdir, String prefix, long salt,
                                    Progress progress) throws IOException {
        TlsWorkloads.Rows rows = TlsWorkloads.rows(report, o.blobMiB);
        String curlProblem = TlsWorkloads.curlProblem();
        ServerProcess.Tls tls = null;
        String setupProblem = curlProblem;
        if (setupProblem == null) {
            try {
                tls = TlsWorkloads.certificate(workdir.resolve("tls"));
            } catch (Exception e) {
                setupProblem = Workloads.message(e);
            }
        }
        List<ServerProcess> servers = new ArrayList<>();
        List<Target> tlsTargets = new ArrayList<>();
        try {
            if (setupProblem == null) {
                for (Kind kind : Kind.values()) {
                    try {
                        ServerProcess server = ServerProcess.start(kind, workdir.resolve(kind.label + "-tls"), launch, List.of(), tls);
                        servers.add(server);
                        tlsTargets.add(Target.of(server));
                        progress.say(String.format(Locale.ROOT, "%s: HTTPS on port %d, pid %d, log %s", kind.label, server.port,
                                server.pid(), server.log));
                    } catch (Exception e) {
                        setupProblem = kind.label + " server with TLS did not start: " + e.getMessage();
                        break;
                    }
                }
            }
            if (setupProblem != null) {
                for (Metric m : rows.all()) {
                    for (Kind kind : Kind.values()) {
                        m.fail(kind.label, setupProblem);
                    }
                }
                return;
            }
            report.note("9: client " + TlsWorkloads.curlVersion() + "; both servers use " + tls.certificate()
                    + " (ECDSA P-256, self-signed); the cipher suite is what curl and each server agree on");
            new TlsWorkloads(o, report, tlsTargets, tls, workdir.resolve("wrk"), prefix, salt, progress).run(rows);
        } finally {
            for (ServerProcess server : servers) {
                if (!server.alive()) {
                    report.problem(server.kind.label + " TLS server exited (code " + server.process.exitValue()
                            + ") during the run; log " + server.log + ":\n" + ServerProcess.tail(server.log, 20));
                }
                server.close();
                if (!o.keep) {
                    server.deleteStorage();
                }
            }
        }
    }

    // ------------------------------------------------------------------ workload 8

    private static void startupWorkload(Options o, Report report, ServerProcess.Launch launch, Path workdir, Progress progress) {
        Metric m = report.metric("8", "startup", "start-up: process start to first 200 on /v2/, median of " + o.startups,
                "ms", Better.LOWER, Goal.atMost(1500, "ms"));
        progress.say("workload 8: start-up x " + o.startups);
        Map<Kind, List<Double>> samples = new LinkedHashMap<>();
        Map<Kind, String> failed = new LinkedHashMap<>();
        for (Kind kind : Kind.values()) {
            samples.put(kind, new ArrayList<>());
        }
        for (int i = 0; i < o.startups; i++) {
            for (Kind kind : Kind.values()) {
                if (failed.containsKey(kind)) {
                    continue;
                }
                try (ServerProcess server = ServerProcess.start(kind, workdir.resolve(kind.label + "-startup-" + (i + 1)), launch, List.of())) {
                    samples.get(kind).add(server.startupNanos / 1e6);
                    server.deleteStorage();
                } catch (Exception e) {
                    failed.put(kind, "start " + (i + 1) + ": " + e.getMessage());
                }
            }
        }
        for (Kind kind : Kind.values()) {
            if (failed.containsKey(kind)) {
                m.fail(kind.label, failed.get(kind));
            } else {
                List<Double> s = samples.get(kind);
                StringBuilder detail = new StringBuilder("median of");
                s.forEach(v -> detail.append(' ').append(Report.fmt(v)));
                detail.append(" ms");
                m.value(kind.label, Workloads.median(s), List.copyOf(s), detail.toString());
            }
        }
    }

    // ------------------------------------------------------------------ machine

    static String machine(Options o, boolean sideBySide) {
        List<String> parts = new ArrayList<>();
        String model = grep(Path.of("/proc/cpuinfo"), "model name");
        parts.add(Runtime.getRuntime().availableProcessors() + " cores" + (model == null ? "" : " (" + model + ")"));
        String mem = grep(Path.of("/proc/meminfo"), "MemTotal");
        if (mem != null) {
            long kib = Long.parseLong(mem.replace("kB", "").strip());
            parts.add(String.format(Locale.ROOT, "%.1f GiB RAM", kib / 1024.0 / 1024.0));
        }
        parts.add("Linux " + read(Path.of("/proc/sys/kernel/osrelease")));
        parts.add("java " + javaVersion(o.java));
        if (sideBySide) {
            parts.add("reference " + command(o.reference, "--version"));
        }
        String wrk = Wrk.version();
        if (wrk != null) {
            parts.add(wrk);
        }
        String load = read(Path.of("/proc/loadavg"));
        if (load != null) {
            String[] f = load.split(" ");
            parts.add("load average at start " + f[0] + " " + f[1] + " " + f[2]);
        }
        parts.add(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME).replaceAll("\\.\\d+", ""));
        return String.join(", ", parts);
    }

    private static String javaVersion(Path java) {
        String out = command(java.toString(), "-version");
        List<String> lines = out == null ? List.of() : out.lines().toList();
        if (lines.size() >= 2) {
            // e.g. 'openjdk version "25" 2025-09-16 LTS' + 'OpenJDK Runtime Environment Temurin-25+36 (build 25+36-LTS)'
            String runtime = lines.get(1).replaceAll(".*Runtime Environment\\s*", "").strip();
            return lines.get(0).replaceAll("^\\S+ version ", "").replace("\"", "") + " (" + runtime + ")";
        }
        return out == null ? "?" : out.strip();
    }

    private static String command(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor(10, TimeUnit.SECONDS);
            return out.replaceAll("^\\S*docker-registry\\s+github.com/docker/distribution\\s+", "docker-registry ");
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String grep(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key)) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException ignored) {
            // not Linux
        }
        return null;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static List<Path> serverLogs(Path workdir) throws IOException {
        try (var walk = Files.walk(workdir, 2)) {
            return walk.filter(p -> p.getFileName().toString().equals("server.log")).sorted().toList();
        }
    }

    private static String describeParameters(Options o) {
        return String.format(Locale.ROOT,
                "parameters: blob %d MiB, PATCH %d MiB, %d repetitions (1-3), %d parallel GETs, %d connections x %d threads for"
                        + " %d s after %d s warm-up (4, 5), %d repositories, %d small pushes, %d MiB memory blob with %d GETs,"
                        + " %d start-ups, log level %s, access log off",
                o.blobMiB, o.chunkMiB, o.reps, o.parallel, o.connections, o.threads, o.duration.toSeconds(),
                o.warmup.toSeconds(), o.repos, o.smallPushes, o.memoryMiB, o.memoryGets, o.startups, o.logLevel);
    }
}
