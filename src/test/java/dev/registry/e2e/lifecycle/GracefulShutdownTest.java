package dev.registry.e2e.lifecycle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.e2e.RegistryProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
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
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM (what {@code docker stop} and a Kubernetes rollout send) lets an upload in progress
 * finish within {@code http.draintimeout}, closes idle keep-alive connections and refuses new
 * ones; an upload that takes longer is cut off without storing anything.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class GracefulShutdownTest {
    @TempDir
    Path dir;

    private RegistryProcess start(Path root, String drainTimeout) throws Exception {
        int port = RegistryProcess.freePort();
        Path config = dir.resolve("config-" + port + ".yml");
        Files.writeString(config, """
                version: 0.1
                http:
                  addr: 127.0.0.1:%d
                  draintimeout: %s
                storage:
                  filesystem:
                    rootdirectory: %s
                """.formatted(port, drainTimeout, root));
        return RegistryProcess.startWithConfig(config, port, Map.of());
    }

    @Test
    void anUploadInProgressFinishesAfterSigtermWhileIdleAndNewConnectionsAreTurnedAway() throws Exception {
        Path root = dir.resolve("data");
        byte[] blob = new byte[1024 * 1024];
        new Random(7).nextBytes(blob);
        String digest = sha256(blob);
        RegistryProcess registry = start(root, "20s");
        try {
            String location = startUpload(registry, "team/app");
            try (Socket upload = connect(registry); Socket idle = connect(registry)) {
                send(idle, "GET /v2/ HTTP/1.1\r\nHost: registry\r\n\r\n");
                assertTrue(readResponse(idle.getInputStream()).startsWith("HTTP/1.1 200"));

                OutputStream out = upload.getOutputStream();
                sendPutHead(upload, location, digest, blob.length);
                out.write(blob, 0, blob.length / 2);
                out.flush();
                Thread.sleep(300); // the request has reached the server

                registry.process().destroy(); // SIGTERM

                idle.setSoTimeout(5000);
                assertEquals(-1, idle.getInputStream().read(), "an idle keep-alive connection is closed at once");
                awaitRefused(registry);

                out.write(blob, blob.length / 2, blob.length - blob.length / 2);
                out.flush();
                upload.setSoTimeout(10_000);
                String response = readResponse(upload.getInputStream());
                assertTrue(response.startsWith("HTTP/1.1 201"), response);
                assertTrue(response.toLowerCase(Locale.ROOT).contains("docker-content-digest: " + digest), response);
                assertTrue(response.toLowerCase(Locale.ROOT).contains("connection: close"), response);
            }
            assertTrue(registry.process().waitFor(10, TimeUnit.SECONDS), "the server stops once the upload is answered");
            assertTrue(registry.output().contains("stopped"), registry.output());
        } finally {
            registry.close();
        }

        RegistryProcess restarted = start(root, "0s");
        try {
            HttpResponse<byte[]> got = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(restarted.baseUrl() + "/v2/team/app/blobs/" + digest)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, got.statusCode());
            assertArrayEquals(blob, got.body());
        } finally {
            restarted.close();
        }
    }

    @Test
    void anUploadThatOutlastsTheDrainTimeoutIsCutOffAndStoresNothing() throws Exception {
        Path root = dir.resolve("data");
        byte[] blob = new byte[256 * 1024];
        new Random(8).nextBytes(blob);
        String digest = sha256(blob);
        RegistryProcess registry = start(root, "1s");
        try {
            String location = startUpload(registry, "team/app");
            try (Socket upload = connect(registry)) {
                OutputStream out = upload.getOutputStream();
                sendPutHead(upload, location, digest, blob.length);
                out.write(blob, 0, 1000);
                out.flush();
                Thread.sleep(300);
                long signalled = System.nanoTime();
                registry.process().destroy();
                assertTrue(registry.process().waitFor(10, TimeUnit.SECONDS));
                long tookMillis = (System.nanoTime() - signalled) / 1_000_000;
                assertTrue(tookMillis >= 900, "waited for the drain timeout, took " + tookMillis + " ms");
                upload.setSoTimeout(5000);
                assertEquals("", readResponse(upload.getInputStream()), "cut off: the connection closes without an answer");
            }
            assertTrue(registry.output().contains("cut off"), registry.output());
        } finally {
            registry.close();
        }

        RegistryProcess restarted = start(root, "0s");
        try {
            HttpResponse<Void> head = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(restarted.baseUrl() + "/v2/team/app/blobs/" + digest))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            assertEquals(404, head.statusCode());
        } finally {
            restarted.close();
        }
    }

    private static String startUpload(RegistryProcess registry, String repository) throws Exception {
        HttpResponse<Void> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(registry.baseUrl() + "/v2/" + repository + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(202, response.statusCode());
        String location = response.headers().firstValue("Location").orElseThrow();
        return location.startsWith("http") ? URI.create(location).getRawPath()
                + (URI.create(location).getRawQuery() == null ? "" : "?" + URI.create(location).getRawQuery()) : location;
    }

    private static Socket connect(RegistryProcess registry) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", registry.port()), 2000);
        return socket;
    }

    private static void awaitRefused(RegistryProcess registry) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            try (Socket probe = connect(registry)) {
                Thread.sleep(50);
            } catch (IOException refused) {
                assertThrows(ConnectException.class, () -> connect(registry).close());
                return;
            }
        }
        throw new AssertionError("the listener still accepts connections after SIGTERM");
    }

    /** The head of a monolithic {@code PUT ?digest=} finishing the upload at {@code location}. */
    private static void sendPutHead(Socket socket, String location, String digest, int length) throws IOException {
        send(socket, "PUT " + location + (location.contains("?") ? "&" : "?") + "digest=" + digest + " HTTP/1.1\r\n"
                + "Host: registry\r\nContent-Type: application/octet-stream\r\nContent-Length: " + length + "\r\n\r\n");
    }

    private static void send(Socket socket, String request) throws IOException {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    /** Reads one response's head and its Content-Length body; empty at end of stream. */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while (matched < 4 && (b = in.read()) >= 0) {
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        for (String line : text.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                in.readNBytes(Integer.parseInt(line.substring(15).trim()));
            }
        }
        return text;
    }

    private static String sha256(byte[] data) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
