package dev.registry.config;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code notifications.*}: where the registry sends events about pushes, pulls, mounts and deletes.
 *
 * @param endpoints {@code notifications.endpoints}, in the order given, disabled ones included
 * @param includeReferences {@code notifications.events.includereferences}: manifest events list
 *                          the descriptors the manifest references (default {@code false})
 * @param queueDirectory {@code notifications.queue.directory} (this server's key, not registry:2's):
 *                       where each endpoint keeps its undelivered events on disk, so that they
 *                       survive a restart; {@code null} keeps them in memory only
 * @param maxQueuedEvents {@code notifications.queue.maxevents} (this server's key): how many
 *                        undelivered events each endpoint keeps before it drops new ones (default
 *                        {@link #DEFAULT_MAX_EVENTS_IN_MEMORY} in memory,
 *                        {@link #DEFAULT_MAX_EVENTS_ON_DISK} with a directory)
 */
public record NotificationsConfig(
        List<NotificationEndpointConfig> endpoints,
        boolean includeReferences,
        Path queueDirectory,
        int maxQueuedEvents) {

    /** About 10 MB of heap per endpoint for events of about 1 KB. */
    public static final int DEFAULT_MAX_EVENTS_IN_MEMORY = 10_000;
    /** About 1 GB of disk per endpoint for events of about 1 KB. */
    public static final int DEFAULT_MAX_EVENTS_ON_DISK = 1_000_000;

    /** No endpoints: nothing is sent. */
    public static final NotificationsConfig NONE = new NotificationsConfig(List.of(), false, null,
            DEFAULT_MAX_EVENTS_IN_MEMORY);

    /** The endpoints that are not {@code disabled}. */
    public List<NotificationEndpointConfig> activeEndpoints() {
        return endpoints.stream().filter(endpoint -> !endpoint.disabled()).toList();
    }
}
