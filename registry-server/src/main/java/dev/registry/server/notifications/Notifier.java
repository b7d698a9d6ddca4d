package dev.registry.server.notifications;

import dev.registry.config.ConfigException;
import dev.registry.config.NotificationEndpointConfig;
import dev.registry.config.NotificationsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * registry:2's notifications: every event goes to every configured endpoint that does not ignore
 * it, each endpoint with its own queue and delivery thread ({@link EndpointDelivery}), so a slow
 * or dead endpoint delays neither requests nor the other endpoints.
 */
public final class Notifier implements EventSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Notifier.class);

    private final List<EndpointDelivery> endpoints;
    private final Source source;

    private Notifier(List<EndpointDelivery> endpoints, Source source) {
        this.endpoints = endpoints;
        this.source = source;
    }

    /**
     * Starts delivery to the endpoints of {@code config} that are not disabled.
     *
     * @param port the configured listening port, which registry:2 puts in each event's {@code source.addr}
     * @throws ConfigException if an endpoint's headers or queue directory cannot be used
     */
    public static Notifier start(NotificationsConfig config, int port) {
        List<EndpointDelivery> endpoints = new ArrayList<>();
        try {
            for (NotificationEndpointConfig endpoint : config.endpoints()) {
                if (endpoint.disabled()) {
                    log.info("notifications: endpoint {} is disabled", endpoint.name());
                    continue;
                }
                EnvelopeSender sender = new HttpEnvelopeSender(endpoint);
                EventQueue queue;
                try {
                    queue = openQueue(config, endpoint);
                } catch (RuntimeException e) {
                    sender.close();
                    throw e;
                }
                endpoints.add(new EndpointDelivery(endpoint, queue, sender));
                log.info("notifications: endpoint {} at {}, timeout {} ms, threshold {}, backoff {} ms, events queued {}",
                        endpoint.name(), endpoint.url(), endpoint.timeout().toMillis(), endpoint.threshold(),
                        endpoint.backoff().toMillis(), config.queueDirectory() == null ? "in memory"
                                : "in " + config.queueDirectory().resolve(endpoint.name()));
            }
        } catch (RuntimeException e) {
            endpoints.forEach(EndpointDelivery::abandon);
            throw e;
        }
        endpoints.forEach(EndpointDelivery::start);
        return new Notifier(List.copyOf(endpoints), new Source(hostName() + ":" + port, UUID.randomUUID().toString()));
    }

    private static EventQueue openQueue(NotificationsConfig config, NotificationEndpointConfig endpoint) {
        if (config.queueDirectory() == null) {
            return new MemoryEventQueue(config.maxQueuedEvents());
        }
        Path directory = config.queueDirectory().resolve(endpoint.name());
        try {
            return SpoolEventQueue.open(directory, config.maxQueuedEvents());
        } catch (IOException e) {
            throw new ConfigException("notifications.queue.directory (REGISTRY_NOTIFICATIONS_QUEUE_DIRECTORY): the queue of endpoint '"
                    + endpoint.name() + "' in " + directory + " cannot be used (" + e.getMessage()
                    + "): give a directory this process may write and no other process uses.");
        }
    }

    /** registry:2 names the source by the host name, as the kernel knows it, without a DNS lookup if possible. */
    private static String hostName() {
        try {
            Path kernel = Path.of("/proc/sys/kernel/hostname");
            if (Files.isReadable(kernel)) {
                String name = Files.readString(kernel, StandardCharsets.US_ASCII).trim();
                if (!name.isEmpty()) {
                    return name;
                }
            }
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            return "localhost";
        }
    }

    /** Each started endpoint's counters, by endpoint name, for a metrics registry to expose. */
    public java.util.Map<String, EndpointCounters> counters() {
        java.util.Map<String, EndpointCounters> counters = new java.util.LinkedHashMap<>();
        endpoints.forEach(endpoint -> counters.put(endpoint.name(), endpoint.counters()));
        return counters;
    }

    @Override
    public boolean active() {
        return !endpoints.isEmpty();
    }

    @Override
    public void publish(Event event) {
        byte[] json = null;
        for (EndpointDelivery endpoint : endpoints) {
            if (endpoint.wants(event.action(), event.target().mediaType())) {
                if (json == null) {
                    json = EventJson.event(event, source);
                }
                endpoint.offer(json);
            }
        }
    }

    /**
     * Stops delivery: events queued in memory get up to {@code grace} to be delivered, events
     * queued on disk stay there for the next start.
     */
    public void close(Duration grace) {
        // In parallel, so that the grace is shared rather than spent once per endpoint.
        List<Thread> stopping = endpoints.stream()
                .map(endpoint -> Thread.ofVirtual().start(() -> endpoint.stop(grace)))
                .toList();
        for (Thread thread : stopping) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }
}
