package dev.registry.server.api;

import dev.registry.server.http.ApiRequest;
import dev.registry.server.http.ApiResponse;
import dev.registry.storage.BlobInfo;
import dev.registry.storage.ChunkRange;
import dev.registry.storage.Digest;
import dev.registry.storage.ErrorCode;
import dev.registry.storage.Registry;
import dev.registry.storage.RegistryException;
import dev.registry.storage.RepositoryName;
import dev.registry.storage.UploadRangeException;
import dev.registry.storage.UploadSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * Blob uploads: {@code POST /v2/<name>/blobs/uploads/} (new session, monolithic push with
 * {@code ?digest=}, or cross-repository mount), and {@code GET}, {@code PATCH}, {@code PUT},
 * {@code DELETE} on a session.
 */
final class UploadEndpoints {
    private final Registry registry;
    private final Locations locations;
    private final EventReporter events;

    UploadEndpoints(Registry registry, Locations locations, EventReporter events) {
        this.registry = registry;
        this.locations = locations;
        this.events = events;
    }

    /**
     * @param readable whether the caller may pull a repository; an automatic mount (a
     *                 {@code mount} without {@code from}) links only a blob some such repository has
     */
    ApiResponse start(ApiRequest request, String name, Predicate<String> readable) throws IOException {
        String mount = request.query("mount");
        String from = request.query("from");
        if (mount != null && from != null) {
            Digest digest = Digest.parse(mount);
            RepositoryName.validate(from);
            Optional<BlobInfo> mounted = registry.blobs().mount(from, name, digest);
            if (mounted.isPresent()) {
                events.blobMounted(request, name, mounted.get(), from);
                return created(request, name, digest);
            }
        } else if (mount != null) {
            Digest digest = Digest.parse(mount);
            Optional<AutomaticMount> mounted = automaticMount(name, digest, readable);
            if (mounted.isPresent()) {
                events.blobMounted(request, name, mounted.get().blob(), mounted.get().from());
                return created(request, name, digest);
            }
        }
        String digestParameter = request.query("digest");
        if (digestParameter != null) {
            Digest digest = Digest.parse(digestParameter);
            UploadSession session = registry.uploads().startInternal(name);
            BlobInfo blob;
            try {
                blob = registry.uploads().complete(name, session.uuid(), digest, request.body(),
                        ChunkRange.ofLength(contentLength(request)));
            } catch (RegistryException | IOException e) {
                cancelQuietly(name, session.uuid());
                throw e;
            }
            events.blobPushed(request, name, blob);
            return created(request, name, digest);
        }
        UploadSession session = registry.uploads().start(name);
        return accepted(request, session, 202);
    }

