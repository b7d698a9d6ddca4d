package dev.registry.e2e.api;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** One HTTP response: status, headers (names case-insensitive) and the whole body. */
record ApiResponse(String method, String target, int status, Map<String, List<String>> headers, byte[] body) {

    ApiResponse {
        TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, values) -> copy.computeIfAbsent(name, k -> new ArrayList<>()).addAll(values));
        headers = Collections.unmodifiableMap(copy);
        body = body == null ? new byte[0] : body;
    }

    /** The first value of a header, or {@code null}. */
    String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    List<String> headerValues(String name) {
        return headers.getOrDefault(name, List.of());
    }

    boolean hasHeader(String name) {
        return headers.containsKey(name);
    }

    String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    JsonNode json() {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("body of " + this + " is not JSON: " + e.getMessage(), e);
        }
    }

    /** The {@code code} of every entry of an error body, or an empty list if it has none. */
    List<String> errorCodes() {
        List<String> codes = new ArrayList<>();
        try {
            JsonNode errors = Json.MAPPER.readTree(body).path("errors");
            for (JsonNode error : errors) {
                codes.add(error.path("code").asText());
            }
        } catch (IOException | RuntimeException notJson) {
            // no codes
        }
        return codes;
    }

    /** Header value without parameters ({@code application/json; charset=utf-8} gives {@code application/json}). */
    String mediaType() {
        String type = header("Content-Type");
        if (type == null) {
            return null;
        }
        int semicolon = type.indexOf(';');
        return (semicolon < 0 ? type : type.substring(0, semicolon)).trim().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public String toString() {
        String shown = text();
        if (shown.length() > 600) {
            shown = shown.substring(0, 600) + "...(" + body.length + " bytes)";
        }
        return method + " " + target + " -> " + status + " " + headers + " " + shown;
    }
}
