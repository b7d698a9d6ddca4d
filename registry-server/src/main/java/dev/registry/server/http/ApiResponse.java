package dev.registry.server.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.ReadableByteChannel;

/**
 * What an endpoint answers: a status, headers, and either a small body in memory or a blob
 * stream of known length (sent zero-copy when it is a file and the connection is plain HTTP).
 */
public final class ApiResponse {
    private final HttpResponseStatus status;
    private final HttpHeaders headers = new DefaultHttpHeaders();
    private byte[] body = new byte[0];
    private ReadableByteChannel stream;
    private long streamLength;
    private long streamPosition;
    private boolean headersOnly;
    private URI relaySource;
    private BodyOpener relayFallback;

    /** Opens a body's channel, on a worker thread: it may block. */
    @FunctionalInterface
    public interface BodyOpener {
        ReadableByteChannel open() throws IOException;
    }

    private ApiResponse(HttpResponseStatus status) {
        this.status = status;
    }

    public static ApiResponse of(int status) {
        return new ApiResponse(HttpResponseStatus.valueOf(status));
    }

    public static ApiResponse of(HttpResponseStatus status) {
        return new ApiResponse(status);
    }

    public ApiResponse header(CharSequence name, Object value) {
        headers.set(name, value);
        return this;
    }

    public ApiResponse body(byte[] content, String contentType) {
        this.body = content;
        headers.set("Content-Type", contentType);
        return this;
    }

    /**
     * Streams {@code length} bytes of {@code channel}, which is positioned at {@code position}
     * (for a file channel, transfer starts there). The response owns and closes the channel.
     */
    public ApiResponse stream(ReadableByteChannel channel, long position, long length) {
        this.stream = channel;
        this.streamPosition = position;
        this.streamLength = length;
        return this;
    }

    /**
     * Sends {@code length} bytes from {@code position} of the object a store serves at
     * {@code source} (a URL it signed), relayed by the server; if that URL cannot serve them
     * before anything is sent, the body comes from {@code fallback} instead.
     */
    public ApiResponse relay(URI source, BodyOpener fallback, long position, long length) {
        this.relaySource = source;
        this.relayFallback = fallback;
        this.streamPosition = position;
        this.streamLength = length;
        return this;
    }

    /** A HEAD answer: send the headers (Content-Length included) but no body. */
    public ApiResponse headersOnly(long contentLength) {
        this.headersOnly = true;
        headers.set("Content-Length", contentLength);
        return this;
    }

    public HttpResponseStatus status() {
        return status;
    }

    public HttpHeaders headers() {
        return headers;
    }

    public byte[] body() {
        return body;
    }

    public ReadableByteChannel stream() {
        return stream;
    }

    public long streamLength() {
        return streamLength;
    }

    public long streamPosition() {
        return streamPosition;
    }

    /** The URL of a relayed body, or {@code null}. */
    public URI relaySource() {
        return relaySource;
    }

    public BodyOpener relayFallback() {
        return relayFallback;
    }

    /** Whether the response has a body of {@link #streamLength()} bytes that is not in memory. */
    public boolean hasStreamedBody() {
        return stream != null || relaySource != null;
    }

    public boolean isHeadersOnly() {
        return headersOnly;
    }
}
