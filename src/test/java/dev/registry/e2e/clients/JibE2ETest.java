package dev.registry.e2e.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import dev.registry.e2e.RegistryProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jib (jib-core, the library behind the jib-maven-plugin and jib-gradle-plugin) builds images
 * without a Docker daemon and pushes them to the packaged server over plain HTTP: an image from
 * scratch, then an image on top of it, which Jib pulls from the registry as its base and whose
 * layers it mounts across repositories instead of uploading them again. Every manifest and blob
 * it pushed is read back and checked by digest.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class JibE2ETest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String MANIFEST_TYPES = String.join(",", "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json");

    private Path work;
    private RegistryProcess registry;

    @BeforeEach
    void start() throws Exception {
        work = RegistryProcess.workDir("jib");
        registry = RegistryProcess.start(work.resolve("storage"));
    }

    @AfterEach
    void stop() throws InterruptedException {
        registry.close();
    }

    @Test
    void jibPushesAnImageAndBuildsAnotherOnItPulledFromTheRegistry() throws Exception {
        Path app = Files.createDirectories(work.resolve("app"));
        byte[] binary = new byte[2 * 1024 * 1024 + 333];
        new Random(7).nextBytes(binary);
        Files.write(app.resolve("server.bin"), binary);
        Files.writeString(app.resolve("config.properties"), "greeting=hello\n");
        String base = registry.hostPort() + "/jib/base:1.0";

        JibContainer first = Jib.fromScratch()
                .addLayer(List.of(app.resolve("server.bin"), app.resolve("config.properties")), AbsoluteUnixPath.get("/app"))
                .setEntrypoint("/app/server.bin")
                .containerize(Containerizer.to(RegistryImage.named(base)).setAllowInsecureRegistries(true));

        JsonNode baseManifest = checkImage("jib/base", "1.0", first.getDigest().toString(), first.getImageId().toString());
        assertEquals(1, baseManifest.path("layers").size());

        Path extra = Files.createDirectories(work.resolve("extra"));
        Files.writeString(extra.resolve("motd"), "built on a base pulled from the registry under test\n");
        JibContainer second = Jib.from(RegistryImage.named(base))
                .addLayer(List.of(extra.resolve("motd")), AbsoluteUnixPath.get("/etc"))
                .containerize(Containerizer.to(RegistryImage.named(registry.hostPort() + "/jib/derived:2.0"))
                        .setAllowInsecureRegistries(true));

        JsonNode derivedManifest = checkImage("jib/derived", "2.0", second.getDigest().toString(),
                second.getImageId().toString());
        assertEquals(2, derivedManifest.path("layers").size());
        assertEquals(baseManifest.path("layers").get(0).path("digest").asText(),
                derivedManifest.path("layers").get(0).path("digest").asText(), "the base's layer, reused");
        String baseLayer = baseManifest.path("layers").get(0).path("digest").asText();
        assertTrue(registry.output().contains("\"POST /v2/jib/derived/blobs/uploads/?mount=" + baseLayer + "&from=jib/base\" 201"),
                "Jib mounted the base's layer instead of uploading it again (access log):\n" + registry.output());
        JsonNode config = JSON.readTree(get("/v2/jib/derived/blobs/" + derivedManifest.path("config").path("digest").asText()).body());
        assertEquals("/app/server.bin", config.path("config").path("Entrypoint").get(0).asText(), "inherited from the base");

        // the layer inside the base's tarball holds the bytes Jib was given
        String layer = baseManifest.path("layers").get(0).path("digest").asText();
        byte[] tar = E2eAssertions.layerTar(get("/v2/jib/base/blobs/" + layer).body());
        assertTrue(E2eAssertions.containsBytes(tar, binary), "server.bin inside the pushed layer");
    }

    /**
     * Fetches the manifest of {@code repository:tag} and checks its digest, then every blob it
     * names by digest and size; returns the manifest.
     */
    private JsonNode checkImage(String repository, String tag, String digest, String imageId) throws Exception {
        HttpResponse<byte[]> byTag = HTTP.send(HttpRequest.newBuilder(URI.create(registry.baseUrl() + "/v2/" + repository
                + "/manifests/" + tag)).header("Accept", MANIFEST_TYPES).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, byTag.statusCode(), repository + ":" + tag);
        assertEquals(digest, byTag.headers().firstValue("Docker-Content-Digest").orElse(null));
        assertEquals(digest, sha256(byTag.body()), "the manifest's bytes hash to the digest Jib reported");
        JsonNode manifest = JSON.readTree(byTag.body());
        assertEquals(imageId, manifest.path("config").path("digest").asText(), "Jib's image id is the config's digest");

        List<JsonNode> blobs = new ArrayList<>();
        blobs.add(manifest.path("config"));
        manifest.path("layers").forEach(blobs::add);
        for (JsonNode blob : blobs) {
            HttpResponse<byte[]> response = get("/v2/" + repository + "/blobs/" + blob.path("digest").asText());
            assertEquals(200, response.statusCode(), blob.toString());
            assertEquals(blob.path("size").asLong(), response.body().length, blob.toString());
            assertEquals(blob.path("digest").asText(), sha256(response.body()));
        }
        return manifest;
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(registry.baseUrl() + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
