package dev.registry.storage;

import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Tags: named, movable pointers from a repository to one of its manifests. */
public final class TagService {
    private final StorageDriver driver;
    private final Links links;

    public TagService(StorageDriver driver) {
        this.driver = driver;
        this.links = new Links(driver);
    }

    /** The manifest digest {@code tag} points to in {@code name}, if the tag exists. */
    public Optional<Digest> resolve(String name, String tag) throws IOException {
        return links.read(PathLayout.tagCurrentLink(name, tag));
    }

    /**
     * Points {@code tag} at {@code digest}. The current link is replaced atomically, so a
     * concurrent reader sees the old or the new manifest; with concurrent writers the last wins.
     */
    public void tag(String name, String tag, Digest digest) throws IOException {
        links.write(PathLayout.tagIndexLink(name, tag, digest), digest);
        links.write(PathLayout.tagCurrentLink(name, tag), digest);
    }

    /** Removes the tag; reports whether it existed. */
    public boolean untag(String name, String tag) throws IOException {
        if (resolve(name, tag).isEmpty()) {
            return false;
        }
        return links.delete(PathLayout.tagDirectory(name, tag));
    }

    /**
     * All tags of {@code name}, sorted; {@code NAME_UNKNOWN} if the repository does not exist.
     */
    public List<String> list(String name) throws IOException {
        List<String> tags = new ArrayList<>();
        try {
            for (String path : driver.list(PathLayout.tags(name))) {
                String tag = path.substring(path.lastIndexOf('/') + 1);
                if (RepositoryName.isValidTag(tag)) {
                    tags.add(tag);
                }
            }
        } catch (PathNotFoundException e) {
            if (!repositoryExists(name)) {
                throw new RegistryException(ErrorCode.NAME_UNKNOWN, "repository name not known to registry",
                        java.util.Map.of("name", name));
            }
        }
        tags.sort(null);
        return tags;
    }

    /** Tags of {@code name} that currently point to {@code digest}. */
    public List<String> tagsOf(String name, Digest digest) throws IOException {
        List<String> result = new ArrayList<>();
        List<String> all;
        try {
            all = list(name);
        } catch (RegistryException unknownRepository) {
            return result;
        }
        for (String tag : all) {
            if (resolve(name, tag).filter(digest::equals).isPresent()) {
                result.add(tag);
            }
        }
        return result;
    }

    boolean repositoryExists(String name) throws IOException {
        return links.exists(PathLayout.repository(name));
    }
}