    /**
     * distribution-spec 1.1's mount without {@code from}: links the blob into {@code name} when a
     * repository the caller may pull already links it. The global blob existing is not enough:
     * its digest alone must not give a caller a blob it could not read. The repositories are
     * walked in catalog order, each checked for the link before the caller's rights (a link is a
     * stat, a bearer token's rights a signature check); the walk stops at the first hit.
     *
     * @return the blob and the repository it was linked from ({@code null} when {@code name}
     *         had it already), or empty when it is not linked into {@code name}
     */
    private Optional<AutomaticMount> automaticMount(String name, Digest digest, Predicate<String> readable) throws IOException {
        Optional<BlobInfo> blob = registry.blobs().statGlobal(digest);
        if (blob.isEmpty()) {
            return Optional.empty();
        }
        if (registry.blobs().isLinked(name, digest)) {
            return Optional.of(new AutomaticMount(blob.get(), null)); // the caller holds pull on name: the request required it
        }
        AtomicReference<String> from = new AtomicReference<>();
        Predicate<String> source = repository -> {
            try {
                boolean usable = !repository.equals(name) && registry.blobs().isLinked(repository, digest)
                        && readable.test(repository);
                if (usable) {
                    from.compareAndSet(null, repository);
                }
                return usable;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        boolean found;
        try {
            // a page of size 0 reports "more" as soon as one repository passes the filter
            found = registry.catalog().repositories(0, null, source).more();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (!found) {
            return Optional.empty();
        }
        registry.blobs().link(name, digest);
        return Optional.of(new AutomaticMount(blob.get(), from.get()));
    }

    /** A blob linked by a mount without {@code from}, and the repository found to have it. */
    private record AutomaticMount(BlobInfo blob, String from) {
    }

    ApiResponse status(ApiRequest request, String name, String uuid) throws IOException {
        return accepted(request, registry.uploads().status(name, uuid), 204);
    }

    ApiResponse patch(ApiRequest request, String name, String uuid) throws IOException {
        try {
            UploadSession session = registry.uploads().append(name, uuid, request.body(), chunkRange(request));
            return accepted(request, session, 202);
        } catch (UploadRangeException e) {
            return rangeError(request, name, uuid, e);
        }
    }

    ApiResponse put(ApiRequest request, String name, String uuid) throws IOException {
        String digestParameter = request.query("digest");
        if (digestParameter == null) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "the digest query parameter is required to finish an upload");
        }
        Digest digest = Digest.parse(digestParameter);
        BlobInfo blob;
        try {
            blob = registry.uploads().complete(name, uuid, digest, request.body(), chunkRange(request));
        } catch (UploadRangeException e) {
            return rangeError(request, name, uuid, e);
        }
        events.blobPushed(request, name, blob);
        return created(request, name, digest);
    }

    ApiResponse cancel(String name, String uuid) throws IOException {
        registry.uploads().cancel(name, uuid);
        return ApiResponse.of(204);
    }

    private ApiResponse rangeError(ApiRequest request, String name, String uuid, UploadRangeException e) {
        String location = locations.url(request, "v2/" + name + "/blobs/uploads/" + uuid);
        if (locations.signsUploads()) {
            // registry:2's token names the size the upload has now, and its start time
            try {
                UploadSession now = registry.uploads().status(name, uuid);
                location = locations.upload(request, new UploadSession(name, uuid, e.offset(), now.startedAt()));
            } catch (IOException | RuntimeException gone) {
                // the upload went away meanwhile: the plain URL, which answers BLOB_UPLOAD_UNKNOWN
            }
        }
        return Errors.of(e)
                .header("Location", location)
                .header("Range", range(e.offset()))
                .header("Docker-Upload-UUID", uuid);
    }

    private ApiResponse created(ApiRequest request, String name, Digest digest) {
        return ApiResponse.of(201)
                .header("Location", locations.url(request, "v2/" + name + "/blobs/" + digest))
                .header("Docker-Content-Digest", digest.toString());
    }

    private ApiResponse accepted(ApiRequest request, UploadSession session, int status) {
        return ApiResponse.of(status)
                .header("Location", locations.upload(request, session))
                .header("Range", range(session.offset()))
                .header("Docker-Upload-UUID", session.uuid());
    }

    /** distribution's {@code Range} form: the inclusive range of bytes held, {@code 0-0} when empty. */
    private static String range(long offset) {
        return "0-" + Math.max(0, offset - 1);
    }

    /** The chunk the client declares with {@code Content-Range} ({@code start-end}) and {@code Content-Length}. */
    private static ChunkRange chunkRange(ApiRequest request) {
        long length = contentLength(request);
        String contentRange = request.header("Content-Range");
        if (contentRange == null || contentRange.isBlank()) {
            return ChunkRange.ofLength(length);
        }
        String value = contentRange.trim();
        if (value.startsWith("bytes ")) {
            value = value.substring(6);
        }
        int slash = value.indexOf('/');
        if (slash >= 0) {
            value = value.substring(0, slash);
        }
        int dash = value.indexOf('-');
        long start;
        long end;
        try {
            start = Long.parseLong(value.substring(0, Math.max(dash, 0)));
            end = Long.parseLong(value.substring(dash + 1));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, 416, "invalid Content-Range: " + contentRange, null);
        }
        if (start < 0 || end < start) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, 416, "invalid Content-Range: " + contentRange, null);
        }
        long declared = end - start + 1;
        if (length >= 0 && length != declared) {
            throw new RegistryException(ErrorCode.SIZE_INVALID, 416,
                    "Content-Length " + length + " does not match Content-Range " + contentRange, null);
        }
        return new ChunkRange(start, declared);
    }

    private static long contentLength(ApiRequest request) {
        String header = request.header("Content-Length");
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.SIZE_INVALID, "invalid Content-Length: " + header);
        }
    }

    private void cancelQuietly(String name, String uuid) {
        try {
            registry.uploads().cancel(name, uuid);
        } catch (RuntimeException | IOException ignored) {
            // the upload is gone already or will be purged
        }
    }
}
