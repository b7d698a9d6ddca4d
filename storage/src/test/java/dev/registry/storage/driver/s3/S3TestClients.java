package dev.registry.storage.driver.s3;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.util.Locale;
import java.util.UUID;

/**
 * SDK clients of an {@link S3ProxyServer}, for test set-up and assertions (kept apart from the
 * server launcher, which the benchmark compiles without the AWS SDK).
 */
final class S3TestClients {
    private S3TestClients() {
    }

    /** A path-style client of {@code server} with its credentials; the caller closes it. */
    static S3Client of(S3ProxyServer server) {
        return S3Client.builder()
                .region(Region.of(S3ProxyServer.REGION))
                .endpointOverride(server.endpoint())
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
                .build();
    }

    /** A new empty bucket named {@code prefix-<random>}, made through the API (so on any blob store, the transient one too). */
    static String createBucket(S3Client client, String prefix) {
        String name = (prefix + "-" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase(Locale.ROOT);
        client.createBucket(b -> b.bucket(name));
        return name;
    }
}
