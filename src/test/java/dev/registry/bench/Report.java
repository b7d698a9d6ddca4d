package dev.registry.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The measured figures, one {@link Metric} per table row, each with an {@link Outcome} per
 * registry (a value, or a failure); printed as a table, a list of problems, and one
 * machine-readable {@code BENCH {json}} line per row.
 */
final class Report {
    enum Better { HIGHER, LOWER }

    /** What a row aims at, if anything: a ratio to the reference or an absolute bound for ours. */
    record Goal(String kind, double bound, String text) {
        static final Goal NONE = new Goal("none", 0, "");

        static Goal ratioAtLeast(double x) {
            return new Goal("ratio>=", x, ">= " + fmt(x) + "x ref");
        }

        static Goal ratioAtMost(double x) {
            return new Goal("ratio<=", x, "<= " + fmt(x) + "x ref");
        }

        static Goal atMost(double x, String unit) {
            return new Goal("value<=", x, "<= " + fmt(x) + " " + unit);
        }

        /** True/false when it can be judged, null when not (no goal, or a figure missing). */
        Boolean met(Double ours, Double reference) {
            return switch (kind) {
                case "ratio>=" -> ours == null || reference == null || reference == 0 ? null : ours / reference >= bound;
                case "ratio<=" -> ours == null || reference == null || reference == 0 ? null : ours / reference <= bound;
                case "value<=" -> ours == null ? null : ours <= bound;
                default -> null;
            };
        }
    }

    record Outcome(Double value, String error, List<Double> samples, String detail) {
        boolean failed() {
            return error != null;
        }
    }

    static final class Metric {
        final String id;
        final String key;
        final String title;
        final String unit;
        final Better better;
        final Goal goal;
        final Map<String, Outcome> outcomes = new LinkedHashMap<>();

        Metric(String id, String key, String title, String unit, Better better, Goal goal) {
            this.id = id;
            this.key = key;
            this.title = title;
            this.unit = unit;
            this.better = better;
            this.goal = goal;
        }

        void value(String label, double value, List<Double> samples, String detail) {
            outcomes.put(label, new Outcome(value, null, samples, detail));
        }

        void value(String label, double value, String detail) {
            value(label, value, List.of(), detail);
        }

        void fail(String label, String error) {
            outcomes.put(label, new Outcome(null, error, List.of(), null));
        }

        void skip(String label, String why) {
            outcomes.put(label, new Outcome(null, null, List.of(), why));
        }

        Double figure(String label) {
            Outcome o = outcomes.get(label);
            return o == null ? null : o.value();
        }
    }

    private final List<String> labels;
    private final List<Metric> metrics = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    Report(List<String> labels) {
        this.labels = labels;
    }

    Metric metric(String id, String key, String title, String unit, Better better, Goal goal) {
        Metric m = new Metric(id, key, title, unit, better, goal);
        metrics.add(m);
        return m;
    }

    void problem(String text) {
        problems.add(text);
    }

    void note(String text) {
        notes.add(text);
    }

    boolean anyFailed() {
        return metrics.stream().anyMatch(m -> m.outcomes.values().stream().anyMatch(Outcome::failed));
    }

    boolean sideBySide() {
        return labels.size() == 2;
    }

