import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The floor of workload 2 on an S3 store: the requests a chunked push (256 MiB in 8 MiB chunks
 * unless told otherwise) needs in registry:2's layout, made straight from the AWS SDK with no
 * registry in between. One {@code UploadPart} per chunk, in turn (a client sends the next chunk only after the
 * previous one is stored), then the commit: {@code CompleteMultipartUpload} of the upload, a
 * parallel multipart copy to the blob's key in 32 MiB parts (registry:2's default
 * {@code multipartcopychunksize}) and its {@code CompleteMultipartUpload}, and the upload's
 * delete. A registry needs these requests in this order, so it cannot push much faster on the
 * same store: only by a few percent, as it can hash each part while the chunk arrives, where the
 * SDK here hashes it before each request. The reference's time divided by this one is about the
 * highest ratio workload 2 can show.
 *
 * <p>Run with the server's jar, which carries the SDK (see docs/benchmark.md):
 * {@code java -cp registry-server/target/registry-server.jar src/test/bench/S3Floor.java
 * http://127.0.0.1:9100 BUCKET ACCESS_KEY SECRET_KEY [ROUNDS [BLOB_MIB CHUNK_MIB]]}. The first
 * two rounds warm the JIT up and are not printed. With ROUNDS {@code 0} it makes one round, printed,
 * for each line it reads on its standard input, until that ends: the benchmark alternates them
 * with the servers' pushes of workload 2 on {@code --s3} (see {@code ChunkedFloor}).
 */
public class S3Floor {
    private static final long COPY_PART_BYTES = 32L << 20;

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: S3Floor ENDPOINT BUCKET ACCESS_KEY SECRET_KEY [ROUNDS [BLOB_MIB CHUNK_MIB]]");
            System.exit(2);
        }
        String bucket = args[1];
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        long size = (args.length > 5 ? Long.parseLong(args[5]) : 256) << 20;
        int chunkBytes = (args.length > 6 ? Integer.parseInt(args[6]) : 8) << 20;
        int count = (int) ((size + chunkBytes - 1) / chunkBytes);
        S3Client s3 = S3Client.builder().region(Region.US_EAST_1).forcePathStyle(true)
                .endpointOverride(URI.create(args[0]))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(args[2], args[3])))
                // as the registry sends its parts: checksum and signed SHA-256 before the request
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build())
                .build();
        byte[][] chunks = new byte[count][];
        for (int i = 0; i < count; i++) {
            chunks[i] = new byte[(int) Math.min(chunkBytes, size - (long) i * chunkBytes)];
        }
        Random random = new Random();
        ExecutorService copiers = Executors.newFixedThreadPool(8);
        BufferedReader requests = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (int round = 0; rounds == 0 || round < rounds + 2; round++) {
            if (rounds == 0 && requests.readLine() == null) {
                break;
            }
            for (byte[] chunk : chunks) {
                random.nextBytes(chunk); // before the clock starts
            }
            String id = UUID.randomUUID().toString();
            String upload = "s3floor/_uploads/" + id + "/data";
            String blob = "s3floor/blobs/" + id + "/data";
            long started = System.nanoTime();
            String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(upload)).uploadId();
            List<CompletedPart> parts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int number = i + 1;
                String etag = s3.uploadPart(b -> b.bucket(bucket).key(upload).uploadId(uploadId).partNumber(number),
                        RequestBody.fromBytes(chunks[i])).eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
            }
            long chunksSent = System.nanoTime();
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(upload).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
            String copyId = s3.createMultipartUpload(b -> b.bucket(bucket).key(blob)).uploadId();
            List<Future<CompletedPart>> copies = new ArrayList<>();
            for (long from = 0; from < size; from += COPY_PART_BYTES) {
                int number = (int) (from / COPY_PART_BYTES) + 1;
                String range = "bytes=" + from + "-" + (Math.min(size, from + COPY_PART_BYTES) - 1);
                copies.add(copiers.submit(() -> CompletedPart.builder().partNumber(number)
                        .eTag(s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey(upload).destinationBucket(bucket)
                                .destinationKey(blob).uploadId(copyId).partNumber(number).copySourceRange(range))
                                .copyPartResult().eTag())
                        .build()));
            }
            List<CompletedPart> copied = new ArrayList<>();
            for (Future<CompletedPart> copy : copies) {
                copied.add(copy.get());
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(blob).uploadId(copyId).multipartUpload(m -> m.parts(copied)));
            s3.deleteObject(b -> b.bucket(bucket).key(upload));
            long done = System.nanoTime();
            s3.deleteObject(b -> b.bucket(bucket).key(blob));
            if (rounds == 0 || round >= 2) {
                double seconds = (done - started) / 1e9;
                System.out.printf(Locale.ROOT, "floor: %.2f s (%.1f MiB/s); %d chunks %.2f s; commit %.2f s%n", seconds,
                        size / 1048576.0 / seconds, count, (chunksSent - started) / 1e9, (done - chunksSent) / 1e9);
                System.out.flush();
            }
        }
        copiers.shutdown();
        s3.close();
    }
}
