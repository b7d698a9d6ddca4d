package dev.registry.e2e.api;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests {@link java.net.http.HttpClient} will not send as
 * written: raw request targets with {@code ..} or odd escapes, wrong or missing
 * {@code Content-Length}, hand-made chunked bodies, bodies cut short.
 */
final class RawHttp {
    private static final int TIMEOUT_MS = 30_000;

    private final String host;
    private final int port;

    RawHttp(String baseUrl) {
        URI uri = URI.create(baseUrl);
        this.host = uri.getHost();
        this.port = uri.getPort() < 0 ? 80 : uri.getPort();
    }

    Request request(String method, String rawTarget) {
        return new Request(method, rawTarget);
    }

    final class Request {
        private final String method;
        private final String target;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private byte[] body;
        private boolean autoContentLength = true;
        private byte[] rawBody;

        private Request(String method, String target) {
            this.method = method;
            this.target = target;
            headers.put("Host", host + ":" + port);
            headers.put("Connection", "close");
        }

        Request header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        Request removeHeader(String name) {
            headers.remove(name);
            return this;
        }

        /** A body sent with a correct {@code Content-Length} (unless one was set by hand). */
        Request body(byte[] bytes) {
            this.body = bytes;
            return this;
        }

        Request body(String text) {
            return body(text.getBytes(StandardCharsets.UTF_8));
        }

        /** Bytes written after the head exactly as given; no {@code Content-Length} is added. */
        Request rawBody(byte[] bytes) {
            this.rawBody = bytes;
            this.autoContentLength = false;
            return this;
        }

        /** Asks to keep the connection open (for {@link Connection}). */
        Request keepAlive() {
            headers.put("Connection", "keep-alive");
            return this;
        }

        String method() {
            return method;
        }

        String target() {
            return target;
        }

        Request noAutoContentLength() {
            this.autoContentLength = false;
            return this;
        }

        byte[] encode() {
            StringBuilder head = new StringBuilder();
            head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            boolean hasLength = headers.keySet().stream().anyMatch(h -> h.equalsIgnoreCase("Content-Length"));
            for (Map.Entry<String, String> h : headers.entrySet()) {
                head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
            }
            if (autoContentLength && !hasLength && (body != null || method.equals("PUT") || method.equals("POST") || method.equals("PATCH"))) {
                head.append("Content-Length: ").append(body == null ? 0 : body.length).append("\r\n");
            }
            head.append("\r\n");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.writeBytes(body);
            }
            if (rawBody != null) {
                out.writeBytes(rawBody);
            }
            return out.toByteArray();
        }

