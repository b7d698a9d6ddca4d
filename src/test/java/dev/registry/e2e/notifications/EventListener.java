package dev.registry.e2e.notifications;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A notification listener on a loopback port: records each envelope POSTed to {@code /events}
 * (its headers and events) and answers 200. It can be stopped and started again on the same
 * port, to stand for a listener outage; what it recorded is kept.
 */
final class EventListener implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One POST: its headers and the events of its envelope. */
    record Delivery(Headers headers, List<JsonNode> events) {
    }

    private final int port;
    private final List<Delivery> deliveries = new ArrayList<>();
    private HttpServer server;

    private EventListener(int port) {
        this.port = port;
    }

    static EventListener start(int port) throws IOException {
        EventListener listener = new EventListener(port);
        listener.start();
        return listener;
    }

    /** Listens (again). */
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
        server.createContext("/events", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                JsonNode envelope = JSON.readTree(body.readAllBytes());
                List<JsonNode> events = new ArrayList<>();
                envelope.get("events").forEach(events::add);
                synchronized (deliveries) {
                    deliveries.add(new Delivery(exchange.getRequestHeaders(), events));
                }
                exchange.sendResponseHeaders(200, -1);
            } catch (IOException | RuntimeException e) {
                exchange.sendResponseHeaders(400, -1);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** Stops listening: connections are refused until {@link #start()}. */
    void stop() {
        server.stop(0);
    }

    int port() {
        return port;
    }

    String url() {
        return "http://127.0.0.1:" + port + "/events";
    }

    List<Delivery> deliveries() {
        synchronized (deliveries) {
            return List.copyOf(deliveries);
        }
    }

    /** Every event received, in the order received. */
    List<JsonNode> events() {
        List<JsonNode> events = new ArrayList<>();
        deliveries().forEach(delivery -> events.addAll(delivery.events()));
        return events;
    }

    /** Waits until {@code count} events have arrived, then a little longer to see that no more come. */
    List<JsonNode> awaitEvents(int count, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (events().size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(300);
        List<JsonNode> events = events();
        assertEquals(count, events.size(), "events received: " + events);
        return events;
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
    }
}
