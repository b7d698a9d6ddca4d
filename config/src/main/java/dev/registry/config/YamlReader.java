package dev.registry.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** Reads YAML into a plain node tree; binding to records is left to the binders. */
final class YamlReader {
    // Duplicate keys are almost always a merge mistake, and silently keeping the last one hides it.
    // (YAMLMapper.builder() rather than YAMLFactory.builder(): the latter drops the parser's default
    // of reading an empty value, as in "filesystem:", as null.)
    private static final YAMLMapper MAPPER = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

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
            tree = MAPPER.readTree(text);
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
        JsonNode tree = MAPPER.readTree(text);
        return tree == null ? JsonNodeFactory.instance.missingNode() : tree;
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
