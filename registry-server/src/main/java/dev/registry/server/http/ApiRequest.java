package dev.registry.server.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One API request as the endpoints see it: method, route, query, headers and (for endpoints
 * that take one) the streaming body.
 */
public final class ApiRequest {
    private final HttpMethod method;
    private final String uri;
    private final Route route;
    private final Map<String, List<String>> query;
    private final HttpHeaders headers;
    private final RequestBody body;
    private final boolean secure;
    private final boolean malformedQuery;
    private final String remoteAddress;
    private final String id = newId();
    private String user = "-";

    public ApiRequest(HttpMethod method, String uri, String path, HttpHeaders headers, RequestBody body, boolean secure,
                      String remoteAddress) {
        this.remoteAddress = remoteAddress;
        this.method = method;
        this.uri = uri;
        this.route = Route.parse(path);
        Map<String, List<String>> parameters;
        boolean malformed = false;
        try {
            parameters = new QueryStringDecoder(uri).parameters();
        } catch (IllegalArgumentException badEscape) {
            parameters = Map.of();
            malformed = true;
        }
        this.query = parameters;
        this.malformedQuery = malformed;
        this.headers = headers;
        this.body = body;
        this.secure = secure;
    }

    public HttpMethod method() {
        return method;
    }

    public String uri() {
        return uri;
    }

    public Route route() {
        return route;
    }

    /** The first value of query parameter {@code name}, or {@code null}. */
    public String query(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Whether the query string could not be decoded (a bad percent-escape). */
    public boolean malformedQuery() {
        return malformedQuery;
    }

    public boolean hasQuery(String name) {
        return query.containsKey(name);
    }

    public String header(CharSequence name) {
        return headers.get(name);
    }

    public HttpHeaders headers() {
        return headers;
    }

    /** The request body; only endpoints that accept one get a non-null body. */
    public RequestBody body() {
        return body;
    }

    /** The decoded query parameters. */
    public Map<String, List<String>> queryParameters() {
        return query;
    }

    /** The client's IP address, for failed-login limits and the access log. */
    public String remoteAddress() {
        return remoteAddress;
    }

    /** Whether the request came over TLS. */
    public boolean secure() {
        return secure;
    }

    public boolean isHead() {
        return HttpMethod.HEAD.equals(method);
    }

    /** A random id for this request (a UUID, as registry:2's {@code http.request.id}): the access log's {@code request_id} and notification events' {@code request.id}. */
    public String id() {
        return id;
    }

    /** Not a secret, so not from SecureRandom, which would serialise the event loops on its lock. */
    private static String newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return new UUID((random.nextLong() & ~0xF000L) | 0x4000L,
                (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L).toString();
    }

    /** Who made the request, for the access log. */
    public String user() {
        return user;
    }

    public void user(String user) {
        this.user = user;
    }
}
