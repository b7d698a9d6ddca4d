package dev.registry.e2e.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

/**
 * Writes real OCI image layouts (spec v1.0: {@code oci-layout}, {@code index.json},
 * {@code blobs/sha256/...}) with gzip-compressed tar layers of random content, so every run pushes
 * blobs no registry has seen before. Images get a valid config ({@code architecture}, {@code os},
 * {@code rootfs.diff_ids} = sha256 of each uncompressed layer tar), so skopeo, podman and docker
 * accept them.
 *
 * <pre>{@code
 * OciLayoutBuilder layout = new OciLayoutBuilder(dir);
 * OciLayoutBuilder.Image image = layout.image("linux", "amd64", 1024, 200 * 1024);
 * layout.tag(image.manifest(), "v1");   // now oci:DIR:v1 names it
 * }</pre>
 *
 * The static helpers read layouts back (e.g. what {@code skopeo copy ... oci:OUT:tag} wrote).
 */
public final class OciLayoutBuilder {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public static final String REF_NAME = "org.opencontainers.image.ref.name";

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Random RANDOM = new SecureRandom();
    private static final long MTIME = 1_700_000_000L;

    private final Path dir;
    private final List<ObjectNode> indexEntries = new ArrayList<>();

    /** A content descriptor; {@code platform} may be null. */
    public record Descriptor(String mediaType, String digest, long size, Platform platform) {
        ObjectNode toJson() {
            ObjectNode node = JSON.createObjectNode();
            node.put("mediaType", mediaType);
            node.put("digest", digest);
            node.put("size", size);
            if (platform != null) {
                node.set("platform", platform.toJson());
            }
            return node;
        }
    }

    public record Platform(String os, String architecture, String variant) {
        ObjectNode toJson() {
            ObjectNode node = JSON.createObjectNode();
            node.put("architecture", architecture);
            node.put("os", os);
            if (variant != null) {
                node.put("variant", variant);
            }
            return node;
        }
    }

    /** One image written to the layout: its manifest, config and layers (compressed blobs). */
    public record Image(Descriptor manifest, byte[] manifestBytes, Descriptor config, List<Descriptor> layers,
                        List<String> diffIds) {
        /** Every blob digest the image needs: config first, then the layers. */
        public List<String> blobDigests() {
            List<String> digests = new ArrayList<>();
            digests.add(config.digest());
            layers.forEach(layer -> digests.add(layer.digest()));
            return digests;
        }
    }

    /** An OCI image index over several images. */
    public record Index(Descriptor descriptor, byte[] bytes, List<Image> images) {
    }

