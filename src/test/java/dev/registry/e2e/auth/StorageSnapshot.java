package dev.registry.e2e.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Every directory and file under the storage root, with each file's size and SHA-256: taken before
 * and after a refused request to show that the refusal changed nothing (no upload session, no
 * link, no deleted tag).
 */
record StorageSnapshot(Path root, SortedMap<String, String> entries) {

    static StorageSnapshot of(Path root) throws IOException {
        SortedMap<String, String> entries = new TreeMap<>();
        if (Files.exists(root)) {
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path path : paths.toList()) {
                    String name = root.relativize(path).toString();
                    if (Files.isDirectory(path)) {
                        entries.put(name + "/", "dir");
                    } else if (Files.isRegularFile(path)) {
                        entries.put(name, Files.size(path) + " bytes, sha256 " + sha256(Files.readAllBytes(path)));
                    } else {
                        entries.put(name, "other");
                    }
                }
            }
        }
        return new StorageSnapshot(root, entries);
    }

    /** Fails with the differences if the storage root no longer looks as in this snapshot. */
    void assertUnchanged(String context) throws IOException {
        StorageSnapshot now = of(root);
        if (now.entries.equals(entries)) {
            return;
        }
        List<String> changes = new ArrayList<>();
        for (Map.Entry<String, String> before : entries.entrySet()) {
            String after = now.entries.get(before.getKey());
            if (after == null) {
                changes.add("removed " + before.getKey());
            } else if (!after.equals(before.getValue())) {
                changes.add("changed " + before.getKey() + ": " + before.getValue() + " -> " + after);
            }
        }
        for (Map.Entry<String, String> after : now.entries.entrySet()) {
            if (!entries.containsKey(after.getKey())) {
                changes.add("added " + after.getKey());
            }
        }
        throw new AssertionError(context + ": a refused request changed the storage under " + root + ":\n  "
                + String.join("\n  ", changes));
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
