package dev.registry.storage.driver.gcs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.gax.paging.Page;
import com.google.api.gax.retrying.RetrySettings;
import com.google.auth.ServiceAccountSigner;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.ReadChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.HttpMethod;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import dev.registry.storage.driver.FileInfo;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StoragePaths;
import dev.registry.storage.driver.StorageWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores objects in a Google Cloud Storage bucket through the JSON API, in registry:2's layout: the
 * driver path {@code /docker/registry/v2/...} is the object {@code <rootdirectory>/docker/registry/v2/...},
 * so registry:2's gcs driver and this one serve each other's bucket. Directories are key prefixes.
 *
 * <p>Writes: small objects are one upload request, which GCS applies atomically. A {@link GcsWriter}
 * streams into a resumable upload, holding at most one chunk in memory; a writer reopened with
 * {@code append} (on any replica) continues by uploading only the new bytes as a part and composing
 * the stored object with it server-side, so nothing already stored is read back. Moves are a
 * server-side rewrite then a delete. An {@linkplain #atomicWriter atomic writer} uploads straight to
 * its path and finishes the upload only on commit.
 *
 * <p>Redirects: with a service-account key, {@link #redirectUrl} signs V4 URLs with it; with
 * Application Default Credentials there is no key and blobs are served through the registry.
 */
public final class GcsDriver implements StorageDriver {
    private static final Logger LOG = LoggerFactory.getLogger(GcsDriver.class);
    static final String CONTENT_TYPE = "application/octet-stream";
    /** Names of upload parts in progress start with this; listings leave them out. */
    static final String PART_PREFIX = ".part-";
    private static final String SCOPE = "https://www.googleapis.com/auth/devstorage.full_control";
    private static final int LIST_PAGE = 1000;
    private static final int DELETE_CONCURRENCY = 16;

    private final Storage storage;
    private final String bucket;
    private final String root;
    private final int chunkSize;
    private final Optional<ServiceAccountSigner> signer;
    private final Optional<URI> endpoint;

    GcsDriver(Storage storage, GcsSettings settings, Optional<ServiceAccountSigner> signer) {
        this.storage = storage;
        this.bucket = settings.bucket();
        this.root = settings.rootDirectory();
        this.chunkSize = settings.chunkSize();
        this.signer = signer;
        this.endpoint = settings.endpoint();
    }

    /**
     * Opens the bucket and checks that it exists and that these credentials may write to it, by
     * writing and deleting a probe object under the root directory.
     *
     * @throws GcsStartupException naming the setting at fault when the bucket cannot be used
     */
    public static GcsDriver open(GcsSettings settings) throws IOException {
        GoogleCredentials credentials = credentials(settings);
        StorageOptions.Builder options = StorageOptions.http()
                // Every request names the bucket; a project is only needed to create buckets, and
                // leaving it unset would make the client look for one on the metadata server.
                .setProjectId(projectId(settings))
                .setRetrySettings(RetrySettings.newBuilder()
                        .setMaxAttempts(5)
                        .setInitialRetryDelayDuration(Duration.ofMillis(200))
                        .setRetryDelayMultiplier(2.0)
                        .setMaxRetryDelayDuration(Duration.ofSeconds(5))
                        .setTotalTimeoutDuration(Duration.ofSeconds(60))
                        .build());
        options.setCredentials(credentials == null ? NoCredentials.getInstance() : credentials);
        settings.endpoint().ifPresent(uri -> options.setHost(uri.toString()));
        // Only a key signs locally; other credentials (GKE, the metadata server) would sign each URL
        // through the IAM signBlob API, a network call per redirected pull.
        Optional<ServiceAccountSigner> signer = credentials instanceof ServiceAccountCredentials key
                ? Optional.of(key) : Optional.empty();
        GcsDriver driver = new GcsDriver(options.build().getService(), settings, signer);
        driver.checkBucket(options.setRetrySettings(RetrySettings.newBuilder().setMaxAttempts(1).build())
                .build().getService());
        return driver;
    }

    /** A driver on an already built client, for tests that set the client up themselves. */
    static GcsDriver on(Storage storage, GcsSettings settings, Optional<ServiceAccountSigner> signer) {
        return new GcsDriver(storage, settings, signer);
    }

    private static GoogleCredentials credentials(GcsSettings settings) throws IOException {
        if (settings.anonymous()) {
            return null;
        }
        try {
            GoogleCredentials credentials = settings.credentialsJson().isPresent()
                    ? GoogleCredentials.fromStream(new ByteArrayInputStream(
                            settings.credentialsJson().get().getBytes(StandardCharsets.UTF_8)))
                    : GoogleCredentials.getApplicationDefault();
            return credentials.createScoped(List.of(SCOPE));
        } catch (IOException | RuntimeException e) {
            throw new GcsStartupException(GcsStartupException.Problem.CREDENTIALS,
                    settings.credentialsJson().isPresent()
                            ? "the service-account key cannot be used (" + e.getMessage() + ")"
                            : "no Application Default Credentials were found (" + e.getMessage() + ")", e);
        }
    }

    private static String projectId(GcsSettings settings) {
        if (settings.credentialsJson().isPresent()) {
            try {
                JsonNode node = new ObjectMapper().readTree(settings.credentialsJson().get());
                if (node.path("project_id").isTextual()) {
                    return node.path("project_id").asText();
                }
            } catch (IOException ignored) {
                // the credentials were parsed already; a key without a project works all the same
            }
        }
        return "registry-unknown-project";
    }

    /**
     * Lists under the root and writes and deletes a probe object: only object permissions, so a
     * service account with {@code roles/storage.objectAdmin} on the bucket (which cannot read the
     * bucket's own metadata) passes. A missing bucket answers the listing with 404.
     */
    private void checkBucket(Storage once) throws GcsStartupException {
        BlobId probe = BlobId.of(bucket, key("/" + PART_PREFIX + "write-probe-" + UUID.randomUUID()));
        try {
            once.list(bucket, Storage.BlobListOption.prefix(directoryKey("/")), Storage.BlobListOption.pageSize(1));
            once.create(BlobInfo.newBuilder(probe).setContentType(CONTENT_TYPE).build(), new byte[0]);
            once.delete(probe);
        } catch (StorageException e) {
            throw startupFailure(e);
        }
    }

    private GcsStartupException startupFailure(StorageException e) {
        int code = e.getCode();
        if (code == 401 || code == 403) {
            return new GcsStartupException(GcsStartupException.Problem.CREDENTIALS,
                    "the credentials may not read and write the bucket '" + bucket + "' (HTTP " + code + ": "
                            + e.getMessage() + ")", e);
        }
        if (code == 404) {
            return new GcsStartupException(GcsStartupException.Problem.BUCKET,
                    "the bucket '" + bucket + "' does not exist", e);
        }
        if (refusedByTokenService(e)) {
            return new GcsStartupException(GcsStartupException.Problem.CREDENTIALS,
                    "the credentials were refused when exchanged for an access token (" + rootMessage(e) + ")", e);
        }
        if (code == 0 || e.getCause() instanceof IOException) {
            return new GcsStartupException(GcsStartupException.Problem.ENDPOINT,
                    "Google Cloud Storage did not answer at " + endpoint.map(URI::toString)
                            .orElse("https://storage.googleapis.com") + " (" + rootMessage(e) + ")", e);
        }
        return new GcsStartupException(GcsStartupException.Problem.ENDPOINT,
                "the bucket '" + bucket + "' cannot be used (HTTP " + code + ": " + e.getMessage() + ")", e);
    }

    /**
     * Whether the OAuth token service answered with an error (a revoked, deleted or foreign key):
     * the failure is an HTTP answer from the token exchange, not a connection failure.
     */
    private static boolean refusedByTokenService(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof com.google.api.client.http.HttpResponseException answer && t != e
                    && !(t instanceof com.google.api.client.googleapis.json.GoogleJsonResponseException)) {
                return answer.getStatusCode() >= 400 && answer.getStatusCode() < 500;
            }
            if (t.getClass().getName().startsWith("com.google.auth.")) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    @Override
    public String name() {
        return "gcs";
    }

    /** Whether {@link #redirectUrl} can sign, which needs a service-account key. */
    public boolean canSign() {
        return signer.isPresent();
    }

    Storage storage() {
        return storage;
    }

    String bucket() {
        return bucket;
    }

    int chunkSize() {
        return chunkSize;
    }

    /** The object name of a driver path: {@code /a/b} under root {@code r} is {@code r/a/b}. */
    String key(String path) {
        StoragePaths.check(path);
        if (path.equals("/")) {
            return root;
        }
        return root.isEmpty() ? path.substring(1) : root + path;
    }

    /** The prefix of everything under a driver path taken as a directory. */
    private String directoryKey(String path) {
        String key = key(path);
        return key.isEmpty() ? "" : key + "/";
    }

    private String pathOf(String key) {
        String relative = root.isEmpty() ? key : key.substring(root.length() + 1);
        return "/" + relative;
    }

    BlobId blobId(String path) {
        return BlobId.of(bucket, key(path));
    }

    @Override
    public byte[] getContent(String path) throws IOException {
        try {
            return storage.readAllBytes(blobId(path));
        } catch (StorageException e) {
            throw translate(path, e);
        }
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        try {
            storage.create(BlobInfo.newBuilder(blobId(path)).setContentType(CONTENT_TYPE).build(), content);
        } catch (StorageException e) {
            throw translate(path, e);
        }
    }

    /**
     * Reads the generation that exists now, so that a replacement of the object while it is read
     * fails the read rather than splicing two versions together.
     */
    @Override
    public ReadableByteChannel reader(String path, long offset) throws IOException {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset + " for " + path);
        }
        Blob blob = getBlob(path);
        if (blob == null) {
            throw new PathNotFoundException(path);
        }
        if (offset > blob.getSize()) {
            throw new IOException("offset " + offset + " beyond end of " + path);
        }
        if (offset == blob.getSize()) {
            return Channels.newChannel(InputStream.nullInputStream());
        }
        try {
            ReadChannel channel = storage.reader(BlobId.of(bucket, blob.getName(), blob.getGeneration()));
            channel.setChunkSize(Math.min(chunkSize, 2 * 1024 * 1024));
            if (offset > 0) {
                channel.seek(offset);
            }
            return channel;
        } catch (StorageException e) {
            throw translate(path, e);
        }
    }

    Blob getBlob(String path) throws IOException {
        try {
            return storage.get(blobId(path));
        } catch (StorageException e) {
            throw translate(path, e);
        }
    }

    @Override
    public StorageWriter writer(String path, boolean append) throws IOException {
        requireObjectPath(path);
        return GcsWriter.open(this, path, append);
    }

    private void requireObjectPath(String path) {
        if (key(path).isEmpty()) {
            throw new IllegalArgumentException("cannot write the root directory");
        }
    }

    /**
     * A resumable upload straight to {@code path}: GCS creates the object only when the upload is
     * finished, which is the commit, so a writer closed without commit (or cancelled) leaves
     * whatever was at the path. Its unfinished session is left for GCS to forget, as a cancelled
     * {@link #writer} upload is.
     */
    @Override
    public Optional<StorageWriter> atomicWriter(String path) throws IOException {
        StoragePaths.check(path);
        requireObjectPath(path);
        return Optional.of(GcsWriter.atomic(this, path));
    }

    /** The name of a new upload part for {@code path}: a hidden sibling that listings leave out. */
    String partKey(String path) {
        String key = key(path);
        int slash = key.lastIndexOf('/');
        return key.substring(0, slash + 1) + PART_PREFIX + key.substring(slash + 1) + "-" + UUID.randomUUID();
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        if (!key(path).isEmpty()) {
            Blob blob = getBlob(path);
            if (blob != null) {
                return new FileInfo(path, blob.getSize(), modified(blob), false);
            }
        }
        try {
            Page<Blob> page = storage.list(bucket, Storage.BlobListOption.prefix(directoryKey(path)),
                    Storage.BlobListOption.pageSize(1));
            if (page.getValues().iterator().hasNext() || path.equals("/")) {
                return new FileInfo(path, 0, Instant.EPOCH, true);
            }
        } catch (StorageException e) {
            throw translate(path, e);
        }
        throw new PathNotFoundException(path);
    }

    private static Instant modified(Blob blob) {
        if (blob.getUpdateTimeOffsetDateTime() != null) {
            return blob.getUpdateTimeOffsetDateTime().toInstant();
        }
        return blob.getCreateTimeOffsetDateTime() == null ? Instant.EPOCH : blob.getCreateTimeOffsetDateTime().toInstant();
    }

    /** Pages through the listing with the {@code /} delimiter, {@value #LIST_PAGE} entries a page. */
    @Override
    public List<String> list(String path) throws IOException {
        String prefix = directoryKey(path);
        List<String> children = new ArrayList<>();
        try {
            Page<Blob> page = storage.list(bucket, Storage.BlobListOption.prefix(prefix),
                    Storage.BlobListOption.currentDirectory(), Storage.BlobListOption.pageSize(LIST_PAGE));
            for (Blob blob : page.iterateAll()) {
                String name = blob.getName();
                if (name.endsWith("/")) {
                    name = name.substring(0, name.length() - 1);
                }
                if (name.length() <= prefix.length() || name.startsWith(PART_PREFIX, prefix.length())) {
                    continue;
                }
                children.add(pathOf(name));
            }
        } catch (StorageException e) {
            throw translate(path, e);
        }
        if (children.isEmpty() && !path.equals("/")) {
            // An object store has no empty directories: a missing one is missing, unless it is a file.
            throw new PathNotFoundException(path);
        }
        return children;
    }

    /** A server-side rewrite (the client repeats it until GCS says it is done), then a delete. */
    @Override
    public void move(String source, String destination) throws IOException {
        BlobId from = blobId(source);
        BlobId to = blobId(destination);
        try {
            Blob blob = storage.get(from);
            if (blob == null) {
                throw new PathNotFoundException(source);
            }
            storage.copy(Storage.CopyRequest.newBuilder()
                    .setSource(BlobId.of(bucket, from.getName(), blob.getGeneration()))
                    .setTarget(BlobInfo.newBuilder(to).setContentType(CONTENT_TYPE).build())
                    .build()).getResult();
            // Only the generation that was copied: a source written again meanwhile is someone else's.
            storage.delete(from, Storage.BlobSourceOption.generationMatch(blob.getGeneration()));
        } catch (StorageException e) {
            if (e.getCode() == 412) {
                LOG.debug("{} was replaced while it was moved to {}; the new version stays", source, destination);
                return;
            }
            throw translate(source, e);
        }
    }

    @Override
    public void delete(String path) throws IOException {
        String prefix = directoryKey(path);
        List<BlobId> doomed = new ArrayList<>();
        try {
            for (Blob blob : storage.list(bucket, Storage.BlobListOption.prefix(prefix),
                    Storage.BlobListOption.pageSize(LIST_PAGE)).iterateAll()) {
                doomed.add(blob.getBlobId());
            }
            if (!key(path).isEmpty()) {
                Blob single = storage.get(blobId(path));
                if (single != null) {
                    doomed.add(single.getBlobId());
                }
            }
        } catch (StorageException e) {
            throw translate(path, e);
        }
        if (doomed.isEmpty()) {
            throw new PathNotFoundException(path);
        }
        deleteAll(path, doomed);
    }

    /** Deletes objects a few at a time in parallel; one already gone is not an error. */
    private void deleteAll(String path, Collection<BlobId> ids) throws IOException {
        if (ids.size() == 1) {
            deleteQuietly(ids.iterator().next(), path);
            return;
        }
        Semaphore permits = new Semaphore(DELETE_CONCURRENCY);
        List<Future<?>> deletes = new ArrayList<>();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (BlobId id : ids) {
                permits.acquireUninterruptibly();
                deletes.add(executor.submit(() -> {
                    try {
                        deleteQuietly(id, path);
                    } finally {
                        permits.release();
                    }
                    return null;
                }));
            }
            for (Future<?> delete : deletes) {
                delete.get();
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while deleting " + path, e);
        }
    }

    void deleteQuietly(BlobId id, String path) throws IOException {
        try {
            storage.delete(id);
        } catch (StorageException e) {
            if (e.getCode() != 404) {
                throw translate(path, e);
            }
        }
    }

    /** A V4 signed URL for {@code GET} or {@code HEAD}, when the driver holds a service-account key. */
    @Override
    public Optional<URI> redirectUrl(String path, String method, Duration validFor) throws IOException {
        StoragePaths.check(path);
        if (signer.isEmpty() || !(method.equals("GET") || method.equals("HEAD"))) {
            return Optional.empty();
        }
        List<Storage.SignUrlOption> options = new ArrayList<>(List.of(
                Storage.SignUrlOption.withV4Signature(),
                Storage.SignUrlOption.signWith(signer.get()),
                Storage.SignUrlOption.httpMethod(HttpMethod.valueOf(method)),
                Storage.SignUrlOption.withPathStyle()));
        endpoint.ifPresent(uri -> options.add(Storage.SignUrlOption.withHostName(uri.toString())));
        try {
            var url = storage.signUrl(BlobInfo.newBuilder(blobId(path)).build(), validFor.toSeconds(), TimeUnit.SECONDS,
                    options.toArray(Storage.SignUrlOption[]::new));
            return Optional.of(url.toURI());
        } catch (StorageException | IllegalArgumentException | URISyntaxException e) {
            throw new IOException("cannot sign a URL for " + path + ": " + e.getMessage(), e);
        }
    }

    static IOException translate(String path, StorageException e) {
        if (e.getCode() == 404) {
            PathNotFoundException missing = new PathNotFoundException(path);
            missing.initCause(e);
            return missing;
        }
        return new IOException("Google Cloud Storage refused an operation on " + path + " (HTTP " + e.getCode()
                + "): " + e.getMessage(), e);
    }
}
