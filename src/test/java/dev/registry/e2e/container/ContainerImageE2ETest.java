package dev.registry.e2e.container;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.registry.e2e.RegistryProcess;
import dev.registry.e2e.clients.Cli;
import dev.registry.e2e.clients.DockerEngine;
import dev.registry.e2e.clients.OciLayoutBuilder;
import dev.registry.e2e.clients.Skopeo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The container image of {@code docker/Dockerfile}, built from the packaged jar and run by the real
 * Docker engine the way the docs say: host networking (this machine's engine cannot map ports),
 * a 256 MiB memory limit, a read-only root file system with a {@code /tmp} tmpfs, and a named data
 * volume. The registry runs as uid 65532 and as PID 1, sizes its heap from the limit, serves skopeo
 * pushes and pulls, streams a blob larger than the limit without being OOM-killed, and on
 * {@code docker stop} drains for {@code http.draintimeout} and exits with 143 (128 + SIGTERM)
 * long before docker would kill it.
 *
 * <p>The base image is {@code registry-jre-base:local} (system property {@code registry.test.jreImage}
 * names another). When it is missing the test builds it once with {@code docker/build-base-image.sh}
 * (Debian minbase + a jlinked runtime of this JDK, about two minutes; needs root and a Debian
 * mirror) and leaves it in the engine, as it leaves {@code registry-server:e2e}, so later runs only
 * rebuild the layer holding the jar.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ContainerImageE2ETest {
    private static final String BASE_IMAGE = System.getProperty("registry.test.jreImage", "registry-jre-base:local");
    private static final String IMAGE = "registry-server:e2e";
    private static final long MEMORY_LIMIT = 256L * 1024 * 1024;
    private static final int DRAIN_SECONDS = 4;
    private static final String UID = "65532";

    private Path work;
    private DockerEngine engine;
    private String container;
    private String volume;
    private int port;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void buildAndRun() throws Exception {
        work = RegistryProcess.workDir("container-image");
        engine = DockerEngine.require(work);
        ensureBaseImage();
        buildImage();

        String nonce = Long.toHexString(System.nanoTime());
        container = "registry-e2e-" + nonce;
        volume = "registry-e2e-" + nonce;
        port = RegistryProcess.freePort();
        engine.docker("volume", "create", volume).check();
        engine.docker("run", "-d", "--name", container, "--network", "host",
                "--memory", Long.toString(MEMORY_LIMIT), "--memory-swap", Long.toString(MEMORY_LIMIT),
                "--read-only", "--tmpfs", "/tmp:rw,exec,size=64m",
                "-v", volume + ":/var/lib/registry",
                "-e", "REGISTRY_HTTP_ADDR=127.0.0.1:" + port,
                "-e", "REGISTRY_HTTP_DRAINTIMEOUT=" + DRAIN_SECONDS + "s",
                IMAGE).check();
        awaitReady();
    }

    @AfterAll
    void remove() {
        if (container != null) {
            engine.docker("rm", "-f", container).run();
        }
        if (volume != null) {
            engine.docker("volume", "rm", "-f", volume).run();
        }
    }

    // ---- image ---------------------------------------------------------------------------------------

    private void ensureBaseImage() {
        if (engine.docker("image", "inspect", BASE_IMAGE).run().ok()) {
            return;
        }
        Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
        assumeTrue(Files.isExecutable(jlink), "skipped: base image " + BASE_IMAGE + " is missing and " + jlink
                + " is not there to build one (run the tests with a JDK, not a JRE)");
        String uid = Cli.of("id", "-u").run().stdout().strip();
        assumeTrue(uid.equals("0"), "skipped: base image " + BASE_IMAGE + " is missing and docker/build-base-image.sh "
                + "needs root (debootstrap) to build it; build it once as root, or give -Dregistry.test.jreImage=IMAGE");
        Cli.Result built = Cli.of("sh", repositoryRoot().resolve("docker/build-base-image.sh").toString())
                .env("JAVA_HOME", System.getProperty("java.home"))
                .env("IMAGE", BASE_IMAGE)
                .env("DOCKER_HOST", engine.host())
                .timeout(Duration.ofMinutes(12)).run();
        assertTrue(built.ok(), () -> "docker/build-base-image.sh could not build " + BASE_IMAGE + ":\n" + built.describe());
    }

    /**
     * Builds the image from a context holding only what the Dockerfile copies: the engine's legacy
     * builder ignores {@code Dockerfile.dockerignore} and would send the whole checkout.
     */
    private void buildImage() throws IOException {
        Path root = repositoryRoot();
        Path context = work.resolve("context");
        Files.createDirectories(context.resolve("docker"));
        Files.createDirectories(context.resolve("registry-server/target"));
        Files.copy(root.resolve("docker/Dockerfile"), context.resolve("docker/Dockerfile"));
        Files.copy(root.resolve("docker/config.yml"), context.resolve("docker/config.yml"));
        Files.copy(RegistryProcess.jar(), context.resolve("registry-server/target/registry-server.jar"));
        Cli.Result previous = engine.docker("image", "inspect", "--format", "{{.Id}}", IMAGE).run();
        String built = engine.docker("build", "-q", "-f", context.resolve("docker/Dockerfile").toString(),
                "--build-arg", "JRE_IMAGE=" + BASE_IMAGE, "-t", IMAGE, context.toString())
                .timeout(Duration.ofMinutes(5)).check().stdout().strip();
        // The image of the previous run (another jar) would stay behind untagged: remove it.
        if (previous.ok() && !previous.stdout().strip().equals(built)) {
            engine.docker("rmi", previous.stdout().strip()).run();
        }
    }

    private static Path repositoryRoot() {
        // registry-server/target/registry-server.jar
        return RegistryProcess.jar().getParent().getParent().getParent();
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(url("/v2/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!inspect("{{.State.Running}}").equals("true")) {
                fail("the container stopped (exit code " + inspect("{{.State.ExitCode}}") + "):\n" + logs());
            }
            Thread.sleep(200);
        }
        fail("the registry in the container did not answer within 90 s:\n" + logs());
    }

    // ---- tests ---------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void imageDeclaresItsUserAndPorts() {
        Cli.Result config = engine.docker("image", "inspect", "--format",
                "{{.Config.User}} {{json .Config.ExposedPorts}} {{json .Config.Entrypoint}}", IMAGE).check();
        String text = config.stdout().strip();
        assertTrue(text.startsWith(UID + ":" + UID + " "), text);
        assertTrue(text.contains("\"5000/tcp\"") && text.contains("\"5001/tcp\""), text);
        assertTrue(text.contains("-XX:MaxRAMPercentage=50"), text);
    }

    @Test
    @Order(2)
    void runsAsNonRootAsPid1() {
        assertEquals(UID, engine.docker("exec", container, "id", "-u").check().stdout().strip());
        String status = engine.docker("exec", container, "cat", "/proc/1/status").check().stdout();
        String uids = status.lines().filter(line -> line.startsWith("Uid:")).findFirst().orElseThrow();
        assertEquals(List.of(UID, UID, UID, UID), List.of(uids.substring(4).strip().split("\\s+")),
                "real, effective, saved and file-system uid of PID 1");
        String command = engine.docker("exec", container, "cat", "/proc/1/cmdline").check().stdout().replace('\0', ' ');
        assertTrue(command.startsWith("java "), "java is PID 1, so it gets docker stop's SIGTERM: " + command);
    }

    @Test
    @Order(3)
    void heapFollowsTheMemoryLimit() {
        assertEquals(Long.toString(MEMORY_LIMIT), inspect("{{.HostConfig.Memory}}"));
        String logs = logs();
        Matcher jvm = Pattern.compile("JVM: Java (\\d+), max heap (\\d+) MiB, (\\d+) processor").matcher(logs);
        assertTrue(jvm.find(), "the startup log says what the JVM made of the limit:\n" + logs);
        long heapMiB = Long.parseLong(jvm.group(2));
        long limitMiB = MEMORY_LIMIT / (1024 * 1024);
        // MaxRAMPercentage=50 of 256 MiB: 128 MiB, less what the collector reserves.
        assertTrue(heapMiB <= limitMiB / 2 && heapMiB >= limitMiB / 4,
                "max heap " + heapMiB + " MiB for a " + limitMiB + " MiB limit");
        assertTrue(logs.contains("epoll transport"), "Netty's native transport loads from the /tmp tmpfs:\n" + logs);
    }

    @Test
    @Order(4)
    void skopeoPushesAndPulls() throws Exception {
        Cli.assumeTools(Skopeo.BINARY);
        OciLayoutBuilder layout = new OciLayoutBuilder(work.resolve("layout"));
        OciLayoutBuilder.Image image = layout.image("linux", "amd64", 1024 * 1024, 64 * 1024);
        layout.tag(image.manifest(), "v1");
        String repository = "docker://127.0.0.1:" + port + "/container/app";

        Skopeo.copy("oci:" + layout.dir() + ":v1", repository + ":v1", "--preserve-digests");
        assertArrayEquals(image.manifestBytes(), Skopeo.inspectRaw(repository + ":v1"));

        Path out = work.resolve("pulled");
        Skopeo.copy(repository + ":v1", "oci:" + out + ":v1", "--preserve-digests");
        assertEquals(image.manifest().digest(), OciLayoutBuilder.indexEntry(out, "v1").path("digest").asText());
        for (String digest : image.blobDigests()) {
            assertArrayEquals(OciLayoutBuilder.readBlob(layout.dir(), digest), OciLayoutBuilder.readBlob(out, digest),
                    "blob " + digest);
        }
    }

    /** A blob larger than the memory limit goes in and out streamed; the kernel never kills the JVM. */
    @Test
    @Order(5)
    void aBlobLargerThanTheMemoryLimitStreamsThrough() throws Exception {
        long size = MEMORY_LIMIT + 64L * 1024 * 1024 + 5;
        String digest = sha256(new PatternStream(size));
        HttpResponse<Void> started = http.send(HttpRequest.newBuilder(url("/v2/container/big/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(202, started.statusCode());
        URI location = url("/").resolve(started.headers().firstValue("Location").orElseThrow());
        URI put = URI.create(location + (location.getRawQuery() == null ? "?" : "&") + "digest=" + digest);
        HttpResponse<String> finished = http.send(HttpRequest.newBuilder(put)
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> new PatternStream(size)), size))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, finished.statusCode(), finished::body);
        assertEquals(digest, finished.headers().firstValue("Docker-Content-Digest").orElse(null));

        HttpResponse<InputStream> pulled = http.send(HttpRequest.newBuilder(url("/v2/container/big/blobs/" + digest)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, pulled.statusCode());
        assertEquals(Long.toString(size), pulled.headers().firstValue("Content-Length").orElse(null));
        try (InputStream body = pulled.body()) {
            assertEquals(digest, sha256(body), "the blob read back");
        }
        assertEquals("false true", inspect("{{.State.OOMKilled}} {{.State.Running}}"), "not OOM-killed, still running");
    }

    /**
     * {@code docker stop} with an upload still sending: the JVM (PID 1) gets SIGTERM, waits
     * {@code http.draintimeout} for the upload, cuts it off and exits with 143, well before
     * docker's own 30 s would send SIGKILL (exit code 137).
     */
    @Test
    @Order(6)
    void dockerStopDrainsAndExitsWith143() throws Exception {
        HttpResponse<Void> started = http.send(HttpRequest.newBuilder(url("/v2/container/slow/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(202, started.statusCode());
        URI location = url("/").resolve(started.headers().firstValue("Location").orElseThrow());
        String target = location.getRawPath() + "?" + (location.getRawQuery() == null ? "" : location.getRawQuery() + "&")
                + "digest=sha256:" + "0".repeat(64);
        try (Socket upload = new Socket()) {
            upload.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            OutputStream out = upload.getOutputStream();
            out.write(("PUT " + target + " HTTP/1.1\r\nHost: registry\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[1000]);
            out.flush();
            Thread.sleep(300); // the request has reached the server

            long start = System.nanoTime();
            engine.docker("stop", "--time", "30", container).timeout(Duration.ofSeconds(60)).check();
            long tookMillis = (System.nanoTime() - start) / 1_000_000;

            assertEquals("143", inspect("{{.State.ExitCode}}"), "exit code after SIGTERM");
            assertTrue(tookMillis >= DRAIN_SECONDS * 1000L - 200, "waited for the upload up to the drain timeout: " + tookMillis + " ms");
            assertTrue(tookMillis < (DRAIN_SECONDS + 10) * 1000L, "stopped soon after the drain timeout, not killed at 30 s: "
                    + tookMillis + " ms");
            upload.setSoTimeout(5000);
            assertEquals("", answer(upload.getInputStream()), "the cut-off upload gets no answer");
        }
        String logs = logs();
        assertTrue(logs.contains("shutting down") && logs.contains("cut off") && logs.contains("stopped"), logs);
    }

    // ---- helpers -------------------------------------------------------------------------------------

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private String inspect(String format) {
        return engine.docker("inspect", "--format", format, container).check().stdout().strip();
    }

    private String logs() {
        Cli.Result logs = engine.docker("logs", container).run();
        return logs.stdout() + logs.stderr();
    }

    /** Whatever the server sent until it closed the connection (a reset counts as a close). */
    private static String answer(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            in.transferTo(bytes);
        } catch (java.net.SocketException reset) {
            // closed without an answer
        }
        return bytes.toString(StandardCharsets.ISO_8859_1);
    }

    private static String sha256(InputStream in) throws IOException, NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[1 << 16];
        int n;
        while ((n = in.read(buffer)) > 0) {
            digest.update(buffer, 0, n);
        }
        return "sha256:" + HexFormat.of().formatHex(digest.digest());
    }

    /**
     * {@code size} bytes of a xorshift sequence, made as they are read, so a blob bigger than this
     * JVM's heap needs no memory and reads the same every time.
     */
    private static final class PatternStream extends InputStream {
        private long remaining;
        private long state = 0x9E3779B97F4A7C15L;

        PatternStream(long size) {
            this.remaining = size;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (remaining <= 0) {
                return -1;
            }
            int n = (int) Math.min(length, remaining);
            for (int i = 0; i < n; i++) {
                state ^= state << 13;
                state ^= state >>> 7;
                state ^= state << 17;
                buffer[offset + i] = (byte) state;
            }
            remaining -= n;
            return n;
        }
    }
}
