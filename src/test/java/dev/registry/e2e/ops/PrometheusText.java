package dev.registry.e2e.ops;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scrape in the Prometheus text format (version 0.0.4), parsed strictly enough that a
 * malformed line fails the test: {@code name{label="value",...} number}.
 */
public final class PrometheusText {
    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;
    private final Map<String, String> types;

    private PrometheusText(List<Sample> samples, Map<String, String> types) {
        this.samples = samples;
        this.types = types;
    }

    public static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.substring(7).split(" ");
                types.put(parts[0], parts[1]);
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            samples.add(sample(line));
        }
        return new PrometheusText(List.copyOf(samples), types);
    }

    private static Sample sample(String line) {
        int brace = line.indexOf('{');
        int space = line.lastIndexOf(' ');
        if (space < 0) {
            throw new AssertionError("not a sample line: " + line);
        }
        String name;
        Map<String, String> labels = new LinkedHashMap<>();
        if (brace >= 0 && brace < space) {
            name = line.substring(0, brace);
            int end = line.lastIndexOf('}');
            String body = line.substring(brace + 1, end);
            int i = 0;
            while (i < body.length()) {
                int eq = body.indexOf('=', i);
                String key = body.substring(i, eq);
                if (body.charAt(eq + 1) != '"') {
                    throw new AssertionError("label value not quoted: " + line);
                }
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                while (body.charAt(j) != '"') {
                    if (body.charAt(j) == '\\') {
                        j++;
                    }
                    value.append(body.charAt(j));
                    j++;
                }
                labels.put(key, value.toString());
                i = j + 1;
                if (i < body.length() && body.charAt(i) == ',') {
                    i++;
                }
            }
        } else {
            name = line.substring(0, space);
        }
        if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) {
            throw new AssertionError("not a metric name: " + line);
        }
        String number = line.substring(space + 1);
        double value = switch (number) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(number);
        };
        return new Sample(name, Map.copyOf(labels), value);
    }

    /** The sum of the samples named {@code name} that carry all of {@code labels} (alternating keys and values). */
    public double sum(String name, String... labels) {
        double total = 0;
        for (Sample sample : matching(name, labels)) {
            total += sample.value();
        }
        return total;
    }

    /** The samples named {@code name} that carry all of {@code labels}. */
    public List<Sample> matching(String name, String... labels) {
        List<Sample> found = new ArrayList<>();
        outer:
        for (Sample sample : samples) {
            if (!sample.name().equals(name)) {
                continue;
            }
            for (int i = 0; i < labels.length; i += 2) {
                if (!labels[i + 1].equals(sample.labels().get(labels[i]))) {
                    continue outer;
                }
            }
            found.add(sample);
        }
        return found;
    }

    /** The single sample named {@code name} with exactly these labels; fails when there is none. */
    public double value(String name, String... labels) {
        List<Sample> found = matching(name, labels).stream().filter(s -> s.labels().size() == labels.length / 2).toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one sample " + name + " " + String.join(",", labels) + ", found " + found);
        }
        return found.get(0).value();
    }

    /** The value, or 0 when the series does not exist yet (meters appear on first use). */
    public double valueOrZero(String name, String... labels) {
        List<Sample> found = matching(name, labels).stream().filter(s -> s.labels().size() == labels.length / 2).toList();
        return found.isEmpty() ? 0 : found.get(0).value();
    }

    /** The {@code # TYPE} of a family, or {@code null}. */
    public String type(String family) {
        return types.get(family);
    }

    boolean has(String name) {
        return samples.stream().anyMatch(s -> s.name().equals(name));
    }
}
