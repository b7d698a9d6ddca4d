package dev.registry.server.api;

import dev.registry.auth.BasicCredentials;
import dev.registry.server.http.ApiRequest;
import dev.registry.server.notifications.Event;
import dev.registry.server.notifications.EventSink;
import dev.registry.storage.BlobInfo;
import dev.registry.storage.Descriptor;
import dev.registry.storage.Digest;
import dev.registry.storage.ManifestParser;
import dev.registry.storage.ParsedManifest;
import dev.registry.storage.RegistryException;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns what the endpoints did into notification events, with the fields registry:2 gives each:
 * which requests produce which events, and what their targets carry, follow registry:2's
 * notification bridge. Called after the storage operation succeeded; publishing only enqueues.
 */
final class EventReporter {
    /** registry:2 reports every blob with this media type: it does not know a blob's own. */
    static final String BLOB_MEDIA_TYPE = "application/octet-stream";

    private final EventSink sink;
    private final Locations locations;
    private final boolean includeReferences;

    EventReporter(EventSink sink, Locations locations, boolean includeReferences) {
        this.sink = sink;
        this.locations = locations;
        this.includeReferences = includeReferences;
    }

    /** A manifest was pushed, by {@code tag} or (when {@code null}) by digest. */
    void manifestPushed(ApiRequest request, String name, String tag, Digest digest, ParsedManifest manifest, long size) {
        if (sink.active()) {
            publish(request, Event.PUSH, manifestTarget(request, name, tag, digest, manifest.mediaType(), size, manifest));
        }
    }

    /**
     * A manifest was fetched (GET or HEAD, as registry:2 counts both), by {@code tag} or (when
     * {@code null}) by digest.
     */
    void manifestPulled(ApiRequest request, String name, String tag, Digest digest, String mediaType, byte[] content) {
        if (sink.active()) {
            ParsedManifest manifest = includeReferences ? parseQuietly(content, mediaType) : null;
            publish(request, Event.PULL, manifestTarget(request, name, tag, digest, mediaType, content.length, manifest));
        }
    }

    /** A manifest was deleted by digest, taking {@code untagged} with it. */
    void manifestDeleted(ApiRequest request, String name, Digest digest, List<String> untagged) {
        if (sink.active()) {
            publish(request, Event.DELETE, new Event.Target(null, 0, digest.toString(), 0, name, null, null, null, null));
            untagged.forEach(tag -> tagDeleted(request, name, tag));
        }
    }

    /** A tag was deleted (the manifest it pointed at stays). */
    void tagDeleted(ApiRequest request, String name, String tag) {
        if (sink.active()) {
            publish(request, Event.DELETE, new Event.Target(null, 0, null, 0, name, null, null, tag, null));
        }
    }

    /** An upload was completed into a blob. */
    void blobPushed(ApiRequest request, String name, BlobInfo blob) {
        if (sink.active()) {
            publish(request, Event.PUSH, blobTarget(request, name, blob.digest(), blob.size(), null));
        }
    }

    /** A blob was served, redirected to, or checked with HEAD (registry:2 counts each as a pull). */
    void blobPulled(ApiRequest request, String name, BlobInfo blob) {
        if (sink.active()) {
            publish(request, Event.PULL, blobTarget(request, name, blob.digest(), blob.size(), null));
        }
    }

    /** A blob was linked into {@code name} from {@code from} (or, when {@code null}, a repository not named). */
    void blobMounted(ApiRequest request, String name, BlobInfo blob, String from) {
        if (sink.active()) {
            publish(request, Event.MOUNT, blobTarget(request, name, blob.digest(), blob.size(), from));
        }
    }

    /** A blob was unlinked from {@code name}. */
    void blobDeleted(ApiRequest request, String name, Digest digest) {
        if (sink.active()) {
            publish(request, Event.DELETE, new Event.Target(null, 0, digest.toString(), 0, name, null, null, null, null));
        }
    }

    private Event.Target manifestTarget(ApiRequest request, String name, String tag, Digest digest, String mediaType,
                                        long size, ParsedManifest manifest) {
        List<Descriptor> references = null;
        if (includeReferences && manifest != null) {
            references = new ArrayList<>(manifest.blobs());
            references.addAll(manifest.manifests());
        }
        return new Event.Target(mediaType, size, digest.toString(), size, name, null,
                locations.url(request, "v2/" + name + "/manifests/" + digest), tag, references);
    }

    private Event.Target blobTarget(ApiRequest request, String name, Digest digest, long size, String from) {
        return new Event.Target(BLOB_MEDIA_TYPE, size, digest.toString(), size, name, from,
                locations.url(request, "v2/" + name + "/blobs/" + digest), null, null);
    }

    private void publish(ApiRequest request, String action, Event.Target target) {
        Event.Request record = new Event.Request(request.id(), clientAddress(request), request.header("Host"),
                request.method().name(), request.header("User-Agent"));
        sink.publish(Event.of(action, target, record, actor(request)));
    }

    /** As registry:2: a proxy's {@code X-Forwarded-For} (first entry) or {@code X-Real-IP}, else the peer. */
    private static String clientAddress(ApiRequest request) {
        String forwarded = request.header("X-Forwarded-For");
        if (forwarded != null && !forwarded.isBlank()) {
            int comma = forwarded.indexOf(',');
            return (comma >= 0 ? forwarded.substring(0, comma) : forwarded).trim();
        }
        String realIp = request.header("X-Real-IP");
        if (realIp != null && !realIp.isBlank()) {
            return realIp.trim();
        }
        return request.remoteAddress();
    }

    /**
     * The authenticated user; without authentication, registry:2 names the user of a Basic
     * {@code Authorization} header the client sent anyway, and nobody otherwise.
     */
    private static String actor(ApiRequest request) {
        String user = request.user();
        if (user != null && !user.equals("-") && !user.equals("anonymous")) {
            return user;
        }
        return BasicCredentials.parse(request.header("Authorization")).map(credentials -> {
            String name = credentials.user();
            credentials.clear();
            return name;
        }).orElse(null);
    }

    private static ParsedManifest parseQuietly(byte[] content, String mediaType) {
        try {
            return ManifestParser.parse(content, mediaType);
        } catch (RegistryException e) {
            return null; // stored before a stricter parser: the event goes out without references
        }
    }
}
