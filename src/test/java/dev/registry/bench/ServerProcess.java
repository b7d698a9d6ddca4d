package dev.registry.bench;

import dev.registry.storage.driver.s3.S3ProxyServer;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocketFactory;

/**
 * One registry server process the benchmark started: ours ({@code java -jar registry-server.jar
 * serve config.yml}) or the reference ({@code docker-registry serve config.yml}), on a free
 * loopback port, with its own storage directory and the access log off. Its output goes to
 * {@code server.log} in its directory. Also reads the process's CPU time and memory from
 * {@code /proc}.
 */
final class ServerProcess implements AutoCloseable {
    enum Kind {
        OURS("ours"), REFERENCE("reference");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /** How to start servers. */
    record Launch(Path java, Path jar, String referenceBinary, String logLevel, List<String> ourJvmOptions,
                  S3ProxyServer s3) {
        /** Filesystem storage for both servers. */
        Launch(Path java, Path jar, String referenceBinary, String logLevel, List<String> ourJvmOptions) {
            this(java, jar, referenceBinary, logLevel, ourJvmOptions, null);
        }
    }

    /**
     * HTTPS for a server: the PEM certificate and key given to it as {@code http.tls.certificate}
     * and {@code http.tls.key} (the same files for both registries), and client sockets that
     * trust that certificate.
     */
    record Tls(Path certificate, Path key, SSLSocketFactory clientSockets) {
    }

    private static long clockTicks = -1;

    final Kind kind;
    final Process process;
    final int port;
    final Path dir;
    final Path storage;
    final Path log;
    /** Non-null when the server speaks HTTPS. */
    final Tls tls;
    /** From just before the process was started to the first 200 on {@code GET /v2/}. */
    final long startupNanos;

    /** With S3 storage: the server's own bucket on the shared s3proxy; otherwise {@code null}. */
    final String bucket;
    private final S3ProxyServer s3;

    private ServerProcess(Kind kind, Process process, int port, Path dir, Path storage, Path log, Tls tls, long startupNanos,
                          S3ProxyServer s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
        this.kind = kind;
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.storage = storage;
        this.log = log;
        this.tls = tls;
        this.startupNanos = startupNanos;
    }

    /**
     * Starts a server in {@code dir} (created; storage in {@code dir/storage}) and returns once
     * {@code GET /v2/} answered 200, polling every 2 ms.
     */
    static ServerProcess start(Kind kind, Path dir, Launch launch, List<String> extraJvmOptions) throws Exception {
        return start(kind, dir, launch, extraJvmOptions, null);
    }

    /** {@link #start(Kind, Path, Launch, List)}, serving HTTPS when {@code tls} is not null. */
    static ServerProcess start(Kind kind, Path dir, Launch launch, List<String> extraJvmOptions, Tls tls) throws Exception {
        Files.createDirectories(dir);
        Path storage = dir.resolve("storage");
        Files.createDirectories(storage);
        int port = freePort();
        Path config = dir.resolve("config.yml");
        S3ProxyServer s3 = launch.s3();
        String bucket = s3 == null ? null : s3.createBucket("bench-" + kind.label);
        // On S3 (a fresh bucket each, same s3proxy), both servers serve blob bytes themselves
        // (redirects off), with registry:2's default part size of 10 MiB.
        String driver = s3 == null ? """
                  filesystem:
                    rootdirectory: %s
                """.formatted(storage) : """
                  s3:
                    accesskey: %s
                    secretkey: %s
                    region: %s
                    regionendpoint: %s
                    bucket: %s
                    secure: %s
                    skipverify: %s
                    v4auth: true
                  redirect:
                    disable: true
                """.formatted(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, S3ProxyServer.REGION, s3.endpoint(), bucket,
                s3.tls(), s3.tls());
        Files.writeString(config, """
                version: 0.1
                log:
                  level: %s
                  accesslog:
                    disabled: true
                http:
                  addr: 127.0.0.1:%d
                %sstorage:
                %s  delete:
                    enabled: true
                """.formatted(launch.logLevel(), port, tls == null ? "" : """
                  tls:
                    certificate: %s
                    key: %s
                """.formatted(tls.certificate(), tls.key()), driver));
        Path log = dir.resolve("server.log");
        List<String> command = new ArrayList<>();
        if (kind == Kind.OURS) {
            command.add(launch.java().toString());
            command.addAll(launch.ourJvmOptions());
            command.addAll(extraJvmOptions);
            command.add("-jar");
            command.add(launch.jar().toString());
        } else {
            command.add(launch.referenceBinary());
        }
        command.add("serve");
        command.add(config.toString());
        Files.writeString(log, "# " + String.join(" ", command) + "\n");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // docker-registry 2.8's aws-sdk-go panics at startup with AWS_CA_BUNDLE set; s3proxy's certificate is not verified
        builder.environment().remove("AWS_CA_BUNDLE");
        long t0 = System.nanoTime();
        Process process = builder.start();
        long ready = awaitReady(process, port, log, t0, tls);
        return new ServerProcess(kind, process, port, dir, storage, log, tls, ready - t0, s3, bucket);
    }

