package dev.registry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Kubernetes manifests in {@code docker/kubernetes/} agree with the {@code config.yml} they
 * ship: the ConfigMap's configuration passes this project's validation as the container sees it
 * (the ConfigMap and Secret volumes laid out at their mount paths, the Deployment's environment
 * applied), its listen port is the container's and the Service's target port, its debug port is
 * the one every probe asks, its storage directory is on the PersistentVolumeClaim and its htpasswd
 * file is in the Secret's volume; the heap flag leaves room below the memory limit, and the grace
 * period outlasts the drain timeout.
 */
class KubernetesManifestsTest {
    private static final Path MANIFESTS = Path.of("..", "docker", "kubernetes");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Pattern ADDR_PORT = Pattern.compile(".*:(\\d+)");

    @TempDir
    Path containerRoot;

    @ParameterizedTest
    @ValueSource(strings = {"filesystem", "s3"})
    void manifestsAgreeWithTheirConfiguration(String variant) throws IOException {
        Manifests manifests = Manifests.read(MANIFESTS.resolve(variant));
        JsonNode deployment = manifests.one("Deployment");
        JsonNode pod = deployment.path("spec").path("template");
        JsonNode podSpec = pod.path("spec");
        assertEquals(1, podSpec.path("containers").size(), "one container");
        JsonNode container = podSpec.path("containers").get(0);

        // Labels: the Deployment, Service and PodDisruptionBudget select the pods the template makes.
        JsonNode podLabels = pod.path("metadata").path("labels");
        assertSelects(deployment.path("spec").path("selector").path("matchLabels"), podLabels, "Deployment");
        assertSelects(manifests.one("Service").path("spec").path("selector"), podLabels, "Service");
        assertSelects(manifests.one("PodDisruptionBudget").path("spec").path("selector").path("matchLabels"), podLabels,
                "PodDisruptionBudget");

        // The configuration file the container is told to serve, from the ConfigMap volume.
        JsonNode args = container.path("args");
        assertEquals("serve", args.path(0).asText(), "the container runs the server");
        String configPath = args.path(1).asText();
        Volume configVolume = manifests.volumeHolding(podSpec, container, configPath);
        String configMapName = configVolume.definition().path("configMap").path("name").asText();
        JsonNode configMap = manifests.named("ConfigMap", configMapName);
        String configText = configMap.path("data").path(Path.of(configPath).getFileName().toString()).asText(null);
        assertNotNull(configText, "ConfigMap " + configMapName + " holds " + Path.of(configPath).getFileName());

        // Lay out the container's file system: every ConfigMap and Secret volume at its mount path.
        Map<String, String> mounts = new HashMap<>();
        for (JsonNode mount : container.path("volumeMounts")) {
            String mountPath = mount.path("mountPath").asText();
            mounts.put(mountPath, mount.path("name").asText());
            JsonNode volume = manifests.volume(podSpec, mount.path("name").asText());
            Map<String, String> files = new HashMap<>();
            if (volume.has("configMap")) {
                manifests.named("ConfigMap", volume.path("configMap").path("name").asText()).path("data").properties()
                        .forEach(entry -> files.put(entry.getKey(), entry.getValue().asText()));
            } else if (volume.has("secret")) {
                manifests.named("Secret", volume.path("secret").path("secretName").asText()).path("stringData").properties()
                        .forEach(entry -> files.put(entry.getKey(), entry.getValue().asText()));
            }
            Path directory = inContainer(mountPath);
            Files.createDirectories(directory);
            for (Map.Entry<String, String> file : files.entrySet()) {
                Files.writeString(directory.resolve(file.getKey()), file.getValue());
            }
        }

        // Load config.yml as the server in the container would: paths seen through the mounts,
        // the Deployment's REGISTRY_* variables (Secret references resolved) on top.
        ObjectNode tree = (ObjectNode) YAML.readTree(configText);
        relocate(tree, mounts.keySet());
        Path configFile = containerRoot.resolve("config-as-seen.yml");
        Files.writeString(configFile, YAML.writeValueAsString(tree));
        Map<String, String> env = manifests.environment(container);
        List<String> warnings = new ArrayList<>();
        RegistryConfig config = ConfigLoader.load(Optional.of(configFile), env, warnings::add);
        // http.debug belongs to the debug listener (metrics and health): while the key schema still
        // lists it as not supported, its warnings are expected; any other warning is a mistake.
        boolean debugListenerMissing = KeySchema.ROOT.child("http").flatMap(http -> http.child("debug"))
                .map(debug -> debug.kind() == KeySchema.Kind.UNSUPPORTED).orElse(true);
        assertEquals(List.of(), warnings.stream()
                        .filter(w -> !(debugListenerMissing && w.startsWith("configuration key 'http.debug."))).toList(),
                "the shipped configuration loads without warnings");

        // Ports: http.addr = the container's port = the Service's targetPort.
        int httpPort = config.http().port();
        assertEquals(httpPort, manifests.containerPort(container, "http"), "containerPort 'http' is http.addr's port");
        JsonNode servicePort = manifests.one("Service").path("spec").path("ports").get(0);
        assertEquals(httpPort, manifests.resolvePort(container, servicePort.path("targetPort")), "Service targetPort");

        // Probes: on the debug listener (plain HTTP, never behind auth), at /livez and /readyz.
        String debugAddr = tree.path("http").path("debug").path("addr").asText();
        Matcher debugPort = ADDR_PORT.matcher(debugAddr);
        assertTrue(debugPort.matches(), "http.debug.addr is set: " + debugAddr);
        int debug = Integer.parseInt(debugPort.group(1));
        assertNotEquals(httpPort, debug);
        assertEquals(debug, manifests.containerPort(container, "debug"), "containerPort 'debug' is http.debug.addr's port");
        Map<String, String> probePaths = Map.of("livenessProbe", "/livez", "readinessProbe", "/readyz", "startupProbe", "/livez");
        for (Map.Entry<String, String> probe : probePaths.entrySet()) {
            JsonNode httpGet = container.path(probe.getKey()).path("httpGet");
            assertFalse(httpGet.isMissingNode(), probe.getKey() + " is an httpGet probe");
            assertEquals(probe.getValue(), httpGet.path("path").asText(), probe.getKey() + " path");
            assertEquals(debug, manifests.resolvePort(container, httpGet.path("port")), probe.getKey() + " port");
            assertFalse(httpGet.has("scheme") && !httpGet.path("scheme").asText().equals("HTTP"), "the debug listener is plain HTTP");
        }
        Set<Integer> servicePorts = new java.util.HashSet<>();
        manifests.one("Service").path("spec").path("ports")
                .forEach(port -> servicePorts.add(manifests.resolvePort(container, port.path("targetPort"))));
        assertFalse(servicePorts.contains(debug), "the Service does not expose the debug listener");

        // Files: htpasswd in the Secret's volume, under a key of that Secret.
        Path htpasswd = outOfContainer(config.auth().htpasswd().path());
        Volume auth = manifests.volumeHolding(podSpec, container, htpasswd.toString());
        String secretName = auth.definition().path("secret").path("secretName").asText();
        assertTrue(manifests.named("Secret", secretName).path("stringData").has(htpasswd.getFileName().toString()),
                "Secret " + secretName + " holds " + htpasswd.getFileName());

        // Storage: filesystem on the claim; S3 with its keys from a Secret and several replicas.
        if (variant.equals("filesystem")) {
            Path root = outOfContainer(assertInstanceOf(FilesystemConfig.class, config.storage().driver()).rootDirectory());
            Volume data = manifests.volumeHolding(podSpec, container, root.toString());
            String claim = data.definition().path("persistentVolumeClaim").path("claimName").asText();
            assertEquals("ReadWriteOnce", manifests.named("PersistentVolumeClaim", claim).path("spec").path("accessModes")
                    .path(0).asText());
            assertFalse(data.readOnly(), "the data volume is writable");
            assertEquals(1, deployment.path("spec").path("replicas").asInt(), "one pod on a ReadWriteOnce claim");
            assertEquals("Recreate", deployment.path("spec").path("strategy").path("type").asText());
            assertEquals(65532, podSpec.path("securityContext").path("fsGroup").asInt(), "the claim is writable for uid 65532");
        } else {
            S3Config s3 = assertInstanceOf(S3Config.class, config.storage().driver());
            JsonNode s3Secret = manifests.named("Secret", "registry-s3").path("stringData");
            assertEquals(s3Secret.path("accesskey").asText(), s3.accessKey(), "access key from the Secret");
            assertEquals(s3Secret.path("secretkey").asText(), s3.secretKey(), "secret key from the Secret");
            assertEquals(3, deployment.path("spec").path("replicas").asInt());
            assertTrue(manifests.ofKind("PersistentVolumeClaim").isEmpty(), "no volume: the bucket holds the data");
            assertEquals(0, deployment.path("spec").path("strategy").path("rollingUpdate").path("maxUnavailable").asInt(),
                    "a rollout keeps every replica serving");
        }
        assertEquals(1, manifests.one("PodDisruptionBudget").path("spec").path("maxUnavailable").asInt(),
                "drains take one pod at a time and are never blocked");

        // Every other mount the container needs: a writable /tmp (the root file system is read-only).
        assertTrue(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean());
        assertFalse(manifests.volumeHolding(podSpec, container, "/tmp/x").readOnly(), "/tmp is writable");

        // Memory: the heap stays well below the limit (Netty's direct buffers, metaspace, threads
        // and the code cache live outside it).
        long limit = quantity(container.path("resources").path("limits").path("memory").asText());
        long heap = maxHeap(env.getOrDefault("JDK_JAVA_OPTIONS", ""), limit);
        assertTrue(heap * 10 <= limit * 6, "heap " + heap + " is at most 60% of the memory limit " + limit);

        // Shutdown: Kubernetes waits longer than the preStop sleep plus http.draintimeout.
        Duration drain = config.http().drainTimeout();
        JsonNode preStop = container.path("lifecycle").path("preStop").path("exec").path("command");
        long sleep = preStop.path(0).asText().equals("sleep") ? preStop.path(1).asLong() : 0;
        long grace = podSpec.path("terminationGracePeriodSeconds").asLong(30);
        assertTrue(grace >= drain.toSeconds() + sleep + 5, "terminationGracePeriodSeconds " + grace + " covers the "
                + sleep + " s preStop sleep, the " + drain.toSeconds() + " s drain and a margin");

        // Non-root, as the image.
        assertTrue(podSpec.path("securityContext").path("runAsNonRoot").asBoolean());
        assertNotEquals(0, podSpec.path("securityContext").path("runAsUser").asInt(0));
    }

