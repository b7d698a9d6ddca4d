package dev.registry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonLogEncoderTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Logs through a private Logback context whose one appender uses {@code encoder}; returns the output. */
    private static String log(Encoder<ILoggingEvent> encoder, java.util.function.Consumer<Logger> body) {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // what SLF4J's binding sets
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        encoder.setContext(context);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(out);
        appender.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(appender);
        body.accept(context.getLogger("dev.registry.access"));
        appender.stop();
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void accessLine(Logger logger) {
        logger.atInfo()
                .addKeyValue("method", "PUT")
                .addKeyValue("uri", "/v2/team/app/manifests/v1")
                .addKeyValue("status", 201)
                .addKeyValue("bytes", 0L)
                .addKeyValue("duration_ms", 12L)
                .addKeyValue("user", "alice")
                .addKeyValue("remote_addr", "192.0.2.1")
                .addKeyValue("user_agent", "docker/27.0 \"quoted\"")
                .addKeyValue("request_id", "2b3c")
                .log("{} \"{} {}\" {} {} {}ms user={} ua=\"{}\"{}", "192.0.2.1", "PUT", "/v2/team/app/manifests/v1",
                        201, 0, 12, "alice", "docker/27.0 \"quoted\"", "");
    }

    @Test
    void accessLineHasFlatTypedFieldsAndTheConstantFields() throws Exception {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("service", "registry");
        fields.put("environment", "production");
        Instant before = Instant.now();
        String output = log(new JsonLogEncoder(fields), JsonLogEncoderTest::accessLine);

        assertTrue(output.endsWith("\n"));
        assertEquals(1, output.lines().count(), output);
        JsonNode line = MAPPER.readTree(output);
        List<String> names = new ArrayList<>();
        line.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("time", "level", "msg", "logger", "thread", "method", "uri", "status", "bytes",
                "duration_ms", "user", "remote_addr", "user_agent", "request_id", "service", "environment"), names);
        Instant time = Instant.parse(line.get("time").asText());
        assertTrue(!time.isBefore(before.minusMillis(1)) && !time.isAfter(Instant.now()), line.get("time").asText());
        assertTrue(line.get("time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
        assertEquals("info", line.get("level").asText());
        assertEquals("192.0.2.1 \"PUT /v2/team/app/manifests/v1\" 201 0 12ms user=alice "
                + "ua=\"docker/27.0 \"quoted\"\"",
                line.get("msg").asText());
        assertEquals("dev.registry.access", line.get("logger").asText());
        assertEquals("PUT", line.get("method").asText());
        assertTrue(line.get("status").isInt(), "a number, not a string");
        assertEquals(201, line.get("status").asInt());
        assertTrue(line.get("bytes").isIntegralNumber());
        assertEquals(12, line.get("duration_ms").asLong());
        assertEquals("alice", line.get("user").asText());
        assertEquals("docker/27.0 \"quoted\"", line.get("user_agent").asText());
        assertEquals("registry", line.get("service").asText());
        assertEquals("production", line.get("environment").asText());
    }

    @Test
    void multiLineMessagesAndStackTracesStayOnOneLine() throws Exception {
        String output = log(new JsonLogEncoder(Map.of()), logger -> {
            logger.warn("two\nlines and a \u0001 control character and ünïcode");
            logger.error("failed", new IllegalStateException("boom"));
            logger.atInfo().addKeyValue("missing", (Object) null).log("null value");
        });

        List<String> lines = output.lines().toList();
        assertEquals(3, lines.size(), output);
        JsonNode warn = MAPPER.readTree(lines.get(0));
        assertEquals("warn", warn.get("level").asText());
        assertEquals("two\nlines and a \u0001 control character and ünïcode", warn.get("msg").asText());
        JsonNode error = MAPPER.readTree(lines.get(1));
        assertEquals("error", error.get("level").asText());
        assertTrue(error.get("error").asText().startsWith("java.lang.IllegalStateException: boom"),
                error.get("error").asText());
        assertTrue(error.get("error").asText().contains("\tat dev.registry.server.JsonLogEncoderTest"));
        assertTrue(MAPPER.readTree(lines.get(2)).get("missing").isNull());
        assertFalse(warn.has("error"));
    }

    @Test
    void textFormatIsTheClassicLineWithoutTheKeyValuePairs() {
        PatternLayoutEncoder text = new PatternLayoutEncoder();
        text.setPattern("%-5level %logger{0} - %msg%n");
        String output = log(text, JsonLogEncoderTest::accessLine);

        assertEquals("INFO  access - 192.0.2.1 \"PUT /v2/team/app/manifests/v1\" 201 0 12ms user=alice "
                + "ua=\"docker/27.0 \"quoted\"\"\n", output);
    }
}
