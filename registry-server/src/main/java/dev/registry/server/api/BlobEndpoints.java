package dev.registry.server.api;

import dev.registry.server.http.ApiRequest;
import dev.registry.server.http.ApiResponse;
import dev.registry.storage.BlobInfo;
import dev.registry.storage.Digest;
import dev.registry.storage.ErrorCode;
import dev.registry.storage.Registry;
import dev.registry.storage.RegistryException;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code GET}, {@code HEAD} and {@code DELETE /v2/<name>/blobs/<digest>}. Unless redirects are
 * disabled ({@code storage.redirect.disable}), a {@code GET} of a blob whose driver can sign a
 * URL (S3, GCS) answers {@code 307} to it, so the bytes do not pass through the registry; the
 * client sends its {@code Range} there. {@code HEAD} is always answered here.
 */
final class BlobEndpoints {
    /** How long a redirect URL stays valid: registry:2's default for its signed URLs. */
    static final Duration REDIRECT_VALIDITY = Duration.ofMinutes(20);
    /**
     * Whether a body the store could serve from a signed URL is relayed from that URL instead
     * of read through the driver: far fewer copies per byte (see {@code ObjectUrlRelay}). The
     * system property {@value #RELAY_PROPERTY}{@code =false} turns it off, to compare the two.
     */
    static final String RELAY_PROPERTY = "registry.storage.relay";

    private final Registry registry;
    private final boolean redirects;
    private final boolean relay = !"false".equalsIgnoreCase(System.getProperty(RELAY_PROPERTY));
    private final EventReporter events;

    BlobEndpoints(Registry registry, boolean redirects, EventReporter events) {
        this.registry = registry;
        this.redirects = redirects;
        this.events = events;
    }

    ApiResponse get(ApiRequest request, String name, Digest digest) throws IOException {
        BlobInfo blob = registry.blobs().stat(name, digest)
                .orElseThrow(() -> new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown to registry",
                        java.util.Map.of("digest", digest.toString())));
        if (redirects && !request.isHead()) {
            Optional<URI> url = registry.blobs().redirectUrl(digest, "GET", REDIRECT_VALIDITY);
            if (url.isPresent()) {
                events.blobPulled(request, name, blob);
                return ApiResponse.of(307)
                        .header("Location", url.get().toString())
                        .header("Docker-Content-Digest", digest.toString());
            }
        }
        String etag = "\"" + digest + "\"";
        ByteRange range = ByteRange.parse(request.header("Range"), blob.size());
        if (range == ByteRange.UNSATISFIABLE) {
            return Errors.of(ErrorCode.RANGE_INVALID, "requested range not satisfiable")
                    .header("Content-Range", "bytes */" + blob.size());
        }
        events.blobPulled(request, name, blob);
        if (range == null && etag.equals(request.header("If-None-Match"))) {
            return ApiResponse.of(304).header("ETag", etag).header("Docker-Content-Digest", digest.toString());
        }
        long start = range == null ? 0 : range.start();
        long length = range == null ? blob.size() : range.length();
        ApiResponse response = ApiResponse.of(range == null ? 200 : 206)
                .header("Docker-Content-Digest", digest.toString())
                .header("Content-Type", "application/octet-stream")
                .header("ETag", etag)
                .header("Accept-Ranges", "bytes")
                .header("Cache-Control", "max-age=31536000");
        if (range != null) {
            response.header("Content-Range", "bytes " + range.start() + "-" + (range.start() + range.length() - 1) + "/" + blob.size());
        }
        if (request.isHead()) {
            return response.headersOnly(length);
        }
        if (relay && length > 0) {
            Optional<URI> source = registry.blobs().redirectUrl(digest, "GET", REDIRECT_VALIDITY);
            if (source.isPresent()) {
                return response.relay(source.get(), () -> registry.blobs().open(digest, start), start, length);
            }
        }
        return response.stream(registry.blobs().open(digest, start), start, length);
    }

    ApiResponse delete(ApiRequest request, String name, Digest digest) throws IOException {
        if (!registry.deleteEnabled()) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, "deletes are disabled (storage.delete.enabled)");
        }
        if (!registry.blobs().unlink(name, digest)) {
            throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown to registry",
                    java.util.Map.of("digest", digest.toString()));
        }
        events.blobDeleted(request, name, digest);
        return ApiResponse.of(202).header("Docker-Content-Digest", digest.toString());
    }

    /** One satisfiable byte range of a blob, from a {@code Range: bytes=...} header. */
    record ByteRange(long start, long length) {
        static final ByteRange UNSATISFIABLE = new ByteRange(-1, -1);

        /**
         * @return the range, {@code null} to serve the whole blob (no header, or one we ignore
         *         as RFC 9110 allows: malformed or multi-range), or {@link #UNSATISFIABLE}
         */
        static ByteRange parse(String header, long size) {
            if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
                return null;
            }
            String spec = header.substring(6).trim();
            int dash = spec.indexOf('-');
            if (dash < 0) {
                return null;
            }
            try {
                String first = spec.substring(0, dash).trim();
                String last = spec.substring(dash + 1).trim();
                if (first.isEmpty()) {
                    long suffix = Long.parseLong(last);
                    if (suffix <= 0 || size == 0) {
                        return UNSATISFIABLE;
                    }
                    long length = Math.min(suffix, size);
                    return new ByteRange(size - length, length);
                }
                long start = Long.parseLong(first);
                if (start < 0 || (!last.isEmpty() && Long.parseLong(last) < start)) {
                    return null;
                }
                if (start >= size) {
                    return UNSATISFIABLE;
                }
                long end = last.isEmpty() ? size - 1 : Long.parseLong(last);
                end = Math.min(end, size - 1);
                return new ByteRange(start, end - start + 1);
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }
}
