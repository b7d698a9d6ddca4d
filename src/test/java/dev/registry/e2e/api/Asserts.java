package dev.registry.e2e.api;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Assertions on registry responses. */
final class Asserts {
    /** The error codes of the OCI distribution spec (plus the legacy Docker ones it allows). */
    static final Set<String> SPEC_CODES = Set.of(
            "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
            "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID",
            "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS",
            "TAG_INVALID", "MANIFEST_UNVERIFIED", "RANGE_INVALID", "PAGINATION_NUMBER_INVALID", "UNKNOWN");

    private Asserts() {
    }

    static void assertStatus(int expected, ApiResponse response) {
        assertEquals(expected, response.status(), () -> "unexpected status: " + response);
    }

    static void assertStatusIn(ApiResponse response, Integer... allowed) {
        assertTrue(Arrays.asList(allowed).contains(response.status()),
                () -> "status should be one of " + Arrays.toString(allowed) + ": " + response);
    }

    static void assertNotServerError(ApiResponse response) {
        assertTrue(response.status() < 500, () -> "server error for bad input: " + response);
    }

    /**
     * Asserts a well-formed error response: the status, a JSON body {@code {"errors":[...]}} whose
     * entries have a string {@code code}, and that the first code is one of {@code codes}.
     */
    static void assertError(ApiResponse response, int status, String... codes) {
        assertStatus(status, response);
        assertErrorBody(response, codes);
    }

    static void assertErrorBody(ApiResponse response, String... codes) {
        if (response.method().equals("HEAD")) {
            return; // no body to look at
        }
        String type = response.mediaType();
        assertEquals("application/json", type, () -> "error Content-Type should be application/json: " + response);
        JsonNode body = response.json();
        JsonNode errors = body.get("errors");
        assertNotNull(errors, () -> "error body without \"errors\": " + response);
        assertTrue(errors.isArray() && !errors.isEmpty(), () -> "\"errors\" should be a non-empty array: " + response);
        for (JsonNode error : errors) {
            assertTrue(error.path("code").isTextual(), () -> "error without a string code: " + response);
            assertTrue(error.path("code").asText().matches("[A-Z_]+"), () -> "malformed code: " + response);
            if (error.has("message")) {
                assertTrue(error.get("message").isTextual(), () -> "message should be a string: " + response);
            }
        }
        if (codes.length > 0) {
            List<String> got = response.errorCodes();
            assertTrue(Arrays.asList(codes).contains(got.get(0)),
                    () -> "error code should be one of " + Arrays.toString(codes) + " but was " + got + ": " + response);
        }
    }

    static void assertBody(byte[] expected, ApiResponse response) {
        assertArrayEquals(expected, response.body(), () -> "body differs (" + expected.length + " bytes expected): "
                + response);
    }

    static void assertHeader(String expected, ApiResponse response, String header) {
        assertEquals(expected, response.header(header), () -> header + " of " + response);
    }

    static void assertNoSecret(ApiResponse response, String secret) {
        if (response != null && response.text().contains(secret)) {
            fail("response leaked a file from outside the storage root: " + response);
        }
        if (response != null) {
            response.headers().values().forEach(values -> values.forEach(v ->
                    assertFalse(v.contains(secret), () -> "header leaked a file outside the root: " + response)));
        }
    }
}