    private static void assertSelects(JsonNode selector, JsonNode labels, String what) {
        assertFalse(selector.isEmpty(), what + " has a selector");
        selector.properties().forEach(entry -> assertEquals(entry.getValue(), labels.path(entry.getKey()),
                what + " selects the pods by " + entry.getKey()));
    }

    /** Where a path of the container lies in this test's stand-in for its file system. */
    private Path inContainer(String absolute) {
        return containerRoot.resolve(absolute.substring(1));
    }

    /** The container path of a file in the stand-in. */
    private Path outOfContainer(Path local) {
        assertTrue(local.startsWith(containerRoot), local + " is in the container's file system");
        return Path.of("/").resolve(containerRoot.relativize(local));
    }

    /** Rewrites every string under one of the mount paths to its place in the stand-in. */
    private void relocate(ObjectNode node, Set<String> mountPaths) {
        for (Map.Entry<String, JsonNode> field : List.copyOf(node.properties())) {
            if (field.getValue() instanceof ObjectNode child) {
                relocate(child, mountPaths);
            } else if (field.getValue().isTextual()) {
                String value = field.getValue().asText();
                if (mountPaths.stream().anyMatch(mount -> value.equals(mount) || value.startsWith(mount + "/"))) {
                    node.set(field.getKey(), TextNode.valueOf(inContainer(value).toString()));
                }
            }
        }
    }

