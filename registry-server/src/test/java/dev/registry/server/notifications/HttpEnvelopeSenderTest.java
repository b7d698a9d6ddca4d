package dev.registry.server.notifications;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.registry.config.ConfigException;
import dev.registry.config.NotificationEndpointConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpEnvelopeSenderTest {
    private HttpServer server;
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicReference<String> body = new AtomicReference<>();
    private final AtomicReference<com.sun.net.httpserver.Headers> headers = new AtomicReference<>();

    @BeforeEach
    void startListener() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
        server.createContext("/events", exchange -> {
            body.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            headers.set(exchange.getRequestHeaders());
            if (status.get() == 302) {
                exchange.getResponseHeaders().add("Location", "http://127.0.0.1:9/elsewhere");
            }
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
        server.createContext("/slow", exchange -> {
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stopListener() {
        server.stop(0);
    }

    private NotificationEndpointConfig endpoint(String path, Map<String, List<String>> extra) {
        return new NotificationEndpointConfig("test", URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path),
                extra, Duration.ofMillis(500), 10, Duration.ofSeconds(1), Set.of(), Set.of(), false);
    }

    @Test
    void postsTheEnvelopeWithItsMediaTypeAndTheConfiguredHeaders() throws Exception {
        try (HttpEnvelopeSender sender = new HttpEnvelopeSender(endpoint("/events",
                Map.of("Authorization", List.of("Bearer t"), "X-Two", List.of("a", "b"))))) {
            sender.send("{\"events\":[]}".getBytes(StandardCharsets.UTF_8));
        }

        assertEquals("{\"events\":[]}", body.get());
        assertEquals("application/vnd.docker.distribution.events.v1+json", headers.get().getFirst("Content-Type"));
        assertEquals("Bearer t", headers.get().getFirst("Authorization"));
        assertEquals(List.of("a", "b"), headers.get().get("X-two"));
    }

    @Test
    void twoAndThreeHundredsAreAcceptedEverythingElseFails() throws Exception {
        try (HttpEnvelopeSender sender = new HttpEnvelopeSender(endpoint("/events", Map.of()))) {
            for (int accepted : new int[] {200, 202, 204, 302}) {
                status.set(accepted);
                sender.send(new byte[0]);
            }
            for (int refused : new int[] {400, 401, 404, 500, 503}) {
                status.set(refused);
                IOException e = assertThrows(IOException.class, () -> sender.send(new byte[0]));
                assertEquals("answered HTTP " + refused, e.getMessage());
            }
        }
    }

    @Test
    void noAnswerWithinTheTimeoutIsAFailure() {
        try (HttpEnvelopeSender sender = new HttpEnvelopeSender(endpoint("/slow", Map.of()))) {
            long started = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> sender.send(new byte[0]));
            assertTrue(e.getMessage().contains("no answer within 500 ms"), e.getMessage());
            assertTrue(System.nanoTime() - started < 1_900_000_000L, "gave up at the timeout, not when the listener answered");
        }
    }

    @Test
    void aHeaderTheHttpClientSetsItselfIsAStartupError() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new HttpEnvelopeSender(endpoint("/events", Map.of("Host", List.of("x")))));

        assertEquals("notifications.endpoints (REGISTRY_NOTIFICATIONS_ENDPOINTS) endpoint 'test' sets the header Host, "
                + "which the HTTP client sets itself: remove it.", e.getMessage());
    }
}
