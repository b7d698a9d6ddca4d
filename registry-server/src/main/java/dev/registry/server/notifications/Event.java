package dev.registry.server.notifications;

import dev.registry.storage.Descriptor;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One thing that happened to a repository, as registry:2's notifications describe it: a manifest
 * or blob pushed, pulled, mounted or deleted, by whom and through which request.
 *
 * @param id a new random id, so a consumer can tell a resent event from a new one
 * @param timestamp when it happened
 * @param action {@link #PUSH}, {@link #PULL}, {@link #MOUNT} or {@link #DELETE}
 * @param target what it happened to
 * @param request the HTTP request that did it
 * @param actor the authenticated user, or empty for anonymous requests
 */
public record Event(String id, Instant timestamp, String action, Target target, Request request, String actor) {
    public static final String PUSH = "push";
    public static final String PULL = "pull";
    public static final String MOUNT = "mount";
    public static final String DELETE = "delete";

    /** An event with a new id, timestamped now. */
    public static Event of(String action, Target target, Request request, String actor) {
        return new Event(UUID.randomUUID().toString(), Instant.now(), action, target, request, actor);
    }

    /**
     * What an event is about. Zero sizes and {@code null} texts are left out of the JSON, as
     * registry:2 leaves them out (a delete carries only the repository and the digest or tag).
     *
     * @param mediaType the manifest's media type, {@code application/octet-stream} for blobs
     * @param size the content's size in bytes
     * @param digest the content's digest
     * @param length the same as {@code size} (registry:2 reports both)
     * @param repository the repository name
     * @param fromRepository for a mount, the repository the blob was mounted from
     * @param url where the content can be fetched from this registry
     * @param tag the tag a manifest was pushed, pulled or deleted by
     * @param references with {@code notifications.events.includereferences}, what a manifest references
     */
    public record Target(String mediaType, long size, String digest, long length, String repository,
                         String fromRepository, String url, String tag, List<Descriptor> references) {
    }

    /**
     * The request behind an event.
     *
     * @param id the request's id, as the access log names it
     * @param addr the client's address (the first {@code X-Forwarded-For} entry when a proxy sets one)
     * @param host the {@code Host} the client asked for
     * @param method the HTTP method
     * @param userAgent the client's {@code User-Agent}, empty when it sent none
     */
    public record Request(String id, String addr, String host, String method, String userAgent) {
    }
}
