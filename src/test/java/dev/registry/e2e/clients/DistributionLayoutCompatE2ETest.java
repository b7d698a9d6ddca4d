package dev.registry.e2e.clients;

import static dev.registry.e2e.clients.E2eAssertions.assertImageInLayout;
import static dev.registry.e2e.clients.E2eAssertions.assertIndexInLayout;
import static dev.registry.e2e.clients.E2eAssertions.withServerLog;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.registry.e2e.RegistryProcess;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Our registry and CNCF Distribution ({@code docker-registry}) share the on-disk layout: content
 * pushed into one, with the server then stopped, is served by the other from the same root
 * directory byte for byte, with the same catalog and tags.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DistributionLayoutCompatE2ETest {
    private static final String APP = "e2e/compat/app";
    private static final String MULTI = "e2e/compat/multi";

    @BeforeEach
    void requireTools() {
        Cli.assumeTools(Skopeo.BINARY, DistributionRegistry.BINARY);
    }

    @Test
    void contentPushedIntoDockerRegistryIsServedByOurs() throws Exception {
        Path work = RegistryProcess.workDir("compat-from-distribution");
        Fixture fixture = new Fixture(work);
        Path storage = work.resolve("storage");
        try (RegistryUnderTest reference = DistributionRegistry.start(storage)) {
            withServerLog(reference, () -> fixture.push(reference));
        }
        try (RegistryUnderTest ours = RegistryUnderTest.start(storage)) {
            withServerLog(ours, () -> fixture.verify(ours, work.resolve("out")));
        }
    }

    @Test
    void contentPushedIntoOursIsServedByDockerRegistry() throws Exception {
        Path work = RegistryProcess.workDir("compat-to-distribution");
        Fixture fixture = new Fixture(work);
        Path storage = work.resolve("storage");
        try (RegistryUnderTest ours = RegistryUnderTest.start(storage)) {
            withServerLog(ours, () -> fixture.push(ours));
        }
        try (RegistryUnderTest reference = DistributionRegistry.start(storage)) {
            withServerLog(reference, () -> fixture.verify(reference, work.resolve("out")));
        }
    }

    /**
     * A 3-layer image tagged v1 and v2 in one repository and a two-platform index in another
     * (also pushed and verified through S3 by {@link S3E2ETest}).
     */
    static final class Fixture {
        final OciLayoutBuilder source;
        final OciLayoutBuilder.Image image;
        final OciLayoutBuilder.Index index;

        Fixture(Path work) throws Exception {
            source = new OciLayoutBuilder(work.resolve("source"));
            image = source.image("linux", "amd64", 4 * 1024, 300 * 1024, 1536 * 1024);
            source.tag(image.manifest(), "app");
            index = source.index(List.of(
                    source.image("linux", "amd64", 20 * 1024, 200 * 1024),
                    source.image("linux", "arm64", 30 * 1024, 100 * 1024)));
            source.tag(index.descriptor(), "multi");
        }

        void push(RegistryUnderTest registry) {
            String base = "docker://" + registry.hostPort() + "/";
            Skopeo.copy("oci:" + source.dir() + ":app", base + APP + ":v1", "--preserve-digests");
            Skopeo.copy("oci:" + source.dir() + ":app", base + APP + ":v2", "--preserve-digests");
            Skopeo.copy("oci:" + source.dir() + ":multi", base + MULTI + ":v1", "--all", "--preserve-digests");
        }

        void verify(RegistryUnderTest registry, Path out) throws Exception {
            JsonNode catalog = registry.getJson("/v2/_catalog");
            assertEquals(List.of(APP, MULTI), texts(catalog.path("repositories")), "catalog: " + catalog);
            JsonNode appTags = registry.getJson("/v2/" + APP + "/tags/list");
            assertEquals(APP, appTags.path("name").asText());
            assertEquals(List.of("v1", "v2"), texts(appTags.path("tags")), "tags: " + appTags);
            JsonNode multiTags = registry.getJson("/v2/" + MULTI + "/tags/list");
            assertEquals(List.of("v1"), texts(multiTags.path("tags")), "tags: " + multiTags);

            String base = "docker://" + registry.hostPort() + "/";
            assertArrayEquals(image.manifestBytes(), Skopeo.inspectRaw(base + APP + ":v2"));
            assertArrayEquals(index.bytes(), Skopeo.inspectRaw(base + MULTI + ":v1"));
            Skopeo.copy(base + APP + ":v1", "oci:" + out + ":app", "--preserve-digests");
            assertImageInLayout(out, "app", source.dir(), image);
            Skopeo.copy(base + MULTI + ":v1", "oci:" + out + ":multi", "--all", "--preserve-digests");
            assertIndexInLayout(out, "multi", source.dir(), index);
        }

        private static List<String> texts(JsonNode array) {
            List<String> values = new ArrayList<>();
            array.forEach(value -> values.add(value.asText()));
            return values.stream().sorted().toList();
        }
    }
}
