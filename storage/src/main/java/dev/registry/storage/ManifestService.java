package dev.registry.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Manifests: validated on push, stored byte for byte as blobs, linked into the repository as
 * revisions, reachable by digest and by tag, and indexed by {@code subject} for the referrers API.
 */
public final class ManifestService {
    /** The largest manifest accepted; the distribution-spec asks registries to take at least 4 MiB. */
    public static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

    private final StorageDriver driver;
    private final BlobStore blobs;
    private final TagService tags;
    private final CatalogService catalog;
    private final Links links;
    private final boolean deleteEnabled;
    /** Manifests by digest are immutable, so their parsed form can be cached safely. */
    private final Cache<Digest, ParsedManifest> parsed = Caffeine.newBuilder().maximumSize(10_000).recordStats().build();
    /**
     * The bytes of manifests by digest, also immutable. Whether a repository still links to one
     * is checked in storage on every read, so deletes (here or by another replica) are seen.
     */
    private final Cache<Digest, byte[]> contents = Caffeine.newBuilder()
            .maximumWeight(32L * 1024 * 1024)
            .weigher((Digest digest, byte[] content) -> content.length + 64)
            .recordStats()
            .build();

    public ManifestService(StorageDriver driver, BlobStore blobs, TagService tags, CatalogService catalog, boolean deleteEnabled) {
        this.catalog = catalog;
        this.driver = driver;
        this.blobs = blobs;
        this.tags = tags;
        this.links = new Links(driver);
        this.deleteEnabled = deleteEnabled;
    }

    /** The caches, by the name their metrics carry; they count hits and misses. */
    public Map<String, Cache<?, ?>> caches() {
        return Map.of("manifest_parsed", parsed, "manifest_content", contents);
    }

    /** A manifest as stored: exact bytes, digest and media type. */
    public record StoredManifest(Digest digest, String mediaType, byte[] content) {
    }

    /** The result of a push: the manifest's digest, if it has one its subject, and what it says. */
    public record PutResult(Digest digest, Optional<Digest> subject, ParsedManifest manifest) {
    }

