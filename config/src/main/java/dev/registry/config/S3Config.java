package dev.registry.config;

import java.net.URI;

/**
 * {@code storage.s3.*}: registry:2's S3 driver parameters, validated. Strings that were not given
 * are {@code null}.
 *
 * @param accessKey                   {@code accesskey}; without it (and {@code secretkey}) the AWS
 *                                    SDK's default credential chain is used (environment, profile,
 *                                    web identity as on EKS, container and instance metadata)
 * @param secretKey                   {@code secretkey}, given with {@code accesskey}
 * @param sessionToken                {@code sessiontoken}, for temporary keys
 * @param region                      {@code region} (required, as in registry:2)
 * @param regionEndpoint              {@code regionendpoint} with its scheme ({@code https://} unless
 *                                    {@code secure} is false or the value says otherwise); {@code null}
 *                                    for AWS's own endpoint
 * @param forcePathStyle              {@code forcepathstyle}; defaults to true when {@code regionendpoint}
 *                                    is given (what registry:2 2.8 always did there), false otherwise
 * @param bucket                      {@code bucket} (required)
 * @param rootDirectory               {@code rootdirectory}, the key prefix ({@code ""} for none)
 * @param encrypt                     {@code encrypt}: server-side encryption (default false)
 * @param keyId                       {@code keyid}: KMS key for encryption with SSE-KMS
 * @param secure                      {@code secure} (default true)
 * @param skipVerify                  {@code skipverify} (default false)
 * @param chunkSize                   {@code chunksize} in bytes (default 10 MiB, at least 5 MiB)
 * @param multipartCopyChunkSize      {@code multipartcopychunksize} (default 32 MiB)
 * @param multipartCopyMaxConcurrency {@code multipartcopymaxconcurrency} (default 100)
 * @param multipartCopyThresholdSize  {@code multipartcopythresholdsize} (default 32 MiB)
 * @param storageClass                {@code storageclass} (default {@code STANDARD}; {@code NONE} sends none)
 * @param useDualStack                {@code usedualstack} (default false)
 * @param logLevel                    {@code loglevel} (default {@code off}); any {@code debug...} level
 *                                    logs one line per S3 request
 */
public record S3Config(
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
        String logLevel) implements DriverConfig {

    @Override
    public String name() {
        return "s3";
    }

    /** Whether S3 requests are logged. */
    public boolean logRequests() {
        return !logLevel.equals("off");
    }

    /** No secrets: the record's own toString would print the keys. */
    @Override
    public String toString() {
        return "S3Config[bucket=" + bucket + ", region=" + region + ", regionEndpoint=" + regionEndpoint
                + ", rootDirectory=" + rootDirectory + ", credentials=" + (accessKey != null ? "static" : "default chain") + "]";
    }
}
