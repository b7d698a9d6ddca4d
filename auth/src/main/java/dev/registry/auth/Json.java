package dev.registry.auth;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The JSON reader and writer for tokens and key sets. */
final class Json {
    // A token header or claim given twice could be read one way here and another way elsewhere.
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private Json() {
    }
}