    /**
     * Pushes a manifest under {@code reference} (a tag or the manifest's own digest) after
     * validating it and checking that everything it references is in the repository.
     */
    public PutResult put(String name, String reference, String contentType, byte[] content) throws IOException {
        if (content.length > MAX_MANIFEST_BYTES) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, 413,
                    "manifest is larger than the limit of " + MAX_MANIFEST_BYTES + " bytes", null);
        }
        Digest digest;
        String tag = null;
        if (Digest.looksLikeDigest(reference)) {
            Digest expected = Digest.parse(reference);
            digest = Digest.of(expected.algorithm(), content);
            if (!digest.equals(expected)) {
                throw new RegistryException(ErrorCode.DIGEST_INVALID, "manifest content does not match digest " + expected,
                        Map.of("expected", expected.toString(), "actual", digest.toString()));
            }
        } else {
            tag = RepositoryName.validateTag(reference);
            digest = Digest.sha256(content);
        }
        ParsedManifest manifest = ManifestParser.parse(content, contentType);
        verifyReferences(name, manifest);

        blobs.putContent(digest, content);
        links.write(PathLayout.manifestRevisionLink(name, digest), digest);
        if (manifest.subject() != null) {
            links.write(PathLayout.referrerLink(name, manifest.subject().digest(), digest), digest);
        }
        if (blobs.guardsAgainstCollection()) {
            recheckAfterWrite(name, digest, manifest);
        }
        if (tag != null) {
            tags.tag(name, tag, digest);
        }
        parsed.put(digest, manifest);
        contents.put(digest, content);
        catalog.repositoryCreated(name);
        return new PutResult(digest, Optional.ofNullable(manifest.subject()).map(Descriptor::digest), manifest);
    }

    /**
     * Stores a manifest fetched from an upstream registry, by digest and, if {@code tag} is not
     * null, under that tag. Unlike {@link #put}, the blobs and child manifests it references need
     * not be here: the mirror fetches them when they are asked for. The content must match
     * {@code digest} and parse as a manifest or index, so only what a client could have pushed
     * is stored.
     */
    public StoredManifest putFetched(String name, String tag, Digest digest, String contentType, byte[] content)
            throws IOException {
        if (content.length > MAX_MANIFEST_BYTES) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, 413,
                    "manifest is larger than the limit of " + MAX_MANIFEST_BYTES + " bytes", null);
        }
        Digest actual = Digest.of(digest.algorithm(), content);
        if (!actual.equals(digest)) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "manifest content does not match digest " + digest,
                    Map.of("expected", digest.toString(), "actual", actual.toString()));
        }
        if (tag != null) {
            RepositoryName.validateTag(tag);
        }
        ParsedManifest manifest = ManifestParser.parse(content, contentType);
        blobs.putContent(digest, content);
        links.write(PathLayout.manifestRevisionLink(name, digest), digest);
        if (manifest.subject() != null) {
            links.write(PathLayout.referrerLink(name, manifest.subject().digest(), digest), digest);
        }
        if (tag != null) {
            tags.tag(name, tag, digest);
        }
        parsed.put(digest, manifest);
        contents.put(digest, content);
        catalog.repositoryCreated(name);
        return new StoredManifest(digest, manifest.mediaType(), content);
    }

    /** Whether repository {@code name} holds manifest {@code digest}. */
    public boolean exists(String name, Digest digest) throws IOException {
        return links.exists(PathLayout.manifestRevisionLink(name, digest));
    }

    private void verifyReferences(String name, ParsedManifest manifest) throws IOException {
        // a foreign layer lives elsewhere by design
        List<Descriptor> local = manifest.blobs().stream().filter(blob -> blob.urls().isEmpty()).toList();
        List<Optional<BlobInfo>> found = blobs.statAll(name, local.stream().map(Descriptor::digest).toList());
        for (int i = 0; i < local.size(); i++) {
            Descriptor blob = local.get(i);
            Optional<BlobInfo> stored = found.get(i);
            if (stored.isEmpty()) {
                throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN,
                        "blob unknown to registry: " + blob.digest(), Map.of("digest", blob.digest().toString()));
            }
            if (stored.get().size() != blob.size()) {
                throw new RegistryException(ErrorCode.MANIFEST_INVALID,
                        "descriptor size " + blob.size() + " of " + blob.digest() + " does not match the stored size "
                                + stored.get().size());
            }
        }
        List<Boolean> children = blobs.haveManifests(name, manifest.manifests().stream().map(Descriptor::digest).toList());
        for (int i = 0; i < children.size(); i++) {
            Descriptor child = manifest.manifests().get(i);
            if (!children.get(i)) {
                throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN,
                        "manifest unknown to registry: " + child.digest(), Map.of("digest", child.digest().toString()));
            }
        }
    }

    /**
     * With online garbage collection: checks, once the revision link is written, that everything
     * the manifest references is still stored. A collection that decided to delete one of them
     * before it could see this manifest has then deleted it already, and the push is undone and
     * refused (the client pushes the blob again) instead of leaving a manifest with a hole. A
     * collection that has not deleted it yet sees the links this push refreshed, or the revision
     * link itself, and keeps it (see {@link GarbageCollector}).
     */
    private void recheckAfterWrite(String name, Digest digest, ParsedManifest manifest) throws IOException {
        Digest missing = null;
        if (blobs.statGlobal(digest).isEmpty()) {
            missing = digest;
        }
        for (Descriptor blob : manifest.blobs()) {
            if (missing == null && blob.urls().isEmpty() && blobs.statGlobal(blob.digest()).isEmpty()) {
                missing = blob.digest();
            }
        }
        for (Descriptor child : manifest.manifests()) {
            if (missing == null && (!links.exists(PathLayout.manifestRevisionLink(name, child.digest()))
                    || blobs.statGlobal(child.digest()).isEmpty())) {
                missing = child.digest();
            }
        }
        if (missing == null) {
            return;
        }
        if (manifest.subject() != null) {
            links.delete(PathLayout.referrerLink(name, manifest.subject().digest(), digest).replaceFirst("/link$", ""));
        }
        links.delete(PathLayout.manifestRevisionDirectory(name, digest));
        throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN,
                "blob unknown to registry: " + missing + " was garbage collected during the push; push it again",
                Map.of("digest", missing.toString()));
    }

    /** The manifest {@code reference} (tag or digest) names in {@code name}. */
    public StoredManifest get(String name, String reference) throws IOException {
        Digest digest = resolve(name, reference);
        byte[] content;
        try {
            if (!links.exists(PathLayout.manifestRevisionLink(name, digest))) {
                throw unknown(name, reference);
            }
            content = contents.getIfPresent(digest);
            if (content == null) {
                content = blobs.getContent(digest);
                if (Digest.of(digest.algorithm(), content).equals(digest)) {
                    contents.put(digest, content);
                }
            }
        } catch (PathNotFoundException e) {
            throw unknown(name, reference);
        }
        return new StoredManifest(digest, parsed(digest, content).mediaType(), content);
    }

    /**
     * Deletes by digest (the manifest revision, its tags and its referrers entry) or by tag
     * (the tag only). {@code UNSUPPORTED} unless deletes are enabled.
     *
     * @return the tags removed: the one given, or those that pointed at the deleted digest
     */
    public List<String> delete(String name, String reference) throws IOException {
        if (!deleteEnabled) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, "deletes are disabled (storage.delete.enabled)");
        }
        if (!Digest.looksLikeDigest(reference)) {
            RepositoryName.validateTag(reference);
            if (!tags.untag(name, reference)) {
                throw unknown(name, reference);
            }
            return List.of(reference);
        }
        Digest digest = Digest.parse(reference);
        if (!links.exists(PathLayout.manifestRevisionLink(name, digest))) {
            throw unknown(name, reference);
        }
        ParsedManifest manifest = parsedOrNull(digest);
        List<String> untagged = new ArrayList<>();
        for (String tag : tags.tagsOf(name, digest)) {
            if (tags.untag(name, tag)) {
                untagged.add(tag);
            }
        }
        if (manifest != null && manifest.subject() != null) {
            links.delete(PathLayout.referrerLink(name, manifest.subject().digest(), digest).replaceFirst("/link$", ""));
        }
        links.delete(PathLayout.manifestRevisionDirectory(name, digest));
        return List.copyOf(untagged);
    }

    /**
     * The manifests in {@code name} whose subject is {@code subject}, optionally only those of
     * {@code artifactType}. Entries whose manifest was deleted are skipped.
     */
    public List<Referrer> referrers(String name, Digest subject, String artifactType) throws IOException {
        List<Referrer> result = new ArrayList<>();
        String base = PathLayout.referrers(name, subject);
        List<String> algorithms;
        try {
            algorithms = driver.list(base);
        } catch (PathNotFoundException none) {
            return result;
        }
        for (String algorithmPath : algorithms) {
            List<String> entries;
            try {
                entries = driver.list(algorithmPath);
            } catch (PathNotFoundException raced) {
                continue;
            }
            for (String entry : entries) {
                Optional<Digest> digest = links.read(entry + "/link");
                if (digest.isEmpty() || !links.exists(PathLayout.manifestRevisionLink(name, digest.get()))) {
                    continue;
                }
                byte[] content;
                try {
                    content = blobs.getContent(digest.get());
                } catch (PathNotFoundException raced) {
                    continue;
                }
                ParsedManifest manifest = parsed(digest.get(), content);
                if (artifactType != null && !artifactType.equals(manifest.artifactType())) {
                    continue;
                }
                result.add(new Referrer(manifest.mediaType(), digest.get(), content.length,
                        manifest.artifactType(), manifest.annotations()));
            }
        }
        result.sort(java.util.Comparator.comparing(r -> r.digest().toString()));
        return result;
    }

    private Digest resolve(String name, String reference) throws IOException {
        if (Digest.looksLikeDigest(reference)) {
            return Digest.parse(reference);
        }
        RepositoryName.validateTag(reference);
        return tags.resolve(name, reference).orElseThrow(() -> unknown(name, reference));
    }

    private ParsedManifest parsed(Digest digest, byte[] content) {
        return parsed.get(digest, d -> ManifestParser.parse(content, null));
    }

    private ParsedManifest parsedOrNull(Digest digest) throws IOException {
        ParsedManifest cached = parsed.getIfPresent(digest);
        if (cached != null) {
            return cached;
        }
        try {
            return parsed(digest, blobs.getContent(digest));
        } catch (PathNotFoundException | RegistryException unreadable) {
            return null;
        }
    }

    private RegistryException unknown(String name, String reference) {
        boolean repositoryExists;
        try {
            repositoryExists = tags.repositoryExists(name);
        } catch (IOException e) {
            repositoryExists = true;
        }
        if (!repositoryExists) {
            return new RegistryException(ErrorCode.NAME_UNKNOWN, "repository name not known to registry", Map.of("name", name));
        }
        return new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown", Map.of("reference", reference));
    }
}
