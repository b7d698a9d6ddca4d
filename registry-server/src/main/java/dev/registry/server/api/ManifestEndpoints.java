package dev.registry.server.api;

import dev.registry.server.http.ApiRequest;
import dev.registry.server.http.ApiResponse;
import dev.registry.server.http.RequestBody;
import dev.registry.storage.Digest;
import dev.registry.storage.ErrorCode;
import dev.registry.storage.ManifestService;
import dev.registry.storage.Registry;
import dev.registry.storage.RegistryException;
import dev.registry.storage.RepositoryName;

import java.io.IOException;

/** {@code GET}, {@code HEAD}, {@code PUT} and {@code DELETE /v2/<name>/manifests/<reference>}. */
final class ManifestEndpoints {
    private final Registry registry;
    private final Locations locations;

    ManifestEndpoints(Registry registry, Locations locations) {
        this.registry = registry;
        this.locations = locations;
    }

    /** Whether {@code reference} is a valid tag or a well-formed digest of a supported algorithm. */
    static boolean isReference(String reference) {
        if (!Digest.looksLikeDigest(reference)) {
            return RepositoryName.isValidTag(reference);
        }
        try {
            Digest.parse(reference);
            return true;
        } catch (RegistryException e) {
            return false;
        }
    }

    ApiResponse get(ApiRequest request, String name, String reference) throws IOException {
        ManifestService.StoredManifest manifest = registry.manifests().get(name, reference);
        ApiResponse response = ApiResponse.of(200)
                .header("Docker-Content-Digest", manifest.digest().toString())
                .header("ETag", "\"" + manifest.digest() + "\"");
        response.body(manifest.content(), manifest.mediaType());
        if (request.isHead()) {
            response.headersOnly(manifest.content().length);
        }
        return response;
    }

    ApiResponse put(ApiRequest request, String name, String reference) throws IOException {
        byte[] content;
        try {
            content = request.body().readAll(ManifestService.MAX_MANIFEST_BYTES);
        } catch (RequestBody.BodyTooLargeException e) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, 413,
                    "manifest is larger than the limit of " + ManifestService.MAX_MANIFEST_BYTES + " bytes", null);
        }
        ManifestService.PutResult result = registry.manifests().put(name, reference, request.header("Content-Type"), content);
        ApiResponse response = ApiResponse.of(201)
                .header("Location", locations.url(request, "v2/" + name + "/manifests/" + result.digest()))
                .header("Docker-Content-Digest", result.digest().toString());
        result.subject().ifPresent(subject -> response.header("OCI-Subject", subject.toString()));
        return response;
    }

    ApiResponse delete(String name, String reference) throws IOException {
        registry.manifests().delete(name, reference);
        return ApiResponse.of(202);
    }
}
