package dev.registry.server.api;

import dev.registry.server.http.ApiRequest;
import dev.registry.server.http.ApiResponse;
import dev.registry.storage.Digest;
import dev.registry.storage.MediaTypes;
import dev.registry.storage.Referrer;
import dev.registry.storage.Registry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /v2/<name>/referrers/<digest>}: an image index of the manifests whose subject is the digest. */
final class ReferrersEndpoint {
    private final Registry registry;

    ReferrersEndpoint(Registry registry) {
        this.registry = registry;
    }

    ApiResponse get(ApiRequest request, String name, Digest subject) throws IOException {
        String artifactType = request.query("artifactType");
        List<Map<String, Object>> descriptors = new ArrayList<>();
        for (Referrer referrer : registry.manifests().referrers(name, subject, artifactType)) {
            Map<String, Object> descriptor = new LinkedHashMap<>();
            descriptor.put("mediaType", referrer.mediaType());
            descriptor.put("digest", referrer.digest().toString());
            descriptor.put("size", referrer.size());
            if (referrer.artifactType() != null) {
                descriptor.put("artifactType", referrer.artifactType());
            }
            if (!referrer.annotations().isEmpty()) {
                descriptor.put("annotations", referrer.annotations());
            }
            descriptors.add(descriptor);
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        index.put("manifests", descriptors);
        ApiResponse response = ApiResponse.of(200).body(Json.write(index), MediaTypes.OCI_INDEX);
        if (artifactType != null) {
            response.header("OCI-Filters-Applied", "artifactType");
        }
        return response;
    }
}