    void print(PrintStream out, String machine) {
        out.println();
        out.println("machine: " + machine);
        out.println();
        List<String[]> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("id", "workload", "unit"));
        header.addAll(labels);
        if (sideBySide()) {
            header.addAll(List.of("ours/ref", "better", "goal", "goal met"));
        } else {
            header.add("better");
        }
        rows.add(header.toArray(String[]::new));
        for (Metric m : metrics) {
            List<String> row = new ArrayList<>(List.of(m.id, m.title, m.unit));
            for (String label : labels) {
                Outcome o = m.outcomes.get(label);
                row.add(o == null ? "-" : o.failed() ? "FAILED" : o.value() == null ? "n/a" : fmt(o.value()));
            }
            if (sideBySide()) {
                Double ratio = ratio(m);
                row.add(ratio == null ? "-" : fmt(ratio) + "x");
                row.add(m.better == Better.HIGHER ? "higher" : "lower");
                row.add(m.goal.text().isEmpty() ? "-" : m.goal.text());
                Boolean met = m.goal.met(m.figure(labels.get(0)), m.figure(labels.get(1)));
                row.add(m.goal == Goal.NONE ? "" : met == null ? "?" : met ? "yes" : "NO");
            } else {
                row.add(m.better == Better.HIGHER ? "higher" : "lower");
            }
            rows.add(row.toArray(String[]::new));
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder line = new StringBuilder();
            String[] row = rows.get(r);
            for (int i = 0; i < row.length; i++) {
                boolean numeric = i >= 3 && i < 3 + labels.size() + (sideBySide() ? 1 : 0);
                String cell = row[i];
                String pad = " ".repeat(widths[i] - cell.length());
                line.append(numeric ? pad + cell : cell + pad).append(i + 1 < row.length ? "  " : "");
            }
            out.println(line.toString().stripTrailing());
            if (r == 0) {
                out.println("-".repeat(line.toString().stripTrailing().length()));
            }
        }
        if (sideBySide()) {
            out.println();
            out.println("ours/ref: our figure divided by the reference's. For 'higher' rows above 1 means we are faster;"
                    + " for 'lower' rows (CPU, memory, start-up) below 1 means we use less.");
        }
        List<String> details = new ArrayList<>();
        for (Metric m : metrics) {
            for (Map.Entry<String, Outcome> e : m.outcomes.entrySet()) {
                Outcome o = e.getValue();
                if (!o.failed() && o.detail() != null && !o.detail().isEmpty()) {
                    details.add(m.id + " " + e.getKey() + ": " + o.detail());
                }
            }
        }
        if (!details.isEmpty()) {
            out.println();
            out.println("details:");
            details.forEach(d -> out.println("  " + d));
        }
        if (!notes.isEmpty()) {
            out.println();
            out.println("notes:");
            notes.forEach(n -> out.println("  - " + n));
        }
        List<String> failures = new ArrayList<>();
        for (Metric m : metrics) {
            for (Map.Entry<String, Outcome> e : m.outcomes.entrySet()) {
                if (e.getValue().failed()) {
                    failures.add(m.id + " " + m.title + " [" + e.getKey() + "]: FAILED: " + e.getValue().error());
                }
            }
        }
        if (!failures.isEmpty() || !problems.isEmpty()) {
            out.println();
            out.println("problems:");
            failures.forEach(f -> out.println("  - " + indent(f)));
            problems.forEach(p -> out.println("  - " + indent(p)));
        }
        out.println();
        for (Metric m : metrics) {
            out.println("BENCH " + json(m));
        }
    }

    private Double ratio(Metric m) {
        if (!sideBySide()) {
            return null;
        }
        Double ours = m.figure(labels.get(0));
        Double ref = m.figure(labels.get(1));
        return ours == null || ref == null || ref == 0 ? null : ours / ref;
    }

    private String json(Metric m) {
        StringBuilder j = new StringBuilder("{");
        j.append("\"id\":").append(str(m.id));
        j.append(",\"workload\":").append(str(m.key));
        j.append(",\"title\":").append(str(m.title));
        j.append(",\"unit\":").append(str(m.unit));
        j.append(",\"better\":").append(str(m.better == Better.HIGHER ? "higher" : "lower"));
        boolean failed = false;
        for (String label : labels) {
            Outcome o = m.outcomes.get(label);
            String key = label.equals("target") ? "value" : label;
            j.append(",\"").append(key).append("\":").append(o == null || o.value() == null ? "null" : num(o.value()));
            if (o != null && o.failed()) {
                failed = true;
                j.append(",\"").append(key).append("_error\":").append(str(o.error()));
            }
            if (o != null && !o.samples().isEmpty()) {
                j.append(",\"").append(key).append("_samples\":[");
                for (int i = 0; i < o.samples().size(); i++) {
                    j.append(i == 0 ? "" : ",").append(num(o.samples().get(i)));
                }
                j.append(']');
            }
        }
        if (sideBySide()) {
            Double ratio = ratio(m);
            j.append(",\"ratio\":").append(ratio == null ? "null" : num(ratio));
            j.append(",\"goal\":").append(m.goal == Goal.NONE ? "null" : str(m.goal.text()));
            Boolean met = m.goal.met(m.figure(labels.get(0)), m.figure(labels.get(1)));
            j.append(",\"goal_met\":").append(met == null ? "null" : met.toString());
        }
        boolean any = m.outcomes.values().stream().anyMatch(o -> o.value() != null);
        j.append(",\"status\":").append(str(failed ? "failed" : any ? "ok" : "skipped"));
        return j.append('}').toString();
    }

    static String fmt(double v) {
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v).replaceAll("0+$", "").replaceAll("\\.$", "") : "null";
    }

    static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static String indent(String text) {
        return text.replace("\n", "\n      ");
    }
}
