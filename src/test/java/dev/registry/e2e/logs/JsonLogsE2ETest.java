package dev.registry.e2e.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.registry.e2e.RegistryProcess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code log.formatter: json} against the packaged server: every line it prints, from the
 * configuration warnings to the shutdown, is one JSON object with the {@code log.fields}, and the
 * access lines of known requests carry their method, URI, status, body size, user, address, user
 * agent and request id as fields.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class JsonLogsE2ETest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String USER_AGENT = "json-logs-e2e/1.0 (\"quoted\")";

    @Test
    void everyLineIsJsonAndAccessLinesCarryTheRequestsValues() throws Exception {
        Path dir = RegistryProcess.workDir("json-logs");
        Path htpasswd = dir.resolve("htpasswd");
        Process htpasswdCommand = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", RegistryProcess.jar().toString(), "htpasswd", htpasswd.toString(), "alice")
                .redirectErrorStream(true).redirectOutput(dir.resolve("htpasswd.log").toFile()).start();
        htpasswdCommand.getOutputStream().write("alice-Secret-1\n".getBytes(StandardCharsets.UTF_8));
        htpasswdCommand.getOutputStream().close();
        assertTrue(htpasswdCommand.waitFor(60, TimeUnit.SECONDS) && htpasswdCommand.exitValue() == 0,
                () -> "htpasswd command failed: " + read(dir.resolve("htpasswd.log")));

        int port = RegistryProcess.freePort();
        Path config = Files.writeString(dir.resolve("config.yml"), """
                version: 0.1
                log:
                  level: info
                  formatter: json
                  fields:
                    service: registry
                    zone: e2e-1
                http:
                  addr: 127.0.0.1:%d
                storage:
                  filesystem:
                    rootdirectory: %s
                auth:
                  htpasswd:
                    realm: e2e
                    path: %s
                typo: 1
                """.formatted(port, dir.resolve("storage"), htpasswd));
        String alice = "Basic " + Base64.getEncoder().encodeToString("alice:alice-Secret-1".getBytes(
                StandardCharsets.UTF_8));

        HttpResponse<byte[]> base;
        HttpResponse<byte[]> missing;
        HttpResponse<byte[]> anonymous;
        Instant before = Instant.now().minusSeconds(1);
        RegistryProcess registry = RegistryProcess.startWithConfig(config, port, Map.of());
        try (HttpClient client = HttpClient.newHttpClient()) {
            base = send(client, registry.baseUrl() + "/v2/", alice);
            missing = send(client, registry.baseUrl() + "/v2/team/app/manifests/v9?x=1", alice);
            anonymous = send(client, registry.baseUrl() + "/v2/team/app/tags/list", null);
        } finally {
            registry.close();
        }
        assertEquals(200, base.statusCode());
        assertEquals(404, missing.statusCode());
        assertEquals(401, anonymous.statusCode());

        String output = registry.output();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode json;
            try {
                json = MAPPER.readTree(line);
            } catch (IOException e) {
                throw new AssertionError("not a JSON line: " + line + "\nwhole output:\n" + output, e);
            }
            assertTrue(json.isObject(), line);
            for (String field : List.of("time", "level", "msg", "logger")) {
                assertTrue(json.path(field).isTextual(), () -> field + " in " + line);
            }
            Instant time = Instant.parse(json.get("time").asText());
            assertFalse(time.isBefore(before) || time.isAfter(Instant.now()), line);
            assertEquals("registry", json.path("service").asText(), line);
            assertEquals("e2e-1", json.path("zone").asText(), line);
            lines.add(json);
        }
        assertTrue(lines.stream().anyMatch(l -> l.get("level").asText().equals("warn")
                        && l.get("msg").asText().contains("'typo'")),
                () -> "the configuration warning, as JSON too:\n" + output);
        assertTrue(lines.stream().anyMatch(l -> l.get("msg").asText().contains("shutting down")), output);

        JsonNode baseLine = accessLine(lines, "/v2/", output);
        assertEquals("GET", baseLine.get("method").asText());
        assertEquals(200, baseLine.get("status").asInt());
        assertTrue(baseLine.get("status").isInt(), "status is a number");
        assertEquals(base.body().length, baseLine.get("bytes").asLong());
        assertEquals("alice", baseLine.get("user").asText());
        assertEquals("127.0.0.1", baseLine.get("remote_addr").asText());
        assertEquals(USER_AGENT, baseLine.get("user_agent").asText());
        assertTrue(baseLine.get("duration_ms").isIntegralNumber() && baseLine.get("duration_ms").asLong() >= 0);
        assertTrue(baseLine.get("request_id").asText().matches(
                "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"), baseLine.toString());
        assertEquals("dev.registry.access", baseLine.get("logger").asText());
        assertEquals("info", baseLine.get("level").asText());

        JsonNode missingLine = accessLine(lines, "/v2/team/app/manifests/v9?x=1", output);
        assertEquals(404, missingLine.get("status").asInt());
        assertEquals(missing.body().length, missingLine.get("bytes").asLong());
        assertTrue(missing.body().length > 0, "an error body");
        assertEquals("alice", missingLine.get("user").asText());
        assertFalse(missingLine.get("request_id").asText().equals(baseLine.get("request_id").asText()),
                "one id per request");

        JsonNode anonymousLine = accessLine(lines, "/v2/team/app/tags/list", output);
        assertEquals(401, anonymousLine.get("status").asInt());
        assertEquals(anonymous.body().length, anonymousLine.get("bytes").asLong());
        assertFalse(output.contains("alice-Secret-1"), "no password in the log");
    }

    private static JsonNode accessLine(List<JsonNode> lines, String uri, String output) {
        List<JsonNode> matching = lines.stream()
                .filter(l -> l.path("logger").asText().equals("dev.registry.access") && l.path("uri").asText()
                        .equals(uri) && l.path("user_agent").asText().equals(USER_AGENT)) // not the readiness probes
                .toList();
        if (matching.size() != 1) {
            fail("expected one access line for " + uri + ", found " + matching.size() + ":\n" + output);
        }
        return matching.get(0);
    }

    private static HttpResponse<byte[]> send(HttpClient client, String url, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("User-Agent", USER_AGENT);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
