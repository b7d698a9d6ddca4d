package dev.registry.bench;

import dev.registry.storage.driver.s3.S3ProxyServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The floor of workload 2 on {@code --s3}: {@code src/test/bench/S3Floor.java}, run in its own
 * JVM against the run's s3proxy, makes the chunked push's S3 requests with no registry at all,
 * one round whenever asked, so its rounds take turns with the servers' pushes. The reference's
 * time over the floor's is about the highest ratio workload 2 can show on this store (a registry
 * can beat the floor by a few percent, see S3Floor). Our jar is on its class path for the AWS
 * SDK; the bench itself needs only the JDK.
 */
final class ChunkedFloor implements AutoCloseable {
    private static final Pattern ROUND = Pattern.compile("^floor: ([0-9.]+) s ");

    private final Process process;
    private final BufferedReader output;
    private final OutputStream requests;
    private final S3ProxyServer s3;
    private final String bucket;
    private final List<String> lines = new ArrayList<>();

    private ChunkedFloor(Process process, S3ProxyServer s3, String bucket) {
        this.process = process;
        this.output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.requests = process.getOutputStream();
        this.s3 = s3;
        this.bucket = bucket;
    }

    /** The floor's process, or null (with a note saying why) where it cannot run. */
    static ChunkedFloor start(RegistryBenchmark.Options o, Report report, Path ourJar, S3ProxyServer s3) throws IOException {
        if (o.s3Floor == null || !Files.isRegularFile(o.s3Floor)) {
            report.note("2f (floor): not run, no S3Floor source (run.sh passes --s3-floor)");
            return null;
        }
        if (s3.tls()) {
            report.note("2f (floor): plain http only (S3Floor trusts the JDK's certificates, not s3proxy's self-signed one)");
            return null;
        }
        if (o.chunkMiB < 5) {
            report.note("2f (floor): not run, S3 takes no part below 5 MiB but the last, so chunks cannot be parts");
            return null;
        }
        String bucket = s3.createBucket("bench-floor");
        Process process = new ProcessBuilder(o.java.toString(), "-Xmx1g", "-cp", ourJar.toString(), o.s3Floor.toString(),
                s3.endpoint().toString(), bucket, S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, "0",
                String.valueOf(o.blobMiB), String.valueOf(o.chunkMiB))
                .redirectErrorStream(true).start();
        return new ChunkedFloor(process, s3, bucket);
    }

    /** Makes one round and returns its seconds. */
    double round() throws IOException {
        requests.write('\n');
        requests.flush();
        for (String line; (line = output.readLine()) != null; ) {
            lines.add(line);
            Matcher m = ROUND.matcher(line);
            if (m.find()) {
                return Double.parseDouble(m.group(1));
            }
        }
        throw new IOException("S3Floor ended; its last lines:\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size())));
    }

    /** Notes the floor's rate and what it means for workload 2's figures {@code ours} and {@code reference} (MiB/s, or null). */
    static void note(Report report, long blobMiB, List<Double> seconds, Double ours, Double reference) {
        double median = seconds.stream().sorted().toList().get(seconds.size() / 2);
        double rate = blobMiB / median;
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "2f (floor): workload 2's S3 requests alone, no registry, in turn with the servers' pushes: %.1f MiB/s"
                        + " (median of %s s)", rate, seconds));
        if (reference != null) {
            text.append(String.format(Locale.ROOT, "; reference/floor %.2fx is about the highest ratio workload 2 can show here",
                    rate / reference));
        }
        if (ours != null) {
            text.append(String.format(Locale.ROOT, "; ours pushes at %.0f%% of the floor's rate", 100 * ours / rate));
        }
        report.note(text.toString());
    }

    @Override
    public void close() throws IOException {
        try {
            requests.close();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            s3.deleteBucket(bucket);
        }
    }
}
