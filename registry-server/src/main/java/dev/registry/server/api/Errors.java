package dev.registry.server.api;

import dev.registry.server.http.ApiResponse;
import dev.registry.storage.ErrorCode;
import dev.registry.storage.RegistryException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Error responses in the spec's format: {@code {"errors":[{"code","message","detail"}]}}. */
final class Errors {
    private Errors() {
    }

    static ApiResponse of(RegistryException e) {
        return of(e.status(), e.code().name(), e.getMessage(), e.detail());
    }

    static ApiResponse of(ErrorCode code, String message) {
        return of(code.status(), code.name(), message, null);
    }

    static ApiResponse of(int status, String code, String message, Object detail) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message);
        if (detail != null) {
            error.put("detail", detail);
        }
        return ApiResponse.of(status).body(Json.write(Map.of("errors", List.of(error))), "application/json");
    }
}
