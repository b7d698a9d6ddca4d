package dev.registry.server.notifications;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.registry.storage.Descriptor;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes events and envelopes in registry:2's JSON: the same field names, the same order, and
 * the same fields left out when empty, so consumers written for registry:2 read them unchanged.
 */
final class EventJson {
    /** The envelope's {@code Content-Type}, registry:2's. */
    static final String ENVELOPE_MEDIA_TYPE = "application/vnd.docker.distribution.events.v1+json";

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final byte[] ENVELOPE_START = "{\"events\":[".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ENVELOPE_END = "]}".getBytes(StandardCharsets.US_ASCII);

    private EventJson() {
    }

    /** One event as compact JSON, on one line (JSON escapes line breaks inside strings). */
    static byte[] event(Event event, Source source) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("id", event.id());
        json.put("timestamp", event.timestamp().toString());
        json.put("action", event.action());
        ObjectNode target = json.putObject("target");
        Event.Target t = event.target();
        putText(target, "mediaType", t.mediaType());
        if (t.size() > 0) {
            target.put("size", t.size());
        }
        putText(target, "digest", t.digest());
        if (t.length() > 0) {
            target.put("length", t.length());
        }
        putText(target, "repository", t.repository());
        putText(target, "fromRepository", t.fromRepository());
        putText(target, "url", t.url());
        putText(target, "tag", t.tag());
        if (t.references() != null && !t.references().isEmpty()) {
            ArrayNode references = target.putArray("references");
            for (Descriptor reference : t.references()) {
                descriptor(references.addObject(), reference);
            }
        }
        ObjectNode request = json.putObject("request");
        Event.Request r = event.request();
        request.put("id", r.id());
        putText(request, "addr", r.addr());
        putText(request, "host", r.host());
        request.put("method", r.method());
        request.put("useragent", r.userAgent() == null ? "" : r.userAgent());
        ObjectNode actor = json.putObject("actor");
        putText(actor, "name", event.actor());
        ObjectNode sourceJson = json.putObject("source");
        putText(sourceJson, "addr", source.addr());
        putText(sourceJson, "instanceID", source.instanceId());
        try {
            return MAPPER.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an event", e);
        }
    }

    /** {@code {"events":[e1,e2,...]}} around events already written by {@link #event}. */
    static byte[] envelope(List<byte[]> events) {
        int length = ENVELOPE_START.length + ENVELOPE_END.length + Math.max(0, events.size() - 1);
        for (byte[] event : events) {
            length += event.length;
        }
        byte[] envelope = new byte[length];
        int at = 0;
        System.arraycopy(ENVELOPE_START, 0, envelope, at, ENVELOPE_START.length);
        at += ENVELOPE_START.length;
        for (int i = 0; i < events.size(); i++) {
            if (i > 0) {
                envelope[at++] = ',';
            }
            System.arraycopy(events.get(i), 0, envelope, at, events.get(i).length);
            at += events.get(i).length;
        }
        System.arraycopy(ENVELOPE_END, 0, envelope, at, ENVELOPE_END.length);
        return envelope;
    }

    private static void descriptor(ObjectNode json, Descriptor descriptor) {
        putText(json, "mediaType", descriptor.mediaType());
        if (descriptor.size() > 0) {
            json.put("size", descriptor.size());
        }
        putText(json, "digest", descriptor.digest() == null ? null : descriptor.digest().toString());
        if (descriptor.urls() != null && !descriptor.urls().isEmpty()) {
            ArrayNode urls = json.putArray("urls");
            descriptor.urls().forEach(urls::add);
        }
    }

    private static void putText(ObjectNode json, String name, String value) {
        if (value != null && !value.isEmpty()) {
            json.put(name, value);
        }
    }
}
