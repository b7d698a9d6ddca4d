package dev.registry.server.mirror;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.registry.config.ProxyRemoteConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One remote registry as the mirror talks to it: {@code /v2/} requests for an upstream
 * repository, authenticated the way the upstream asks (Basic, or the Docker token flow: a
 * {@code 401} with {@code WWW-Authenticate: Bearer realm,service,scope} is answered by getting a
 * token from the realm with the repository's credentials, then retrying; tokens are cached until
 * shortly before they expire), following redirects (a blob's often points at a CDN, which never
 * gets the credentials). Blocking: called from request worker threads only.
 *
 * <p>Also tracks whether the remote is reachable, logging once when it goes down and once when
 * it is back, never once per request.
 */
final class UpstreamRegistry {
    private static final Logger log = LoggerFactory.getLogger(UpstreamRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Until the response head arrives; a blob body then streams for as long as it takes. */
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(60);
    /** Closes small bodies that are still arriving at their deadline (see {@link #readBody}). */
    private static final ScheduledExecutorService BODY_DEADLINES = bodyDeadlines();
    private static final int MAX_REDIRECTS = 5;
    private static final Set<String> DOCKER_HUB_HOSTS = Set.of(
            "registry-1.docker.io", "registry.hub.docker.com", "index.docker.io", "docker.io");
    /** Tokens are dropped this long before they expire, so none expires on the way upstream. */
    private static final Duration TOKEN_MARGIN = Duration.ofSeconds(10);
    /** distribution's default when a token response has no {@code expires_in}. */
    private static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);

