package dev.registry.e2e.clients;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * skopeo against a plain-HTTP loopback registry: every call disables TLS for the registry side
 * (containers/image then falls back to http) and skips signature policy checks.
 */
public final class Skopeo {
    public static final String BINARY = "skopeo";
    private static final Duration TIMEOUT = Duration.ofMinutes(4);

    private Skopeo() {
    }

    /** {@code skopeo copy [options] SRC DEST}; options such as {@code --all} or {@code --format v2s2}. */
    public static Cli.Result copy(String source, String destination, String... options) {
        List<String> command = new ArrayList<>(List.of(BINARY, "--insecure-policy", "copy", "--retry-times", "0"));
        if (source.startsWith("docker://")) {
            command.add("--src-tls-verify=false");
        }
        if (destination.startsWith("docker://")) {
            command.add("--dest-tls-verify=false");
        }
        command.addAll(List.of(options));
        command.add(source);
        command.add(destination);
        return Cli.of(command).timeout(TIMEOUT).check();
    }

    /** The manifest (or index) exactly as the registry serves it. */
    public static byte[] inspectRaw(String dockerReference) {
        return Cli.of(BINARY, "--insecure-policy", "inspect", "--raw", "--tls-verify=false", dockerReference)
                .timeout(TIMEOUT).check().stdoutBytes();
    }

    /** {@code skopeo list-tags}: the {@code Tags} array as a list. */
    public static List<String> listTags(String dockerRepository) throws IOException {
        Cli.Result result = Cli.of(BINARY, "--insecure-policy", "list-tags", "--tls-verify=false", dockerRepository)
                .timeout(TIMEOUT).check();
        JsonNode json = OciLayoutBuilder.JSON.readTree(result.stdoutBytes());
        List<String> tags = new ArrayList<>();
        json.path("Tags").forEach(tag -> tags.add(tag.asText()));
        return tags;
    }
}
