package dev.registry.e2e.api;

import dev.registry.e2e.RegistryProcess;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Garbage collection against the packaged server: the jar's offline {@code garbage-collect}
 * (dry run, then for real, then the remaining images pull bit for bit and the removed ones are
 * gone), and the online collection while the server takes pushes.
 */
class GarbageCollectionE2ETest {

    /** An image as pushed: its manifest bytes and every blob's bytes. */
    record Image(String repo, String reference, byte[] manifest, List<byte[]> blobs) {
        String digest() {
            return Digests.sha256(manifest);
        }
    }

    private static Image push(RegistryClient client, String repo, String tag, byte[]... layers) throws Exception {
        byte[] config = Manifests.uniqueConfig();
        Descriptor configDescriptor = client.pushBlob(repo, config, Manifests.OCI_CONFIG);
        List<Descriptor> layerDescriptors = new java.util.ArrayList<>();
        for (byte[] layer : layers) {
            layerDescriptors.add(client.pushBlob(repo, layer, Manifests.OCI_LAYER));
        }
        byte[] manifest = Manifests.ociManifest(configDescriptor, layerDescriptors);
        String reference = tag == null ? Digests.sha256(manifest) : tag;
        client.pushManifest(repo, reference, Manifests.OCI_MANIFEST, manifest);
        List<byte[]> blobs = new java.util.ArrayList<>();
        blobs.add(config);
        blobs.addAll(List.of(layers));
        return new Image(repo, reference, manifest, blobs);
    }

    private static void assertPulls(RegistryClient client, Image image) throws Exception {
        ApiResponse manifest = client.getManifest(image.repo(), image.reference());
        assertEquals(200, manifest.status(), manifest::toString);
        assertArrayEquals(image.manifest(), manifest.body());
        for (byte[] blob : image.blobs()) {
            ApiResponse response = client.get("/v2/" + image.repo() + "/blobs/" + Digests.sha256(blob));
            assertEquals(200, response.status(), response::toString);
            assertArrayEquals(blob, response.body(), "blob " + Digests.sha256(blob) + " of " + image.repo());
        }
    }

    private static void assertGone(RegistryClient client, String repo, String digest) throws Exception {
        assertEquals(404, client.get("/v2/" + repo + "/blobs/" + digest).status(), digest + " in " + repo);
    }

    private static Path config(Path dir, Path root, int port, String maintenance) throws Exception {
        return Files.writeString(dir.resolve("config.yml"), """
                version: 0.1
                http:
                  addr: 127.0.0.1:%d
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                %s
                """.formatted(port, root, maintenance));
    }

    private static Set<String> removedBlobs(String output, String verb) {
        Set<String> digests = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^" + verb + " blob (sha256:[0-9a-f]{64}) \\(\\d+ bytes\\)$").matcher(output);
        while (m.find()) {
            digests.add(m.group(1));
        }
        return digests;
    }

    @Test
    void offlineGarbageCollectRemovesOnlyWhatNothingReferences() throws Exception {
        Path dir = RegistryProcess.workDir("gc-offline");
        Path root = dir.resolve("data");
        int port = RegistryProcess.freePort();
        Path config = config(dir, root, port, "");
        byte[] shared = Digests.randomBytes(300_000);
        Image kept;
        Image other;
        Image deleted;
        Image untagged;
        Image child;
        String index;
        try (RegistryProcess server = RegistryProcess.startWithConfig(config, port, java.util.Map.of())) {
            RegistryClient client = new RegistryClient(server.baseUrl());
            kept = push(client, "gc/one", "v1", shared, Digests.randomBytes(50_000));
            deleted = push(client, "gc/one", "v2", shared, Digests.randomBytes(70_000));
            other = push(client, "gc/two", "latest", shared);
            untagged = push(client, "gc/two", null, Digests.randomBytes(20_000));
            child = push(client, "gc/two", null, Digests.randomBytes(10_000));
            byte[] indexBytes = Manifests.ociIndex(List.of(new Descriptor(Manifests.OCI_MANIFEST, child.digest(), child.manifest().length)),
                    null, null, null);
            index = client.pushManifest("gc/two", "multi", Manifests.OCI_INDEX, indexBytes);
            assertEquals(202, client.delete("/v2/gc/one/manifests/" + deleted.digest()).status());
        }
        Set<String> garbage = new TreeSet<>(Set.of(deleted.digest(), Digests.sha256(deleted.blobs().get(0)), Digests.sha256(deleted.blobs().get(2))));
        long garbageBytes = deleted.manifest().length + deleted.blobs().get(0).length + deleted.blobs().get(2).length;

        JarCommand.Result dry = JarCommand.run(null, "garbage-collect", "--dry-run", config.toString());
        assertEquals(0, dry.exitCode(), dry::toString);
        assertEquals(garbage, removedBlobs(dry.stdout(), "would remove"), dry::toString);
        assertTrue(dry.stdout().endsWith("would reclaim " + garbageBytes + " bytes\n"), dry::toString);
        assertTrue(Files.exists(root.resolve("docker/registry/v2/blobs/sha256/" + deleted.digest().substring(7, 9) + "/"
                + deleted.digest().substring(7) + "/data")), "a dry run removes nothing");

        JarCommand.Result real = JarCommand.run(null, "garbage-collect", config.toString());
        assertEquals(0, real.exitCode(), real::toString);
        assertEquals(garbage, removedBlobs(real.stdout(), "removed"), real::toString);
        assertTrue(real.stdout().endsWith("reclaimed " + garbageBytes + " bytes\n"), real::toString);

        JarCommand.Result untaggedRun = JarCommand.run(null, "garbage-collect", "--delete-untagged", config.toString());
        assertEquals(0, untaggedRun.exitCode(), untaggedRun::toString);
        assertTrue(untaggedRun.stdout().contains("removed manifest gc/two " + untagged.digest()), untaggedRun::toString);
        assertEquals(new TreeSet<>(Set.of(untagged.digest(), Digests.sha256(untagged.blobs().get(0)), Digests.sha256(untagged.blobs().get(1)))),
                removedBlobs(untaggedRun.stdout(), "removed"), untaggedRun::toString);

        try (RegistryProcess server = RegistryProcess.startWithConfig(config, port, java.util.Map.of())) {
            RegistryClient client = new RegistryClient(server.baseUrl());
            assertPulls(client, kept);
            assertPulls(client, other);
            assertPulls(client, new Image("gc/two", child.digest(), child.manifest(), child.blobs()));
            assertEquals(200, client.getManifest("gc/two", "multi").status());
            assertEquals(index, Digests.sha256(client.getManifest("gc/two", "multi").body()));
            assertEquals(404, client.getManifest("gc/one", deleted.digest()).status());
            assertEquals(404, client.getManifest("gc/two", untagged.digest()).status());
            assertGone(client, "gc/one", Digests.sha256(deleted.blobs().get(2)));
            assertGone(client, "gc/one", Digests.sha256(deleted.blobs().get(0)));
            assertGone(client, "gc/two", Digests.sha256(untagged.blobs().get(1)));
        }
    }

