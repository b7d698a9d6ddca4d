package dev.registry.server.http;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import java.util.List;
import java.util.Locale;

/**
 * The HTTP/1.1 message rules (RFC 9112) that the Netty decoder leaves to the server: which
 * requests to refuse before routing, which connections to close after the answer, and how to
 * read an absolute-form request target.
 */
final class RequestFraming {
    private RequestFraming() {
    }

    /** The status for a request head the decoder could not parse: 414 for a long request line, 431 for long headers, else 400. */
    static HttpResponseStatus decoderFailureStatus(DecoderResult result) {
        Throwable cause = result.cause();
        if (cause instanceof TooLongHttpLineException) {
            return HttpResponseStatus.REQUEST_URI_TOO_LONG;
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        }
        return HttpResponseStatus.BAD_REQUEST;
    }

    /**
     * Why a decoded request head must be refused, or {@code null} when it may be served: a
     * version other than HTTP/1.x gets 505; an HTTP/1.1 request without exactly one
     * {@code Host}, or any request with two, gets 400 (RFC 9112 §3.2).
     */
    static HttpResponseStatus refusal(HttpRequest request) {
        HttpVersion version = request.protocolVersion();
        if (version.majorVersion() != 1 || !version.protocolName().equals("HTTP")) {
            return HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED;
        }
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (hosts.isEmpty() && version.minorVersion() >= 1)) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        return null;
    }

    /**
     * Whether the connection must close after the answer although the client asked to keep it:
     * a request with both {@code Content-Length} and {@code Transfer-Encoding} may be an attempt
     * to smuggle a second request past a proxy that framed it the other way (RFC 9112 §6.1).
     */
    static boolean ambiguousLength(HttpRequest request) {
        return request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)
                && request.headers().contains(HttpHeaderNames.CONTENT_LENGTH);
    }

    /**
     * The origin-form ({@code /path?query}) of a request target. An absolute-form target
     * ({@code http://host:5000/v2/}), which a server must accept (RFC 9112 §3.2.2), loses its
     * scheme and authority; anything else is returned as sent.
     */
    static String originForm(String target) {
        int authorityStart = authorityStart(target);
        if (authorityStart < 0) {
            return target;
        }
        int pathStart = authorityEnd(target, authorityStart);
        String rest = target.substring(pathStart);
        if (rest.isEmpty() || rest.charAt(0) != '/') {
            return "/" + rest;
        }
        return rest;
    }

    /** The authority ({@code host:port}) of an absolute-form target, or {@code null} for any other form. */
    static String authority(String target) {
        int authorityStart = authorityStart(target);
        if (authorityStart < 0) {
            return null;
        }
        return target.substring(authorityStart, authorityEnd(target, authorityStart));
    }

    private static int authorityStart(String target) {
        if (target.isEmpty() || target.charAt(0) == '/') {
            return -1;
        }
        String lower = target.length() > 8 ? target.substring(0, 8).toLowerCase(Locale.ROOT) : target.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://")) {
            return 7;
        }
        if (lower.startsWith("https://")) {
            return 8;
        }
        return -1;
    }

    private static int authorityEnd(String target, int from) {
        for (int i = from; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                return i;
            }
        }
        return target.length();
    }
}
