package dev.registry.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A closed-loop keep-alive load generator in the manner of wrk ({@code -c} connections over
 * {@code -t} threads, each connection sends its next request as soon as the previous response
 * is complete), used where wrk cannot be: wrk 4.1 does not know that a response to HEAD has no
 * body, waits for {@code Content-Length} bytes that never come, and reports 0 requests.
 *
 * <p>Every response's status is checked; bodies up to 60 KiB with {@code Content-Length} are
 * supported (chunked responses count as errors).
 */
final class LoadGenerator {
    private static final int BUFFER = 64 * 1024;

    record Result(long requests, long non2xx, long errors, long reconnects, double seconds, String firstProblem) {
        double requestsPerSecond() {
            return requests / seconds;
        }

        boolean failed() {
            return requests == 0 || non2xx > 0 || errors > 0;
        }

        String summary() {
            return String.format(Locale.ROOT, "%d requests in %.2fs, non-2xx %d, errors %d, reconnects %d%s",
                    requests, seconds, non2xx, errors, reconnects, firstProblem == null ? "" : ", first problem: " + firstProblem);
        }
    }

    private LoadGenerator() {
    }

    static Result run(String host, int port, String method, String target, List<String> headers,
                      int connections, int threads, Duration duration) throws Exception {
        StringBuilder request = new StringBuilder();
        request.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        request.append("Host: ").append(host).append(':').append(port).append("\r\n");
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            request.append(headers.get(i)).append(": ").append(headers.get(i + 1)).append("\r\n");
        }
        request.append("\r\n");
        byte[] requestBytes = request.toString().getBytes(StandardCharsets.ISO_8859_1);
        boolean head = method.equals("HEAD");
        AtomicReference<String> firstProblem = new AtomicReference<>();
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        List<Worker> workers = new ArrayList<>();
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int count = connections / threads + (t < connections % threads ? 1 : 0);
            Worker worker = new Worker(new InetSocketAddress(host, port), requestBytes, head, count, deadline, firstProblem);
            workers.add(worker);
            Thread thread = new Thread(worker, "load-" + t);
            thread.setDaemon(true);
            running.add(thread);
            thread.start();
        }
        for (Thread thread : running) {
            thread.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long requests = 0;
        long non2xx = 0;
        long errors = 0;
        long reconnects = 0;
        for (Worker w : workers) {
            requests += w.requests;
            non2xx += w.non2xx;
            errors += w.errors;
            reconnects += w.reconnects;
        }
        return new Result(requests, non2xx, errors, reconnects, seconds, firstProblem.get());
    }

    private static final class Worker implements Runnable {
        private final InetSocketAddress address;
        private final byte[] request;
        private final boolean head;
        private final int connections;
        private final long deadline;
        private final AtomicReference<String> firstProblem;
        long requests;
        long non2xx;
        long errors;
        long reconnects;

        Worker(InetSocketAddress address, byte[] request, boolean head, int connections, long deadline,
               AtomicReference<String> firstProblem) {
            this.address = address;
            this.request = request;
            this.head = head;
            this.connections = connections;
            this.deadline = deadline;
            this.firstProblem = firstProblem;
        }

        private final class Conn {
            SocketChannel channel;
            SelectionKey key;
            final ByteBuffer out = ByteBuffer.wrap(request);
            final byte[] in = new byte[BUFFER];
            final ByteBuffer inBuffer = ByteBuffer.wrap(in);
            int scanFrom;
            int headerEnd = -1;
            long bodyLength;
            int status;
            boolean closeAfter;
        }

        @Override
        public void run() {
            try (Selector selector = Selector.open()) {
                List<Conn> conns = new ArrayList<>();
                for (int i = 0; i < connections; i++) {
                    Conn c = new Conn();
                    open(selector, c);
                    conns.add(c);
                }
                while (System.nanoTime() < deadline) {
                    selector.select(50);
                    for (SelectionKey key : selector.selectedKeys()) {
                        Conn c = (Conn) key.attachment();
                        try {
                            if (key.isValid() && key.isWritable()) {
                                write(c);
                            }
                            if (key.isValid() && key.isReadable()) {
                                read(selector, c);
                            }
                        } catch (IOException e) {
                            errors++;
                            problem(e.toString());
                            reopen(selector, c);
                        }
                    }
                    selector.selectedKeys().clear();
                }
                for (Conn c : conns) {
                    c.channel.close();
                }
            } catch (IOException e) {
                errors++;
                problem(e.toString());
            }
        }

        private void open(Selector selector, Conn c) throws IOException {
            SocketChannel channel = SocketChannel.open();
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.connect(address);
            channel.configureBlocking(false);
            c.channel = channel;
            c.out.rewind();
            c.inBuffer.clear();
            c.scanFrom = 0;
            c.headerEnd = -1;
            c.key = channel.register(selector, SelectionKey.OP_WRITE, c);
        }

        private void reopen(Selector selector, Conn c) {
            try {
                c.key.cancel();
                c.channel.close();
                selector.selectNow();
                open(selector, c);
                reconnects++;
            } catch (IOException e) {
                errors++;
                problem("reconnect: " + e);
            }
        }

        private void write(Conn c) throws IOException {
            c.channel.write(c.out);
            if (!c.out.hasRemaining()) {
                c.key.interestOps(SelectionKey.OP_READ);
            }
        }

        private void read(Selector selector, Conn c) throws IOException {
            int n = c.channel.read(c.inBuffer);
            if (n < 0) {
                throw new IOException("server closed the connection while a request was outstanding");
            }
            int len = c.inBuffer.position();
            if (c.headerEnd < 0) {
                int end = indexOfHeaderEnd(c.in, c.scanFrom, len);
                if (end < 0) {
                    c.scanFrom = Math.max(0, len - 3);
                    if (len == c.in.length) {
                        throw new IOException("response headers larger than " + BUFFER + " bytes");
                    }
                    return;
                }
                c.headerEnd = end;
                parseHeaders(c, end);
            }
            long total = c.headerEnd + c.bodyLength;
            if (total > c.in.length) {
                throw new IOException("response body too large for the load generator: " + c.bodyLength);
            }
            if (len < total) {
                return;
            }
            if (len > total) {
                throw new IOException("unexpected bytes after the response (" + (len - total) + ")");
            }
            if (System.nanoTime() <= deadline) {
                requests++;
                if (c.status / 100 != 2) {
                    non2xx++;
                    problem("HTTP " + c.status);
                }
            }
            if (c.closeAfter) {
                reopen(selector, c);
                return;
            }
            c.inBuffer.clear();
            c.scanFrom = 0;
            c.headerEnd = -1;
            c.out.rewind();
            c.channel.write(c.out);
            c.key.interestOps(c.out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        /** Parses status, Content-Length, Transfer-Encoding and Connection from the bytes, without allocating. */
        private void parseHeaders(Conn c, int end) throws IOException {
            byte[] b = c.in;
            if (end < 12 || b[0] != 'H' || b[1] != 'T' || b[2] != 'T' || b[3] != 'P' || b[8] != ' ') {
                throw new IOException("bad status line: " + new String(b, 0, Math.min(end, 40), StandardCharsets.ISO_8859_1));
            }
            c.status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
            c.bodyLength = 0;
            c.closeAfter = false;
            boolean hasLength = false;
            int line = indexOfCrlf(b, 0, end) + 2;
            while (line < end - 2) {
                int eol = indexOfCrlf(b, line, end);
                if (startsWithIgnoreCase(b, line, eol, CONTENT_LENGTH)) {
                    long v = 0;
                    for (int i = line + CONTENT_LENGTH.length; i < eol; i++) {
                        if (b[i] >= '0' && b[i] <= '9') {
                            v = v * 10 + (b[i] - '0');
                        }
                    }
                    c.bodyLength = v;
                    hasLength = true;
                } else if (startsWithIgnoreCase(b, line, eol, TRANSFER_ENCODING)) {
                    if (!head) {
                        throw new IOException("chunked responses are not supported by the load generator");
                    }
                } else if (startsWithIgnoreCase(b, line, eol, CONNECTION)) {
                    String value = new String(b, line, eol - line, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
                    c.closeAfter = value.contains("close");
                }
                line = eol + 2;
            }
            if (head || c.status == 204 || c.status == 304) {
                c.bodyLength = 0;
            } else if (!hasLength) {
                throw new IOException("response without Content-Length");
            }
        }

        private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.ISO_8859_1);
        private static final byte[] TRANSFER_ENCODING = "transfer-encoding:".getBytes(StandardCharsets.ISO_8859_1);
        private static final byte[] CONNECTION = "connection:".getBytes(StandardCharsets.ISO_8859_1);

        private static boolean startsWithIgnoreCase(byte[] b, int from, int to, byte[] lowerPrefix) {
            if (to - from < lowerPrefix.length) {
                return false;
            }
            for (int i = 0; i < lowerPrefix.length; i++) {
                int x = b[from + i];
                if (x >= 'A' && x <= 'Z') {
                    x += 'a' - 'A';
                }
                if (x != lowerPrefix[i]) {
                    return false;
                }
            }
            return true;
        }

        private static int indexOfCrlf(byte[] b, int from, int to) {
            for (int i = from; i + 1 < to; i++) {
                if (b[i] == '\r' && b[i + 1] == '\n') {
                    return i;
                }
            }
            return to;
        }

        private static int indexOfHeaderEnd(byte[] b, int from, int len) {
            for (int i = from; i + 3 < len; i++) {
                if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                    return i + 4;
                }
            }
            return -1;
        }

        private void problem(String text) {
            firstProblem.compareAndSet(null, text);
        }
    }
}
