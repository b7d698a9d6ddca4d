package dev.registry.server.notifications;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.registry.storage.Descriptor;
import dev.registry.storage.Digest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventJsonTest {
    private static final String DIGEST = "sha256:" + "a".repeat(64);
    private static final Source SOURCE = new Source("registry-0:5000", "3f1c9a4e-0000-4000-8000-000000000001");
    private static final Event.Request REQUEST = new Event.Request("req-1", "10.0.0.7", "registry.example:5000", "PUT", "docker/27.0");

    private static String json(Event event) {
        return new String(EventJson.event(event, SOURCE), StandardCharsets.UTF_8);
    }

    @Test
    void aPushHasRegistry2sFieldsInRegistry2sOrder() {
        Event event = new Event("e-1", Instant.parse("2026-12-03T19:00:00.123Z"), Event.PUSH,
                new Event.Target("application/vnd.oci.image.manifest.v1+json", 512, DIGEST, 512, "team/app", null,
                        "http://registry.example:5000/v2/team/app/manifests/" + DIGEST, "v1",
                        List.of(new Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", Digest.parse(DIGEST), 7,
                                List.of("https://cdn.example/l")))),
                REQUEST, "alice");

        assertEquals("{\"id\":\"e-1\",\"timestamp\":\"2026-12-03T19:00:00.123Z\",\"action\":\"push\","
                + "\"target\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":512,\"digest\":\"" + DIGEST
                + "\",\"length\":512,\"repository\":\"team/app\",\"url\":\"http://registry.example:5000/v2/team/app/manifests/"
                + DIGEST + "\",\"tag\":\"v1\",\"references\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                + "\"size\":7,\"digest\":\"" + DIGEST + "\",\"urls\":[\"https://cdn.example/l\"]}]},"
                + "\"request\":{\"id\":\"req-1\",\"addr\":\"10.0.0.7\",\"host\":\"registry.example:5000\",\"method\":\"PUT\","
                + "\"useragent\":\"docker/27.0\"},\"actor\":{\"name\":\"alice\"},"
                + "\"source\":{\"addr\":\"registry-0:5000\",\"instanceID\":\"3f1c9a4e-0000-4000-8000-000000000001\"}}", json(event));
    }

    @Test
    void emptyFieldsAreLeftOutAsRegistry2LeavesThemOut() {
        Event event = new Event("e-2", Instant.parse("2026-12-03T19:00:00Z"), Event.DELETE,
                new Event.Target(null, 0, null, 0, "team/app", null, null, "v1", null),
                new Event.Request("req-2", "10.0.0.7", null, "DELETE", null), null);

        assertEquals("{\"id\":\"e-2\",\"timestamp\":\"2026-12-03T19:00:00Z\",\"action\":\"delete\","
                + "\"target\":{\"repository\":\"team/app\",\"tag\":\"v1\"},"
                + "\"request\":{\"id\":\"req-2\",\"addr\":\"10.0.0.7\",\"method\":\"DELETE\",\"useragent\":\"\"},"
                + "\"actor\":{},\"source\":{\"addr\":\"registry-0:5000\",\"instanceID\":\"3f1c9a4e-0000-4000-8000-000000000001\"}}",
                json(event));
    }

    @Test
    void anEnvelopeHoldsTheEventsInOrder() {
        byte[] envelope = EventJson.envelope(List.of("{\"id\":\"1\"}".getBytes(StandardCharsets.UTF_8),
                "{\"id\":\"2\"}".getBytes(StandardCharsets.UTF_8)));

        assertEquals("{\"events\":[{\"id\":\"1\"},{\"id\":\"2\"}]}", new String(envelope, StandardCharsets.UTF_8));
        assertEquals("{\"events\":[]}", new String(EventJson.envelope(List.of()), StandardCharsets.UTF_8));
    }
}
