package dev.registry.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** Reads YAML into a plain node tree; binding to records is left to the binders. */
final class YamlReader {
    // Duplicate keys are almost always a merge mistake, and silently keeping the last one hides it.
    // An empty value, as in "filesystem:", reads as null. The tree is built from the parser's
    // tokens rather than by an ObjectMapper: setting one up costs about a third of the start-up.
    private static final YAMLFactory YAML = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private YamlReader() {
    }

    /** Reads a configuration file, whose top level must be a mapping (an empty file is an empty one). */
    static ObjectNode readFile(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("Cannot read configuration file " + file + ": it does not exist.", e);
        } catch (AccessDeniedException e) {
            throw new ConfigException("Cannot read configuration file " + file + ": permission denied.", e);
        } catch (IOException e) {
            throw new ConfigException("Cannot read configuration file " + file + ": " + e + ".", e);
        }
        JsonNode tree;
        try {
            tree = readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigException("Cannot parse configuration file " + file + where(e) + ": "
                    + oneLine(e.getOriginalMessage()) + ".", e);
        }
        if (Values.isAbsent(tree)) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!(tree instanceof ObjectNode root)) {
            throw new ConfigException("Configuration file " + file
                    + " must hold a mapping of keys at the top level, such as 'version: 0.1'.");
        }
        return root;
    }

    /** Parses YAML text that is not a file, such as the embedded default or an environment value. */
    static JsonNode parse(String text) throws JsonProcessingException {
        JsonNode tree = readTree(text);
        return tree == null ? NODES.missingNode() : tree;
    }

    /** The document as a tree, or {@code null} for an empty document. */
    private static JsonNode readTree(String text) throws JsonProcessingException {
        try (JsonParser parser = YAML.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return null;
            }
            return value(parser, first);
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException("reading YAML from a string failed", e);
        }
    }

    private static JsonNode value(JsonParser parser, JsonToken token) throws IOException {
        return switch (token) {
            case START_OBJECT -> {
                ObjectNode object = NODES.objectNode();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    object.set(name, value(parser, parser.nextToken()));
                }
                yield object;
            }
            case START_ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                JsonToken next;
                while ((next = parser.nextToken()) != JsonToken.END_ARRAY) {
                    array.add(value(parser, next));
                }
                yield array;
            }
            case VALUE_STRING -> NODES.textNode(parser.getText());
            case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
                case INT -> NODES.numberNode(parser.getIntValue());
                case LONG -> NODES.numberNode(parser.getLongValue());
                default -> NODES.numberNode(parser.getBigIntegerValue());
            };
            case VALUE_NUMBER_FLOAT -> parser.getNumberType() == JsonParser.NumberType.BIG_DECIMAL
                    ? NODES.numberNode(parser.getDecimalValue())
                    : NODES.numberNode(parser.getDoubleValue());
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_NULL -> NODES.nullNode();
            case VALUE_EMBEDDED_OBJECT -> parser.getEmbeddedObject() instanceof byte[] bytes
                    ? NODES.binaryNode(bytes)
                    : NODES.pojoNode(parser.getEmbeddedObject());
            default -> throw new IllegalStateException("unexpected YAML token " + token);
        };
    }

    private static String where(JsonProcessingException e) {
        JsonLocation location = e.getLocation();
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /**
     * SnakeYAML's messages quote the offending source over several indented lines; the location is
     * already given, so only the unindented lines that say what is wrong are kept.
     */
    static String oneLine(String message) {
        if (message == null || message.isBlank()) {
            return "invalid YAML";
        }
        List<String> lines = message.lines()
                .filter(line -> !line.isBlank() && !Character.isWhitespace(line.charAt(0)))
                .map(String::trim)
                .toList();
        String flat = String.join("; ", lines.isEmpty() ? List.of(message.trim()) : lines).replaceAll("\\s+", " ");
        return flat.endsWith(".") ? flat.substring(0, flat.length() - 1) : flat;
    }
}
