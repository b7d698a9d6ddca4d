package dev.registry.storage.driver.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A real S3 server for tests: s3proxy ({@code org.gaul:s3proxy}, the jar with its dependencies)
 * in its own JVM on a free loopback port, storing buckets as directories under a temporary
 * directory, with one access key. Its classpath never meets ours.
 *
 * <p>The jar is found through the {@code s3proxy.jar} system property, which the storage and
 * end-to-end modules' builds set after copying it into {@code target/s3proxy/}. Used by the
 * storage tests, and by the end-to-end tests through the storage test-jar; the benchmark's
 * {@code run.sh} compiles it (with {@link S3Options}, which needs only the JDK) beside its own classes.
 */
// Needs only the JDK: src/test/bench/run.sh compiles it with the benchmark, without the AWS SDK
// (S3TestClients holds what needs the SDK).
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "registry-test-key";
    public static final String SECRET_KEY = "registry-test-secret-0123456789";
    public static final String REGION = "us-east-1";

    private final Process process;
    private final Path baseDirectory;
    private final Path log;
    private final int port;
    private final boolean tls;

    private S3ProxyServer(Process process, Path baseDirectory, Path log, int port, boolean tls) {
        this.process = process;
        this.baseDirectory = baseDirectory;
        this.log = log;
        this.port = port;
        this.tls = tls;
    }

    /** The jar the build copied, or a clear failure saying how to get it. */
    public static Path jar() {
        String configured = System.getProperty("s3proxy.jar");
        if (configured == null || !Files.isRegularFile(Path.of(configured))) {
            throw new IllegalStateException("s3proxy jar not found (system property s3proxy.jar = " + configured
                    + "): run the tests through Maven, which copies it to target/s3proxy/s3proxy.jar");
        }
        return Path.of(configured);
    }

    /** Starts s3proxy with a filesystem blob store in a new temporary directory. */
    public static S3ProxyServer start() throws IOException, InterruptedException {
        return start(Files.createTempDirectory("s3proxy-"), "256m");
    }

    /**
     * Starts s3proxy storing buckets as directories of {@code baseDirectory}.
     *
     * @param maxHeap the s3proxy JVM's {@code -Xmx}
     */
    public static S3ProxyServer start(Path baseDirectory, String maxHeap) throws IOException, InterruptedException {
        return start(baseDirectory, maxHeap, "filesystem");
    }

    /**
     * Starts s3proxy on the jclouds blob store {@code provider}: {@code filesystem} (buckets are
     * directories of {@code baseDirectory}; {@link #createBucket} makes one) or {@code transient}
     * (in s3proxy's heap; create buckets with an S3 client). The filesystem store rewrites an
     * object's file in place, so a reader racing an overwrite can see a mix of old and new bytes;
     * the transient store replaces objects atomically, as S3 does.
     */
    public static S3ProxyServer start(Path baseDirectory, String maxHeap, String provider)
            throws IOException, InterruptedException {
        return start(baseDirectory, maxHeap, provider, false);
    }

    /**
     * Starts s3proxy as {@link #start(Path, String, String)} does, over https with {@code tls}:
     * with a self-signed certificate for 127.0.0.1 that {@code keytool} (of the JDK running this)
     * makes, which clients do not verify ({@code skipverify}). Real S3 endpoints are https.
     */
    public static S3ProxyServer start(Path baseDirectory, String maxHeap, String provider, boolean tls)
            throws IOException, InterruptedException {
        Files.createDirectories(baseDirectory);
        int port = freePort();
        Path properties = Files.createTempFile("s3proxy-", ".properties");
        String endpoint = tls ? "s3proxy.secure-endpoint=https://127.0.0.1:" + port : "s3proxy.endpoint=http://127.0.0.1:" + port;
        if (tls) {
            Path keystore = Files.createTempFile("s3proxy-", ".p12");
            Files.delete(keystore); // keytool makes it
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process made = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "s3proxy", "-keyalg", "EC",
                    "-groupname", "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "7",
                    "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", "s3proxy-tls", "-keypass", "s3proxy-tls")
                    .redirectErrorStream(true).start();
            String output = new String(made.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (made.waitFor() != 0) {
                throw new IOException("keytool failed to make s3proxy's certificate: " + output);
            }
            endpoint += "\ns3proxy.keystore-path=" + keystore + "\ns3proxy.keystore-password=s3proxy-tls";
        }
        Files.writeString(properties, String.join("\n",
                endpoint,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=" + provider,
                "jclouds.filesystem.basedir=" + baseDirectory.toAbsolutePath(),
                "jclouds.identity=unused",
                "jclouds.credential=unused",
                ""), StandardCharsets.UTF_8);
        Path log = Files.createTempFile("s3proxy-", ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(java, "-Xmx" + maxHeap, "-XX:+UseSerialGC",
                "-jar", jar().toString(), "--properties", properties.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        S3ProxyServer server = new S3ProxyServer(process, baseDirectory, log, port, tls);
        server.awaitListening(Duration.ofSeconds(60));
        return server;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void awaitListening(Duration timeout) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("s3proxy exited with " + process.exitValue() + ": " + logTail());
            }
            try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        close();
        throw new IOException("s3proxy did not listen on port " + port + " within " + timeout + ": " + logTail());
    }

    /** The last lines s3proxy logged, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public URI endpoint() {
        return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + port);
    }

    /** Whether it serves https (with a certificate nobody verifies), see {@link #start(Path, String, String, boolean)}. */
    public boolean tls() {
        return tls;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** A new empty bucket with a unique name starting with {@code prefix}. */
    public String createBucket(String prefix) {
        String name = (prefix + "-" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase(Locale.ROOT);
        try {
            // the filesystem blob store's buckets are its base directory's subdirectories
            Files.createDirectory(baseDirectory.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return name;
    }

    /** Removes a bucket and everything in it. */
    public void deleteBucket(String bucket) {
        deleteTree(baseDirectory.resolve(bucket));
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory; the OS cleans up eventually
        }
    }

    /** The driver options for {@code bucket} on this server, with registry:2's other defaults. */
    public S3Options options(String bucket) {
        return S3Options.of(bucket, REGION, endpoint()).withCredentials(ACCESS_KEY, SECRET_KEY);
    }

    /** Every file the blob store holds for {@code bucket} (objects and upload parts), for assertions. */
    public List<Path> filesOf(String bucket) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(baseDirectory.resolve(bucket))) {
            walk.filter(Files::isRegularFile).forEach(files::add);
        }
        return files;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteTree(baseDirectory);
    }
}
