package dev.registry.server.api;

import dev.registry.server.http.ApiRequest;
import dev.registry.storage.UploadSession;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Builds the URLs the API hands out in {@code Location} and {@code Link} headers: relative when
 * {@code http.relativeurls} is set, based on {@code http.host} when configured, otherwise on the
 * scheme and host the client used (honouring {@code X-Forwarded-Proto}/{@code -Host} from a proxy).
 * With {@code http.secret} set, upload URLs carry registry:2's {@code _state} token ({@link UploadStateToken}).
 */
final class Locations {
    private final String configuredHost;
    private final boolean relative;
    private final String prefix;
    private final UploadStateToken uploadState;

    Locations(String configuredHost, boolean relative, String prefix) {
        this(configuredHost, relative, prefix, "");
    }

    /** @param secret {@code http.secret}; empty for upload URLs without registry:2's {@code _state} */
    Locations(String configuredHost, boolean relative, String prefix, String secret) {
        this.configuredHost = configuredHost == null || configuredHost.isEmpty() ? null : stripSlash(configuredHost);
        this.relative = relative;
        this.prefix = prefix == null || prefix.isEmpty() ? "/" : prefix;
        this.uploadState = secret == null || secret.isEmpty() ? null : new UploadStateToken(secret);
    }

    /** Whether upload URLs carry registry:2's signed {@code _state} ({@code http.secret} is set). */
    boolean signsUploads() {
        return uploadState != null;
    }

    /** The URL of an upload in progress, as {@code Location} gives it after each step. */
    String upload(ApiRequest request, UploadSession session) {
        String url = url(request, "v2/" + session.repository() + "/blobs/uploads/" + session.uuid());
        if (uploadState == null) {
            return url;
        }
        String token = uploadState.pack(session.repository(), session.uuid(), session.offset(), session.startedAt());
        return url + "?_state=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
    }

    /** An API path such as {@code v2/name/blobs/uploads/uuid}, as a URL for {@code request}'s client. */
    String url(ApiRequest request, String apiPath) {
        String path = prefix + apiPath;
        if (relative) {
            return path;
        }
        if (configuredHost != null) {
            return configuredHost + path;
        }
        String host = firstValue(request.header("X-Forwarded-Host"));
        if (host == null) {
            host = request.header("Host");
        }
        if (host == null || host.isEmpty()) {
            return path;
        }
        String scheme = firstValue(request.header("X-Forwarded-Proto"));
        if (scheme == null) {
            scheme = request.secure() ? "https" : "http";
        }
        return scheme + "://" + host + path;
    }

    /** A path-only URL, as {@code Link} headers carry. */
    String path(String apiPath) {
        return prefix + apiPath;
    }

    private static String firstValue(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        int comma = header.indexOf(',');
        return (comma >= 0 ? header.substring(0, comma) : header).trim();
    }

    private static String stripSlash(String host) {
        return host.endsWith("/") ? host.substring(0, host.length() - 1) : host;
    }
}