        /** Sends the request and reads the whole response. */
        ApiResponse send() throws IOException {
            byte[] bytes = encode();
            try (Socket socket = connect()) {
                OutputStream out = socket.getOutputStream();
                // Write on another thread: a server may answer (and stop reading) before the body ends.
                Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        out.write(bytes);
                        out.flush();
                    } catch (IOException ignored) {
                        // the server closed early; its answer is what counts
                    }
                });
                try {
                    return readResponse(socket.getInputStream(), method, target);
                } finally {
                    try {
                        writer.join(TIMEOUT_MS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }

        /**
         * Sends the head and only the given part of the body, then closes the sending side. Returns
         * the response if the server gave one within a short wait, otherwise {@code null}.
         */
        ApiResponse sendTruncated(byte[] partialBody) throws IOException {
            StringBuilder head = new StringBuilder();
            head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            head.append("\r\n");
            try (Socket socket = connect()) {
                OutputStream out = socket.getOutputStream();
                out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.write(partialBody);
                out.flush();
                socket.shutdownOutput();
                socket.setSoTimeout(3_000);
                try {
                    return readResponse(socket.getInputStream(), method, target);
                } catch (IOException closedOrSilent) {
                    return null;
                }
            }
        }

        /** Like {@link #send()}, but a connection closed without any response gives {@code null}. */
        ApiResponse sendAllowingClose() throws IOException {
            try {
                return send();
            } catch (EOFException | java.net.SocketException closed) {
                return null;
            }
        }
    }

    /** Opens one connection for several exchanges in a row (keep-alive, pipelining). */
    Connection open() throws IOException {
        return new Connection(connect());
    }

    /** One kept-alive connection. */
    static final class Connection implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        private Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new java.io.BufferedInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        /** Writes a request without reading anything. */
        void write(Request request) throws IOException {
            out.write(request.encode());
            out.flush();
        }

        /** Writes raw bytes (for a body sent after an interim answer). */
        void writeRaw(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** Reads the next response for a request of this method. */
        ApiResponse read(String method, String target) throws IOException {
            return readResponse(in, method, target);
        }

        /**
         * Reads the next status line and headers only if they come within {@code millis}; returns the
         * status, or -1 if nothing came.
         */
        int peekInterim(int millis) throws IOException {
            socket.setSoTimeout(millis);
            try {
                in.mark(1 << 16);
                String line = readLine(in);
                if (line == null) {
                    return -1;
                }
                int status = Integer.parseInt(line.split(" ", 3)[1]);
                if (status == 100) {
                    String header;
                    while ((header = readLine(in)) != null && !header.isEmpty()) {
                        // drop the interim answer's headers
                    }
                } else {
                    in.reset();
                }
                return status;
            } catch (SocketTimeoutException nothingYet) {
                in.reset();
                return -1;
            } finally {
                socket.setSoTimeout(TIMEOUT_MS);
            }
        }

        ApiResponse exchange(Request request) throws IOException {
            write(request);
            return read(request.method(), request.target());
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(host, port), 5_000);
        socket.setSoTimeout(TIMEOUT_MS);
        return socket;
    }

    static ApiResponse readResponse(InputStream in, String method, String target) throws IOException {
        while (true) {
            String statusLine = readLine(in);
            if (statusLine == null) {
                throw new EOFException("connection closed before a response to " + method + " " + target);
            }
            if (statusLine.isEmpty()) {
                continue;
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new IOException("not an HTTP status line: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            String line;
            while ((line = readLine(in)) != null && !line.isEmpty()) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.computeIfAbsent(line.substring(0, colon).trim(), k -> new ArrayList<>())
                            .add(line.substring(colon + 1).trim());
                }
            }
            if (status >= 100 && status < 200) {
                continue;
            }
            byte[] body;
            String te = first(headers, "Transfer-Encoding");
            String cl = first(headers, "Content-Length");
            if (method.equals("HEAD") || status == 204 || status == 304) {
                body = new byte[0];
            } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
                body = readChunked(in);
            } else if (cl != null) {
                body = in.readNBytes(Integer.parseInt(cl.trim()));
            } else {
                body = readToEnd(in);
            }
            return new ApiResponse(method, target, status, headers, body);
        }
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            // keep what came
        }
        return out.toByteArray();
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            if (sizeLine == null) {
                throw new EOFException("chunked body cut short");
            }
            int semicolon = sizeLine.indexOf(';');
            String hex = (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim();
            int size = Integer.parseInt(hex, 16);
            if (size == 0) {
                String trailer;
                while ((trailer = readLine(in)) != null && !trailer.isEmpty()) {
                    // ignore trailers
                }
                return out.toByteArray();
            }
            out.write(in.readNBytes(size));
            readLine(in);
        }
    }

    private static String first(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        boolean any = false;
        while ((b = in.read()) >= 0) {
            any = true;
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        return any ? line.toString(StandardCharsets.ISO_8859_1) : null;
    }

    /** Encodes {@code data} as an HTTP/1.1 chunked body cut into chunks of the given sizes. */
    static byte[] chunked(byte[] data, int[] chunkSizes, boolean upperHex, String extension, String trailer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int offset = 0;
        int i = 0;
        while (offset < data.length) {
            int size = Math.min(chunkSizes[i % chunkSizes.length], data.length - offset);
            String hex = Integer.toHexString(size);
            out.writeBytes((upperHex ? hex.toUpperCase(Locale.ROOT) : hex).getBytes(StandardCharsets.US_ASCII));
            if (extension != null) {
                out.writeBytes((";" + extension).getBytes(StandardCharsets.US_ASCII));
            }
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(data, offset, size);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            offset += size;
            i++;
        }
        out.writeBytes("0\r\n".getBytes(StandardCharsets.US_ASCII));
        if (trailer != null) {
            out.writeBytes((trailer + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
