package dev.registry.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/** Binds and checks {@code storage.gcs.*}. */
final class GcsBinder {
    private static final ConfigKey GCS = ConfigKey.ROOT.child("storage").child("gcs");
    private static final ObjectMapper JSON = new ObjectMapper();

    private GcsBinder() {
    }

    static GcsConfig bind(JsonNode node) {
        JsonNode gcs = Values.section(GCS, node);
        Optional<Path> keyFile = Values.readableFile(GCS.child("keyfile"), Values.field(gcs, "keyfile"),
                "service-account JSON key");
        Optional<String> credentials = credentials(Values.field(gcs, "credentials"));
        if (keyFile.isPresent() && credentials.isPresent()) {
            throw GCS.child("credentials").problem("is given together with " + GCS.child("keyfile").named()
                    + ": give the service-account key only one way");
        }
        return new GcsConfig(
                bucket(Values.field(gcs, "bucket")),
                keyFile,
                credentials,
                rootDirectory(Values.field(gcs, "rootdirectory")),
                chunkSize(Values.field(gcs, "chunksize")),
                endpoint(Values.field(gcs, "endpoint")));
    }

    private static String bucket(JsonNode node) {
        ConfigKey key = GCS.child("bucket");
        Optional<String> bucket = Values.text(key, node);
        if (bucket.isEmpty()) {
            throw key.problem("is missing: give the name of the Google Cloud Storage bucket to store images in");
        }
        // GCS bucket names: 3-63 characters (222 with dots) of lower-case letters, digits, '-', '_' and '.'.
        String name = bucket.get();
        if (!name.matches("[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")) {
            throw key.invalid(node, "give a bucket name of lower-case letters, digits, '-', '_' and '.', such as 'my-registry'");
        }
        return name;
    }

    /**
     * registry:2 takes the service-account key as a YAML mapping of its JSON fields; the JSON text
     * itself (what one would put in an environment variable) is accepted too.
     */
    private static Optional<String> credentials(JsonNode node) {
        ConfigKey key = GCS.child("credentials");
        if (Values.isAbsent(node)) {
            return Optional.empty();
        }
        String fix = "give the service-account key's JSON fields (type, client_email, private_key, ...) as a mapping";
        JsonNode mapping = node;
        if (node.isTextual()) {
            if (node.asText().isBlank()) {
                return Optional.empty();
            }
            try {
                mapping = JSON.readTree(node.asText());
            } catch (JsonProcessingException e) {
                throw new ConfigException(key.named() + " is not valid JSON: " + fix + ".");
            }
        }
        if (mapping == null || !mapping.isObject()) {
            throw key.invalid(node, fix);
        }
        if (!mapping.path("type").isTextual()) {
            throw key.problem("has no 'type' field: " + fix);
        }
        if (mapping.path("type").asText().equals("service_account")
                && !(mapping.path("client_email").isTextual() && mapping.path("private_key").isTextual())) {
            throw key.problem("is a service-account key without 'client_email' and 'private_key': " + fix);
        }
        try {
            return Optional.of(JSON.writeValueAsString(mapping));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed JSON tree could not be written back", e);
        }
    }

    private static String rootDirectory(JsonNode node) {
        String root = Values.text(GCS.child("rootdirectory"), node).orElse("");
        // registry:2 trims the slashes too: '/registry/' and 'registry' name the same prefix.
        while (root.startsWith("/")) {
            root = root.substring(1);
        }
        while (root.endsWith("/")) {
            root = root.substring(0, root.length() - 1);
        }
        return root;
    }

    private static int chunkSize(JsonNode node) {
        ConfigKey key = GCS.child("chunksize");
        int size = Values.positiveInt(key, node, GcsConfig.DEFAULT_CHUNK_SIZE);
        if (size % GcsConfig.CHUNK_GRANULARITY != 0) {
            throw key.invalid(node, "give a multiple of 262144 (256 KiB), as GCS requires, such as "
                    + GcsConfig.DEFAULT_CHUNK_SIZE + " (16 MiB)");
        }
        return size;
    }

    private static Optional<URI> endpoint(JsonNode node) {
        ConfigKey key = GCS.child("endpoint");
        Optional<String> text = Values.text(key, node);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        String fix = "give the JSON API's base URL, such as 'http://127.0.0.1:4443' for an emulator";
        try {
            URI uri = new URI(text.get());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || uri.getQuery() != null || uri.getFragment() != null) {
                throw key.invalid(node, fix);
            }
            String s = uri.toString();
            return Optional.of(URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s));
        } catch (URISyntaxException e) {
            throw key.invalid(node, fix);
        }
    }
}
