package dev.registry.storage;

import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Link files: small objects whose whole content is a digest, as distribution writes them
 * ({@code sha256:...}, no newline). They are how a repository refers to global blobs.
 */
final class Links {
    private final StorageDriver driver;

    Links(StorageDriver driver) {
        this.driver = driver;
    }

    /**
     * The digest the link names, or empty if the link does not exist.
     *
     * @throws CorruptLinkException if the file exists but does not hold a digest
     */
    Optional<Digest> read(String path) throws IOException {
        byte[] content;
        try {
            content = driver.getContent(path);
        } catch (PathNotFoundException e) {
            return Optional.empty();
        }
        String value = new String(content, StandardCharsets.UTF_8).trim();
        try {
            return Optional.of(Digest.parse(value));
        } catch (RegistryException corrupt) {
            throw new CorruptLinkException(path);
        }
    }

    boolean exists(String path) throws IOException {
        try {
            driver.stat(path);
            return true;
        } catch (PathNotFoundException e) {
            return false;
        }
    }

    void write(String path, Digest digest) throws IOException {
        driver.putContent(path, digest.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Deletes {@code path} if it exists; reports whether it did. */
    boolean delete(String path) throws IOException {
        try {
            driver.delete(path);
            return true;
        } catch (PathNotFoundException e) {
            return false;
        }
    }

    /**
     * A link file that exists but does not hold a digest: never written by this registry (its
     * writes are atomic), but possible in a directory another tool wrote without syncing.
     */
    static final class CorruptLinkException extends IOException {
        CorruptLinkException(String path) {
            super("link file " + path + " does not hold a digest");
        }
    }
}
