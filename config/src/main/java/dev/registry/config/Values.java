package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads typed values out of the YAML tree. Scalars are accepted whether YAML typed them or they
 * arrived as text from an environment variable, so {@code true} and {@code "true"} bind alike.
 * A missing key and an explicit null both mean "use the default", as in registry:2.
 */
final class Values {
    private Values() {
    }

    static boolean isAbsent(JsonNode node) {
        return node == null || node.isMissingNode() || node.isNull();
    }

    /** The child of a section; a section given as null (a key with nothing under it) has none. */
    static JsonNode field(JsonNode section, String name) {
        return section == null || !section.isObject() ? null : section.get(name);
    }

    /** Checks that a section is a mapping, so that reading its children means something. */
    static JsonNode section(ConfigKey key, JsonNode node) {
        if (!isAbsent(node) && !node.isObject()) {
            throw key.invalid(node, "give a mapping of keys under " + key.path() + ", or leave it out");
        }
        return node;
    }

    static Optional<String> string(ConfigKey key, JsonNode node) {
        if (isAbsent(node)) {
            return Optional.empty();
        }
        if (!node.isValueNode()) {
            throw key.invalid(node, "give a single value");
        }
        return Optional.of(node.asText());
    }

    static boolean bool(ConfigKey key, JsonNode node, boolean defaultValue) {
        Optional<String> text = string(key, node);
        if (text.isEmpty()) {
            return defaultValue;
        }
        // YAML 1.1 spellings too: registry:2's YAML library reads them as booleans.
        return switch (text.get().trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw key.invalid(node, "give true or false");
        };
    }

    static int positiveInt(ConfigKey key, JsonNode node, int defaultValue) {
        return (int) wholeNumber(key, node, defaultValue, 1, Integer.MAX_VALUE, "give a whole number from 1 to " + Integer.MAX_VALUE);
    }

    /**
     * A whole number from {@code min} to {@code max}, written as a YAML number or a string (as
     * environment overrides are); {@code 1.5}, {@code 1e3} and out-of-range values are refused with {@code fix}.
     */
    static long wholeNumber(ConfigKey key, JsonNode node, long defaultValue, long min, long max, String fix) {
        Optional<String> text = string(key, node);
        if (text.isEmpty()) {
            return defaultValue;
        }
        if (node.isNumber() && !node.isIntegralNumber()) {
            throw key.invalid(node, fix);
        }
        BigInteger value;
        try {
            value = new BigInteger(text.get().trim());
        } catch (NumberFormatException e) {
            throw key.invalid(node, fix);
        }
        if (value.compareTo(BigInteger.valueOf(min)) < 0 || value.compareTo(BigInteger.valueOf(max)) > 0) {
            throw key.invalid(node, fix);
        }
        return value.longValue();
    }

    static Duration positiveDuration(ConfigKey key, JsonNode node, Duration defaultValue) {
        return duration(key, node, defaultValue, false, "give a positive Go duration such as '168h', '1h30m', '10m' or '30s'");
    }

    /** A Go duration that may be zero ({@code 0}, {@code 0s}), such as a timeout that zero turns off. */
    static Duration nonNegativeDuration(ConfigKey key, JsonNode node, Duration defaultValue) {
        return duration(key, node, defaultValue, true, "give a Go duration that is zero or positive, such as '30s' or '0s'");
    }

    private static Duration duration(ConfigKey key, JsonNode node, Duration defaultValue, boolean zeroAllowed, String fix) {
        Optional<String> text = string(key, node);
        if (text.isEmpty()) {
            return defaultValue;
        }
        Duration value;
        try {
            value = GoDuration.parse(text.get().trim());
        } catch (IllegalArgumentException e) {
            throw key.invalid(node, fix);
        }
        if (value.isNegative() || (value.isZero() && !zeroAllowed)) {
            throw key.invalid(node, fix);
        }
        return value;
    }

    /** Trimmed text, where an empty value means "not set" like a missing one. */
    static Optional<String> text(ConfigKey key, JsonNode node) {
        return string(key, node).map(String::trim).filter(text -> !text.isEmpty());
    }

    /**
     * A list of scalars. A single scalar is accepted as a list of one, because it can only mean
     * that; {@code fix} completes the error sentence for anything else.
     */
    static Optional<List<String>> stringList(ConfigKey key, JsonNode node, String fix) {
        if (isAbsent(node)) {
            return Optional.empty();
        }
        List<JsonNode> items = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(items::add);
        } else if (node.isValueNode()) {
            items.add(node);
        } else {
            throw key.invalid(node, fix);
        }
        List<String> values = new ArrayList<>();
        for (JsonNode item : items) {
            if (!item.isValueNode() || item.isNull() || item.asText().trim().isEmpty()) {
                throw key.invalid(node, fix);
            }
            values.add(item.asText().trim());
        }
        return Optional.of(List.copyOf(values));
    }

    /** A path, made absolute against the working directory. */
    static Optional<Path> path(ConfigKey key, JsonNode node, String fix) {
        Optional<String> text = text(key, node);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(text.get()).toAbsolutePath().normalize());
        } catch (InvalidPathException e) {
            throw key.invalid(node, fix);
        }
    }

    /**
     * A file that must be there and readable at startup, so that a typo fails now rather than on
     * the first request; {@code what} names its content in the error, such as "PEM certificate".
     */
    static Optional<Path> readableFile(ConfigKey key, JsonNode node, String what) {
        Optional<Path> path = path(key, node, "give the path of a " + what + " file");
        if (path.isPresent() && !(Files.isRegularFile(path.get()) && Files.isReadable(path.get()))) {
            throw key.invalid(node, "there is no readable file at " + path.get() + ", so give the path of a "
                    + what + " file");
        }
        return path;
    }
}
