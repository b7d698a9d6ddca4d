package dev.registry.storage.driver.s3;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * What the S3 driver needs to know, already validated by the configuration layer. The names
 * follow registry:2's {@code storage.s3.*} keys.
 *
 * @param accessKey                   {@code accesskey}; with {@code secretKey}, static credentials,
 *                                    otherwise the SDK's default credential chain
 * @param secretKey                   {@code secretkey}
 * @param sessionToken                {@code sessiontoken}, for temporary static credentials
 * @param region                      {@code region}, used for signing and the default endpoint
 * @param regionEndpoint              {@code regionendpoint}: an S3-compatible store's endpoint, if any
 * @param forcePathStyle              {@code forcepathstyle}: {@code http://host/bucket/key} addressing
 * @param bucket                      {@code bucket}
 * @param rootDirectory               {@code rootdirectory}: key prefix of everything stored (may be empty)
 * @param encrypt                     {@code encrypt}: server-side encryption (SSE-S3, or SSE-KMS with a key id)
 * @param keyId                       {@code keyid}: the KMS key for SSE-KMS
 * @param secure                      {@code secure}: https for the default endpoint and for a
 *                                    {@code regionendpoint} given without a scheme
 * @param skipVerify                  {@code skipverify}: trust any TLS certificate of the endpoint
 * @param chunkSize                   {@code chunksize}: bytes of one uploaded part, and so the memory
 *                                    one upload in progress holds
 * @param multipartCopyChunkSize      {@code multipartcopychunksize}: bytes of one part of a multipart copy
 * @param multipartCopyMaxConcurrency {@code multipartcopymaxconcurrency}: parts copied at once
 * @param multipartCopyThresholdSize  {@code multipartcopythresholdsize}: objects larger than this are
 *                                    copied in parts
 * @param storageClass                {@code storageclass}; {@code NONE} sends none (for stores without classes)
 * @param useDualStack                {@code usedualstack}: IPv4 and IPv6 endpoints
 * @param logRequests                 {@code loglevel} other than {@code off}: log every S3 request
 */
public record S3Options(
        String accessKey,
        String secretKey,
        String sessionToken,
        String region,
        URI regionEndpoint,
        boolean forcePathStyle,
        String bucket,
        String rootDirectory,
        boolean encrypt,
        String keyId,
        boolean secure,
        boolean skipVerify,
        int chunkSize,
        long multipartCopyChunkSize,
        int multipartCopyMaxConcurrency,
        long multipartCopyThresholdSize,
        String storageClass,
        boolean useDualStack,
        boolean logRequests) {

    /** S3's smallest part, except for the last part of an upload. */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;
    /** S3's largest part, of an upload or a copy. */
    public static final long MAX_PART_SIZE = 5L * 1024 * 1024 * 1024;
    public static final int DEFAULT_CHUNK_SIZE = 10 * 1024 * 1024;
    public static final long DEFAULT_MULTIPART_COPY_CHUNK_SIZE = 32L * 1024 * 1024;
    public static final int DEFAULT_MULTIPART_COPY_MAX_CONCURRENCY = 100;
    public static final long DEFAULT_MULTIPART_COPY_THRESHOLD_SIZE = 32L * 1024 * 1024;
    public static final String NO_STORAGE_CLASS = "NONE";

    public S3Options {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(bucket, "bucket");
        rootDirectory = rootDirectory == null ? "" : rootDirectory;
        storageClass = storageClass == null ? "STANDARD" : storageClass;
        if (chunkSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("chunksize " + chunkSize + " is below S3's minimum part size " + MIN_PART_SIZE);
        }
        if (multipartCopyChunkSize < MIN_PART_SIZE || multipartCopyChunkSize > MAX_PART_SIZE) {
            throw new IllegalArgumentException("multipartcopychunksize " + multipartCopyChunkSize + " is outside S3's part sizes");
        }
        if (multipartCopyMaxConcurrency < 1) {
            throw new IllegalArgumentException("multipartcopymaxconcurrency must be at least 1");
        }
        if (multipartCopyThresholdSize < 0 || multipartCopyThresholdSize > MAX_PART_SIZE) {
            throw new IllegalArgumentException("multipartcopythresholdsize " + multipartCopyThresholdSize + " is outside 0 to 5 GiB");
        }
    }

    /** Options with registry:2's defaults for everything but the bucket, region and endpoint. */
    public static S3Options of(String bucket, String region, URI regionEndpoint) {
        return new S3Options(null, null, null, region, regionEndpoint, regionEndpoint != null, bucket, "",
                false, null, true, false, DEFAULT_CHUNK_SIZE, DEFAULT_MULTIPART_COPY_CHUNK_SIZE,
                DEFAULT_MULTIPART_COPY_MAX_CONCURRENCY, DEFAULT_MULTIPART_COPY_THRESHOLD_SIZE, "STANDARD", false, false);
    }

    public S3Options withCredentials(String accessKey, String secretKey) {
        return new S3Options(accessKey, secretKey, sessionToken, region, regionEndpoint, forcePathStyle, bucket,
                rootDirectory, encrypt, keyId, secure, skipVerify, chunkSize, multipartCopyChunkSize,
                multipartCopyMaxConcurrency, multipartCopyThresholdSize, storageClass, useDualStack, logRequests);
    }

    public S3Options withRootDirectory(String rootDirectory) {
        return new S3Options(accessKey, secretKey, sessionToken, region, regionEndpoint, forcePathStyle, bucket,
                rootDirectory, encrypt, keyId, secure, skipVerify, chunkSize, multipartCopyChunkSize,
                multipartCopyMaxConcurrency, multipartCopyThresholdSize, storageClass, useDualStack, logRequests);
    }

    public S3Options withChunkSizes(int chunkSize, long multipartCopyChunkSize, long multipartCopyThresholdSize) {
        return new S3Options(accessKey, secretKey, sessionToken, region, regionEndpoint, forcePathStyle, bucket,
                rootDirectory, encrypt, keyId, secure, skipVerify, chunkSize, multipartCopyChunkSize,
                multipartCopyMaxConcurrency, multipartCopyThresholdSize, storageClass, useDualStack, logRequests);
    }

    public S3Options withBucket(String bucket) {
        return new S3Options(accessKey, secretKey, sessionToken, region, regionEndpoint, forcePathStyle, bucket,
                rootDirectory, encrypt, keyId, secure, skipVerify, chunkSize, multipartCopyChunkSize,
                multipartCopyMaxConcurrency, multipartCopyThresholdSize, storageClass, useDualStack, logRequests);
    }

    /** The storage class to send, if any. */
    public Optional<String> storageClassToSend() {
        return NO_STORAGE_CLASS.equalsIgnoreCase(storageClass) ? Optional.empty() : Optional.of(storageClass);
    }

    /** A safe description for logs: no secrets. */
    @Override
    public String toString() {
        return "s3 bucket '" + bucket + "' in " + region
                + (regionEndpoint != null ? " at " + regionEndpoint : "")
                + (rootDirectory.isEmpty() ? "" : ", root '" + rootDirectory + "'")
                + (accessKey != null ? ", static credentials" : ", default credential chain");
    }
}
