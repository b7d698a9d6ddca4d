package dev.registry.e2e.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static dev.registry.e2e.api.Asserts.assertHeader;
import static dev.registry.e2e.api.Asserts.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** end-1: {@code GET /v2/}, the API version check. */
class BaseApiTest extends ApiTestBase {

    @Test
    void versionCheckAnswers200WithEmptyJsonObject() throws Exception {
        ApiResponse response = client.get("/v2/");
        assertStatus(200, response);
        assertHeader("registry/2.0", response, "Docker-Distribution-API-Version");
        assertEquals("application/json", response.mediaType(), () -> "Content-Type of " + response);
        JsonNode body = response.json();
        assertTrue(body.isObject() && body.isEmpty(), () -> "body should be {}: " + response);
    }

    @Test
    void versionCheckAnswersHead() throws Exception {
        ApiResponse response = client.head("/v2/");
        assertStatus(200, response);
        assertHeader("registry/2.0", response, "Docker-Distribution-API-Version");
        assertEquals(0, response.body().length);
    }

    @Test
    void versionCheckOverRawHttp11() throws Exception {
        // a minimal HTTP/1.1 client: only Host and Connection
        ApiResponse response = client.raw().request("GET", "/v2/").send();
        assertStatus(200, response);
        assertHeader("registry/2.0", response, "Docker-Distribution-API-Version");
        assertEquals("{}", response.text().trim());
    }

    @Test
    void unknownTopLevelPathIsNotFound() throws Exception {
        ApiResponse response = client.get("/v3/");
        assertStatus(404, response);
    }
}
