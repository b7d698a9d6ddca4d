package dev.registry.bench;

import dev.registry.bench.Report.Better;
import dev.registry.bench.Report.Goal;
import dev.registry.bench.Report.Metric;
import dev.registry.bench.Workloads.Failure;
import dev.registry.bench.Workloads.Target;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Workload 9: blob push and pull over HTTPS, both registries serving the same certificate, with
 * curl as the client: monolithic {@code PUT} of the blob over HTTP/1.1 and over HTTP/2, and one
 * {@code GET} of it over each, plus the server's CPU time per GiB moved.
 *
 * <p>curl does the TLS and HTTP/2 (a client in C, as registry clients are in Go; the JDK's would
 * measure itself). Every transfer is still checked: the status, {@code Docker-Content-Digest}
 * (from curl's {@code -D} header dump), a {@code HEAD} after each push, and for pulls the byte
 * count and SHA-256 of what curl wrote to its standard output, hashed here as it arrives. The
 * time is curl's own {@code time_total} (connection, handshake and transfer). The two registries
 * take turns, and the one that goes first alternates from repetition to repetition.
 */
final class TlsWorkloads {
    private static final long MIB = Workloads.MIB;
    private static final long TIMEOUT_SECONDS = 300;

    private final RegistryBenchmark.Options o;
    private final Report report;
    private final List<Target> targets;
    private final ServerProcess.Tls tls;
    private final Path scratch;
    private final String repo;
    private final long salt;
    private final RegistryBenchmark.Progress progress;

    TlsWorkloads(RegistryBenchmark.Options o, Report report, List<Target> targets, ServerProcess.Tls tls, Path scratch,
                 String prefix, long salt, RegistryBenchmark.Progress progress) {
        this.o = o;
        this.report = report;
        this.targets = targets;
        this.tls = tls;
        this.scratch = scratch;
        this.repo = prefix + "/tls";
        this.salt = salt;
        this.progress = progress;
    }

    /** The protocols curl is asked for. */
    enum Protocol {
        H1("--http1.1", "1.1", "HTTP/1.1"), H2("--http2", "2", "HTTP/2");

        final String flag;
        final String curlVersion;
        final String title;

        Protocol(String flag, String curlVersion, String title) {
            this.flag = flag;
            this.curlVersion = curlVersion;
            this.title = title;
        }
    }

    /** The metric rows of workload 9, registered before anything runs so that a set-up failure fails all of them. */
    record Rows(Metric pushH1, Metric pushH2, Metric pullH1, Metric pullH2, Metric cpuPush, Metric cpuH1, Metric cpuH2) {
        List<Metric> all() {
            return List.of(pushH1, pushH2, pullH1, pullH2, cpuPush, cpuH1, cpuH2);
        }
    }

    static Rows rows(Report report, long blobMiB) {
        return new Rows(
                report.metric("9a", "tls-push-h1", "TLS push, monolithic PUT over HTTP/1.1, curl (" + blobMiB + " MiB)", "MiB/s",
                        Better.HIGHER, Goal.ratioAtLeast(1.5)),
                report.metric("9b", "tls-push-h2", "TLS push, monolithic PUT over HTTP/2, curl (" + blobMiB + " MiB)", "MiB/s",
                        Better.HIGHER, Goal.ratioAtLeast(1.5)),
                report.metric("9c", "tls-pull-h1", "TLS pull, one GET over HTTP/1.1, curl (" + blobMiB + " MiB)", "MiB/s",
                        Better.HIGHER, Goal.ratioAtLeast(1)),
                report.metric("9d", "tls-pull-h2", "TLS pull, one GET over HTTP/2, curl (" + blobMiB + " MiB)", "MiB/s",
                        Better.HIGHER, Goal.ratioAtLeast(1)),
                report.metric("9e", "tls-push-server-cpu", "TLS push, server CPU per GiB received (9a+9b)", "CPU-s/GiB",
                        Better.LOWER, Goal.ratioAtMost(1)),
                report.metric("9f", "tls-pull-h1-server-cpu", "TLS pull, server CPU per GiB sent over HTTP/1.1 (9c)", "CPU-s/GiB",
                        Better.LOWER, Goal.ratioAtMost(1)),
                report.metric("9g", "tls-pull-h2-server-cpu", "TLS pull, server CPU per GiB sent over HTTP/2 (9d)", "CPU-s/GiB",
                        Better.LOWER, Goal.ratioAtMost(1)));
    }

    /**
     * Writes a self-signed ECDSA P-256 certificate for 127.0.0.1 with the {@code openssl} command
     * (the benchmark depends on nothing but the JDK, which cannot write a PEM private key), and
     * client sockets that trust it.
     */
    static ServerProcess.Tls certificate(Path dir) throws IOException, InterruptedException, Failure {
        Files.createDirectories(dir);
        Path certificate = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", key.toString(), "-out", certificate.toString(), "-days", "7", "-subj", "/CN=registry-bench",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost")
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new Failure("openssl req could not write a test certificate: " + output.strip());
        }
        try (InputStream in = Files.newInputStream(certificate)) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("bench", cert);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return new ServerProcess.Tls(certificate, key, context.getSocketFactory());
        } catch (java.security.GeneralSecurityException e) {
            throw new Failure("cannot read the test certificate " + certificate + ": " + e);
        }
    }

    /** Checks that curl is there and speaks HTTP/2; the reason it cannot be used, or null. */
    static String curlProblem() {
        try {
            Process p = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            if (!out.contains("HTTP2")) {
                return "curl has no HTTP/2 support (curl --version lists no HTTP2 feature)";
            }
            return null;
        } catch (IOException e) {
            return "curl is not on PATH (Debian: apt-get install curl)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    static String curlVersion() {
        try {
            Process p = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return out.lines().findFirst().orElse("curl ?").strip();
        } catch (IOException e) {
            return "no curl";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "curl ?";
        }
    }

    void run(Rows rows) {
        progress.say("workload 9: TLS, " + o.blobMiB + " MiB pushed and pulled with curl over HTTP/1.1 and HTTP/2 x " + o.reps);
        Map<Target, String> failed = new LinkedHashMap<>();
        Map<Metric, Map<Target, List<Double>>> samples = new LinkedHashMap<>();
        for (Metric m : List.of(rows.pushH1(), rows.pushH2(), rows.pullH1(), rows.pullH2())) {
            Map<Target, List<Double>> perTarget = new LinkedHashMap<>();
            targets.forEach(t -> perTarget.put(t, new ArrayList<>()));
            samples.put(m, perTarget);
        }
        // CPU ticks and bytes per target, for push, pull h1 and pull h2.
        Map<Target, long[]> cpu = new LinkedHashMap<>();
        targets.forEach(t -> cpu.put(t, new long[6]));

        Path blob = scratch.resolve("tls-blob");
        Path warmBlob = scratch.resolve("tls-warm-blob");
        String pullDigest;
        try {
            Files.createDirectories(scratch);
            writeBlob(blob, o.blobMiB * MIB, salt ^ 0x7157);
            writeBlob(warmBlob, Math.min(16, o.blobMiB) * MIB, salt ^ 0x7158);
            pullDigest = stamp(blob, 0x9000);
        } catch (IOException e) {
            for (Metric m : rows.all()) {
                targets.forEach(t -> m.fail(t.label, "writing the blob file into " + scratch + " failed: " + e));
            }
            return;
        }
        long size = o.blobMiB * MIB;
        // Set-up and warm-up: the blob to pull, a few small pushes on each protocol, and three
        // untimed pulls of the big blob on each (as workload 3), so both servers (and our JIT) are
        // warm. After one, our HTTP/2 pulls still ran at about half speed and the C2 compiler's
        // work was a good part of the pull CPU rows (1.77 CPU-s/GiB, against 0.81 once warm).
        for (Target t : targets) {
            try {
                push(t, Protocol.H1, blob, pullDigest, size);
                for (int i = 0; i < 3; i++) {
                    Protocol p = i % 2 == 0 ? Protocol.H1 : Protocol.H2;
                    push(t, p, warmBlob, stamp(warmBlob, 0x9100 + i), Files.size(warmBlob));
                }
                for (Protocol p : Protocol.values()) {
                    for (int i = 0; i < 3; i++) {
                        pull(t, p, pullDigest, size);
                    }
                }
            } catch (Exception e) {
                failed.put(t, "set-up or warm-up: " + Workloads.message(e));
            }
        }
        for (int rep = 0; rep < o.reps; rep++) {
            List<Target> order = new ArrayList<>(targets);
            if (rep % 2 == 1) {
                java.util.Collections.reverse(order);
            }
            for (Protocol p : Protocol.values()) {
                String digest;
                try {
                    digest = stamp(blob, 0x9200 + rep * 2L + p.ordinal());
                } catch (IOException e) {
                    order.forEach(t -> failed.putIfAbsent(t, "rewriting the blob file failed: " + e));
                    break;
                }
                for (Target t : order) {
                    if (failed.containsKey(t)) {
                        continue;
                    }
                    try {
                        Workloads.settleDisk();
                        long cpu0 = cpuTicks(t);
                        double seconds = push(t, p, blob, digest, size);
                        long cpu1 = cpuTicks(t);
                        samples.get(p == Protocol.H1 ? rows.pushH1() : rows.pushH2()).get(t).add(size / (double) MIB / seconds);
                        cpu.get(t)[0] += cpu1 - cpu0;
                        cpu.get(t)[1] += size;
                    } catch (Exception e) {
                        failed.put(t, "push over " + p.title + ", repetition " + (rep + 1) + ": " + Workloads.message(e));
                    }
                }
            }
            for (Protocol p : Protocol.values()) {
                for (Target t : order) {
                    if (failed.containsKey(t)) {
                        continue;
                    }
                    try {
                        long cpu0 = cpuTicks(t);
                        double seconds = pull(t, p, pullDigest, size);
                        long cpu1 = cpuTicks(t);
                        samples.get(p == Protocol.H1 ? rows.pullH1() : rows.pullH2()).get(t).add(size / (double) MIB / seconds);
                        int slot = p == Protocol.H1 ? 2 : 4;
                        cpu.get(t)[slot] += cpu1 - cpu0;
                        cpu.get(t)[slot + 1] += size;
                    } catch (Exception e) {
                        failed.put(t, "pull over " + p.title + ", repetition " + (rep + 1) + ": " + Workloads.message(e));
                    }
                }
            }
        }
        try {
            Files.deleteIfExists(blob);
            Files.deleteIfExists(warmBlob);
        } catch (IOException ignored) {
            // in the work directory, which the run reports
        }
        for (Map.Entry<Metric, Map<Target, List<Double>>> e : samples.entrySet()) {
            finish(e.getKey(), e.getValue(), failed);
        }
        cpuRow(rows.cpuPush(), cpu, 0, failed, "received");
        cpuRow(rows.cpuH1(), cpu, 2, failed, "sent");
        cpuRow(rows.cpuH2(), cpu, 4, failed, "sent");
    }

    private void finish(Metric m, Map<Target, List<Double>> samples, Map<Target, String> failed) {
        for (Target t : targets) {
            if (failed.containsKey(t)) {
                m.fail(t.label, failed.get(t));
                continue;
            }
            List<Double> s = samples.get(t);
            StringBuilder detail = new StringBuilder("median of");
            s.forEach(v -> detail.append(' ').append(Report.fmt(v)));
            m.value(t.label, Workloads.median(s), List.copyOf(s), detail.toString());
        }
    }

    private void cpuRow(Metric m, Map<Target, long[]> cpu, int slot, Map<Target, String> failed, String verb) {
        for (Target t : targets) {
            if (failed.containsKey(t)) {
                m.fail(t.label, failed.get(t));
                continue;
            }
            long ticks = cpu.get(t)[slot];
            long bytes = cpu.get(t)[slot + 1];
            double seconds = ticks / (double) ServerProcess.clockTicksPerSecond();
            m.value(t.label, seconds / (bytes / Workloads.GIB), String.format(Locale.ROOT,
                    "%.2f CPU-s (utime+stime of pid %d) for %.2f GiB %s", seconds, t.pid, bytes / Workloads.GIB, verb));
        }
    }

    // ------------------------------------------------------------------ transfers

    /** POST (from Java), then curl's monolithic PUT of the file; returns curl's time_total in seconds. */
    private double push(Target t, Protocol p, Path file, String digest, long size) throws IOException, Failure, InterruptedException {
        String location;
        try (BenchHttp http = t.client()) {
            BenchHttp.Response post = http.exchange("POST", "/v2/" + repo + "/blobs/uploads/", null, BenchHttp.Sink.COLLECT);
            if (post.status() != 202) {
                throw new Failure("POST /v2/" + repo + "/blobs/uploads/: expected HTTP 202, got " + post.describe());
            }
            location = BenchHttp.targetOf(post.header("location"));
        }
        String url = t.baseUrl() + BenchHttp.withQuery(location, "digest", digest);
        Curl result = curl(p, url, List.of("-T", file.toString(), "-H", "Content-Type: application/octet-stream",
                // Docker and containerd do not wait for 100 Continue; neither does this client.
                "-H", "Expect:"), null);
        result.expect(201, p, "PUT upload ?digest=");
        if (result.uploaded != size) {
            throw new Failure("PUT upload ?digest=: curl sent " + result.uploaded + " bytes, expected " + size);
        }
        String header = result.headers.get("docker-content-digest");
        if (!digest.equals(header)) {
            throw new Failure("PUT upload ?digest=: Docker-Content-Digest is " + header + ", expected " + digest);
        }
        try (BenchHttp http = t.client()) {
            BenchHttp.Response head = http.exchange("HEAD", "/v2/" + repo + "/blobs/" + digest, null, BenchHttp.Sink.DISCARD);
            if (head.status() != 200 || !String.valueOf(size).equals(head.header("content-length"))
                    || !digest.equals(head.header("docker-content-digest"))) {
                throw new Failure("HEAD blob after the push: HTTP " + head.status() + ", Content-Length "
                        + head.header("content-length") + ", Docker-Content-Digest " + head.header("docker-content-digest")
                        + "; expected 200, " + size + ", " + digest);
            }
        }
        return result.seconds;
    }

    /** curl's GET of the blob, hashed here as curl writes it out; returns curl's time_total in seconds. */
    private double pull(Target t, Protocol p, String digest, long size) throws IOException, Failure, InterruptedException {
        MessageDigest md = BenchHttp.sha256();
        Curl result = curl(p, t.baseUrl() + "/v2/" + repo + "/blobs/" + digest, List.of(), out -> {
            long n = BenchHttp.readAndHashInParallel(out, size, md, null);
            if (out.read() >= 0) {
                throw new IOException("curl wrote more than the " + size + " bytes expected");
            }
            return n;
        });
        result.expect(200, p, "GET blob");
        if (result.bodyBytes != size) {
            throw new Failure("GET blob: received " + result.bodyBytes + " bytes, expected " + size);
        }
        String content = "sha256:" + HexFormat.of().formatHex(md.digest());
        if (!digest.equals(content)) {
            throw new Failure("GET blob: content hashes to " + content + ", expected " + digest);
        }
        String header = result.headers.get("docker-content-digest");
        if (!digest.equals(header)) {
            throw new Failure("GET blob: Docker-Content-Digest is " + header + ", expected " + digest);
        }
        return result.seconds;
    }

    /** Reads curl's standard output (the body of a GET); returns the bytes read. */
    interface BodyReader {
        long read(InputStream out) throws IOException;
    }

    /** What one curl run reported. */
    record Curl(int status, String httpVersion, double seconds, long uploaded, long bodyBytes, Map<String, String> headers,
                String stderr) {
        void expect(int expected, Protocol p, String what) throws Failure {
            if (status != expected) {
                throw new Failure(what + ": expected HTTP " + expected + ", got HTTP " + status + " (curl: " + stderr.strip() + ")");
            }
            if (!p.curlVersion.equals(httpVersion)) {
                throw new Failure(what + ": curl was asked for " + p.title + " but spoke HTTP/" + httpVersion);
            }
        }
    }

    private Curl curl(Protocol p, String url, List<String> extra, BodyReader body)
            throws IOException, Failure, InterruptedException {
        Path headerFile = Files.createTempFile(scratch, "curl-headers-", ".txt");
        Path errFile = Files.createTempFile(scratch, "curl-stderr-", ".txt");
        try {
            List<String> command = new ArrayList<>(List.of("curl", "-sS", p.flag, "--cacert", tls.certificate().toString(),
                    "-D", headerFile.toString(),
                    "-w", "%{stderr}CURL-RESULT %{http_code} %{http_version} %{time_total} %{size_upload} %{size_download}\\n",
                    "-o", body == null ? "/dev/null" : "-"));
            command.addAll(extra);
            command.add(url);
            Process process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectError(errFile.toFile())
                    .redirectOutput(body == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.PIPE)
                    .start();
            long read = -1;
            IOException readFailure = null;
            if (body != null) {
                try (InputStream out = process.getInputStream()) {
                    read = body.read(out);
                } catch (IOException e) {
                    readFailure = e;
                }
            }
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new Failure("curl " + url + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            String stderr = Files.readString(errFile);
            String resultLine = stderr.lines().filter(l -> l.startsWith("CURL-RESULT ")).findFirst().orElse(null);
            if (process.exitValue() != 0 || resultLine == null) {
                throw new Failure("curl " + p.flag + " " + url + " exited with " + process.exitValue() + ": " + stderr.strip());
            }
            if (readFailure != null) {
                throw new Failure("reading curl's output of " + url + ": " + readFailure.getMessage());
            }
            String[] f = resultLine.split(" ");
            return new Curl(Integer.parseInt(f[1]), f[2], Double.parseDouble(f[3]), Long.parseLong(f[4]),
                    body == null ? Long.parseLong(f[5]) : read, lastHeaders(Files.readAllLines(headerFile)),
                    stderr.replace(resultLine, ""));
        } finally {
            Files.deleteIfExists(headerFile);
            Files.deleteIfExists(errFile);
        }
    }

    /** The headers of the last response in a curl {@code -D} dump (after any 1xx), names in lower case. */
    static Map<String, String> lastHeaders(List<String> lines) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line : lines) {
            String l = line.strip();
            if (l.startsWith("HTTP/")) {
                headers.clear();
            } else {
                int colon = l.indexOf(':');
                if (colon > 0) {
                    headers.put(l.substring(0, colon).strip().toLowerCase(Locale.ROOT), l.substring(colon + 1).strip());
                }
            }
        }
        return headers;
    }

    // ------------------------------------------------------------------ the blob file

    private static void writeBlob(Path file, long size, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] buffer = new byte[(int) MIB];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long done = 0; done < size; done += buffer.length) {
                int n = (int) Math.min(buffer.length, size - done);
                Workloads.fill(buffer, 0, n, random);
                out.write(buffer, 0, n);
            }
        }
    }

    /** Makes the file's content unique (its first 8 bytes from the run's salt and a marker); returns its digest. */
    private String stamp(Path file, long marker) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(0);
            raf.writeLong(salt * 31 + marker);
            raf.seek(0);
            MessageDigest md = BenchHttp.sha256();
            byte[] buffer = new byte[(int) MIB];
            int n;
            while ((n = raf.read(buffer)) > 0) {
                md.update(buffer, 0, n);
            }
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        }
    }

    private static long cpuTicks(Target t) throws IOException {
        return t.pid == null ? 0 : ServerProcess.cpuTicks(t.pid);
    }
}
