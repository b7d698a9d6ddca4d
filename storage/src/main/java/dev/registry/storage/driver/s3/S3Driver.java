package dev.registry.storage.driver.s3;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.registry.storage.driver.FileInfo;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StoragePaths;
import dev.registry.storage.driver.StorageWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.utils.AttributeMap;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Stores objects in an S3 bucket (or an S3-compatible store) under registry:2's keys: driver path
 * {@code /docker/registry/v2/...} is key {@code <rootdirectory>/docker/registry/v2/...}, with the
 * root directory's leading and trailing slashes dropped, exactly as registry:2's {@code s3} driver
 * maps them, so that both servers can share one bucket.
 *
 * <p>Writes in progress are S3 multipart uploads ({@link S3Writer}): any replica continues one
 * by finding it with {@code ListMultipartUploads}, never by reading the data back. Moves are
 * server-side copies. Everything is on the SDK's sync client over Apache HttpClient 5, called
 * from the registry's blocking request threads.
 */
public final class S3Driver implements StorageDriver, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(S3Driver.class);
    private static final String CONTENT_TYPE = "application/octet-stream";
    /** S3's largest DeleteObjects batch (and a ListObjectsV2 page). */
    private static final int DELETE_BATCH = 1000;
    private static final int IDLE_PART_BYTES = 40 * 1024 * 1024;

    private final S3Options options;
    private final S3Client s3;
    /**
     * The unfinished upload each key's last resumable writer here closed with, so that the next
     * writer of the key here (the next chunk of an upload this replica took) checks it with one
     * {@code ListParts} instead of listing the bucket's uploads and the object (see {@link #writer}).
     */
    private final Cache<String, LeftUpload> leftUploads = Caffeine.newBuilder()
            .maximumSize(10_000)
            .expireAfterWrite(Duration.ofHours(1))
            .executor(Runnable::run)
            .build();
    private final S3Presigner presigner;
    /** Part buffers reused by the writers. */
    private final PartBuffers partBuffers;
    /** Whether the SDK reads a part whole before it connects, which lets a part's upload start early (see {@link ArrivingPart}). */
    private final boolean partsReadBeforeSending;
    private final String bucket;
    /** The root directory as a key prefix without slashes at either end; empty for none. */
    private final String root;

    public S3Driver(S3Options options) {
        this(options, List.of());
    }

    /** A driver whose S3 client also runs {@code interceptors} (tests count requests with one). */
    S3Driver(S3Options options, List<ExecutionInterceptor> interceptors) {
        this.options = options;
        this.bucket = options.bucket();
        this.root = trimSlashes(options.rootDirectory());
        AwsCredentialsProvider credentials = credentials(options);
        Region region = Region.of(options.region());
        Optional<URI> endpoint = endpoint(options);
        S3ClientBuilder client = S3Client.builder()
                .region(region)
                .credentialsProvider(credentials)
                .httpClient(httpClient(options))
                .forcePathStyle(options.forcePathStyle())
                .dualstackEnabled(options.useDualStack())
                // Blob bytes are checked by their digest (clients verify every blob they pull), so
                // a second whole-object CRC of every GET would only cost CPU on the pull path.
                // Uploads keep the SDK's default checksums, which S3 verifies on receipt.
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                // A part is in memory whole before it is sent, so its checksum (and, over plain
                // http, its signed SHA-256) can be computed before the request, as registry:2's SDK
                // does, rather than streamed as aws-chunked chunks with a trailer. Measured on
                // s3proxy: an 8 MiB UploadPart took 44 ms instead of 60 (median of 64); stores that
                // mishandle aws-chunked trailers (older S3-compatible ones) are spared them too.
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build());
        endpoint.ifPresent(client::endpointOverride);
        List<ExecutionInterceptor> all = new ArrayList<>(interceptors);
        if (options.logRequests()) {
            all.add(new S3RequestLog());
        }
        if (!all.isEmpty()) {
            client.overrideConfiguration(c -> all.forEach(c::addExecutionInterceptor));
        }
        this.s3 = client.build();
        S3Presigner.Builder signer = S3Presigner.builder()
                .region(region)
                .credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder()
                        .pathStyleAccessEnabled(options.forcePathStyle())
                        .dualstackEnabled(options.useDualStack())
                        .build());
        endpoint.ifPresent(signer::endpointOverride);
        this.presigner = signer.build();
        // Over plain http the SDK signs each part's SHA-256, and with request checksums on it
        // computes a part's checksum: either way it reads the part whole before it connects. Over
        // https with checksums off (AWS_REQUEST_CHECKSUM_CALCULATION=when_required, as some
        // S3-compatible stores need) it would stream the part at once, holding a connection for
        // as long as the client takes to send it.
        boolean plainHttp = endpoint.map(uri -> "http".equalsIgnoreCase(uri.getScheme())).orElse(false);
        this.partsReadBeforeSending = plainHttp
                || s3.serviceClientConfiguration().requestChecksumCalculation() != RequestChecksumCalculation.WHEN_REQUIRED;
        // idle buffers are held for good: about 40 MiB, less in a small heap (an eighth of it)
        long idleBytes = Math.min(IDLE_PART_BYTES, Runtime.getRuntime().maxMemory() / 8);
        this.partBuffers = new PartBuffers(options.chunkSize(), (int) (idleBytes / options.chunkSize()));
    }

    private static AwsCredentialsProvider credentials(S3Options options) {
        if (options.accessKey() == null || options.secretKey() == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        return StaticCredentialsProvider.create(options.sessionToken() == null
                ? AwsBasicCredentials.create(options.accessKey(), options.secretKey())
                : AwsSessionCredentials.create(options.accessKey(), options.secretKey(), options.sessionToken()));
    }

    /** The endpoint to use instead of the SDK's: {@code regionendpoint}, or plain http for {@code secure: false}. */
    private static Optional<URI> endpoint(S3Options options) {
        if (options.regionEndpoint() != null) {
            return Optional.of(options.regionEndpoint());
        }
        if (!options.secure()) {
            String host = (options.useDualStack() ? "s3.dualstack." : "s3.") + options.region() + ".amazonaws.com";
            return Optional.of(URI.create("http://" + host));
        }
        return Optional.empty();
    }

    private static SdkHttpClient httpClient(S3Options options) {
        // room for a whole parallel multipart copy besides the uploads and reads in flight
        Apache5HttpClient.Builder builder = Apache5HttpClient.builder()
                .maxConnections(Math.max(50, options.multipartCopyMaxConcurrency() + 50));
        if (options.skipVerify()) {
            return builder.buildWithDefaults(AttributeMap.builder()
                    .put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, true)
                    .build());
        }
        return builder.build();
    }

    private static String trimSlashes(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == '/') {
            start++;
        }
        while (end > start && s.charAt(end - 1) == '/') {
            end--;
        }
        return s.substring(start, end);
    }

    @Override
    public String name() {
        return "s3";
    }

    S3Options options() {
        return options;
    }

    PartBuffers partBuffers() {
        return partBuffers;
    }

    boolean partsReadBeforeSending() {
        return partsReadBeforeSending;
    }

    S3Client client() {
        return s3;
    }

    String bucket() {
        return bucket;
    }

    /** The object key of a path other than the root: registry:2's {@code s3Path}. */
    String key(String path) {
        StoragePaths.check(path);
        if (path.equals("/")) {
            throw new IllegalArgumentException("the storage root is not an object");
        }
        return root.isEmpty() ? path.substring(1) : root + path;
    }

    /** The key prefix of everything under a directory path, ending in {@code /} unless it is the bucket's root. */
    private String prefix(String path) {
        StoragePaths.check(path);
        if (path.equals("/")) {
            return root.isEmpty() ? "" : root + "/";
        }
        return key(path) + "/";
    }

    // ------------------------------------------------------------------ startup check

    /**
     * Checks that the bucket exists, is reachable with the credentials, and that an object can be
     * written under the root directory and removed again.
     */
    public void checkBucket() throws S3BucketCheckException {
        String where = "bucket '" + bucket + "'" + endpoint(options).map(e -> " at " + e).orElse(" in " + options.region());
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (S3Exception e) {
            switch (e.statusCode()) {
                case 404 -> throw new S3BucketCheckException(S3BucketCheckException.Problem.NO_SUCH_BUCKET,
                        where + " does not exist", e);
                case 401, 403 -> throw new S3BucketCheckException(S3BucketCheckException.Problem.ACCESS_DENIED,
                        where + " refused the credentials (HTTP " + e.statusCode() + ")", e);
                case 301 -> throw new S3BucketCheckException(S3BucketCheckException.Problem.WRONG_REGION,
                        where + " is in region " + e.awsErrorDetails().sdkHttpResponse()
                                .firstMatchingHeader("x-amz-bucket-region").orElse("(not said)"), e);
                default -> throw new S3BucketCheckException(S3BucketCheckException.Problem.UNREACHABLE,
                        where + " answered HTTP " + e.statusCode(), e);
            }
        } catch (SdkClientException e) {
            String message = brief(e.getMessage());
            if (message.contains("credentials")) {
                throw new S3BucketCheckException(S3BucketCheckException.Problem.NO_CREDENTIALS,
                        "no AWS credentials were found (" + message + ")", e);
            }
            throw new S3BucketCheckException(S3BucketCheckException.Problem.UNREACHABLE,
                    where + " cannot be reached (" + message + ")", e);
        }
        String probe = key("/.registry-write-check/" + UUID.randomUUID());
        try {
            s3.putObject(put(probe).build(), RequestBody.fromBytes(new byte[] {'o', 'k'}));
            s3.deleteObject(d -> d.bucket(bucket).key(probe));
        } catch (SdkException e) {
            throw new S3BucketCheckException(S3BucketCheckException.Problem.NOT_WRITABLE,
                    where + " refused a test write of '" + probe + "' (" + brief(e.getMessage()) + ")", e);
        }
    }

    /** An SDK message fit for the middle of a one-line sentence. */
    private static String brief(String message) {
        String text = String.valueOf(message).replaceAll("\\s+", " ").trim();
        while (text.endsWith(".")) {
            text = text.substring(0, text.length() - 1);
        }
        return text;
    }

    // ------------------------------------------------------------------ content

    @Override
    public byte[] getContent(String path) throws IOException {
        String key = key(path);
        try {
            return s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArrayUnsafe();
        } catch (SdkException e) {
            throw failure("read", path, e);
        }
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        String key = key(path);
        try {
            s3.putObject(put(key).build(), RequestBody.fromBytes(content));
        } catch (SdkException e) {
            throw failure("write", path, e);
        }
    }

    /** A PutObject with the configured encryption and storage class. */
    PutObjectRequest.Builder put(String key) {
        PutObjectRequest.Builder put = PutObjectRequest.builder().bucket(bucket).key(key).contentType(CONTENT_TYPE);
        encryption().ifPresent(put::serverSideEncryption);
        kmsKey().ifPresent(put::ssekmsKeyId);
        options.storageClassToSend().ifPresent(put::storageClass);
        return put;
    }

    private Optional<ServerSideEncryption> encryption() {
        if (!options.encrypt()) {
            return Optional.empty();
        }
        return Optional.of(options.keyId() == null ? ServerSideEncryption.AES256 : ServerSideEncryption.AWS_KMS);
    }

    private Optional<String> kmsKey() {
        return options.encrypt() ? Optional.ofNullable(options.keyId()) : Optional.empty();
    }

    // ------------------------------------------------------------------ reads

    @Override
    public ReadableByteChannel reader(String path, long offset) throws IOException {
        String key = key(path);
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset + " for " + path);
        }
        GetObjectRequest.Builder get = GetObjectRequest.builder().bucket(bucket).key(key);
        if (offset > 0) {
            get.range("bytes=" + offset + "-");
        }
        try {
            return new ObjectChannel(s3.getObject(get.build()));
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                // at or beyond the end: S3 refuses any range there, even an empty one
                long size = stat(path).size();
                if (offset == size) {
                    return new ObjectChannel(null);
                }
                throw new IOException("offset " + offset + " beyond end of " + path + " (" + size + " bytes)");
            }
            throw failure("read", path, e);
        } catch (SdkException e) {
            throw failure("read", path, e);
        }
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        StoragePaths.check(path);
        if (!path.equals("/")) {
            String key = key(path);
            try {
                HeadObjectResponse head = s3.headObject(r -> r.bucket(bucket).key(key));
                return new FileInfo(path, head.contentLength(), head.lastModified(), false);
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    throw failure("stat", path, e);
                }
            } catch (SdkException e) {
                throw failure("stat", path, e);
            }
        }
        // not an object: a directory if any key lies below it
        String prefix = prefix(path);
        try {
            ListObjectsV2Response below = s3.listObjectsV2(r -> r.bucket(bucket).prefix(prefix).maxKeys(1));
            if (below.contents().isEmpty()) {
                throw new PathNotFoundException(path);
            }
            return new FileInfo(path, 0, below.contents().get(0).lastModified(), true);
        } catch (SdkException e) {
            throw failure("stat", path, e);
        }
    }

    @Override
    public List<String> list(String path) throws IOException {
        String prefix = prefix(path);
        List<String> children = new ArrayList<>();
        ListObjectsV2Request request = ListObjectsV2Request.builder()
                .bucket(bucket).prefix(prefix).delimiter("/").maxKeys(DELETE_BATCH).build();
        try {
            for (ListObjectsV2Response page : s3.listObjectsV2Paginator(request)) {
                for (S3Object object : page.contents()) {
                    addChild(children, path, object.key().substring(prefix.length()));
                }
                for (CommonPrefix common : page.commonPrefixes()) {
                    String p = common.prefix();
                    addChild(children, path, p.substring(prefix.length(), p.length() - 1));
                }
            }
        } catch (SdkException e) {
            throw failure("list", path, e);
        }
        if (children.isEmpty() && !path.equals("/")) {
            throw new PathNotFoundException(path);
        }
        return children;
    }

    /** Adds a listed name, skipping keys no path maps to (such as {@code a//b} written by another tool). */
    private static void addChild(List<String> children, String directory, String name) {
        if (!name.isEmpty() && !name.equals(".") && !name.equals("..")) {
            children.add(StoragePaths.child(directory, name));
        }
    }

    @Override
    public Optional<URI> redirectUrl(String path, String method, Duration validFor) throws IOException {
        String key = key(path);
        try {
            URI url = switch (method) {
                case "GET" -> presigner.presignGetObject(p -> p.signatureDuration(validFor)
                        .getObjectRequest(g -> g.bucket(bucket).key(key))).url().toURI();
                case "HEAD" -> presigner.presignHeadObject(p -> p.signatureDuration(validFor)
                        .headObjectRequest(h -> h.bucket(bucket).key(key))).url().toURI();
                default -> null;
            };
            return Optional.ofNullable(url);
        } catch (URISyntaxException | SdkException e) {
            throw new IOException("cannot sign a " + method + " URL for " + path + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ writes

    /**
     * With {@code append}, continues the key's unfinished multipart upload (as registry:2 does),
     * or a committed object at the path, or starts empty. Without it, aborts any unfinished upload
     * and removes an object at the path, so nothing older can be resumed later.
     *
     * <p>The upload is found with {@code ListMultipartUploads}, and also through the small object
     * at {@link #activeUploadKey} that names the upload this driver's writer last started for
     * the key: a listing can miss an upload that exists (s3proxy's filesystem store did under
     * concurrent writes to other keys), and then the writer would count only the committed
     * object, an older and smaller size. With several listed uploads the recorded one wins, as
     * their {@code Initiated} times may be equal (to the second, or bogus).
     */
    @Override
    public StorageWriter writer(String path, boolean append) throws IOException {
        String key = key(path);
        try {
            if (!append) {
                for (MultipartUpload upload : uploadsOf(key)) {
                    abort(key, upload.uploadId());
                }
                s3.deleteObject(d -> d.bucket(bucket).key(key));
                forgetUpload(key);
                return S3Writer.freshWriter(this, path, key);
            }
            Optional<S3Writer> continued = continueLeftUpload(path, key);
            if (continued.isPresent()) {
                return continued.get();
            }
            List<MultipartUpload> listed = uploadsOf(key);
            Optional<String> recorded = listed.size() == 1 ? Optional.empty() : recordedUpload(key);
            Optional<String> chosen = recorded.filter(id -> listed.isEmpty()
                            || listed.stream().anyMatch(u -> u.uploadId().equals(id)))
                    .or(() -> listed.stream().max(Comparator.comparing(MultipartUpload::initiated)).map(MultipartUpload::uploadId));
            long committed = committedSize(key);
            List<S3Writer.Part> parts = chosen.isEmpty() ? List.of() : partsOf(key, chosen.get());
            if (chosen.isEmpty() || (parts.isEmpty() && listed.isEmpty())) {
                // none, or the recorded upload is finished (S3 says NoSuchUpload, s3proxy lists no part)
                return new S3Writer(this, path, key, null, List.of(), committed);
            }
            String uploadId = chosen.get();
            long uploaded = parts.stream().mapToLong(S3Writer.Part::size).sum();
            if (committed > uploaded || !contiguous(parts)) {
                // A writer that continued the committed object died before it had copied it all
                // into this upload: the object is the truth, the upload a partial copy of it.
                log.warn("s3: abandoning an incomplete continuation of {} ({} of {} bytes copied)", key, uploaded, committed);
                abort(key, uploadId);
                return new S3Writer(this, path, key, null, List.of(), committed);
            }
            return new S3Writer(this, path, key, uploadId, parts, 0);
        } catch (SdkException e) {
            throw failure("open writer for", path, e);
        }
    }

    /**
     * A writer that starts from the upload this driver's last writer of the path left, without
     * waiting for the {@code ListParts} that checks it, when that upload holds {@code size} bytes
     * and may be followed by a part (its last part is not short): the check runs while the
     * chunk's bytes arrive, and the writer sends no part to completion before it has passed (see
     * {@link S3Writer}). A chunk's look-up then costs no round trip of its own. Anything else is
     * {@code writer(path, true)}.
     */
    @Override
    public StorageWriter writerAt(String path, long size) throws IOException {
        String key = key(path);
        LeftUpload left = leftUploads.getIfPresent(key);
        if (left == null || left.parts().isEmpty() || left.size() != size || S3Writer.endsShort(left.parts())) {
            return writer(path, true);
        }
        leftUploads.invalidate(key); // the writer made here notes it again when it closes
        CompletableFuture<List<S3Writer.Part>> listed = new CompletableFuture<>();
        Thread.ofVirtual().name("s3-list-parts").start(() -> {
            try {
                listed.complete(partsOf(key, left.uploadId()));
            } catch (Throwable e) {
                listed.completeExceptionally(e);
            }
        });
        return S3Writer.unconfirmedWriter(this, path, key, left.uploadId(), left.parts(), listed);
    }

    /**
     * A multipart upload of its own, or one PutObject when everything fits in a part: S3 shows
     * nothing of it at the key until the commit completes it, and then all of it at once.
     */
    @Override
    public Optional<StorageWriter> atomicWriter(String path) {
        return Optional.of(S3Writer.privateWriter(this, path, key(path)));
    }

    /** An unfinished upload a writer left at its close: its id and the parts it had uploaded. */
    private record LeftUpload(String uploadId, List<S3Writer.Part> parts) {
        long size() {
            return parts.stream().mapToLong(S3Writer.Part::size).sum();
        }
    }

    /** Notes the upload a resumable writer of {@code key} leaves unfinished at its close. */
    void leftUpload(String key, String uploadId, List<S3Writer.Part> parts) {
        leftUploads.put(key, new LeftUpload(uploadId, List.copyOf(parts)));
    }

    /**
     * A writer continuing the upload this driver's last writer of {@code key} left, if that upload
     * still has exactly the parts it left, at least one: then nobody (no other replica, no
     * registry:2) has added to it, completed it or aborted it since, and one {@code ListParts}
     * proves it. Anything else is left to the full look-up in {@link #writer}.
     */
    private Optional<S3Writer> continueLeftUpload(String path, String key) {
        LeftUpload left = leftUploads.getIfPresent(key);
        if (left == null) {
            return Optional.empty();
        }
        leftUploads.invalidate(key); // the writer made here notes it again when it closes
        if (left.parts().isEmpty()) {
            // An upload left with no part looks the same to ListParts as one finished since (S3
            // says NoSuchUpload, s3proxy lists no part): another replica may have added a short
            // part and then completed it to continue, so only the full look-up can tell.
            return Optional.empty();
        }
        List<S3Writer.Part> parts = partsOf(key, left.uploadId());
        if (!S3Writer.sameParts(parts, left.parts())) {
            return Optional.empty();
        }
        return Optional.of(new S3Writer(this, path, key, left.uploadId(), parts, 0));
    }

    /**
     * The key of the object that names the multipart upload a writer last started for
     * {@code key}: beside it, so that deleting the upload's directory removes it too.
     */
    static String activeUploadKey(String key) {
        return key + ".s3upload";
    }

    /** Records {@code uploadId} as the key's upload in progress (see {@link #writer}). */
    void recordUpload(String key, String uploadId) {
        s3.putObject(put(activeUploadKey(key)).build(), RequestBody.fromString(uploadId, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Removes the record of the key's upload, once it is completed or aborted. */
    void forgetUpload(String key) {
        leftUploads.invalidate(key);
        s3.deleteObject(d -> d.bucket(bucket).key(activeUploadKey(key)));
    }

    private Optional<String> recordedUpload(String key) {
        try {
            String id = s3.getObjectAsBytes(r -> r.bucket(bucket).key(activeUploadKey(key)))
                    .asString(java.nio.charset.StandardCharsets.UTF_8).trim();
            return id.isEmpty() ? Optional.empty() : Optional.of(id);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static boolean contiguous(List<S3Writer.Part> parts) {
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i).number() != i + 1) {
                return false;
            }
        }
        return true;
    }

    private long committedSize(String key) {
        try {
            return s3.headObject(r -> r.bucket(bucket).key(key)).contentLength();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return 0;
            }
            throw e;
        }
    }

    /** The unfinished multipart uploads of exactly {@code key}. */
    private List<MultipartUpload> uploadsOf(String key) {
        List<MultipartUpload> uploads = new ArrayList<>();
        for (ListMultipartUploadsResponse page : s3.listMultipartUploadsPaginator(r -> r.bucket(bucket).prefix(key))) {
            for (MultipartUpload upload : page.uploads()) {
                if (upload.key().equals(key)) {
                    uploads.add(upload);
                }
            }
        }
        return uploads;
    }

    private List<S3Writer.Part> partsOf(String key, String uploadId) {
        List<S3Writer.Part> parts = new ArrayList<>();
        try {
            for (ListPartsResponse page : s3.listPartsPaginator(r -> r.bucket(bucket).key(key).uploadId(uploadId))) {
                page.parts().forEach(p -> parts.add(new S3Writer.Part(p.partNumber(), p.eTag(), p.size())));
            }
        } catch (S3Exception e) {
            if (e.statusCode() != 404) { // NoSuchUpload: completed or aborted meanwhile
                throw e;
            }
            return List.of();
        }
        parts.sort(Comparator.comparingInt(S3Writer.Part::number));
        return parts;
    }

    /** Starts a multipart upload for {@code key} and records it as the key's upload in progress. */
    String createUpload(String key) {
        String uploadId = startUpload(key);
        recordUpload(key, uploadId);
        return uploadId;
    }

    /** Starts a multipart upload for {@code key} that no writer will continue (a copy, a private writer). */
    String startUpload(String key) {
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder()
                .bucket(bucket).key(key).contentType(CONTENT_TYPE);
        encryption().ifPresent(create::serverSideEncryption);
        kmsKey().ifPresent(create::ssekmsKeyId);
        options.storageClassToSend().ifPresent(create::storageClass);
        return s3.createMultipartUpload(create.build()).uploadId();
    }

    void complete(String key, String uploadId, List<S3Writer.Part> parts) {
        List<CompletedPart> completed = parts.stream()
                .map(p -> CompletedPart.builder().partNumber(p.number()).eTag(p.etag()).build())
                .toList();
        s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId)
                .multipartUpload(m -> m.parts(completed)));
    }

    void abort(String key, String uploadId) {
        try {
            s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) { // NoSuchUpload: already completed or aborted
                throw e;
            }
        }
    }

    /**
     * Copies {@code ranges} of the object at {@code source} into parts {@code 1..n} of upload
     * {@code uploadId}, up to {@code multipartcopymaxconcurrency} at once.
     *
     * @param ends the exclusive end offset of each range; the first starts at 0
     */
    List<S3Writer.Part> copyParts(String source, String destination, String uploadId, long[] ends) throws IOException {
        Semaphore slots = new Semaphore(options.multipartCopyMaxConcurrency());
        List<Future<S3Writer.Part>> copies = new ArrayList<>(ends.length);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < ends.length; i++) {
                int number = i + 1;
                long first = i == 0 ? 0 : ends[i - 1];
                long last = ends[i] - 1;
                copies.add(threads.submit(() -> {
                    slots.acquire();
                    try {
                        String etag = s3.uploadPartCopy(r -> r.sourceBucket(bucket).sourceKey(source)
                                .destinationBucket(bucket).destinationKey(destination)
                                .uploadId(uploadId).partNumber(number)
                                .copySourceRange("bytes=" + first + "-" + last)).copyPartResult().eTag();
                        return new S3Writer.Part(number, etag, last - first + 1);
                    } finally {
                        slots.release();
                    }
                }));
            }
            List<S3Writer.Part> parts = new ArrayList<>(ends.length);
            for (Future<S3Writer.Part> copy : copies) {
                parts.add(copy.get());
            }
            return parts;
        } catch (ExecutionException e) {
            copies.forEach(c -> c.cancel(true));
            Throwable cause = e.getCause();
            throw new IOException("s3: copying " + source + " to " + destination + " failed: " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("s3: interrupted while copying " + source, e);
        }
    }

    /** Range ends for a copy of {@code size} bytes in parts of {@code chunk}; the last range may be short. */
    static long[] rangeEnds(long size, long chunk) {
        int count = (int) Math.max(1, (size + chunk - 1) / chunk);
        long[] ends = new long[count];
        for (int i = 0; i < count; i++) {
            ends[i] = Math.min(size, (i + 1) * chunk);
        }
        return ends;
    }

    /**
     * Range ends for copying {@code size} bytes (at least S3's minimum part) as the first parts of
     * an upload that goes on after them, so that every range is at least the minimum part.
     */
    static long[] leadingRangeEnds(long size, long chunk) {
        long piece = Math.min(chunk, S3Options.MAX_PART_SIZE / 2);
        int count = (int) Math.max(1, size / piece);
        long[] ends = new long[count];
        for (int i = 0; i < count - 1; i++) {
            ends[i] = (i + 1) * piece;
        }
        ends[count - 1] = size; // the remainder joins the last range, which stays below 2 pieces
        return ends;
    }

    // ------------------------------------------------------------------ move and delete

    @Override
    public void move(String source, String destination) throws IOException {
        String from = key(source);
        String to = key(destination);
        long size;
        try {
            size = s3.headObject(r -> r.bucket(bucket).key(from)).contentLength();
        } catch (SdkException e) {
            throw failure("move", source, e);
        }
        try {
            if (size <= options.multipartCopyThresholdSize()) {
                CopyObjectRequest.Builder copy = CopyObjectRequest.builder()
                        .sourceBucket(bucket).sourceKey(from).destinationBucket(bucket).destinationKey(to);
                encryption().ifPresent(copy::serverSideEncryption);
                kmsKey().ifPresent(copy::ssekmsKeyId);
                options.storageClassToSend().ifPresent(copy::storageClass);
                s3.copyObject(copy.build());
            } else {
                String uploadId = startUpload(to);
                try {
                    complete(to, uploadId, copyParts(from, to, uploadId, rangeEnds(size, options.multipartCopyChunkSize())));
                } catch (IOException | SdkException e) {
                    abort(to, uploadId);
                    throw e;
                }
            }
            s3.deleteObject(r -> r.bucket(bucket).key(from));
        } catch (SdkException e) {
            throw failure("move", source + " to " + destination, e);
        }
    }

    /**
     * Deletes the object at {@code path} and every object below it, 1,000 per request, and aborts
     * unfinished uploads there; objects that merely share a prefix ({@code /a/bc} for {@code /a/b})
     * are left alone. A path is an object or a directory, never both, so the object's own key (and
     * its unfinished upload) is looked at only when nothing lies below the path: deleting an upload's
     * directory, once per push, spares three requests.
     */
    @Override
    public void delete(String path) throws IOException {
        String prefix = prefix(path);
        boolean found = false;
        try {
            leftUploads.asMap().keySet().removeIf(k -> k.startsWith(prefix));
            String startAfter = null;
            while (true) {
                String after = startAfter;
                ListObjectsV2Response page = s3.listObjectsV2(r -> r.bucket(bucket).prefix(prefix).maxKeys(DELETE_BATCH)
                        .startAfter(after));
                if (page.contents().isEmpty()) {
                    break;
                }
                deleteKeys(page.contents().stream().map(S3Object::key).toList());
                found = true;
                startAfter = page.contents().get(page.contents().size() - 1).key();
                if (!Boolean.TRUE.equals(page.isTruncated())) {
                    break;
                }
            }
            if (!found && !path.equals("/")) {
                String key = key(path);
                try {
                    s3.headObject(r -> r.bucket(bucket).key(key));
                    deleteKeys(List.of(key));
                    found = true;
                } catch (S3Exception e) {
                    if (e.statusCode() != 404) {
                        throw e;
                    }
                }
                for (MultipartUpload upload : uploadsOf(key)) {
                    abort(key, upload.uploadId());
                    found = true;
                }
                forgetUpload(key);
            }
            for (ListMultipartUploadsResponse page : s3.listMultipartUploadsPaginator(r -> r.bucket(bucket).prefix(prefix))) {
                for (MultipartUpload upload : page.uploads()) {
                    abort(upload.key(), upload.uploadId());
                    found = true;
                }
            }
        } catch (SdkException e) {
            throw failure("delete", path, e);
        }
        if (!found) {
            throw new PathNotFoundException(path);
        }
    }

    private void deleteKeys(List<String> keys) throws IOException {
        List<ObjectIdentifier> objects = keys.stream().map(k -> ObjectIdentifier.builder().key(k).build()).toList();
        DeleteObjectsResponse response = s3.deleteObjects(r -> r.bucket(bucket).delete(d -> d.objects(objects).quiet(true)));
        if (response.hasErrors() && !response.errors().isEmpty()) {
            var first = response.errors().get(0);
            throw new IOException("s3: " + response.errors().size() + " of " + keys.size() + " deletes failed, first "
                    + first.key() + ": " + first.code() + " " + first.message());
        }
    }

    // ------------------------------------------------------------------ errors and lifecycle

    /** A missing key as {@link PathNotFoundException}, anything else as an {@link IOException} naming the path. */
    static IOException failure(String what, String path, SdkException e) {
        if (e instanceof S3Exception s3e && s3e.statusCode() == 404) {
            return new PathNotFoundException(path);
        }
        return new IOException("s3: cannot " + what + " " + path + ": " + e.getMessage(), e);
    }

    @Override
    public void close() {
        presigner.close();
        s3.close();
    }

    @Override
    public String toString() {
        return options.toString();
    }

    /**
     * The body of a GetObject as a channel. Closed before its end, it aborts the connection rather
     * than let the HTTP client drain the rest of a possibly large object.
     */
    private static final class ObjectChannel implements ReadableByteChannel {
        private static final int TRANSFER_BYTES = 64 * 1024;
        private final ResponseInputStream<GetObjectResponse> in;
        private byte[] transfer;
        private boolean open = true;
        private boolean ended;

        ObjectChannel(ResponseInputStream<GetObjectResponse> in) {
            this.in = in;
            this.ended = in == null;
        }

        @Override
        public int read(ByteBuffer target) throws IOException {
            if (!open) {
                throw new java.nio.channels.ClosedChannelException();
            }
            if (ended) {
                return -1;
            }
            int n;
            if (target.hasArray()) {
                n = in.read(target.array(), target.arrayOffset() + target.position(), target.remaining());
                if (n > 0) {
                    target.position(target.position() + n);
                }
            } else {
                // a direct buffer (what the server sends from): through one array per reader, not one per read
                if (transfer == null) {
                    transfer = new byte[TRANSFER_BYTES];
                }
                n = in.read(transfer, 0, Math.min(target.remaining(), TRANSFER_BYTES));
                if (n > 0) {
                    target.put(transfer, 0, n);
                }
            }
            if (n < 0) {
                ended = true;
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() throws IOException {
            if (!open) {
                return;
            }
            open = false;
            if (in != null) {
                if (!ended) {
                    in.abort();
                }
                ((InputStream) in).close();
            }
        }
    }
}
