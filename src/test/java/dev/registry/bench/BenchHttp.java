package dev.registry.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A small blocking HTTP/1.1 client over one keep-alive socket, written for the benchmark so
 * that nothing but the network and the server sits between the measurement and the bytes:
 * request bodies are written straight from a byte array (with {@code Content-Length}) or
 * streamed with {@code Transfer-Encoding: chunked}; response bodies are discarded, collected
 * or hashed as they arrive. It reconnects when the server closes the connection and counts
 * how many connections it opened ({@link #connects()}).
 */
final class BenchHttp implements Closeable {
    static final int READ_TIMEOUT_MS = 120_000;
    private static final int COLLECT_LIMIT = 4 * 1024 * 1024;

    private final String host;
    private final int port;
    /** Non-null for HTTPS: wraps each new connection in TLS (no ALPN, so HTTP/1.1). */
    private final SSLSocketFactory tls;
    private final byte[] buffer = new byte[256 * 1024];
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private int connects;

    BenchHttp(String host, int port) {
        this(host, port, null);
    }

    BenchHttp(String host, int port, SSLSocketFactory tls) {
        this.host = host;
        this.port = port;
        this.tls = tls;
    }

    /** What to do with a response body. */
    enum Sink { DISCARD, COLLECT, HASH }

    /** A request body. */
    interface Body {
        /** The exact length, or -1 to send it with {@code Transfer-Encoding: chunked}. */
        long length();

        void writeTo(OutputStream out) throws IOException;
    }

    static Body bytes(byte[] data) {
        return bytes(data, 0, data.length);
    }

    static Body bytes(byte[] data, long offset, long length) {
        return new Body() {
            @Override
            public long length() {
                return length;
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                long done = 0;
                while (done < length) {
                    int n = (int) Math.min(1 << 20, length - done);
                    out.write(data, (int) (offset + done), n);
                    done += n;
                }
            }
        };
    }

    /** A body of unknown length, sent chunked: each {@code write} call becomes one chunk. */
    static Body chunked(BodyWriter writer) {
        return new Body() {
            @Override
            public long length() {
                return -1;
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                writer.writeTo(out);
            }
        };
    }

    interface BodyWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    /** A response; header names are lower case, repeated headers joined with ", ". */
    record Response(int status, Map<String, String> headers, long bodyLength, byte[] body, String digest) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String text() {
            return body == null ? "" : new String(body, StandardCharsets.UTF_8);
        }

        /** A short description for failure messages: status and the start of the body. */
        String describe() {
            String text = text().replaceAll("\\s+", " ").strip();
            if (text.length() > 300) {
                text = text.substring(0, 300) + "...";
            }
            return "HTTP " + status + (text.isEmpty() ? "" : " " + text);
        }
    }

    int connects() {
        return connects;
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    Response exchange(String method, String target, Body body, Sink sink, String... headers) throws IOException {
        ensureOpen();
        StringBuilder head = new StringBuilder(256);
        head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        head.append("Host: ").append(host).append(':').append(port).append("\r\n");
        head.append("User-Agent: registry-bench\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        if (body == null) {
            if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
                head.append("Content-Length: 0\r\n");
            }
        } else if (body.length() >= 0) {
            head.append("Content-Length: ").append(body.length()).append("\r\n");
        } else {
            head.append("Transfer-Encoding: chunked\r\n");
        }
        head.append("\r\n");
        try {
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                if (body.length() >= 0) {
                    body.writeTo(out);
                } else {
                    ChunkedOutputStream chunked = new ChunkedOutputStream(out);
                    body.writeTo(chunked);
                    chunked.finish();
                }
            }
            out.flush();
        } catch (IOException writeFailed) {
            // The server may have answered early (an error) and closed: report what it said.
            Response early = tryReadAfterWriteFailure();
            closeQuietly();
            if (early != null && early.status() / 100 != 2) {
                return early;
            }
            throw new IOException(method + " " + target + ": sending the request failed: " + writeFailed
                    + (early == null ? "" : " (server had answered " + early.describe() + ")"), writeFailed);
        }
        try {
            return readResponse(method.equals("HEAD"), sink);
        } catch (IOException e) {
            closeQuietly();
            throw new IOException(method + " " + target + ": reading the response failed: " + e, e);
        }
    }

    private Response tryReadAfterWriteFailure() {
        try {
            socket.setSoTimeout(2000);
            return readResponse(false, Sink.COLLECT);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void ensureOpen() throws IOException {
        if (socket != null) {
            return;
        }
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port), 5000);
        s.setSoTimeout(READ_TIMEOUT_MS);
        if (tls != null) {
            SSLSocket secure = (SSLSocket) tls.createSocket(s, host, port, true);
            secure.startHandshake();
            s = secure;
        }
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
        out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
        connects++;
    }

    private Response readResponse(boolean head, Sink sink) throws IOException {
        int status;
        Map<String, String> headers;
        String version;
        do {
            String statusLine = readLine();
            if (statusLine == null) {
                throw new EOFException("connection closed before a response");
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new IOException("bad status line: " + statusLine);
            }
            version = parts[0];
            status = Integer.parseInt(parts[1]);
            headers = new LinkedHashMap<>();
            String line;
            while ((line = readLine()) != null && !line.isEmpty()) {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw new IOException("bad header line: " + line);
                }
                String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).strip();
                headers.merge(name, value, (a, b) -> a + ", " + b);
            }
            if (line == null) {
                throw new EOFException("connection closed in the response headers");
            }
        } while (status / 100 == 1);

        MessageDigest md = sink == Sink.HASH ? sha256() : null;
        ByteArrayOutputStream collected = sink == Sink.COLLECT ? new ByteArrayOutputStream() : null;
        long length = 0;
        boolean closeAfter = false;
        String connection = headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
        if (connection.contains("close") || (version.equals("HTTP/1.0") && !connection.contains("keep-alive"))) {
            closeAfter = true;
        }
        if (head || status == 204 || status == 304) {
            // no body
        } else if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
            while (true) {
                String sizeLine = readLine();
                if (sizeLine == null) {
                    throw new EOFException("connection closed in a chunked body");
                }
                int semi = sizeLine.indexOf(';');
                long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).strip(), 16);
                if (size == 0) {
                    String trailer;
                    while ((trailer = readLine()) != null && !trailer.isEmpty()) {
                        // ignore trailers
                    }
                    break;
                }
                length += readBody(size, md, collected);
                String crlf = readLine();
                if (crlf == null || !crlf.isEmpty()) {
                    throw new IOException("bad chunk terminator");
                }
            }
        } else if (headers.containsKey("content-length")) {
            long size = Long.parseLong(headers.get("content-length").strip());
            length = readBody(size, md, collected);
        } else {
            length = readBody(Long.MAX_VALUE, md, collected);
            closeAfter = true;
        }
        if (closeAfter) {
            closeQuietly();
        }
        return new Response(status, headers, length, collected == null ? null : collected.toByteArray(),
                md == null ? null : "sha256:" + HexFormat.of().formatHex(md.digest()));
    }

    /** Bodies from this size on are hashed on a second thread, see {@link #readAndHashInParallel}. */
    private static final long PARALLEL_HASH_FROM = 4L * 1024 * 1024;

    /** Reads {@code size} bytes (or to end of stream when {@code size} is Long.MAX_VALUE). */
    private long readBody(long size, MessageDigest md, ByteArrayOutputStream collected) throws IOException {
        if (md != null && size != Long.MAX_VALUE && size >= PARALLEL_HASH_FROM) {
            return readAndHashInParallel(in, size, md, collected);
        }
        long done = 0;
        while (done < size) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, size - done));
            if (n < 0) {
                if (size == Long.MAX_VALUE) {
                    break;
                }
                throw new EOFException("connection closed after " + done + " of " + size + " body bytes");
            }
            if (md != null) {
                md.update(buffer, 0, n);
            }
            if (collected != null && collected.size() < COLLECT_LIMIT) {
                collected.write(buffer, 0, n);
            }
            done += n;
        }
        return done;
    }

    /**
     * Reads a large body on this thread while another hashes what was read, as a client that
     * verifies while it streams would, so that hashing on the reading thread does not cap a
     * single download. Every byte is still hashed, in order.
     */
    static long readAndHashInParallel(InputStream in, long size, MessageDigest md, ByteArrayOutputStream collected)
            throws IOException {
        int slots = 8;
        java.util.concurrent.BlockingQueue<byte[]> free = new java.util.concurrent.ArrayBlockingQueue<>(slots);
        java.util.concurrent.BlockingQueue<Object[]> filled = new java.util.concurrent.ArrayBlockingQueue<>(slots + 1);
        for (int i = 0; i < slots; i++) {
            free.add(new byte[1024 * 1024]);
        }
        Thread hasher = Thread.ofPlatform().daemon().name("bench-hash").start(() -> {
            try {
                while (true) {
                    Object[] chunk = filled.take();
                    if (chunk.length == 0) {
                        return;
                    }
                    byte[] data = (byte[]) chunk[0];
                    md.update(data, 0, (Integer) chunk[1]);
                    free.put(data);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long done = 0;
        try {
            while (done < size) {
                byte[] data = free.take();
                int filledBytes = 0;
                while (filledBytes < data.length && done < size) {
                    int n = in.read(data, filledBytes, (int) Math.min(data.length - filledBytes, size - done));
                    if (n < 0) {
                        throw new EOFException("connection closed after " + done + " of " + size + " body bytes");
                    }
                    if (collected != null && collected.size() < COLLECT_LIMIT) {
                        collected.write(data, filledBytes, n);
                    }
                    filledBytes += n;
                    done += n;
                }
                filled.put(new Object[] {data, filledBytes});
            }
            filled.put(new Object[0]);
            hasher.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading a body", e);
        } finally {
            hasher.interrupt();
        }
        return done;
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.isEmpty() ? null : line.toString();
            }
            if (b == '\n') {
                int len = line.length();
                if (len > 0 && line.charAt(len - 1) == '\r') {
                    line.setLength(len - 1);
                }
                return line.toString();
            }
            if (line.length() > 16 * 1024) {
                throw new IOException("header line too long");
            }
            line.append((char) b);
        }
    }

    private void closeQuietly() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        socket = null;
        in = null;
        out = null;
    }

    @Override
    public void close() {
        closeQuietly();
    }

    // ---------------------------------------------------------------- helpers

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String digest(byte[] data, int offset, int length) {
        MessageDigest md = sha256();
        md.update(data, offset, length);
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    static String digest(byte[] data) {
        return digest(data, 0, data.length);
    }

    /** The request target (path and query) of a {@code Location} header, absolute or not. */
    static String targetOf(String location) throws IOException {
        if (location == null || location.isEmpty()) {
            throw new IOException("no Location header");
        }
        if (location.startsWith("http://") || location.startsWith("https://")) {
            int slash = location.indexOf('/', location.indexOf("//") + 2);
            return slash < 0 ? "/" : location.substring(slash);
        }
        if (location.startsWith("/")) {
            return location;
        }
        throw new IOException("unexpected Location header: " + location);
    }

    /** {@code target} with {@code name=value} added to its query. */
    static String withQuery(String target, String name, String value) {
        return target + (target.indexOf('?') >= 0 ? '&' : '?') + name + '=' + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** Writes chunked transfer coding: one chunk per write call, then the last chunk on finish. */
    private static final class ChunkedOutputStream extends OutputStream {
        private final OutputStream out;

        ChunkedOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return;
            }
            out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(b, off, len);
            out.write('\r');
            out.write('\n');
        }

        void finish() throws IOException {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
    }
}
