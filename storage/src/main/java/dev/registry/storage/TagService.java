package dev.registry.storage;

import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/** Tags: named, movable pointers from a repository to one of its manifests. */
public final class TagService {
    private static final Logger LOG = LoggerFactory.getLogger(TagService.class);

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
     *
     * <p>The current link is written before the index entry (registry:2 writes them the other
     * way round): a crash between the two then leaves a tag that resolves and lacks only its
     * history entry, never a listed tag without a manifest. Listings skip a tag directory
     * without a current link all the same ({@link #list}), because creating the directory, a
     * crash in the middle of {@link #untag}, or another tool can still leave one.
     */
    public void tag(String name, String tag, Digest digest) throws IOException {
        links.write(PathLayout.tagCurrentLink(name, tag), digest);
        links.write(PathLayout.tagIndexLink(name, tag, digest), digest);
    }

    /** Removes the tag; reports whether it existed. */
    public boolean untag(String name, String tag) throws IOException {
        if (resolve(name, tag).isEmpty()) {
            return false;
        }
        return links.delete(PathLayout.tagDirectory(name, tag));
    }

    /**
     * All tags of {@code name} that resolve, sorted; {@code NAME_UNKNOWN} if the repository does
     * not exist. A tag directory whose {@code current/link} is missing or does not hold a digest
     * is half written or half deleted, and is left out, so every listed tag resolves.
     */
    public List<String> list(String name) throws IOException {
        return new ArrayList<>(current(name).keySet());
    }

    /** Tags of {@code name} that currently point to {@code digest}. */
    public List<String> tagsOf(String name, Digest digest) throws IOException {
        List<String> result = new ArrayList<>();
        Map<String, Digest> all;
        try {
            all = current(name);
        } catch (RegistryException unknownRepository) {
            return result;
        }
        all.forEach((tag, target) -> {
            if (target.equals(digest)) {
                result.add(tag);
            }
        });
        return result;
    }

    /** Every tag of {@code name} that has a readable current link, with its digest, by tag. */
    private SortedMap<String, Digest> current(String name) throws IOException {
        SortedMap<String, Digest> tags = new TreeMap<>();
        List<String> entries;
        try {
            entries = driver.list(PathLayout.tags(name));
        } catch (PathNotFoundException e) {
            if (!repositoryExists(name)) {
                throw new RegistryException(ErrorCode.NAME_UNKNOWN, "repository name not known to registry",
                        Map.of("name", name));
            }
            return tags;
        }
        for (String path : entries) {
            String tag = path.substring(path.lastIndexOf('/') + 1);
            if (!RepositoryName.isValidTag(tag)) {
                continue;
            }
            try {
                links.read(PathLayout.tagCurrentLink(name, tag)).ifPresent(digest -> tags.put(tag, digest));
            } catch (Links.CorruptLinkException e) {
                LOG.warn("Leaving tag {} of {} out of listings: {}", tag, name, e.getMessage());
            }
        }
        return tags;
    }

    boolean repositoryExists(String name) throws IOException {
        return links.exists(PathLayout.repository(name));
    }
}
