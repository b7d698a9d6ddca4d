package dev.registry.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code wrk} with a generated Lua script that sets the method and headers, and reads its
 * report. A run with any non-2xx response ({@code Non-2xx or 3xx responses}), any socket error,
 * no request at all or a non-zero exit is a failure, never a number.
 */
final class Wrk {
    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in ([\\d.]+)(us|ms|s|m)");
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([\\d.]+)");
    private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
    private static final Pattern SOCKET_ERRORS =
            Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern LATENCY = Pattern.compile("Latency\\s+(\\S+)");
    private static final Pattern P99 = Pattern.compile("\\s99%\\s+(\\S+)");

    record Result(double requestsPerSecond, long requests, long non2xx, long socketErrors, String socketErrorLine,
                  String latencyAvg, String latencyP99, int exit, String output) {
        boolean failed() {
            return exit != 0 || requests == 0 || non2xx > 0 || socketErrors > 0;
        }

        String problem() {
            List<String> why = new ArrayList<>();
            if (exit != 0) {
                why.add("wrk exited with " + exit);
            }
            if (requests == 0) {
                why.add("no request completed");
            }
            if (non2xx > 0) {
                why.add(non2xx + " of " + requests + " responses were not 2xx/3xx");
            }
            if (socketErrors > 0) {
                why.add(socketErrorLine);
            }
            return String.join("; ", why);
        }

        String summary() {
            return String.format(Locale.ROOT, "%d requests, %.0f req/s, latency avg %s p99 %s", requests,
                    requestsPerSecond, latencyAvg, latencyP99);
        }
    }

    private Wrk() {
    }

    static String version() {
        try {
            Process p = new ProcessBuilder("wrk", "-v").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(5, TimeUnit.SECONDS);
            String first = out.lines().findFirst().orElse("").strip();
            Matcher m = Pattern.compile("wrk (\\S+)").matcher(first);
            return m.find() ? "wrk " + m.group(1) : first;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static Result run(Path scriptDir, String baseUrl, String method, String target, List<String> headers,
                      int connections, int threads, Duration duration) throws IOException, InterruptedException {
        StringBuilder lua = new StringBuilder();
        lua.append("wrk.method = \"").append(method).append("\"\n");
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            lua.append("wrk.headers[\"").append(headers.get(i)).append("\"] = \"").append(headers.get(i + 1)).append("\"\n");
        }
        Files.createDirectories(scriptDir);
        Path script = Files.createTempFile(scriptDir, "wrk-", ".lua");
        Files.writeString(script, lua);
        long seconds = Math.max(1, duration.toSeconds());
        List<String> command = List.of("wrk", "-c" + connections, "-t" + threads, "-d" + seconds + "s", "--latency",
                "-s", script.toString(), baseUrl + target);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] bytes = process.getInputStream().readAllBytes();
        if (!process.waitFor(seconds + 60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("wrk did not finish");
        }
        String output = new String(bytes, StandardCharsets.UTF_8);
        long requests = 0;
        Matcher m = REQUESTS.matcher(output);
        if (m.find()) {
            requests = Long.parseLong(m.group(1));
        }
        double rate = 0;
        m = RATE.matcher(output);
        if (m.find()) {
            rate = Double.parseDouble(m.group(1));
        }
        long non2xx = 0;
        m = NON2XX.matcher(output);
        if (m.find()) {
            non2xx = Long.parseLong(m.group(1));
        }
        long socketErrors = 0;
        String socketLine = null;
        m = SOCKET_ERRORS.matcher(output);
        if (m.find()) {
            socketLine = m.group();
            for (int g = 1; g <= 4; g++) {
                socketErrors += Long.parseLong(m.group(g));
            }
        }
        m = LATENCY.matcher(output);
        String latency = m.find() ? m.group(1) : "?";
        m = P99.matcher(output);
        String p99 = m.find() ? m.group(1) : "?";
        return new Result(rate, requests, non2xx, socketErrors, socketLine, latency, p99, process.exitValue(), output);
    }
}
