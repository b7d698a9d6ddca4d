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
import java.util.List;

/** {@code GET}, {@code HEAD}, {@code PUT} and {@code DELETE /v2/<name>/manifests/<reference>}. */
final class ManifestEndpoints {
    private final Registry registry;
    private final Locations locations;
    private final EventReporter events;

    ManifestEndpoints(Registry registry, Locations locations, EventReporter events) {
        this.registry = registry;
        this.locations = locations;
        this.events = events;
    }

    /** The tag {@code reference} names, or {@code null} when it is a digest. */
    private static String tagOf(String reference) {
        return Digest.looksLikeDigest(reference) ? null : reference;
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
        events.manifestPulled(request, name, tagOf(reference), manifest.digest(), manifest.mediaType(), manifest.content());
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
        events.manifestPushed(request, name, tagOf(reference), result.digest(), result.manifest(), content.length);
        return response;
    }

    ApiResponse delete(ApiRequest request, String name, String reference) throws IOException {
        List<String> untagged = registry.manifests().delete(name, reference);
        if (Digest.looksLikeDigest(reference)) {
            events.manifestDeleted(request, name, Digest.parse(reference), untagged);
        } else {
            events.tagDeleted(request, name, reference);
        }
        return ApiResponse.of(202);
    }
}