    /** A Kubernetes memory quantity in bytes: {@code 1Gi}, {@code 512Mi}, {@code 1G}, {@code 1000000}. */
    static long quantity(String text) {
        Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?").matcher(text);
        assertTrue(m.matches(), "a memory quantity: " + text);
        long unit = switch (m.group(2) == null ? "" : m.group(2)) {
            case "Ki" -> 1L << 10;
            case "Mi" -> 1L << 20;
            case "Gi" -> 1L << 30;
            case "Ti" -> 1L << 40;
            case "k" -> 1_000L;
            case "M" -> 1_000_000L;
            case "G" -> 1_000_000_000L;
            case "T" -> 1_000_000_000_000L;
            default -> 1L;
        };
        return new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)).longValueExact();
    }

    /**
     * The maximum heap the JVM in the image gets: {@code -Xmx} when given, else the percentage of
     * the limit from {@code -XX:MaxRAMPercentage} (the image's own flag is 50).
     */
    static long maxHeap(String javaOptions, long limit) {
        Matcher xmx = Pattern.compile("(?:^|\\s)-Xmx(\\d+)([kKmMgG]?)(?:\\s|$)").matcher(javaOptions);
        if (xmx.find()) {
            long unit = switch (xmx.group(2).toLowerCase(java.util.Locale.ROOT)) {
                case "k" -> 1L << 10;
                case "m" -> 1L << 20;
                case "g" -> 1L << 30;
                default -> 1L;
            };
            return Long.parseLong(xmx.group(1)) * unit;
        }
        Matcher percentage = Pattern.compile("-XX:MaxRAMPercentage=(\\d+(?:\\.\\d+)?)").matcher(javaOptions);
        double percent = percentage.find() ? Double.parseDouble(percentage.group(1)) : 50;
        return (long) (limit * percent / 100);
    }

    @ParameterizedTest
    @ValueSource(strings = {"filesystem", "s3"})
    void everyDocumentIsAnObjectKubectlAccepts(String variant) throws IOException {
        Manifests manifests = Manifests.read(MANIFESTS.resolve(variant));
        Set<String> kinds = new java.util.TreeSet<>();
        for (JsonNode document : manifests.documents()) {
            assertFalse(document.path("apiVersion").asText().isEmpty(), "apiVersion in " + document);
            assertFalse(document.path("metadata").path("name").asText().isEmpty(), "metadata.name in " + document);
            assertFalse(document.path("metadata").has("namespace"), "the namespace comes from kubectl -n");
            kinds.add(document.path("kind").asText());
        }
        Set<String> expected = new java.util.TreeSet<>(Set.of("ConfigMap", "Deployment", "PodDisruptionBudget", "Secret", "Service"));
        if (variant.equals("filesystem")) {
            expected.add("PersistentVolumeClaim");
        }
        assertEquals(expected, kinds);
    }

    /** A volume of the pod as one container mounts it. */
    record Volume(String mountPath, boolean readOnly, JsonNode definition) {
    }

    /** The documents of one directory of manifests. */
    record Manifests(List<JsonNode> documents) {
        static Manifests read(Path directory) throws IOException {
            assertTrue(Files.isDirectory(directory), directory.toAbsolutePath() + " exists");
            List<JsonNode> documents = new ArrayList<>();
            try (Stream<Path> files = Files.list(directory)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                    try (MappingIterator<JsonNode> iterator = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
                        while (iterator.hasNext()) {
                            JsonNode document = iterator.next();
                            if (document != null && !document.isNull() && !document.isEmpty()) {
                                documents.add(document);
                            }
                        }
                    }
                }
            }
            return new Manifests(documents);
        }

        List<JsonNode> ofKind(String kind) {
            return documents.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
        }

        JsonNode one(String kind) {
            List<JsonNode> found = ofKind(kind);
            assertEquals(1, found.size(), "one " + kind);
            return found.get(0);
        }

        JsonNode named(String kind, String name) {
            return ofKind(kind).stream().filter(d -> d.path("metadata").path("name").asText().equals(name)).findFirst()
                    .orElseGet(() -> fail("no " + kind + " named " + name));
        }

        JsonNode volume(JsonNode podSpec, String name) {
            for (JsonNode volume : podSpec.path("volumes")) {
                if (volume.path("name").asText().equals(name)) {
                    return volume;
                }
            }
            return fail("no volume " + name + " in the pod");
        }

        /** The mounted volume whose mount path is or holds {@code path} (the innermost one). */
        Volume volumeHolding(JsonNode podSpec, JsonNode container, String path) {
            JsonNode best = null;
            for (JsonNode mount : container.path("volumeMounts")) {
                String mountPath = mount.path("mountPath").asText();
                if ((path.equals(mountPath) || path.startsWith(mountPath + "/")) && (best == null
                        || mountPath.length() > best.path("mountPath").asText().length())) {
                    best = mount;
                }
            }
            if (best == null) {
                return fail(path + " is on no mounted volume");
            }
            return new Volume(best.path("mountPath").asText(), best.path("readOnly").asBoolean(false),
                    volume(podSpec, best.path("name").asText()));
        }

        int containerPort(JsonNode container, String name) {
            for (JsonNode port : container.path("ports")) {
                if (port.path("name").asText().equals(name)) {
                    return port.path("containerPort").asInt();
                }
            }
            return fail("no container port named " + name);
        }

        /** A port given as a number or as the name of a container port. */
        int resolvePort(JsonNode container, JsonNode port) {
            return port.isInt() ? port.asInt() : containerPort(container, port.asText());
        }

        /** The container's environment, values from Secrets resolved. */
        Map<String, String> environment(JsonNode container) {
            Map<String, String> env = new HashMap<>();
            for (JsonNode variable : container.path("env")) {
                String name = variable.path("name").asText();
                if (variable.has("value")) {
                    env.put(name, variable.path("value").asText());
                } else {
                    JsonNode reference = variable.path("valueFrom").path("secretKeyRef");
                    JsonNode value = named("Secret", reference.path("name").asText()).path("stringData")
                            .path(reference.path("key").asText());
                    assertTrue(value.isTextual(), name + " refers to a key the Secret has");
                    env.put(name, value.asText());
                }
            }
            return env;
        }
    }
}