    private static long awaitReady(Process process, int port, Path log, long t0, Tls tls) throws Exception {
        long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("server exited with " + process.exitValue() + " before answering /v2/; log:\n"
                        + tail(log, 30));
            }
            try (BenchHttp http = new BenchHttp("127.0.0.1", port, tls == null ? null : tls.clientSockets())) {
                BenchHttp.Response r = http.exchange("GET", "/v2/", null, BenchHttp.Sink.DISCARD);
                if (r.status() == 200) {
                    return System.nanoTime();
                }
                last = "HTTP " + r.status();
            } catch (IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(2);
        }
        process.destroyForcibly();
        throw new IllegalStateException("server did not answer 200 on /v2/ within 60 s (last: " + last + "); log:\n"
                + tail(log, 30));
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** The log's size now, to quote only what a workload produced later ({@link #logSince}). */
    long logSize() {
        try {
            return Files.size(log);
        } catch (IOException e) {
            return 0;
        }
    }

    /** What the server logged after {@code offset}, at most {@code maxLines} last lines. */
    String logSince(long offset, int maxLines) {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long length = file.length();
            if (length <= offset) {
                return "";
            }
            long from = Math.max(offset, length - 64 * 1024);
            byte[] bytes = new byte[(int) (length - from)];
            file.seek(from);
            file.readFully(bytes);
            List<String> lines = new String(bytes, StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - maxLines), lines.size()));
        } catch (IOException e) {
            return "(could not read " + log + ": " + e + ")";
        }
    }

    static String tail(Path log, int maxLines) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - maxLines), lines.size()));
        } catch (IOException e) {
            return "(could not read " + log + ": " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Deletes the storage directory (blobs can be gigabytes); keeps config and log. */
    void deleteStorage() {
        deleteTree(storage);
        if (s3 != null) {
            s3.deleteBucket(bucket);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    // ---------------------------------------------------------------- /proc

    /** user + system CPU time of the whole process (all threads), in clock ticks. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields[0] is field 3 (state); utime is field 14, stime field 15
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    static synchronized long clockTicksPerSecond() {
        if (clockTicks < 0) {
            clockTicks = 100;
            try {
                Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                p.waitFor(5, TimeUnit.SECONDS);
                clockTicks = Long.parseLong(out);
            } catch (Exception ignored) {
                // USER_HZ is 100 on Linux
            }
        }
        return clockTicks;
    }

    /** A {@code /proc/PID/status} value in KiB ({@code VmHWM}, {@code VmRSS}), or -1. */
    static long statusKiB(long pid, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.substring(key.length() + 1).replace("kB", "").strip());
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // process gone
        }
        return -1;
    }
}