    /** One daemon thread; a deadline cancelled because its body arrived leaves the queue at once. */
    private static ScheduledExecutorService bodyDeadlines() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().daemon().name("mirror-body-deadlines").factory());
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    private final ProxyRemoteConfig config;
    private final Duration bodyTimeout;
    private final HttpClient client;
    private final UpstreamCredentials credentials;
    private final Clock clock;
    private final ConcurrentMap<String, Token> tokens = new ConcurrentHashMap<>();
    /** Whether the remote asked for Basic credentials: then they are sent at once, saving a round trip. */
    private volatile boolean basicScheme;
    private final AtomicBoolean down = new AtomicBoolean();

    private record Token(String value, Instant expires) {
    }

    /** A response of the upstream: status, headers and the body, which the caller must close. */
    record Response(int statusCode, java.net.http.HttpHeaders headers, InputStream body) implements AutoCloseable {
        Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        /** {@code Content-Length}, or -1 if the upstream did not send it. */
        long contentLength() {
            return headers.firstValueAsLong("Content-Length").orElse(-1);
        }

        @Override
        public void close() {
            try {
                body.close();
            } catch (IOException ignored) {
                // the connection is dropped instead of reused
            }
        }
    }

    /**
     * The upstream could not be reached, answered with a server error or limited the request
     * rate ({@code 429}): cached content is served instead.
     */
    static final class UnavailableException extends IOException {
        private final boolean rateLimited;

        UnavailableException(String message, Throwable cause, boolean rateLimited) {
            super(message, cause);
            this.rateLimited = rateLimited;
        }

        /** Whether the upstream answered {@code 429}, such as Docker Hub's pull rate limit. */
        boolean rateLimited() {
            return rateLimited;
        }
    }

    /** @param bodyTimeout how long a small body (manifest, token) may take once its response head arrived */
    UpstreamRegistry(ProxyRemoteConfig config, HttpClient client, Clock clock, Duration bodyTimeout) {
        this.config = config;
        this.bodyTimeout = bodyTimeout;
        this.client = client;
        this.clock = clock;
        this.credentials = new UpstreamCredentials(config.credentials());
    }

    ProxyRemoteConfig config() {
        return config;
    }

    String name() {
        return config.name();
    }

    /**
     * Reads the whole of a small body of {@code response} (a manifest, a token, a referrers
     * index), at most {@code limit} bytes, within the body timeout. The JDK's client times out
     * only until the response head: an upstream that goes quiet in the middle of a body would
     * otherwise hold this request, and every request waiting for the same look-up, for ever.
     *
     * @throws UnavailableException if the body fails or does not arrive in time (the remote then
     *                              counts as down, as for any failed request); the caller serves
     *                              what is cached
     */
    byte[] readBody(Response response, int limit) throws UnavailableException {
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> deadline = BODY_DEADLINES.schedule(() -> {
            expired.set(true);
            response.close();
        }, bodyTimeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            return response.body().readNBytes(limit);
        } catch (IOException e) {
            throw unavailable(new IOException(expired.get()
                    ? "its response body did not arrive within " + bodyTimeout.toMillis() + " ms"
                    : "its response body failed: " + e.getMessage(), e));
        } finally {
            deadline.cancel(false);
        }
    }

    /** Whether the remote is Docker Hub, by the host names Hub's registry answers on. */
    boolean isDockerHub() {
        String host = config.url().getHost();
        return host != null && DOCKER_HUB_HOSTS.contains(host.toLowerCase(Locale.ROOT));
    }

    /**
     * Sends {@code method} for {@code path} (such as {@code /manifests/latest}) of upstream
     * repository {@code repository}, with {@code accept} if not null. Any status is returned;
     * a failure to connect, a timeout or a 5xx status raise {@link UnavailableException}.
     */
    Response send(String method, String repository, String path, String accept) throws IOException {
        URI uri = URI.create(config.url() + "/v2/" + repository + path);
        try {
            Response response = sendAuthenticated(method, repository, uri, accept);
            if (response.statusCode() >= 500 || response.statusCode() == 429) {
                response.close();
                throw unavailable(new IOException("it answered " + method + " " + uri.getPath() + " with status "
                        + response.statusCode()), response.statusCode() == 429);
            }
            markUp();
            return response;
        } catch (UnavailableException e) {
            throw e;
        } catch (IOException e) {
            throw unavailable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for remote " + name(), e);
        }
    }

    private UnavailableException unavailable(IOException cause) {
        return unavailable(cause, false);
    }

    private UnavailableException unavailable(IOException cause, boolean rateLimited) {
        String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        if (down.compareAndSet(false, true)) {
            log.warn("proxy: remote {} ({}) is unavailable ({}): serving what is cached until it is back", name(),
                    config.url(), reason);
        }
        return new UnavailableException("remote " + name() + " is unavailable: " + reason, cause, rateLimited);
    }

    private void markUp() {
        if (down.compareAndSet(true, false)) {
            log.info("proxy: remote {} ({}) is reachable again", name(), config.url());
        }
    }

    /** Whether the last request to the remote found it unavailable. */
    boolean isDown() {
        return down.get();
    }

    private Response sendAuthenticated(String method, String repository, URI uri, String accept)
            throws IOException, InterruptedException {
        Optional<UpstreamCredentials.Credentials> creds = credentials.forRepository(repository);
        String scope = "repository:" + repository + ":pull";
        String authorization = cachedAuthorization(creds, scope);
        Response response = follow(method, uri, accept, authorization);
        if (response.statusCode() != 401) {
            return response;
        }
        Optional<BearerChallenge> challenge = BearerChallenge.parse(response.header("WWW-Authenticate").orElse(null));
        if (challenge.isEmpty()) {
            return response;
        }
        if (challenge.get().isBearer()) {
            String challengeScope = challenge.get().parameters().getOrDefault("scope", scope);
            Optional<Token> token;
            try {
                token = fetchToken(challenge.get(), challengeScope.isEmpty() ? scope : challengeScope, creds);
            } catch (IOException | InterruptedException | RuntimeException e) {
                response.close();
                throw e;
            }
            if (token.isEmpty()) {
                return response;
            }
            tokens.put(tokenKey(creds, scope), token.get());
            response.close();
            return follow(method, uri, accept, "Bearer " + token.get().value());
        }
        if (creds.isEmpty() || authorization != null) {
            return response;
        }
        basicScheme = true;
        response.close();
        return follow(method, uri, accept, basic(creds.get()));
    }

    private String cachedAuthorization(Optional<UpstreamCredentials.Credentials> creds, String scope) {
        Token token = tokens.get(tokenKey(creds, scope));
        if (token != null) {
            if (clock.instant().isBefore(token.expires())) {
                return "Bearer " + token.value();
            }
            tokens.remove(tokenKey(creds, scope), token);
        }
        return basicScheme && creds.isPresent() ? basic(creds.get()) : null;
    }

    private static String tokenKey(Optional<UpstreamCredentials.Credentials> creds, String scope) {
        // the password is part of the key so that a rotated password file gets a new token
        return creds.map(c -> c.username() + "\u0000" + Objects.hashCode(c.password())).orElse("") + "\u0000" + scope;
    }

    private static String basic(UpstreamCredentials.Credentials creds) {
        return "Basic " + Base64.getEncoder().encodeToString((creds.username() + ":" + creds.password())
                .getBytes(StandardCharsets.UTF_8));
    }

    /** The token flow: {@code GET realm?service=...&scope=...}, with Basic credentials if there are any. */
    private Optional<Token> fetchToken(BearerChallenge challenge, String scope, Optional<UpstreamCredentials.Credentials> creds)
            throws IOException, InterruptedException {
        String realm = challenge.realm();
        if (realm == null || realm.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder query = new StringBuilder();
        String service = challenge.parameters().get("service");
        if (service != null) {
            query.append("service=").append(URLEncoder.encode(service, StandardCharsets.UTF_8));
        }
        for (String single : scope.split(" ")) {
            if (!single.isEmpty()) {
                query.append(query.isEmpty() ? "" : "&").append("scope=").append(URLEncoder.encode(single, StandardCharsets.UTF_8));
            }
        }
        URI uri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IOException("remote " + name() + " named the token realm " + realm + ", which is not an http(s) URL");
        }
        try (Response response = follow("GET", uri, "application/json", creds.map(UpstreamRegistry::basic).orElse(null))) {
            if (response.statusCode() != 200) {
                log.debug("proxy: remote {}: token realm {} answered {}{}", name(), realm, response.statusCode(),
                        creds.isPresent() ? " for user " + creds.get().username() : " (anonymous)");
                return Optional.empty();
            }
            JsonNode json = JSON.readTree(readBody(response, 1024 * 1024));
            String token = json.path("token").asText(json.path("access_token").asText(""));
            if (token.isEmpty()) {
                return Optional.empty();
            }
            Duration lifetime = json.path("expires_in").canConvertToLong() && json.path("expires_in").asLong() > 0
                    ? Duration.ofSeconds(json.path("expires_in").asLong()) : DEFAULT_TOKEN_LIFETIME;
            Duration usable = lifetime.compareTo(TOKEN_MARGIN.multipliedBy(2)) > 0 ? lifetime.minus(TOKEN_MARGIN) : lifetime.dividedBy(2);
            return Optional.of(new Token(token, clock.instant().plus(usable)));
        }
    }

    /**
     * Sends the request and follows redirects; {@code authorization} is sent only to the
     * upstream's own scheme, host and port, never to where a redirect points elsewhere.
     */
    private Response follow(String method, URI uri, String accept, String authorization)
            throws IOException, InterruptedException {
        URI target = uri;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(target)
                    .timeout(RESPONSE_TIMEOUT)
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .header("User-Agent", "oci-registry-mirror");
            if (accept != null) {
                request.header("Accept", accept);
            }
            if (authorization != null && sameOrigin(uri, target)) {
                request.header("Authorization", authorization);
            }
            HttpResponse<InputStream> response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            Optional<String> location = response.headers().firstValue("Location");
            if ((status == 301 || status == 302 || status == 303 || status == 307 || status == 308) && location.isPresent()) {
                response.body().close();
                if (hop >= MAX_REDIRECTS) {
                    throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + uri);
                }
                target = target.resolve(location.get());
                if (status == 303) {
                    method = "GET";
                }
                continue;
            }
            return new Response(status, response.headers(), response.body());
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
    }
}
