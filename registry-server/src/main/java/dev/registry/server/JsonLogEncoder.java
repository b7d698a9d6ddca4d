package dev.registry.server;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * {@code log.formatter: json}: each event as one JSON object on one line, with flat fields a log
 * collector can index without parsing the message:
 *
 * <pre>{@code
 * {"time":"2026-12-03T19:50:00.123Z","level":"info","msg":"...","logger":"dev.registry.access",
 *  "thread":"...","method":"GET","uri":"/v2/","status":200,...,"service":"registry"}
 * }</pre>
 *
 * <p>After {@code time}, {@code level} (lower case, as registry:2 writes it), {@code msg},
 * {@code logger} and {@code thread} come the event's SLF4J key-value pairs (the access log's
 * {@code method}, {@code uri}, {@code status}, ...; numbers stay numbers), then the constant
 * {@code log.fields}, then {@code error} with the stack trace when there is one.
 *
 * <p>Logback's own {@code JsonEncoder} is not used because its layout is fixed and nested: the
 * time is {@code timestamp} in epoch milliseconds, the message {@code message}, and key-value
 * pairs sit in a {@code kvpList} array of one-entry objects, so {@code status} would not be a
 * top-level field and {@code log.fields} could not be added at all.
 */
public final class JsonLogEncoder extends EncoderBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(ZoneOffset.UTC);
    private static final byte[] NOTHING = new byte[0];

    private final JsonFactory factory = new JsonFactory();
    private final Map<String, String> fields;

    /** @param fields constant fields written into every line, in this order */
    public JsonLogEncoder(Map<String, String> fields) {
        this.fields = new LinkedHashMap<>(fields);
    }

    @Override
    public byte[] headerBytes() {
        return NOTHING;
    }

    @Override
    public byte[] footerBytes() {
        return NOTHING;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = factory.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("time", TIME.format(event.getInstant()));
            json.writeStringField("level", event.getLevel().toString().toLowerCase(java.util.Locale.ROOT));
            json.writeStringField("msg", event.getFormattedMessage());
            json.writeStringField("logger", event.getLoggerName());
            json.writeStringField("thread", event.getThreadName());
            List<KeyValuePair> pairs = event.getKeyValuePairs();
            if (pairs != null) {
                for (KeyValuePair pair : pairs) {
                    json.writeFieldName(pair.key);
                    writeValue(json, pair.value);
                }
            }
            for (Map.Entry<String, String> field : fields.entrySet()) {
                json.writeStringField(field.getKey(), field.getValue());
            }
            IThrowableProxy throwable = event.getThrowableProxy();
            if (throwable != null) {
                json.writeStringField("error", ThrowableProxyUtil.asString(throwable));
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static void writeValue(JsonGenerator json, Object value) throws IOException {
        switch (value) {
            case null -> json.writeNull();
            case Integer number -> json.writeNumber(number);
            case Long number -> json.writeNumber(number);
            case Short number -> json.writeNumber(number);
            case Byte number -> json.writeNumber(number.intValue());
            case Double number -> json.writeNumber(number);
            case Float number -> json.writeNumber(number);
            case BigInteger number -> json.writeNumber(number);
            case BigDecimal number -> json.writeNumber(number);
            case Boolean bool -> json.writeBoolean(bool);
            default -> json.writeString(String.valueOf(value));
        }
    }
}