    /** Starts a layout in {@code dir} (created if missing). */
    public OciLayoutBuilder(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir.resolve("blobs/sha256"));
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        writeIndexJson();
    }

    public Path dir() {
        return dir;
    }

    /**
     * Writes a linux image for {@code architecture} with one gzip layer per entry of
     * {@code layerSizes} (bytes of random file content in that layer).
     */
    public Image image(String os, String architecture, int... layerSizes) throws IOException {
        String variant = "arm64".equals(architecture) ? "v8" : null;
        Platform platform = new Platform(os, architecture, variant);
        List<Descriptor> layers = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        for (int i = 0; i < layerSizes.length; i++) {
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("e2e/layer-" + i + "/README.txt",
                    ("layer " + i + " of an e2e test image for " + os + "/" + architecture + "\n")
                            .getBytes(StandardCharsets.UTF_8));
            files.put("e2e/layer-" + i + "/random.bin", randomBytes(layerSizes[i]));
            byte[] tar = tar(files);
            diffIds.add(sha256(tar));
            layers.add(writeBlob(OCI_LAYER_GZIP, gzip(tar), null));
        }

        ObjectNode config = JSON.createObjectNode();
        config.put("created", "2024-01-01T00:00:00Z");
        config.put("architecture", architecture);
        config.put("os", os);
        if (variant != null) {
            config.put("variant", variant);
        }
        ObjectNode runConfig = config.putObject("config");
        runConfig.putArray("Env").add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        runConfig.putArray("Cmd").add("/bin/sh");
        runConfig.putObject("Labels").put("dev.registry.e2e.nonce", HexFormat.of().formatHex(randomBytes(8)));
        ObjectNode rootfs = config.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode diffs = rootfs.putArray("diff_ids");
        diffIds.forEach(diffs::add);
        ArrayNode history = config.putArray("history");
        for (int i = 0; i < layers.size(); i++) {
            history.addObject().put("created", "2024-01-01T00:00:00Z").put("created_by", "e2e layer " + i);
        }
        Descriptor configDescriptor = writeBlob(OCI_CONFIG, JSON.writeValueAsBytes(config), null);

        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", OCI_MANIFEST);
        manifest.set("config", configDescriptor.toJson());
        ArrayNode layerArray = manifest.putArray("layers");
        layers.forEach(layer -> layerArray.add(layer.toJson()));
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        Descriptor manifestDescriptor = writeBlob(OCI_MANIFEST, manifestBytes, platform);
        return new Image(manifestDescriptor, manifestBytes, configDescriptor, List.copyOf(layers), List.copyOf(diffIds));
    }

    /** Writes an OCI image index whose entries are the images' manifests with their platforms. */
    public Index index(List<Image> images) throws IOException {
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", OCI_INDEX);
        ArrayNode manifests = index.putArray("manifests");
        images.forEach(image -> manifests.add(image.manifest().toJson()));
        byte[] bytes = JSON.writeValueAsBytes(index);
        return new Index(writeBlob(OCI_INDEX, bytes, null), bytes, List.copyOf(images));
    }

    /** Names {@code descriptor} {@code tag} in the layout's {@code index.json}. */
    public void tag(Descriptor descriptor, String tag) throws IOException {
        ObjectNode entry = descriptor.toJson();
        entry.remove("platform");
        entry.putObject("annotations").put(REF_NAME, tag);
        indexEntries.add(entry);
        writeIndexJson();
    }

    private void writeIndexJson() throws IOException {
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        ArrayNode manifests = index.putArray("manifests");
        indexEntries.forEach(manifests::add);
        Files.write(dir.resolve("index.json"), JSON.writeValueAsBytes(index));
    }

    private Descriptor writeBlob(String mediaType, byte[] content, Platform platform) throws IOException {
        String digest = sha256(content);
        Files.write(blobPath(dir, digest), content);
        return new Descriptor(mediaType, digest, content.length, platform);
    }

    // ---- reading layouts back -------------------------------------------------------------

    /** {@code blobs/sha256/HEX} of a layout. */
    public static Path blobPath(Path layout, String digest) {
        if (!digest.startsWith("sha256:")) {
            throw new IllegalArgumentException("not a sha256 digest: " + digest);
        }
        return layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
    }

    public static byte[] readBlob(Path layout, String digest) throws IOException {
        return Files.readAllBytes(blobPath(layout, digest));
    }

    /** The {@code index.json} entry of a layout tagged {@code tag}; fails if there is none. */
    public static JsonNode indexEntry(Path layout, String tag) throws IOException {
        JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
        for (JsonNode entry : index.path("manifests")) {
            if (tag.equals(entry.path("annotations").path(REF_NAME).asText(null))) {
                return entry;
            }
        }
        throw new AssertionError("no manifest tagged '" + tag + "' in " + layout.resolve("index.json") + ": " + index);
    }

    // ---- content helpers --------------------------------------------------------------------

    public static String sha256(byte[] content) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(Path file) throws IOException {
        return sha256(Files.readAllBytes(file));
    }

    public static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    public static byte[] gzip(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * A POSIX ustar archive of regular files (path to content, paths relative, '/'-separated),
     * preceded by entries for their parent directories; owned by root, fixed mtime.
     */
    public static byte[] tar(Map<String, byte[]> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Set<String> dirs = new LinkedHashSet<>();
        for (String name : files.keySet()) {
            for (int slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) {
                dirs.add(name.substring(0, slash + 1));
            }
        }
        for (String d : dirs) {
            out.writeBytes(tarHeader(d, 0, '5', 0755));
        }
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            byte[] content = file.getValue();
            out.writeBytes(tarHeader(file.getKey(), content.length, '0', 0644));
            out.writeBytes(content);
            out.writeBytes(new byte[(512 - content.length % 512) % 512]);
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static byte[] tarHeader(String name, long size, char type, int mode) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 100) {
            throw new IllegalArgumentException("tar entry name longer than 100 bytes: " + name);
        }
        byte[] header = new byte[512];
        System.arraycopy(nameBytes, 0, header, 0, nameBytes.length);
        octal(header, 100, 8, mode);
        octal(header, 108, 8, 0);
        octal(header, 116, 8, 0);
        octal(header, 124, 12, size);
        octal(header, 136, 12, MTIME);
        header[156] = (byte) type;
        ascii(header, 257, "ustar\0");
        ascii(header, 263, "00");
        ascii(header, 265, "root");
        ascii(header, 297, "root");
        octal(header, 329, 8, 0);
        octal(header, 337, 8, 0);
        for (int i = 148; i < 156; i++) {
            header[i] = ' ';
        }
        long checksum = 0;
        for (byte b : header) {
            checksum += b & 0xff;
        }
        String sum = String.format("%06o", checksum);
        ascii(header, 148, sum);
        header[154] = 0;
        header[155] = ' ';
        return header;
    }

    /** {@code width - 1} zero-padded octal digits and a NUL. */
    private static void octal(byte[] header, int offset, int width, long value) {
        String digits = Long.toOctalString(value);
        if (digits.length() > width - 1) {
            throw new IllegalArgumentException("value too large for tar field: " + value);
        }
        ascii(header, offset, "0".repeat(width - 1 - digits.length()) + digits);
        header[offset + width - 1] = 0;
    }

    private static void ascii(byte[] header, int offset, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, offset, bytes.length);
    }
}