    /**
     * The example against the running server: interval 2s, grace period 8s. Garbage older
     * than the grace period is collected while a blob uploaded 4 s before its manifest, and an
     * upload held open across the collections, both end up in a pushed image.
     */
    @Test
    void onlineCollectionRemovesOldGarbageButNotAPushInProgress() throws Exception {
        Path dir = RegistryProcess.workDir("gc-online");
        Path root = dir.resolve("data");
        int port = RegistryProcess.freePort();
        Path config = config(dir, root, port, """
                  maintenance:
                    garbagecollect:
                      enabled: true
                      interval: 2s
                      graceperiod: 8s
                """);
        try (RegistryProcess server = RegistryProcess.startWithConfig(config, port, java.util.Map.of())) {
            RegistryClient client = new RegistryClient(server.baseUrl());
            byte[] shared = Digests.randomBytes(100_000);
            Image kept = push(client, "live/app", "v1", shared);
            Image deleted = push(client, "live/app", "v2", shared, Digests.randomBytes(60_000));
            assertEquals(202, client.delete("/v2/live/app/manifests/" + deleted.digest()).status());
            Thread.sleep(3_000);
            Image later = push(client, "live/app", "v2", Digests.randomBytes(30_000));
            assertEquals(202, client.delete("/v2/live/app/manifests/" + later.digest()).status());
            Thread.sleep(7_000); // the first deleted image's blobs are now older than the grace period (and its 1 s slack)

            byte[] config1 = Manifests.uniqueConfig();
            byte[] layer = Digests.randomBytes(80_000);
            Descriptor configDescriptor = client.pushBlob("live/app", config1, Manifests.OCI_CONFIG);
            Descriptor layerDescriptor = client.pushBlob("live/app", layer, Manifests.OCI_LAYER);
            byte[] heldBlob = Digests.randomBytes(120_000);
            String upload = client.newUpload("live/app");
            ApiResponse chunk = client.patch(upload, java.util.Arrays.copyOf(heldBlob, 60_000), "Content-Type", "application/octet-stream");
            assertEquals(202, chunk.status(), chunk::toString);
            Thread.sleep(4_500); // two collections run meanwhile, and the later garbage comes of age during them
            String log = server.output();
            assertTrue(log.contains("garbage collection removed blob " + Digests.sha256(deleted.blobs().get(2))), log);
            int held = log.indexOf("PATCH /v2/live/app/blobs/uploads/");
            int laterRemoved = log.indexOf("garbage collection removed blob " + Digests.sha256(later.blobs().get(1)));
            assertTrue(held > 0 && laterRemoved > held, "the later garbage is removed while the blob and the upload wait:\n" + log);
            assertGone(client, "live/app", Digests.sha256(deleted.blobs().get(2)));
            assertGone(client, "live/app", Digests.sha256(later.blobs().get(1)));
            assertPulls(client, kept);

            ApiResponse finish = client.put(RegistryClient.withDigest(client.location(chunk), Digests.sha256(heldBlob)),
                    java.util.Arrays.copyOfRange(heldBlob, 60_000, heldBlob.length), "Content-Type", "application/octet-stream");
            assertEquals(201, finish.status(), finish::toString);
            byte[] manifest = Manifests.ociManifest(configDescriptor,
                    List.of(layerDescriptor, new Descriptor(Manifests.OCI_LAYER, Digests.sha256(heldBlob), heldBlob.length)));
            client.pushManifest("live/app", "v3", Manifests.OCI_MANIFEST, manifest);
            assertPulls(client, new Image("live/app", "v3", manifest, List.of(config1, layer, heldBlob)));
            assertTrue(new String(Files.readAllBytes(dir.resolve("server.log")), StandardCharsets.UTF_8)
                    .contains("online garbage collection every 2s, grace period 8s"), server::output);
        }
    }
}
