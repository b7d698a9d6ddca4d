package dev.registry.e2e;

import dev.registry.storage.driver.s3.S3ProxyServer;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged {@code registry-server.jar} running in its own JVM on a free loopback port,
 * with filesystem storage in a directory of the test's choosing.
 *
 * <p>Started with {@code java -jar registry-server.jar serve config.yml}; {@link #start} returns
 * once {@code GET /v2/} answers. Its output goes to {@code server.log} beside the config file.
 */
public final class RegistryProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private RegistryProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** The shaded jar that the build produced (system property {@code registry.jar}). */
    public static Path jar() {
        String jar = System.getProperty("registry.jar", "../../registry-server/target/registry-server.jar");
        return Path.of(jar).toAbsolutePath().normalize();
    }

    /** A fresh directory under the module's build directory for one test's files. */
    public static Path workDir(String name) throws IOException {
        Path base = Path.of(System.getProperty("registry.workdir", "target/e2e"));
        Path dir = base.resolve(name + "-" + System.nanoTime());
        Files.createDirectories(dir);
        return dir.toAbsolutePath();
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    /** Starts the registry with delete enabled, storing under {@code root}. */
    public static RegistryProcess start(Path root) throws Exception {
        return start(root, "");
    }

    /**
     * Starts the registry storing under {@code root}. {@code extraYaml} is appended to the
     * generated config file (top-level keys other than {@code http} and {@code storage}).
     */
    public static RegistryProcess start(Path root, String extraYaml) throws Exception {
        return start(root, extraYaml, Map.of());
    }

    /** As {@link #start(Path, String)}, with {@code env} added to the server's environment. */
    public static RegistryProcess start(Path root, String extraYaml, Map<String, String> env) throws Exception {
        int port = freePort();
        Path dir = root.getParent().resolve(root.getFileName() + "-conf-" + port);
        Files.createDirectories(dir);
        return startWithConfig(writeConfig(dir, port, root, extraYaml), port, env);
    }

    /**
     * Writes {@code dir/config.yml}: the registry on {@code 127.0.0.1:port}, storing under
     * {@code root} with delete enabled, logging at info, then {@code extraYaml} (top-level keys,
     * or lines indented by two spaces to add to {@code storage}).
     */
    public static Path writeConfig(Path dir, int port, Path root, String extraYaml) throws IOException {
        return writeConfig(dir, port, """
                  filesystem:
                    rootdirectory: %s\
                """.formatted(root), extraYaml);
    }

    /**
     * Writes {@code dir/config.yml}: the registry on {@code 127.0.0.1:port} with the driver in
     * {@code storageEntries} (lines indented by two spaces under {@code storage}, such as
     * {@link #s3Storage}), delete enabled and logging at info, then {@code extraYaml} (top-level
     * keys, or more lines for {@code storage}).
     */
    public static Path writeConfig(Path dir, int port, String storageEntries, String extraYaml) throws IOException {
        Path config = dir.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: info
                http:
                  addr: 127.0.0.1:%d
                storage:
                %s
                  delete:
                    enabled: true
                %s
                """.formatted(port, storageEntries, extraYaml));
        return config;
    }

    /**
     * The {@code storage} entries for {@code bucket} of s3proxy under {@code rootDirectory}, with
     * parts of S3's minimum size (5 MiB), so that small test images span several.
     *
     * @param redirect whether blob GETs answer 307 to pre-signed URLs (registry:2's default)
     */
    public static String s3Storage(S3ProxyServer s3, String bucket, String rootDirectory, boolean redirect) {
        return """
                  s3:
                    accesskey: %s
                    secretkey: %s
                    region: %s
                    regionendpoint: %s
                    forcepathstyle: true
                    bucket: %s
                    rootdirectory: %s
                    chunksize: 5242880
                  redirect:
                    disable: %s\
                """.formatted(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, S3ProxyServer.REGION,
                s3.endpoint(), bucket, rootDirectory, !redirect);
    }

    /** Starts the registry with the given config file, expected to listen on {@code port}. */
    public static RegistryProcess startWithConfig(Path config, int port, Map<String, String> env) throws Exception {
        // generous: on a loaded machine a start that opens an S3 or GCS client and checks its bucket
        // has taken over 30 s; a server that fails to start exits, which ends the wait early
        return startWithConfig(config, port, env, Duration.ofSeconds(90));
    }

    /**
     * As {@link #startWithConfig(Path, int, Map)}, waiting up to {@code readyWithin} for {@code /v2/}
     * (a cloud storage driver checks its bucket over the network before the server listens).
     */
    public static RegistryProcess startWithConfig(Path config, int port, Map<String, String> env, Duration readyWithin)
            throws Exception {
        Path log = config.resolveSibling("server.log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.add("-jar");
        command.add(jar().toString());
        command.add("serve");
        command.add(config.toString());
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        Process process = builder.start();
        RegistryProcess registry = new RegistryProcess(process, port, log);
        registry.awaitReady(readyWithin);
        return registry;
    }

    private void awaitReady(Duration readyWithin) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + readyWithin.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("registry exited with " + process.exitValue() + ":\n" + output());
            }
            try {
                HttpResponse<Void> response = client.send(
                        HttpRequest.newBuilder(URI.create(baseUrl() + "/v2/")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200 || response.statusCode() == 401) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        close();
        throw new IllegalStateException("registry did not answer /v2/ within " + readyWithin.toSeconds() + "s:\n" + output());
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** {@code 127.0.0.1:PORT}, as docker, podman and skopeo name a registry. */
    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    public Process process() {
        return process;
    }

    /** Everything the server printed so far. */
    public String output() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(could not read " + log + ": " + e + ")";
        }
    }

    /** Kills the server at once, as a crash would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
