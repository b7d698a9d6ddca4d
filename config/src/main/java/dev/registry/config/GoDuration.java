package dev.registry.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Map;

/**
 * Parses durations written the way Go's {@code time.ParseDuration} reads them ({@code 168h},
 * {@code 1h30m}, {@code 1.5s}, {@code 500ms}, {@code -2m}), because registry:2 configuration files
 * are written in that syntax.
 */
public final class GoDuration {
    private static final BigDecimal NANOS_PER_MICRO = BigDecimal.valueOf(1_000L);
    private static final Map<String, BigDecimal> UNIT_NANOS = Map.of(
            "ns", BigDecimal.ONE,
            "us", NANOS_PER_MICRO,
            "\u00b5s", NANOS_PER_MICRO, // micro sign, as Go accepts
            "\u03bcs", NANOS_PER_MICRO, // Greek small letter mu, as Go accepts
            "ms", BigDecimal.valueOf(1_000_000L),
            "s", BigDecimal.valueOf(1_000_000_000L),
            "m", BigDecimal.valueOf(60_000_000_000L),
            "h", BigDecimal.valueOf(3_600_000_000_000L));
    private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);
    private static final BigDecimal MIN_NANOS = BigDecimal.valueOf(Long.MIN_VALUE);

    private GoDuration() {
    }

    /**
     * Parses {@code text} as a Go duration.
     *
     * @param text a sequence of decimal numbers, each with an optional fraction and a unit
     *             ({@code ns}, {@code us}, {@code µs}, {@code ms}, {@code s}, {@code m},
     *             {@code h}), optionally preceded by a sign; {@code 0} needs no unit
     * @return the duration, truncated to whole nanoseconds like Go does
     * @throws IllegalArgumentException if {@code text} is not a Go duration or does not fit
     *                                  in a signed 64-bit count of nanoseconds (about 292 years)
     */
    public static Duration parse(String text) {
        String s = text;
        boolean negative = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            negative = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.isEmpty()) {
            throw invalid(text, "it is empty");
        }
        BigDecimal total = BigDecimal.ZERO;
        int i = 0;
        while (i < s.length()) {
            int numberStart = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            String number = s.substring(numberStart, i);
            if (number.isEmpty() || number.equals(".") || number.indexOf('.') != number.lastIndexOf('.')
                    || !number.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))) {
                throw invalid(text, "expected a number at position " + (numberStart + 1));
            }
            int unitStart = i;
            while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
                i++;
            }
            String unit = s.substring(unitStart, i);
            if (unit.isEmpty()) {
                throw invalid(text, "'" + number + "' has no unit");
            }
            BigDecimal nanosPerUnit = UNIT_NANOS.get(unit);
            if (nanosPerUnit == null) {
                throw invalid(text, "'" + unit + "' is not a unit");
            }
            total = total.add(new BigDecimal(number).multiply(nanosPerUnit));
        }
        if (negative) {
            total = total.negate();
        }
        BigDecimal nanos = total.setScale(0, RoundingMode.DOWN);
        if (nanos.compareTo(MAX_NANOS) > 0 || nanos.compareTo(MIN_NANOS) < 0) {
            throw invalid(text, "it is too long");
        }
        return Duration.ofNanos(nanos.longValueExact());
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException("'" + text + "' is not a duration: " + why);
    }
}
