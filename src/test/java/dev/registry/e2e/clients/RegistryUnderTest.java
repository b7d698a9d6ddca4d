package dev.registry.e2e.clients;

import com.fasterxml.jackson.databind.JsonNode;
import dev.registry.e2e.RegistryProcess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A running registry the client tests talk to: normally our packaged jar ({@link RegistryProcess}),
 * or — with {@code -De2e.registry=docker-registry} — the reference CNCF Distribution server, to
 * check the tests' own client steps against a known-good registry.
 */
public interface RegistryUnderTest extends AutoCloseable {
    /** Value of {@code e2e.registry} that swaps in the reference server. */
    String REFERENCE = "docker-registry";

    /** {@code 127.0.0.1:PORT}. */
    String hostPort();

    /** {@code http://127.0.0.1:PORT}. */
    default String baseUrl() {
        return "http://" + hostPort();
    }

    /** Everything the server logged so far (for failure messages). */
    String output();

    /** Stops the server (waits for it to exit). */
    @Override
    void close();

    /** Starts the registry under test with filesystem storage in {@code root} (created if missing). */
    static RegistryUnderTest start(Path root) throws Exception {
        Files.createDirectories(root);
        if (REFERENCE.equals(System.getProperty("e2e.registry", "jar"))) {
            Cli.assumeTools(DistributionRegistry.BINARY);
            return DistributionRegistry.start(root);
        }
        return ours(root);
    }

    /** Always our packaged jar, whatever {@code e2e.registry} says. */
    static RegistryUnderTest ours(Path root) throws Exception {
        Files.createDirectories(root);
        RegistryProcess process = RegistryProcess.start(root);
        return of(process, "registry-server.jar on " + process.hostPort());
    }

    /** {@code process}, named {@code description} in failure messages; closing it stops the process. */
    static RegistryUnderTest of(RegistryProcess process, String description) {
        return new RegistryUnderTest() {
            @Override
            public String hostPort() {
                return process.hostPort();
            }

            @Override
            public String output() {
                return process.output();
            }

            @Override
            public void close() {
                try {
                    process.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public String toString() {
                return description;
            }
        };
    }

    /** {@code GET path} (e.g. {@code /v2/_catalog}) with an optional Accept header. */
    default HttpResponse<byte[]> get(String path, String accept) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(30));
        if (accept != null) {
            request.header("Accept", accept);
        }
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        }
    }

    /** {@code GET path} that must answer 200 with JSON. */
    default JsonNode getJson(String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = get(path, null);
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + path + " answered " + response.statusCode() + ": "
                    + new String(response.body()) + "\nserver log:\n" + output());
        }
        return OciLayoutBuilder.JSON.readTree(response.body());
    }
}
