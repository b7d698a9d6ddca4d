package dev.registry.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and structurally validates Docker schema2 and OCI manifests and indexes. Anything it
 * cannot vouch for is refused with {@code MANIFEST_INVALID}, naming the field at fault.
 */
public final class ManifestParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ManifestParser() {
    }

    /**
     * Parses {@code content}, sent with {@code contentType} (may be null or {@code application/json}).
     * The media type comes from the manifest's {@code mediaType} field if present, which must then
     * agree with a specific {@code contentType}; otherwise from {@code contentType}; otherwise from
     * the manifest's shape.
     */
    public static ParsedManifest parse(byte[] content, String contentType) {
        JsonNode root;
        try {
            root = JSON.readTree(content);
        } catch (JsonProcessingException e) {
            throw invalid("manifest is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw invalid("manifest could not be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw invalid("manifest must be a JSON object");
        }
        JsonNode schemaVersion = root.get("schemaVersion");
        if (schemaVersion == null || !schemaVersion.isInt() || schemaVersion.intValue() != 2) {
            throw invalid("schemaVersion must be 2 (schema 1 manifests are not supported)");
        }
        String declared = optionalText(root, "mediaType");
        String requested = normalise(contentType);
        String mediaType;
        if (declared != null) {
            if (requested != null && !requested.equals(declared)) {
                throw invalid("Content-Type " + requested + " does not match the manifest's mediaType " + declared);
            }
            mediaType = declared;
        } else if (requested != null) {
            // Docker schema2 manifests and lists always carry mediaType; without it only the OCI
            // types are possible, so the type derived again from the stored bytes stays the same.
            if (!requested.equals(MediaTypes.OCI_MANIFEST) && !requested.equals(MediaTypes.OCI_INDEX)) {
                throw invalid("a manifest of type " + requested + " must declare it in its mediaType field");
            }
            mediaType = requested;
        } else {
            mediaType = root.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
        }
        Descriptor subject = root.hasNonNull("subject") ? descriptor(root.get("subject"), "subject") : null;
        Map<String, String> annotations = annotations(root.get("annotations"), "annotations");
        String artifactType = optionalText(root, "artifactType");
        if (MediaTypes.isImageManifest(mediaType)) {
            JsonNode config = root.get("config");
            if (config == null) {
                throw invalid("config is required in an image manifest");
            }
            Descriptor configDescriptor = descriptor(config, "config");
            List<Descriptor> blobs = new ArrayList<>();
            blobs.add(configDescriptor);
            blobs.addAll(descriptors(root.get("layers"), "layers", mediaType.equals(MediaTypes.DOCKER_MANIFEST)));
            if (root.has("manifests")) {
                throw invalid("an image manifest must not have manifests");
            }
            if (artifactType == null) {
                artifactType = configDescriptor.mediaType();
            }
            return new ParsedManifest(mediaType, blobs, List.of(), subject, artifactType, annotations);
        }
        if (MediaTypes.isIndex(mediaType)) {
            List<Descriptor> manifests = descriptors(root.get("manifests"), "manifests", true);
            if (root.has("config") || root.has("layers")) {
                throw invalid("an index must not have config or layers");
            }
            return new ParsedManifest(mediaType, List.of(), manifests, subject, artifactType, annotations);
        }
        throw invalid("unsupported manifest media type " + mediaType);
    }

    private static String normalise(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType).trim().toLowerCase(java.util.Locale.ROOT);
        return type.isEmpty() || type.equals("application/json") || type.equals("application/octet-stream") ? null : type;
    }

    private static List<Descriptor> descriptors(JsonNode array, String field, boolean required) {
        if (array == null || array.isNull()) {
            if (required) {
                throw invalid(field + " is required");
            }
            return List.of();
        }
        if (!array.isArray()) {
            throw invalid(field + " must be an array");
        }
        List<Descriptor> result = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            result.add(descriptor(array.get(i), field + "[" + i + "]"));
        }
        return result;
    }

    private static Descriptor descriptor(JsonNode node, String field) {
        if (!node.isObject()) {
            throw invalid(field + " must be a descriptor object");
        }
        String mediaType = optionalText(node, "mediaType");
        if (mediaType == null || mediaType.isEmpty()) {
            throw invalid(field + ".mediaType is required");
        }
        JsonNode digestNode = node.get("digest");
        if (digestNode == null || !digestNode.isTextual()) {
            throw invalid(field + ".digest is required");
        }
        Digest digest;
        try {
            digest = Digest.parse(digestNode.textValue());
        } catch (RegistryException e) {
            throw invalid(field + ".digest is invalid: " + e.getMessage());
        }
        JsonNode size = node.get("size");
        if (size == null || !size.canConvertToLong() || !size.isIntegralNumber() || size.longValue() < 0) {
            throw invalid(field + ".size must be a non-negative integer");
        }
        List<String> urls = new ArrayList<>();
        JsonNode urlsNode = node.get("urls");
        if (urlsNode != null && urlsNode.isArray()) {
            urlsNode.forEach(url -> urls.add(url.asText()));
        }
        annotations(node.get("annotations"), field + ".annotations");
        return new Descriptor(mediaType, digest, size.longValue(), List.copyOf(urls));
    }

    private static Map<String, String> annotations(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw invalid(field + " must be an object of strings");
        }
        Map<String, String> result = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> entry = fields.next();
            if (!entry.getValue().isTextual()) {
                throw invalid(field + "." + entry.getKey() + " must be a string");
            }
            result.put(entry.getKey(), entry.getValue().textValue());
        }
        return result;
    }

    private static String optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw invalid(field + " must be a string");
        }
        return value.textValue();
    }

    private static RegistryException invalid(String message) {
        return new RegistryException(ErrorCode.MANIFEST_INVALID, message);
    }
}
