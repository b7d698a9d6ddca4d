package dev.registry.e2e.auth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A token server at {@code http://127.0.0.1:PORT/jwt/auth} that answers the way GitLab's does:
 * {@code GET} with HTTP Basic credentials and {@code service}/{@code scope} query parameters, a JSON
 * answer {@code {"token": ...}} (and {@code access_token}), the token an RS256 JWT whose header names
 * the signing key only by its libtrust {@code kid} (no {@code x5c}), with {@code iss}, {@code sub},
 * {@code aud}, {@code iat}, {@code nbf}, {@code exp}, {@code jti} and an {@code access} claim holding
 * the intersection of what was asked for and what {@link #rules} allow. Wrong credentials answer
 * 401; no credentials get a token that grants nothing.
 *
 * <p>Signing and the key ID are written here with {@link Signature} and {@link MessageDigest},
 * independent of the registry's own code, so the test checks the registry against the
 * specification rather than against itself.
 */
final class GitlabTokenServer implements AutoCloseable {
    static final String PATH = "/jwt/auth";
    static final long LIFETIME_SECONDS = 300;
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final String BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /** One request the server answered. */
    record Request(String method, String user, boolean authenticated, String service, List<String> scopes,
                   Map<String, List<String>> query, int status, String token) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrivateKey key;
    private final String kid;
    private final String issuer;
    private final String service;
    private final Map<String, String> passwords;
    /** user -> repository -> actions it may be granted. */
    private final Map<String, Map<String, Set<String>>> rules;
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    private GitlabTokenServer(PrivateKey key, PublicKey publicKey, String issuer, String service,
                              Map<String, String> passwords, Map<String, Map<String, Set<String>>> rules)
            throws IOException {
        this.key = key;
        this.kid = libtrustKeyId(publicKey);
        this.issuer = issuer;
        this.service = service;
        this.passwords = Map.copyOf(passwords);
        this.rules = Map.copyOf(rules);
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        this.executor = Executors.newFixedThreadPool(4,
                Thread.ofPlatform().daemon().name("gitlab-token-", 0).factory());
        server.setExecutor(executor);
        server.createContext(PATH, this::handle);
    }

    static GitlabTokenServer start(PrivateKey key, PublicKey publicKey, String issuer, String service,
                                   Map<String, String> passwords, Map<String, Map<String, Set<String>>> rules)
            throws IOException {
        GitlabTokenServer tokenServer = new GitlabTokenServer(key, publicKey, issuer, service, passwords, rules);
        tokenServer.server.start();
        return tokenServer;
    }

    /** {@code http://127.0.0.1:PORT/jwt/auth}. */
    String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + PATH;
    }

    String kid() {
        return kid;
    }

    /** Every request answered so far, oldest first. */
    List<Request> requests() {
        return List.copyOf(requests);
    }

    // ---- the endpoint -----------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, List<String>> query = query(exchange.getRequestURI().getRawQuery());
            List<String> scopes = new ArrayList<>();
            query.getOrDefault("scope", List.of()).forEach(scope -> scopes.addAll(
                    Arrays.stream(scope.split(" ")).filter(s -> !s.isEmpty()).toList()));
            String requestedService = query.getOrDefault("service", List.of("")).get(0);
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            Login login = authorization == null ? null : authenticate(authorization);
            int status;
            String token = null;
            ObjectNode body = Http.JSON.createObjectNode();
            if (!exchange.getRequestMethod().equals("GET")) {
                status = 405;
                error(body, "UNSUPPORTED", "only GET is supported");
            } else if (login != null && !login.ok()) {
                status = 401;
                error(body, "UNAUTHORIZED", "HTTP Basic: Access denied");
            } else if (!service.equals(requestedService)) {
                status = 400;
                error(body, "INVALID_REQUEST", "unknown service '" + requestedService + "'");
            } else {
                status = 200;
                String subject = login == null ? null : login.user();
                long now = Instant.now().getEpochSecond();
                try {
                    token = sign(header("RS256", kid), claims(subject, service, now, now - 5, now + LIFETIME_SECONDS,
                            grants(subject, scopes)), key, "SHA256withRSA");
                } catch (GeneralSecurityException e) {
                    throw new IOException("cannot sign a token", e);
                }
                body.put("token", token);
                body.put("access_token", token);
                body.put("expires_in", LIFETIME_SECONDS);
                body.put("issued_at", Instant.ofEpochSecond(now).toString());
            }
            if (status == 401) {
                exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"GitLab\"");
            }
            requests.add(new Request(exchange.getRequestMethod(), login == null ? null : login.user(),
                    login != null && login.ok(), requestedService, List.copyOf(scopes), query, status, token));
            byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** What a Basic header said: the user name it carried (null if none) and whether the password was right. */
    private record Login(String user, boolean ok) {
    }

    private Login authenticate(String authorization) {
        if (!authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return new Login(null, false);
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return new Login(null, false);
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return new Login(null, false);
        }
        String user = decoded.substring(0, colon);
        String expected = passwords.get(user);
        boolean ok = expected != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8));
        return new Login(user, ok);
    }

    /** The intersection of the requested scopes and the user's rules, merged per repository. */
    private ArrayNode grants(String user, List<String> scopes) {
        Map<String, Set<String>> granted = new LinkedHashMap<>();
        Map<String, Set<String>> allowed = user == null ? Map.of() : rules.getOrDefault(user, Map.of());
        for (String scope : scopes) {
            int first = scope.indexOf(':');
            int last = scope.lastIndexOf(':');
            if (first < 0 || last == first) {
                continue;
            }
            String type = scope.substring(0, first).replaceFirst("\\(.*\\)$", "");
            String name = scope.substring(first + 1, last);
            if (!type.equals("repository")) {
                continue;
            }
            Set<String> may = allowed.getOrDefault(name, Set.of());
            for (String action : scope.substring(last + 1).split(",")) {
                if (action.equals("*")) {
                    may.forEach(a -> granted.computeIfAbsent(name, n -> new LinkedHashSet<>()).add(a));
                } else if (may.contains(action)) {
                    granted.computeIfAbsent(name, n -> new LinkedHashSet<>()).add(action);
                }
            }
        }
        return access(granted);
    }

    private static void error(ObjectNode body, String code, String message) {
        body.putArray("errors").addObject().put("code", code).put("message", message);
    }

    private static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int equals = pair.indexOf('=');
            String name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
            String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            query.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
        }
        return query;
    }

    // ---- JWTs -------------------------------------------------------------------------------------

    /** {@code {"alg": alg, "typ": "JWT", "kid": kid}}, GitLab's header ({@code kid} left out when null). */
    static ObjectNode header(String alg, String kid) {
        ObjectNode header = Http.JSON.createObjectNode();
        header.put("alg", alg);
        header.put("typ", "JWT");
        if (kid != null) {
            header.put("kid", kid);
        }
        return header;
    }

    /**
     * GitLab's claims: {@code iss}, {@code iat}, {@code nbf}, {@code exp}, {@code jti}, {@code aud},
     * {@code sub} (left out for anonymous callers) and {@code access}.
     */
    ObjectNode claims(String subject, String audience, long issuedAt, long notBefore, long expires, ArrayNode access) {
        ObjectNode claims = Http.JSON.createObjectNode();
        claims.put("iss", issuer);
        claims.put("iat", issuedAt);
        claims.put("nbf", notBefore);
        claims.put("exp", expires);
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("aud", audience);
        if (subject != null) {
            claims.put("sub", subject);
        }
        claims.set("access", access);
        return claims;
    }

    /** {@code [{"type": "repository", "name": ..., "actions": [...]}]}. */
    static ArrayNode access(Map<String, ? extends Iterable<String>> repositories) {
        ArrayNode access = Http.JSON.createArrayNode();
        repositories.forEach((name, actions) -> {
            ObjectNode entry = access.addObject().put("type", "repository").put("name", name);
            ArrayNode list = entry.putArray("actions");
            actions.forEach(list::add);
        });
        return access;
    }

    /** A genuine token of this issuer, signed with its key and named by its libtrust {@code kid}. */
    String token(String subject, Map<String, ? extends Iterable<String>> repositories) throws GeneralSecurityException {
        long now = Instant.now().getEpochSecond();
        return sign(header("RS256", kid), claims(subject, service, now, now - 5, now + LIFETIME_SECONDS,
                access(repositories)), key, "SHA256withRSA");
    }

    /** The compact JWS {@code base64url(header).base64url(claims).base64url(signature)}. */
    static String sign(ObjectNode header, ObjectNode claims, PrivateKey key, String jcaAlgorithm)
            throws GeneralSecurityException {
        String input = BASE64URL.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                + BASE64URL.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8));
        Signature signer = Signature.getInstance(jcaAlgorithm);
        signer.initSign(key);
        signer.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + BASE64URL.encodeToString(signer.sign());
    }

    /** An unsigned token ({@code alg: none}, empty signature). */
    static String unsigned(ObjectNode header, ObjectNode claims) {
        return BASE64URL.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8)) + "."
                + BASE64URL.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8)) + ".";
    }

    /**
     * docker/libtrust's key ID, as GitLab computes it: SHA-256 of the DER SubjectPublicKeyInfo, the
     * first 240 bits of it base32-encoded (RFC 4648, 48 characters, so no padding), in twelve groups
     * of four joined by {@code :}.
     */
    static String libtrustKeyId(PublicKey key) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        String encoded = base32(Arrays.copyOf(digest, 30));
        List<String> groups = new ArrayList<>();
        for (int i = 0; i < encoded.length(); i += 4) {
            groups.add(encoded.substring(i, i + 4));
        }
        return String.join(":", groups);
    }

    /** RFC 4648 base32 without padding. */
    static String base32(byte[] data) {
        StringBuilder out = new StringBuilder();
        long buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xFF);
            bits += 8;
            while (bits >= 5) {
                bits -= 5;
                out.append(BASE32.charAt((int) (buffer >> bits) & 31));
            }
            buffer &= (1L << bits) - 1;
        }
        if (bits > 0) {
            out.append(BASE32.charAt((int) (buffer << (5 - bits)) & 31));
        }
        return out.toString();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
