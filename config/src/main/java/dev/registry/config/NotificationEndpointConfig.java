package dev.registry.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One entry of {@code notifications.endpoints}: an HTTP listener that receives event envelopes.
 *
 * @param name {@code name}: identifies the endpoint in logs and names its queue directory; unique
 * @param url {@code url}: where envelopes are POSTed (http or https)
 * @param headers {@code headers}: added to every POST, such as {@code Authorization}
 * @param timeout {@code timeout}: how long one POST may take (default {@link #DEFAULT_TIMEOUT})
 * @param threshold {@code threshold}: failed attempts in a row that are retried at once before
 *                  attempts are spaced by {@code backoff} (default {@value #DEFAULT_THRESHOLD})
 * @param backoff {@code backoff}: the wait between attempts once {@code threshold} is reached
 *                (default {@link #DEFAULT_BACKOFF})
 * @param ignoredMediaTypes {@code ignoredmediatypes} and {@code ignore.mediatypes} together: events
 *                          whose target has one of these media types are not sent here
 * @param ignoredActions {@code ignore.actions}: events with one of these actions are not sent here
 * @param disabled {@code disabled}: the endpoint is configured but receives nothing
 */
public record NotificationEndpointConfig(
        String name,
        URI url,
        Map<String, List<String>> headers,
        Duration timeout,
        int threshold,
        Duration backoff,
        Set<String> ignoredMediaTypes,
        Set<String> ignoredActions,
        boolean disabled) {

    /** registry:2's defaults. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_THRESHOLD = 10;
    public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(1);

    /** The actions an event can have, as {@code ignore.actions} names them. */
    public static final Set<String> ACTIONS = Set.of("push", "pull", "mount", "delete");
}
