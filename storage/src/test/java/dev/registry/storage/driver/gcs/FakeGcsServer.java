package dev.registry.storage.driver.gcs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import java.util.zip.GZIPInputStream;

/**
 * A fake of the Google Cloud Storage JSON API (and of the XML API's signed-URL downloads) on
 * loopback, faithful enough that the real google-cloud-storage client runs against it unchanged:
 * media, multipart and resumable uploads (chunked, with {@code Content-Range} and {@code 308}
 * answers carrying {@code Range}), {@code alt=media} reads with {@code Range}, object metadata,
 * listings with {@code prefix}, {@code delimiter}, {@code pageToken} and {@code maxResults}
 * (at most 1,000 a page), delete, compose, rewrite (in several calls with a {@code rewriteToken}
 * for objects larger than {@link #REWRITE_BYTES_PER_CALL}), generation and metageneration
 * preconditions ({@code 412}), bucket metadata, an OAuth token endpoint for service-account keys
 * and V4 signed URLs checked against the signer's public key.
 *
 * <p>Objects live in memory. Only the live generation of each object is kept (no versioning).
 * With {@link #requireCredentials()}, every JSON API request needs a bearer token issued to a
 * service account made by {@link #newServiceAccount}.
 */
public final class FakeGcsServer implements AutoCloseable {
    /** Rewrites of objects larger than this take more than one call (real GCS: per call, at its discretion). */
    public static final int REWRITE_BYTES_PER_CALL = 1024 * 1024;
    private static final int CHUNK_GRANULARITY = 256 * 1024;
    private static final int MAX_PAGE = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter GOOG_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    /** One stored object: immutable; a write replaces it with a new generation. */
    private record StoredObject(String name, byte[] data, long generation, long metageneration, String contentType,
                                Map<String, String> metadata, int componentCount, Instant created) {
    }

    private static final class Bucket {
        final String name;
        final NavigableMap<String, StoredObject> objects = new ConcurrentSkipListMap<>();

        Bucket(String name) {
            this.name = name;
        }
    }

    private static final class Upload {
        final String bucket;
        final ObjectNode resource;
        final Map<String, String> preconditions;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        StoredObject result;

        Upload(String bucket, ObjectNode resource, Map<String, String> preconditions) {
            this.bucket = bucket;
            this.resource = resource;
            this.preconditions = preconditions;
        }
    }

    private record Rewrite(String sourceBucket, StoredObject source, String destinationBucket, String destination,
                           ObjectNode resource, long done) {
    }

    /** A service-account key the fake trusts: {@link #json()} is what a key file holds. */
    public record ServiceAccount(String email, String json, PublicKey publicKey) {
    }

    /** The largest body of one resumable-upload request so far: what a client buffers per chunk. */
    public final AtomicLong largestChunk = new AtomicLong();

    /** Counts of requests by kind, so tests can assert what the client did (and did not) do. */
    public final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Map<String, Upload> uploads = new ConcurrentHashMap<>();
    private final Map<String, Rewrite> rewrites = new ConcurrentHashMap<>();
    private final Map<String, PublicKey> trusted = new ConcurrentHashMap<>();
    private final Set<String> tokens = ConcurrentHashMap.newKeySet();
    private final AtomicLong generations = new AtomicLong(System.currentTimeMillis() * 1000);
    private volatile boolean credentialsRequired;

    private FakeGcsServer(HttpServer server) {
        this.server = server;
    }

