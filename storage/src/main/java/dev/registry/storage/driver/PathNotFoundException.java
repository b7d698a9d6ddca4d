package dev.registry.storage.driver;

import java.io.IOException;

/** The path does not exist in the storage backend. */
public class PathNotFoundException extends IOException {
    public PathNotFoundException(String path) {
        super("path not found: " + path);
    }
}
