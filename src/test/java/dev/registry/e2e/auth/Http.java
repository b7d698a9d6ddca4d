package dev.registry.e2e.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;

/**
 * A minimal HTTP/1.1 client for the registry API and the token endpoint. Connections may be bound
 * to another loopback address ({@code 127.x.y.z}), because the registry counts failed logins per
 * client address: requests that are meant to fail a login come from addresses of their own so that
 * they never block the rest of a test.
 */
final class Http implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final HttpClient client;

    Http(String baseUrl, SSLContext ssl, String localAddress) throws IOException {
        this.baseUrl = baseUrl;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER);
        if (ssl != null) {
            builder.sslContext(ssl);
        }
        if (localAddress != null) {
            builder.localAddress(InetAddress.getByName(localAddress));
        }
        this.client = builder.build();
    }

    /** One answer. */
    record Response(String method, URI uri, int status, HttpHeaders headers, byte[] body) {
        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + this, e);
            }
        }

        /** The first distribution error code of the body, or {@code null}. */
        String errorCode() {
            if (body.length == 0) {
                return null;
            }
            JsonNode code = json().path("errors").path(0).path("code");
            return code.isMissingNode() ? null : code.asText();
        }

        @Override
        public String toString() {
            String shown = text();
            return method + " " + uri + " -> " + status + " " + headers.map().entrySet().stream()
                    .filter(e -> !e.getKey().equals(":status"))
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", ", "{", "}"))
                    + " " + (shown.length() > 600 ? shown.substring(0, 600) + "..." : shown);
        }
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static String bearer(String token) {
        return "Bearer " + token;
    }

    /** An absolute URI for a path ({@code /v2/...}) or for an absolute or relative {@code Location}. */
    URI uri(String pathOrUrl) {
        return URI.create(baseUrl + "/").resolve(pathOrUrl);
    }

    static String query(String name, String value) {
        return name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /**
     * Sends a request; {@code authorization} may be {@code null}; {@code headers} are name, value
     * pairs; {@code body} {@code null} sends none.
     */
    Response send(String method, String pathOrUrl, String authorization, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(pathOrUrl))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        HttpRequest request = builder.build();
        HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        return new Response(method, request.uri(), response.statusCode(), response.headers(), response.body());
    }

    Response get(String pathOrUrl, String authorization, String... headers) throws IOException, InterruptedException {
        return send("GET", pathOrUrl, authorization, null, headers);
    }

    Response head(String pathOrUrl, String authorization) throws IOException, InterruptedException {
        return send("HEAD", pathOrUrl, authorization, null);
    }

    /** {@code POST} of an {@code application/x-www-form-urlencoded} form. */
    Response postForm(String pathOrUrl, Map<String, String> form) throws IOException, InterruptedException {
        String body = form.entrySet().stream().map(e -> query(e.getKey(), e.getValue()))
                .collect(Collectors.joining("&"));
        return send("POST", pathOrUrl, null, body.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-www-form-urlencoded");
    }

    /** {@code GET /auth/token?service=registry.local&scope=...} with the given Authorization (or none). */
    Response token(String authorization, List<String> scopes, String... extraQuery)
            throws IOException, InterruptedException {
        StringBuilder path = new StringBuilder("/auth/token?").append(query("service", AuthRegistry.SERVICE))
                .append('&').append(query("client_id", "e2e-auth"));
        for (String scope : scopes) {
            path.append('&').append(query("scope", scope));
        }
        for (String extra : extraQuery) {
            path.append('&').append(extra);
        }
        return get(path.toString(), authorization);
    }

    @Override
    public void close() {
        client.close();
    }
}