    /** Starts on a free loopback port. */
    public static FakeGcsServer start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        FakeGcsServer fake = new FakeGcsServer(server);
        server.createContext("/", fake::handle);
        server.setExecutor(fake.executor);
        server.start();
        return fake;
    }

    /** The base URL, as the client's host (the driver's {@code endpoint}). */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public void createBucket(String name) {
        buckets.putIfAbsent(name, new Bucket(name));
    }

    /** Refuses JSON API requests without a token issued to a trusted service account. */
    public void requireCredentials() {
        credentialsRequired = true;
    }

    /** A new RSA service-account key (its token URI pointing here) that the fake trusts. */
    public ServiceAccount newServiceAccount(String email) {
        KeyPair pair = rsaKeyPair();
        trusted.put(email, pair.getPublic());
        return serviceAccount(email, pair);
    }

    /** A well-formed key the fake does not trust, as a revoked or foreign key would be. */
    public ServiceAccount untrustedServiceAccount(String email) {
        return serviceAccount(email, rsaKeyPair());
    }

    private ServiceAccount serviceAccount(String email, KeyPair pair) {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        ObjectNode key = JSON.createObjectNode();
        key.put("type", "service_account");
        key.put("project_id", "fake-project");
        key.put("private_key_id", UUID.randomUUID().toString().replace("-", ""));
        key.put("private_key", pem);
        key.put("client_email", email);
        key.put("client_id", "1234567890");
        key.put("auth_uri", endpoint() + "/auth");
        key.put("token_uri", endpoint() + "/token");
        return new ServiceAccount(email, key.toString(), pair.getPublic());
    }

    private static KeyPair rsaKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Names of the objects in a bucket, in order. */
    public List<String> objectNames(String bucket) {
        return new ArrayList<>(bucket(bucket).objects.keySet());
    }

    /** The stored bytes of an object, or empty. */
    public Optional<byte[]> objectData(String bucket, String name) {
        return Optional.ofNullable(bucket(bucket).objects.get(name)).map(StoredObject::data);
    }

    public long count(String kind) {
        AtomicLong n = requests.get(kind);
        return n == null ? 0 : n.get();
    }

    private Bucket bucket(String name) {
        Bucket bucket = buckets.get(name);
        if (bucket == null) {
            throw new IllegalArgumentException("no bucket " + name);
        }
        return bucket;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ------------------------------------------------------------------ dispatch

    /** An HTTP error with GCS's JSON error body. */
    private static final class Failure extends Exception {
        final int status;
        final String reason;

        Failure(int status, String reason, String message) {
            super(message, null, false, false);
            this.status = status;
            this.reason = reason;
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            try {
                route(exchange);
            } catch (Failure f) {
                drain(exchange);
                ObjectNode body = JSON.createObjectNode();
                ObjectNode error = body.putObject("error");
                error.put("code", f.status);
                error.put("message", f.getMessage());
                error.putArray("errors").addObject().put("message", f.getMessage()).put("domain", "global")
                        .put("reason", f.reason);
                sendJson(exchange, f.status, body);
            } catch (RuntimeException e) {
                drain(exchange);
                byte[] text = ("fake GCS failed: " + e).getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(500, text.length);
                exchange.getResponseBody().write(text);
            }
        }
    }

    private void record(String kind) {
        requests.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    private void route(HttpExchange exchange) throws IOException, Failure {
        String method = exchange.getRequestMethod();
        List<String> segments = segments(exchange.getRequestURI().getRawPath());
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        if (segments.size() == 1 && segments.get(0).equals("token") && method.equals("POST")) {
            record("token");
            token(exchange);
            return;
        }
        if (query.containsKey("X-Goog-Signature")) {
            record("signed-url");
            signedDownload(exchange, segments, query);
            return;
        }
        authenticate(exchange);
        // /upload/storage/v1/b/{bucket}/o
        if (segments.size() == 6 && segments.get(0).equals("upload") && segments.get(1).equals("storage")
                && segments.get(3).equals("b") && segments.get(5).equals("o")) {
            upload(exchange, segments.get(4), query);
            return;
        }
        // /download/storage/v1/b/{bucket}/o/{object}
        if (segments.size() == 7 && segments.get(0).equals("download") && segments.get(3).equals("b")
                && segments.get(5).equals("o")) {
            record("media");
            media(exchange, segments.get(4), segments.get(6), query);
            return;
        }
        if (segments.size() < 4 || !segments.get(0).equals("storage") || !segments.get(2).equals("b")) {
            throw new Failure(404, "notFound", "Not Found: " + exchange.getRequestURI().getRawPath());
        }
        String bucketName = segments.get(3);
        if (segments.size() == 4 && method.equals("GET")) {
            record("bucket.get");
            Bucket bucket = existingBucket(bucketName);
            ObjectNode json = JSON.createObjectNode();
            json.put("kind", "storage#bucket");
            json.put("id", bucket.name);
            json.put("name", bucket.name);
            json.put("projectNumber", "123456789");
            json.put("location", "US");
            json.put("storageClass", "STANDARD");
            json.put("metageneration", "1");
            json.put("timeCreated", RFC3339.format(Instant.EPOCH));
            json.put("updated", RFC3339.format(Instant.EPOCH));
            json.put("etag", "CAE=");
            sendJson(exchange, 200, json);
            return;
        }
        if (segments.size() == 5 && segments.get(4).equals("o") && method.equals("GET")) {
            record("list");
            list(exchange, existingBucket(bucketName), query);
            return;
        }
        if (segments.size() >= 6 && segments.get(4).equals("o")) {
            String object = segments.get(5);
            if (segments.size() == 6) {
                switch (method) {
                    case "GET" -> {
                        if ("media".equals(query.get("alt"))) {
                            record("media");
                            media(exchange, bucketName, object, query);
                        } else {
                            record("get");
                            StoredObject found = live(existingBucket(bucketName), object, query);
                            checkReadPreconditions(found, query);
                            sendJson(exchange, 200, resource(bucketName, found));
                        }
                        return;
                    }
                    case "DELETE" -> {
                        record("delete");
                        Bucket bucket = existingBucket(bucketName);
                        synchronized (bucket) {
                            StoredObject found = live(bucket, object, query);
                            checkPreconditions(found, query, "");
                            bucket.objects.remove(object);
                        }
                        drain(exchange);
                        exchange.sendResponseHeaders(204, -1);
                        return;
                    }
                    default -> throw new Failure(405, "methodNotAllowed", method + " is not supported here");
                }
            }
            if (segments.size() == 7 && segments.get(6).equals("compose") && method.equals("POST")) {
                record("compose");
                compose(exchange, existingBucket(bucketName), object, query);
                return;
            }
            if (segments.size() == 11 && segments.get(6).equals("rewriteTo") && method.equals("POST")) {
                record("rewrite");
                rewrite(exchange, bucketName, object, segments.get(8), segments.get(10), query);
                return;
            }
        }
        throw new Failure(404, "notFound", "Not Found: " + method + " " + exchange.getRequestURI().getRawPath());
    }

    private void authenticate(HttpExchange exchange) throws Failure {
        if (!credentialsRequired) {
            return;
        }
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            throw new Failure(401, "required", "Anonymous caller does not have storage.objects access.");
        }
        String token = authorization.substring("Bearer ".length()).trim();
        if (!tokens.contains(token) && verifiedJwtIssuer(token).isEmpty()) {
            throw new Failure(401, "authError", "Invalid Credentials");
        }
    }

    // ------------------------------------------------------------------ OAuth

    private void token(HttpExchange exchange) throws IOException, Failure {
        Map<String, String> form = query(new String(body(exchange), StandardCharsets.UTF_8));
        String assertion = form.get("assertion");
        if (!"urn:ietf:params:oauth:grant-type:jwt-bearer".equals(form.get("grant_type")) || assertion == null) {
            throw new Failure(400, "invalid_request", "unsupported grant");
        }
        if (verifiedJwtIssuer(assertion).isEmpty()) {
            ObjectNode error = JSON.createObjectNode();
            error.put("error", "invalid_grant");
            error.put("error_description", "Invalid JWT Signature.");
            sendJson(exchange, 400, error);
            return;
        }
        String token = "ya29.fake-" + UUID.randomUUID();
        tokens.add(token);
        ObjectNode json = JSON.createObjectNode();
        json.put("access_token", token);
        json.put("expires_in", 3599);
        json.put("token_type", "Bearer");
        sendJson(exchange, 200, json);
    }

    /** The issuer of an RS256 JWT signed by a trusted key and not expired. */
    private Optional<String> verifiedJwtIssuer(String jwt) {
        String[] parts = jwt.split("\\.");
        if (parts.length != 3) {
            return Optional.empty();
        }
        try {
            JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
            String issuer = claims.path("iss").asText();
            PublicKey key = trusted.get(issuer);
            if (key == null || claims.path("exp").asLong() < Instant.now().getEpochSecond()) {
                return Optional.empty();
            }
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initVerify(key);
            rsa.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            return rsa.verify(Base64.getUrlDecoder().decode(parts[2])) ? Optional.of(issuer) : Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------ uploads

    private void upload(HttpExchange exchange, String bucketName, Map<String, String> query) throws IOException, Failure {
        Bucket bucket = existingBucket(bucketName);
        String type = query.getOrDefault("uploadType", "");
        String method = exchange.getRequestMethod();
        if (type.equals("resumable") && query.containsKey("upload_id")) {
            record("resumable.put");
            if (method.equals("DELETE")) {
                drain(exchange);
                uploads.remove(query.get("upload_id"));
                exchange.sendResponseHeaders(499, -1);
                return;
            }
            resumableChunk(exchange, bucket, query.get("upload_id"));
            return;
        }
        if (!method.equals("POST")) {
            throw new Failure(405, "methodNotAllowed", method + " is not supported for uploads");
        }
        switch (type) {
            case "media" -> {
                record("upload.media");
                String name = query.get("name");
                if (name == null || name.isEmpty()) {
                    throw new Failure(400, "required", "Required parameter: name");
                }
                ObjectNode resource = JSON.createObjectNode();
                resource.put("name", name);
                String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
                if (contentType != null) {
                    resource.put("contentType", contentType);
                }
                store(exchange, bucket, resource, body(exchange), query, 1);
            }
            case "multipart" -> {
                record("upload.multipart");
                multipart(exchange, bucket, query);
            }
            case "resumable" -> {
                record("resumable.start");
                byte[] body = body(exchange);
                ObjectNode resource = body.length == 0 ? JSON.createObjectNode() : (ObjectNode) JSON.readTree(body);
                if (query.containsKey("name")) {
                    resource.put("name", query.get("name"));
                }
                if (!resource.path("name").isTextual() || resource.path("name").asText().isEmpty()) {
                    throw new Failure(400, "required", "Required parameter: name");
                }
                Map<String, String> preconditions = preconditionParams(query);
                // GCS checks the preconditions when the upload starts and again when it finishes
                checkPreconditions(bucket.objects.get(resource.path("name").asText()), preconditions, "");
                String id = "fake-" + UUID.randomUUID();
                uploads.put(id, new Upload(bucket.name, resource, preconditions));
                String host = exchange.getRequestHeaders().getFirst("Host");
                exchange.getResponseHeaders().set("Location", "http://" + host + "/upload/storage/v1/b/"
                        + encode(bucket.name) + "/o?uploadType=resumable&upload_id=" + id);
                exchange.getResponseHeaders().set("X-GUploader-UploadID", id);
                exchange.sendResponseHeaders(200, -1);
            }
            default -> throw new Failure(400, "invalidParameter", "Invalid upload type: " + type);
        }
    }

    private void multipart(HttpExchange exchange, Bucket bucket, Map<String, String> query) throws IOException, Failure {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        int at = contentType == null ? -1 : contentType.indexOf("boundary=");
        if (at < 0 || !contentType.startsWith("multipart/related")) {
            throw new Failure(400, "invalid", "multipart upload without multipart/related boundary");
        }
        String boundary = contentType.substring(at + "boundary=".length()).replace("\"", "").trim();
        List<byte[]> parts = new ArrayList<>();
        List<Map<String, String>> headers = new ArrayList<>();
        splitMultipart(body(exchange), boundary, parts, headers);
        if (parts.size() != 2) {
            throw new Failure(400, "invalid", "a multipart upload has exactly 2 parts, not " + parts.size());
        }
        ObjectNode resource = (ObjectNode) JSON.readTree(parts.get(0));
        if (query.containsKey("name")) {
            resource.put("name", query.get("name"));
        }
        if (!resource.has("contentType") && headers.get(1).containsKey("content-type")) {
            resource.put("contentType", headers.get(1).get("content-type"));
        }
        byte[] data = parts.get(1);
        verifyHashes(resource, data);
        store(exchange, bucket, resource, data, query, 1);
    }

    /** Rejects an upload whose declared hashes do not match its bytes, as GCS does. */
    private static void verifyHashes(JsonNode resource, byte[] data) throws Failure {
        if (resource.path("crc32c").isTextual() && !resource.path("crc32c").asText().equals(crc32c(data))) {
            throw new Failure(400, "invalid", "Provided CRC32C \"" + resource.path("crc32c").asText()
                    + "\" doesn't match calculated CRC32C \"" + crc32c(data) + "\".");
        }
        if (resource.path("md5Hash").isTextual() && !resource.path("md5Hash").asText().equals(md5(data))) {
            throw new Failure(400, "invalid", "Provided MD5 hash doesn't match calculated MD5 hash.");
        }
    }

    private static void splitMultipart(byte[] body, String boundary, List<byte[]> parts, List<Map<String, String>> headers)
            throws Failure {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
        int position = indexOf(body, delimiter, 0);
        if (position < 0) {
            throw new Failure(400, "invalid", "multipart body without its boundary");
        }
        while (true) {
            int start = position + delimiter.length;
            if (start + 1 < body.length && body[start] == '-' && body[start + 1] == '-') {
                return; // closing delimiter
            }
            start = skipLineBreak(body, start);
            Map<String, String> partHeaders = new LinkedHashMap<>();
            while (true) {
                int end = indexOf(body, new byte[]{'\r', '\n'}, start);
                if (end < 0) {
                    throw new Failure(400, "invalid", "truncated multipart headers");
                }
                String line = new String(body, start, end - start, StandardCharsets.UTF_8);
                start = end + 2;
                if (line.isEmpty()) {
                    break;
                }
                int colon = line.indexOf(':');
                if (colon > 0) {
                    partHeaders.put(line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
                            line.substring(colon + 1).trim());
                }
            }
            byte[] next = ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
            int end = indexOf(body, next, start);
            if (end < 0) {
                throw new Failure(400, "invalid", "truncated multipart body");
            }
            byte[] part = new byte[end - start];
            System.arraycopy(body, start, part, 0, part.length);
            parts.add(part);
            headers.add(partHeaders);
            position = end + 2;
        }
    }

    private static int skipLineBreak(byte[] body, int at) {
        if (at + 1 < body.length && body[at] == '\r' && body[at + 1] == '\n') {
            return at + 2;
        }
        return at;
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * One {@code PUT} of a resumable upload. {@code Content-Range: bytes a-b/*} adds a chunk (which
     * must be a multiple of 256 KiB), {@code bytes a-b/N} the last one, {@code bytes * /N} finishes
     * with what was sent, {@code bytes * / *} asks how much was persisted. Unfinished: {@code 308}
     * with {@code Range: bytes=0-last}; finished: {@code 200} and the object.
     */
    private void resumableChunk(HttpExchange exchange, Bucket bucket, String id) throws IOException, Failure {
        Upload upload = uploads.get(id);
        byte[] data = body(exchange);
        largestChunk.accumulateAndGet(data.length, Math::max);
        if (upload == null) {
            throw new Failure(404, "notFound", "No such upload session: " + id);
        }
        synchronized (upload) {
            if (upload.result != null) {
                sendJson(exchange, 200, resource(bucket.name, upload.result));
                return;
            }
            String range = exchange.getRequestHeaders().getFirst("Content-Range");
            if (range == null || !range.startsWith("bytes ")) {
                throw new Failure(400, "invalid", "resumable upload request without Content-Range");
            }
            String spec = range.substring("bytes ".length()).trim();
            int slash = spec.indexOf('/');
            String span = spec.substring(0, slash);
            String totalText = spec.substring(slash + 1);
            long total = totalText.equals("*") ? -1 : Long.parseLong(totalText);
            long persisted = upload.received.size();
            if (!span.equals("*")) {
                int dash = span.indexOf('-');
                long first = Long.parseLong(span.substring(0, dash));
                long last = Long.parseLong(span.substring(dash + 1));
                if (last - first + 1 != data.length) {
                    throw new Failure(400, "invalid", "Content-Range " + range + " does not match the " + data.length
                            + " bytes sent");
                }
                if (first > persisted) {
                    throw new Failure(400, "invalid", "chunk starts at " + first + " but only " + persisted
                            + " bytes were persisted");
                }
                if (total < 0 && data.length % CHUNK_GRANULARITY != 0) {
                    throw new Failure(400, "invalid", "a chunk that is not the last must be a multiple of 262144 bytes, not "
                            + data.length);
                }
                int skip = (int) (persisted - first); // a resent chunk: keep only what is new
                if (skip < data.length) {
                    upload.received.write(data, skip, data.length - skip);
                }
            } else if (data.length != 0) {
                throw new Failure(400, "invalid", "Content-Range " + range + " with a body");
            }
            persisted = upload.received.size();
            if (total >= 0) {
                if (total != persisted) {
                    throw new Failure(400, "invalid", "upload declared " + total + " bytes but " + persisted + " arrived");
                }
                verifyHashes(upload.resource, upload.received.toByteArray());
                Bucket target = existingBucket(upload.bucket);
                upload.result = put(target, upload.resource, upload.received.toByteArray(), upload.preconditions, 1);
                sendJson(exchange, 200, resource(target.name, upload.result));
                return;
            }
            if (persisted > 0) {
                exchange.getResponseHeaders().set("Range", "bytes=0-" + (persisted - 1));
            }
            exchange.getResponseHeaders().set("X-GUploader-UploadID", id);
            exchange.sendResponseHeaders(308, -1);
        }
    }

    private void store(HttpExchange exchange, Bucket bucket, ObjectNode resource, byte[] data, Map<String, String> query,
                       int components) throws IOException, Failure {
        if (!resource.path("name").isTextual() || resource.path("name").asText().isEmpty()) {
            throw new Failure(400, "required", "Required parameter: name");
        }
        StoredObject stored = put(bucket, resource, data, preconditionParams(query), components);
        sendJson(exchange, 200, resource(bucket.name, stored));
    }

    /** Replaces the live object atomically, if the preconditions hold against what is there now. */
    private StoredObject put(Bucket bucket, JsonNode resource, byte[] data, Map<String, String> preconditions,
                             int components) throws Failure {
        String name = resource.path("name").asText();
        Map<String, String> metadata = new LinkedHashMap<>();
        resource.path("metadata").fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
        String contentType = resource.path("contentType").asText("application/octet-stream");
        synchronized (bucket) {
            checkPreconditions(bucket.objects.get(name), preconditions, "");
            StoredObject stored = new StoredObject(name, data, generations.incrementAndGet(), 1, contentType,
                    Map.copyOf(metadata), components, Instant.now().truncatedTo(ChronoUnit.MILLIS));
            bucket.objects.put(name, stored);
            return stored;
        }
    }

    // ------------------------------------------------------------------ reads

    private void media(HttpExchange exchange, String bucketName, String name, Map<String, String> query)
            throws IOException, Failure {
        StoredObject object = live(existingBucket(bucketName), name, query);
        checkReadPreconditions(object, query);
        sendMedia(exchange, object);
    }

    private void sendMedia(HttpExchange exchange, StoredObject object) throws IOException, Failure {
        drain(exchange);
        byte[] data = object.data();
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", object.contentType());
        headers.set("ETag", "\"" + etag(object) + "\"");
        headers.set("x-goog-generation", Long.toString(object.generation()));
        headers.set("x-goog-metageneration", Long.toString(object.metageneration()));
        headers.set("x-goog-stored-content-length", Integer.toString(data.length));
        headers.set("x-goog-stored-content-encoding", "identity");
        headers.set("x-goog-storage-class", "STANDARD");
        headers.add("x-goog-hash", "crc32c=" + crc32c(data));
        if (object.componentCount() == 1) {
            headers.add("x-goog-hash", "md5=" + md5(data));
        }
        headers.set("Accept-Ranges", "bytes");
        String range = exchange.getRequestHeaders().getFirst("Range");
        long first = 0;
        long last = data.length - 1L;
        int status = 200;
        if (range != null && range.startsWith("bytes=")) {
            String spec = range.substring("bytes=".length()).trim();
            int dash = spec.indexOf('-');
            if (dash < 0 || spec.contains(",")) {
                throw new Failure(400, "invalid", "unsupported Range " + range);
            }
            if (dash == 0) {
                long suffix = Long.parseLong(spec.substring(1));
                first = Math.max(0, data.length - suffix);
            } else {
                first = Long.parseLong(spec.substring(0, dash));
                if (dash < spec.length() - 1) {
                    last = Math.min(last, Long.parseLong(spec.substring(dash + 1)));
                }
            }
            if (first >= data.length) {
                headers.set("Content-Range", "bytes */" + data.length);
                throw new Failure(416, "requestedRangeNotSatisfiable", "The requested range cannot be satisfied.");
            }
            status = 206;
            headers.set("Content-Range", "bytes " + first + "-" + last + "/" + data.length);
        }
        long length = last - first + 1;
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : length == 0 ? -1 : length);
        if (!head && length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(data, (int) first, (int) length);
            }
        }
    }

    private StoredObject live(Bucket bucket, String name, Map<String, String> query) throws Failure {
        StoredObject object = bucket.objects.get(name);
        if (object == null || query.containsKey("generation")
                && Long.parseLong(query.get("generation")) != object.generation()) {
            throw new Failure(404, "notFound", "No such object: " + bucket.name + "/" + name);
        }
        return object;
    }

    private Bucket existingBucket(String name) throws Failure {
        Bucket bucket = buckets.get(name);
        if (bucket == null) {
            throw new Failure(404, "notFound", "The specified bucket does not exist.");
        }
        return bucket;
    }

    // ------------------------------------------------------------------ list

    private void list(HttpExchange exchange, Bucket bucket, Map<String, String> query) throws IOException, Failure {
        drain(exchange);
        String prefix = query.getOrDefault("prefix", "");
        String delimiter = query.get("delimiter");
        int max = MAX_PAGE;
        if (query.containsKey("maxResults")) {
            max = (int) Math.min(MAX_PAGE, Long.parseLong(query.get("maxResults")));
            if (max <= 0) {
                throw new Failure(400, "invalid", "Invalid value for maxResults");
            }
        }
        String from = prefix;
        if (query.containsKey("pageToken")) {
            try {
                from = new String(Base64.getUrlDecoder().decode(query.get("pageToken")), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new Failure(400, "invalid", "Invalid pageToken");
            }
        }
        ArrayNode items = JSON.createArrayNode();
        ArrayNode prefixes = JSON.createArrayNode();
        ObjectNode page = listPage(bucket, bucket.objects.ceilingKey(from), prefix, delimiter, max, items, prefixes);
        finishList(exchange, page, items, prefixes);
    }

    /**
     * One page from {@code from} on: objects, and the common prefixes of the names that hold the
     * delimiter after the prefix, both counting against {@code max}; the page token names where the
     * next page starts.
     */
    private ObjectNode listPage(Bucket bucket, String from, String prefix, String delimiter, int max,
                                ArrayNode items, ArrayNode prefixes) {
        String cursor = from;
        int emitted = 0;
        ObjectNode page = JSON.createObjectNode();
        while (cursor != null) {
            String name = cursor;
            if (!name.startsWith(prefix)) {
                break;
            }
            if (emitted == max) {
                page.put("nextPageToken", Base64.getUrlEncoder().withoutPadding()
                        .encodeToString(name.getBytes(StandardCharsets.UTF_8)));
                break;
            }
            int cut = delimiter == null || delimiter.isEmpty() ? -1 : name.indexOf(delimiter, prefix.length());
            if (cut >= 0) {
                String common = name.substring(0, cut + delimiter.length());
                prefixes.add(common);
                emitted++;
                String after = common.substring(0, common.length() - 1) + (char) (common.charAt(common.length() - 1) + 1);
                cursor = bucket.objects.ceilingKey(after);
            } else {
                items.add(resource(bucket.name, bucket.objects.get(name)));
                emitted++;
                cursor = bucket.objects.higherKey(name);
            }
        }
        return page;
    }

    private static void finishList(HttpExchange exchange, ObjectNode page, ArrayNode items, ArrayNode prefixes)
            throws IOException {
        page.put("kind", "storage#objects");
        if (!items.isEmpty()) {
            page.set("items", items);
        }
        if (!prefixes.isEmpty()) {
            page.set("prefixes", prefixes);
        }
        sendJson(exchange, 200, page);
    }

    // ------------------------------------------------------------------ compose and rewrite

    private void compose(HttpExchange exchange, Bucket bucket, String destination, Map<String, String> query)
            throws IOException, Failure {
        JsonNode request = JSON.readTree(body(exchange));
        JsonNode sources = request.path("sourceObjects");
        if (!sources.isArray() || sources.isEmpty() || sources.size() > 32) {
            throw new Failure(400, "invalid", "The number of source components provided (" + sources.size()
                    + ") must be between 1 and 32.");
        }
        ObjectNode resource = request.path("destination").isObject()
                ? ((ObjectNode) request.path("destination")).deepCopy() : JSON.createObjectNode();
        resource.put("name", destination);
        synchronized (bucket) {
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            int components = 0;
            for (JsonNode source : sources) {
                Map<String, String> select = new LinkedHashMap<>();
                if (source.has("generation")) {
                    select.put("generation", source.path("generation").asText());
                }
                StoredObject part = live(bucket, source.path("name").asText(), select);
                JsonNode conditions = source.path("objectPreconditions");
                if (conditions.has("ifGenerationMatch")
                        && conditions.path("ifGenerationMatch").asLong() != part.generation()) {
                    throw new Failure(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
                }
                data.writeBytes(part.data());
                components += part.componentCount();
            }
            StoredObject stored = put(bucket, resource, data.toByteArray(), preconditionParams(query), components);
            sendJson(exchange, 200, resource(bucket.name, stored));
        }
    }

    /**
     * {@code rewriteTo}: copies server-side. Objects larger than {@link #REWRITE_BYTES_PER_CALL}
     * take several calls: each answers {@code done: false} with a {@code rewriteToken} to continue.
     */
    private void rewrite(HttpExchange exchange, String sourceBucket, String sourceName, String destinationBucket,
                         String destinationName, Map<String, String> query) throws IOException, Failure {
        byte[] body = body(exchange);
        Rewrite state;
        String token = query.get("rewriteToken");
        if (token != null) {
            state = rewrites.remove(token);
            if (state == null) {
                throw new Failure(400, "invalid", "Invalid rewrite token.");
            }
        } else {
            Bucket bucket = existingBucket(sourceBucket);
            Map<String, String> select = new LinkedHashMap<>();
            if (query.containsKey("sourceGeneration")) {
                select.put("generation", query.get("sourceGeneration"));
            }
            StoredObject source = live(bucket, sourceName, select);
            checkPreconditions(source, query, "Source");
            existingBucket(destinationBucket);
            ObjectNode resource = body.length == 0 ? JSON.createObjectNode() : (ObjectNode) JSON.readTree(body);
            if (!resource.has("contentType")) {
                resource.put("contentType", source.contentType());
            }
            if (!resource.has("metadata") && !source.metadata().isEmpty()) {
                ObjectNode metadata = resource.putObject("metadata");
                source.metadata().forEach(metadata::put);
            }
            resource.put("name", destinationName);
            state = new Rewrite(sourceBucket, source, destinationBucket, destinationName, resource, 0);
        }
        long limit = REWRITE_BYTES_PER_CALL;
        if (query.containsKey("maxBytesRewrittenPerCall")) {
            limit = Math.max(REWRITE_BYTES_PER_CALL, Long.parseLong(query.get("maxBytesRewrittenPerCall")));
        }
        long size = state.source().data().length;
        long done = Math.min(size, state.done() + limit);
        ObjectNode response = JSON.createObjectNode();
        response.put("kind", "storage#rewriteResponse");
        response.put("totalBytesRewritten", Long.toString(done));
        response.put("objectSize", Long.toString(size));
        if (done < size) {
            String next = "rw-" + UUID.randomUUID();
            rewrites.put(next, new Rewrite(state.sourceBucket(), state.source(), state.destinationBucket(),
                    state.destination(), state.resource(), done));
            response.put("done", false);
            response.put("rewriteToken", next);
            sendJson(exchange, 200, response);
            return;
        }
        Bucket target = existingBucket(state.destinationBucket());
        StoredObject stored = put(target, state.resource(), state.source().data(), preconditionParams(query),
                state.source().componentCount());
        response.put("done", true);
        response.set("resource", resource(target.name, stored));
        sendJson(exchange, 200, response);
    }

    // ------------------------------------------------------------------ preconditions

    private static Map<String, String> preconditionParams(Map<String, String> query) {
        Map<String, String> conditions = new LinkedHashMap<>();
        for (String name : List.of("ifGenerationMatch", "ifGenerationNotMatch", "ifMetagenerationMatch",
                "ifMetagenerationNotMatch")) {
            if (query.containsKey(name)) {
                conditions.put(name, query.get(name));
            }
        }
        return conditions;
    }

    /** As {@link #checkPreconditions}, but a read of a generation the caller already has is {@code 304}. */
    private static void checkReadPreconditions(StoredObject object, Map<String, String> query) throws Failure {
        String notMatch = query.get("ifGenerationNotMatch");
        if (notMatch != null && Long.parseLong(notMatch) == object.generation()) {
            throw new Failure(304, "notModified", "Not Modified");
        }
        checkPreconditions(object, query, "");
    }

    /**
     * Checks {@code if[Source]GenerationMatch} and friends against the live object ({@code null} when
     * there is none: generation 0 then matches only {@code ifGenerationMatch=0}).
     */
    private static void checkPreconditions(StoredObject object, Map<String, String> query, String infix) throws Failure {
        long generation = object == null ? 0 : object.generation();
        long metageneration = object == null ? 0 : object.metageneration();
        String match = query.get("if" + infix + "GenerationMatch");
        String notMatch = query.get("if" + infix + "GenerationNotMatch");
        String metaMatch = query.get("if" + infix + "MetagenerationMatch");
        String metaNotMatch = query.get("if" + infix + "MetagenerationNotMatch");
        boolean holds = (match == null || Long.parseLong(match) == generation)
                && (notMatch == null || Long.parseLong(notMatch) != generation)
                && (metaMatch == null || object != null && Long.parseLong(metaMatch) == metageneration)
                && (metaNotMatch == null || object == null || Long.parseLong(metaNotMatch) != metageneration);
        if (!holds) {
            throw new Failure(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
        }
    }

    // ------------------------------------------------------------------ signed URLs (XML API)

    /** {@code GET /bucket/object?X-Goog-Signature=...}: a V4 signed URL, verified before serving. */
    private void signedDownload(HttpExchange exchange, List<String> segments, Map<String, String> query)
            throws IOException, Failure {
        if (segments.size() < 2) {
            throw new Failure(400, "invalid", "a signed URL names a bucket and an object");
        }
        String algorithm = query.get("X-Goog-Algorithm");
        String credential = query.get("X-Goog-Credential");
        String date = query.get("X-Goog-Date");
        String expires = query.get("X-Goog-Expires");
        String signedHeaders = query.get("X-Goog-SignedHeaders");
        if (!"GOOG4-RSA-SHA256".equals(algorithm) || credential == null || date == null || expires == null
                || signedHeaders == null) {
            xmlError(exchange, 400, "AuthorizationQueryParametersError", "Missing or unsupported X-Goog-* parameters.");
            return;
        }
        Instant signedAt = GOOG_DATE.parse(date, Instant::from);
        if (Instant.now().isAfter(signedAt.plusSeconds(Long.parseLong(expires)))) {
            xmlError(exchange, 400, "ExpiredToken", "Invalid argument: the signed URL has expired.");
            return;
        }
        if (signedAt.isAfter(Instant.now().plusSeconds(60))) {
            xmlError(exchange, 400, "InvalidArgument", "Request is not yet valid.");
            return;
        }
        String email = credential.substring(0, credential.indexOf('/'));
        String scope = credential.substring(credential.indexOf('/') + 1);
        PublicKey key = trusted.get(email);
        // The canonical request, from the URL exactly as the client sent it.
        List<String> pairs = new ArrayList<>();
        for (String pair : exchange.getRequestURI().getRawQuery().split("&")) {
            if (!pair.startsWith("X-Goog-Signature=")) {
                pairs.add(pair);
            }
        }
        pairs.sort((a, b) -> a.substring(0, a.indexOf('=') < 0 ? a.length() : a.indexOf('='))
                .compareTo(b.substring(0, b.indexOf('=') < 0 ? b.length() : b.indexOf('='))));
        StringBuilder canonicalHeaders = new StringBuilder();
        for (String header : signedHeaders.split(";")) {
            String value = exchange.getRequestHeaders().getFirst(header);
            canonicalHeaders.append(header).append(':').append(value == null ? "" : value.trim()).append('\n');
        }
        String canonicalRequest = exchange.getRequestMethod() + "\n"
                + exchange.getRequestURI().getRawPath() + "\n"
                + String.join("&", pairs) + "\n"
                + canonicalHeaders + "\n"
                + signedHeaders + "\n"
                + "UNSIGNED-PAYLOAD";
        String stringToSign = "GOOG4-RSA-SHA256\n" + date + "\n" + scope + "\n"
                + HexFormat.of().formatHex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
        boolean valid = false;
        if (key != null) {
            try {
                Signature rsa = Signature.getInstance("SHA256withRSA");
                rsa.initVerify(key);
                rsa.update(stringToSign.getBytes(StandardCharsets.UTF_8));
                valid = rsa.verify(HexFormat.of().parseHex(query.get("X-Goog-Signature")));
            } catch (Exception e) {
                valid = false;
            }
        }
        if (!valid) {
            record("signed-url.refused");
            xmlError(exchange, 403, "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided.");
            return;
        }
        if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
            xmlError(exchange, 405, "MethodNotAllowed", "only GET and HEAD are served here");
            return;
        }
        Bucket bucket = buckets.get(segments.get(0));
        StoredObject object = bucket == null ? null
                : bucket.objects.get(String.join("/", segments.subList(1, segments.size())));
        if (object == null) {
            xmlError(exchange, 404, "NoSuchKey", "The specified key does not exist.");
            return;
        }
        try {
            sendMedia(exchange, object);
        } catch (Failure f) {
            xmlError(exchange, f.status, "InvalidRange", f.getMessage());
        }
    }

    private static void xmlError(HttpExchange exchange, int status, String code, String message) throws IOException {
        drain(exchange);
        byte[] body = ("<?xml version='1.0' encoding='UTF-8'?><Error><Code>" + code + "</Code><Message>" + message
                + "</Message></Error>").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/xml; charset=UTF-8");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    // ------------------------------------------------------------------ JSON resources and helpers

    private ObjectNode resource(String bucket, StoredObject object) {
        ObjectNode json = JSON.createObjectNode();
        String id = bucket + "/" + object.name() + "/" + object.generation();
        json.put("kind", "storage#object");
        json.put("id", id);
        json.put("selfLink", endpoint() + "/storage/v1/b/" + encode(bucket) + "/o/" + encode(object.name()));
        json.put("mediaLink", endpoint() + "/download/storage/v1/b/" + encode(bucket) + "/o/" + encode(object.name())
                + "?generation=" + object.generation() + "&alt=media");
        json.put("name", object.name());
        json.put("bucket", bucket);
        json.put("generation", Long.toString(object.generation()));
        json.put("metageneration", Long.toString(object.metageneration()));
        json.put("contentType", object.contentType());
        json.put("storageClass", "STANDARD");
        json.put("size", Integer.toString(object.data().length));
        if (object.componentCount() == 1) {
            json.put("md5Hash", md5(object.data()));
        } else {
            json.put("componentCount", object.componentCount());
        }
        json.put("crc32c", crc32c(object.data()));
        json.put("etag", etag(object));
        json.put("timeCreated", RFC3339.format(object.created()));
        json.put("updated", RFC3339.format(object.created()));
        json.put("timeStorageClassUpdated", RFC3339.format(object.created()));
        if (!object.metadata().isEmpty()) {
            ObjectNode metadata = json.putObject("metadata");
            object.metadata().forEach(metadata::put);
        }
        return json;
    }

    private static String etag(StoredObject object) {
        return Base64.getEncoder().encodeToString(Long.toString(object.generation()).getBytes(StandardCharsets.US_ASCII));
    }

    private static String crc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        long value = crc.getValue();
        byte[] bigEndian = {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
        return Base64.getEncoder().encodeToString(bigEndian);
    }

    private static String md5(byte[] data) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sendJson(HttpExchange exchange, int status, JsonNode json) throws IOException {
        byte[] body = JSON.writeValueAsBytes(json);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    /** The request body, un-gzipped when the client compressed it (the JSON API client does by default). */
    private static byte[] body(HttpExchange exchange) throws IOException {
        InputStream in = exchange.getRequestBody();
        if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
            in = new GZIPInputStream(in);
        }
        return in.readAllBytes();
    }

    private static void drain(HttpExchange exchange) throws IOException {
        exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
    }

    /** Path segments, each percent-decoded: object names arrive with their '/' encoded as %2F. */
    private static List<String> segments(String rawPath) {
        List<String> segments = new ArrayList<>();
        for (String segment : rawPath.split("/")) {
            if (!segment.isEmpty()) {
                segments.add(decode(segment));
            }
        }
        return segments;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            query.put(name, value);
        }
        return query;
    }

    private static String decode(String text) {
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String encode(String text) {
        return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
