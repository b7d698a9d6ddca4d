package dev.registry.storage;

import dev.registry.storage.driver.FileInfo;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Mark and sweep over the whole store, above the {@link StorageDriver} SPI so it works on every
 * driver. It marks every blob that a manifest of any repository references (the manifest itself,
 * its config and layers, the children of an index, its {@code subject}); referrers are manifests
 * of their own and are marked as such. Then it deletes unmarked blobs, the layer links, manifest
 * revision links and referrer links that point at nothing, and upload directories left without
 * their {@code startedat} (the remains of an interrupted cancel or completion; uploads in progress
 * always have one, and abandoned ones are upload purging's business). With
 * {@link Options#deleteUntagged()}, manifests that no tag reaches (directly, as a child of a kept
 * index, or as a referrer of a kept manifest) are deleted first, as registry:2's
 * {@code --delete-untagged} does.
 *
 * <h2>Running beside live traffic (online collection)</h2>
 * With a grace period {@code G} (zero offline), nothing younger than {@code G} is deleted: not a
 * blob (by its data's modification time), not a link, not an untagged manifest (by its revision
 * link). The requests of every replica help by keeping the timestamps honest, when the registry
 * was built with the grace period ({@link Registry#Registry(StorageDriver, boolean, Clock, Duration)}):
 * <ul>
 *   <li>an upload always writes its layer link; one of a blob that is already stored replaces a
 *       copy older than {@code G/2}, so the blob's own time is fresh too;</li>
 *   <li>every request that tells a client a blob is in a repository (blob {@code HEAD}/{@code GET},
 *       a mount's source, a manifest push's reference check, an index's children) writes again a
 *       link older than {@code G/2};</li>
 *   <li>a manifest push, once its revision link is written, checks that everything it references is
 *       still stored, and undoes itself and fails if not.</li>
 * </ul>
 * The collector decides about each unmarked blob last: right before deleting it, it stats the
 * blob's data again, and every link to it that it found while walking, and keeps the blob if any of
 * them is younger than {@code G}. A push whose revision link the mark phase did not see started
 * after the mark began; the links it relies on were refreshed then, so they are younger than
 * {@code G/2 + } the collection's running time, which is capped at {@code G/4}
 * ({@link Options#timeLimit()}): the final check sees them and keeps the blob. If the collector
 * deleted first, the push's re-check finds the hole and fails instead of storing a broken manifest.
 * The one interleaving left open is a client learning of an old unreferenced blob and completing
 * its manifest push entirely between the collector's final stat of that blob and its delete (a few
 * milliseconds); docs/operations.md says so.
 */
public final class GarbageCollector {
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

    /** Links are written again once older than grace period / this. */
    static final int REFRESH_FRACTION = 2;
    /** A collection gives up sweeping once it has run for grace period / this (see the class comment). */
    static final int TIME_LIMIT_FRACTION = 4;

    /** How much older than it is an object's stored modification time can look (whole seconds on S3). */
    private static final Duration TIMESTAMP_SLACK = Duration.ofSeconds(1);

    private static final String BLOBS = PathLayout.ROOT + "/blobs";

    private final StorageDriver driver;
    private final Clock clock;

    public GarbageCollector(StorageDriver driver, Clock clock) {
        this.driver = driver;
        this.clock = clock;
    }

    /**
     * How a collection runs.
     *
     * @param dryRun         only report what would be removed
     * @param deleteUntagged delete manifests no tag reaches
     * @param gracePeriod    keep everything younger than this; zero for an offline collection
     * @param cacheExpiry    remove a pull-through cache's repository that nobody pulled for this
     *                       long ({@link CachedRepositories.Mark#lastPulled()}); zero keeps them all
     */
    public record Options(boolean dryRun, boolean deleteUntagged, Duration gracePeriod, Duration cacheExpiry) {
        public Options {
            if (gracePeriod.isNegative()) {
                throw new IllegalArgumentException("grace period must not be negative");
            }
            if (cacheExpiry.isNegative()) {
                throw new IllegalArgumentException("cache expiry must not be negative");
            }
        }

        /** Without cache expiry. */
        public Options(boolean dryRun, boolean deleteUntagged, Duration gracePeriod) {
            this(dryRun, deleteUntagged, gracePeriod, Duration.ZERO);
        }

        /** These options, expiring cached repositories not pulled for {@code expiry} (zero: never). */
        public Options withCacheExpiry(Duration expiry) {
            return new Options(dryRun, deleteUntagged, gracePeriod, expiry);
        }

        /** An offline collection: no grace period and no time limit; the registry must not take pushes meanwhile. */
        public static Options offline(boolean dryRun, boolean deleteUntagged) {
            return new Options(dryRun, deleteUntagged, Duration.ZERO);
        }

        /** The longest a collection with a grace period may run before it stops sweeping; null for none. */
        public Duration timeLimit() {
            return gracePeriod.isZero() ? null : gracePeriod.dividedBy(TIME_LIMIT_FRACTION);
        }
    }

    /** What kind of thing a collection removed. */
    public enum Kind {
        /** An untagged manifest (its revision link and referrer entry), with {@code deleteUntagged}. */
        MANIFEST,
        /** A blob's data: its size counts as reclaimed. */
        BLOB,
        /** A repository's link to a blob that no longer exists. */
        LAYER_LINK,
        /** A manifest revision link whose manifest blob no longer exists. */
        REVISION_LINK,
        /** A referrers-index entry whose manifest is gone from the repository. */
        REFERRER_LINK,
        /** An upload directory without its start time. */
        UPLOAD,
        /**
         * A pull-through cache's repository nobody pulled within the cache expiry: its tags,
         * manifest links, layer links and marker. Its blobs go as ordinary garbage.
         */
        CACHED_REPOSITORY
    }

    /**
     * One removed (or, in a dry run, removable) item.
     *
     * @param repository the repository, or null for a blob
     * @param item       the digest, or the upload id
     * @param bytes      bytes reclaimed (a blob's size; 0 for links)
     */
    public record Removal(Kind kind, String repository, String item, long bytes) {
        @Override
        public String toString() {
            String kind = kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
            return kind + " " + (repository == null ? "" : repository + " ") + item + (bytes > 0 ? " (" + bytes + " bytes)" : "");
        }
    }

    /**
     * What a collection did.
     *
     * @param counts   removed items by kind
     * @param bytes    bytes reclaimed (blob data)
     * @param complete false if it stopped early (time limit or a lost lease) and left garbage for the next run
     * @param duration how long it ran
     */
    public record Result(Map<Kind, Integer> counts, long bytes, boolean complete, Duration duration) {
        public int count(Kind kind) {
            return counts.getOrDefault(kind, 0);
        }

        @Override
        public String toString() {
            return count(Kind.MANIFEST) + " manifest(s), " + count(Kind.BLOB) + " blob(s) (" + bytes + " bytes), "
                    + (count(Kind.LAYER_LINK) + count(Kind.REVISION_LINK) + count(Kind.REFERRER_LINK)) + " link(s), "
                    + count(Kind.UPLOAD) + " upload leftover(s)"
                    + (count(Kind.CACHED_REPOSITORY) > 0 ? ", " + count(Kind.CACHED_REPOSITORY) + " expired cached repositories" : "")
                    + (complete ? "" : " (stopped early)");
        }
    }

    /** Called between steps of a long collection; throws to stop it (a lost lease). */
    @FunctionalInterface
    public interface Checkpoint {
        void check() throws IOException;

        Checkpoint NONE = () -> {
        };
    }

    /** Thrown through a collection that must stop; what it removed so far stays removed. */
    public static final class StoppedException extends IOException {
        public StoppedException(String message) {
            super(message);
        }
    }

    /** Runs one collection, handing each removal to {@code removed} as it happens. */
    public Result collect(Options options, Consumer<Removal> removed) throws IOException {
        return collect(options, removed, Checkpoint.NONE);
    }

    /** As {@link #collect(Options, Consumer)}, calling {@code checkpoint} between steps. */
    public Result collect(Options options, Consumer<Removal> removed, Checkpoint checkpoint) throws IOException {
        return new Run(options, removed, checkpoint).run();
    }

    /** What the walk found in one repository. */
    private static final class RepositoryState {
        final String name;
        /** Manifest revisions by digest. */
        final Set<Digest> revisions = new HashSet<>();
        /** Digests tags point to (current links). */
        final Set<Digest> tagged = new HashSet<>();
        /** Blobs the repository has a layer link to. */
        final Set<Digest> layers = new HashSet<>();
        /** Names of the tag directories, for their history entries ({@code index/}). */
        final List<String> tagNames = new ArrayList<>();
        /** Revisions kept after untagged deletion (all revisions without it). */
        final Set<Digest> kept = new HashSet<>();

        RepositoryState(String name) {
            this.name = name;
        }
    }

    /** One collection's state. */
    private final class Run {
        final Options options;
        final Consumer<Removal> removed;
        final Checkpoint checkpoint;
        final Instant started = clock.instant();
        final Links links = new Links(driver);
        final CachedRepositories cached = new CachedRepositories(driver);
        final Map<Kind, Integer> counts = new LinkedHashMap<>();
        long bytes;
        final Map<Digest, Optional<ParsedManifest>> manifests = new HashMap<>();
        final Set<Digest> marked = new HashSet<>();
        final Set<Digest> deletedBlobs = new HashSet<>();

        Run(Options options, Consumer<Removal> removed, Checkpoint checkpoint) {
            this.options = options;
            this.removed = removed;
            this.checkpoint = checkpoint;
        }

        Result run() throws IOException {
            boolean complete = true;
            try {
                List<RepositoryState> repositories = new ArrayList<>();
                for (String name : RepositoryWalker.allRepositories(driver)) {
                    checkpoint.check();
                    if (!expireCache(name)) {
                        repositories.add(walk(name));
                    }
                }
                for (RepositoryState repository : repositories) {
                    checkpoint.check();
                    if (options.deleteUntagged()) {
                        deleteUntagged(repository);
                    } else {
                        repository.kept.addAll(repository.revisions);
                    }
                    mark(repository);
                }
                Set<Digest> existing = sweepBlobs(repositories);
                for (RepositoryState repository : repositories) {
                    checkpoint.check();
                    sweepLinks(repository, existing);
                    sweepUploads(repository.name);
                }
            } catch (StoppedException stopped) {
                log.warn("garbage collection stopped early: {}", stopped.getMessage());
                complete = false;
            }
            return new Result(Map.copyOf(counts), bytes, complete, Duration.between(started, clock.instant()));
        }

        /**
         * Removes {@code name} if it is a pull-through cache nobody pulled within the cache
         * expiry, and says whether it did (then nothing of it is marked, so its blobs are swept).
         * The marker goes last: a collection cut short leaves a cache with missing tags, which the
         * mirror fetches again, never a bare repository that would look pushed here.
         */
        private boolean expireCache(String name) throws IOException {
            if (options.cacheExpiry().isZero()) {
                return false;
            }
            Optional<CachedRepositories.Mark> mark = cached.mark(name);
            if (mark.isEmpty() || !mark.get().lastPulled().isBefore(started.minus(options.cacheExpiry()))) {
                return false;
            }
            if (!options.dryRun()) {
                String repository = PathLayout.repository(name);
                for (String part : List.of("/_manifests", "/_layers", "/_uploads", "/_proxy")) {
                    try {
                        driver.delete(repository + part);
                    } catch (PathNotFoundException gone) {
                        // never had one, or removed meanwhile
                    }
                }
                deleteQuietly(repository); // whatever else a tool left there
            }
            report(new Removal(Kind.CACHED_REPOSITORY, name, "last pulled " + mark.get().lastPulled(), 0));
            return true;
        }

        private RepositoryState walk(String name) throws IOException {
            RepositoryState state = new RepositoryState(name);
            state.revisions.addAll(digestsUnder(PathLayout.manifests(name) + "/revisions"));
            state.layers.addAll(digestsUnder(PathLayout.repository(name) + "/_layers"));
            for (String tagPath : listOrEmpty(PathLayout.tags(name))) {
                String tag = tagPath.substring(tagPath.lastIndexOf('/') + 1);
                if (!RepositoryName.isValidTag(tag)) {
                    continue;
                }
                state.tagNames.add(tag);
                try {
                    links.read(PathLayout.tagCurrentLink(name, tag)).ifPresent(state.tagged::add);
                } catch (Links.CorruptLinkException corrupt) {
                    log.warn("garbage collection: {}", corrupt.getMessage());
                }
            }
            return state;
        }

        /** Digests of {@code <base>/<algorithm>/<hex>} directories. */
        private List<Digest> digestsUnder(String base) throws IOException {
            List<Digest> digests = new ArrayList<>();
            for (String algorithmPath : listOrEmpty(base)) {
                String algorithm = algorithmPath.substring(algorithmPath.lastIndexOf('/') + 1);
                for (String hexPath : listOrEmpty(algorithmPath)) {
                    digest(algorithm, hexPath.substring(hexPath.lastIndexOf('/') + 1)).ifPresent(digests::add);
                }
            }
            return digests;
        }

        private Optional<Digest> digest(String algorithm, String hex) {
            try {
                return Optional.of(Digest.parse(algorithm + ":" + hex));
            } catch (RegistryException notADigest) {
                return Optional.empty();
            }
        }

        private List<String> listOrEmpty(String path) throws IOException {
            try {
                return driver.list(path);
            } catch (PathNotFoundException e) {
                return List.of();
            }
        }

        /** The parsed manifest stored as blob {@code digest}; empty if missing or not a manifest. */
        private Optional<ParsedManifest> manifest(Digest digest) throws IOException {
            Optional<ParsedManifest> known = manifests.get(digest);
            if (known != null) {
                return known;
            }
            Optional<ParsedManifest> parsed;
            try {
                parsed = Optional.of(ManifestParser.parse(driver.getContent(PathLayout.blobData(digest)), null));
            } catch (PathNotFoundException missing) {
                parsed = Optional.empty();
            } catch (RegistryException unparsable) {
                log.warn("garbage collection: manifest {} cannot be parsed ({}); the blobs it names are not marked by it",
                        digest, unparsable.getMessage());
                parsed = Optional.empty();
            }
            manifests.put(digest, parsed);
            return parsed;
        }

        private void deleteUntagged(RepositoryState repository) throws IOException {
            Deque<Digest> pending = new ArrayDeque<>(repository.tagged);
            Map<Digest, List<Digest>> referrersBySubject = new HashMap<>();
            for (Digest revision : repository.revisions) {
                manifest(revision).map(ParsedManifest::subject).ifPresent(subject ->
                        referrersBySubject.computeIfAbsent(subject.digest(), s -> new ArrayList<>()).add(revision));
            }
            while (!pending.isEmpty()) {
                Digest digest = pending.pop();
                if (!repository.revisions.contains(digest) || !repository.kept.add(digest)) {
                    continue;
                }
                manifest(digest).ifPresent(m -> m.manifests().forEach(child -> pending.push(child.digest())));
                pending.addAll(referrersBySubject.getOrDefault(digest, List.of()));
            }
            List<Digest> untagged = new ArrayList<>();
            for (Digest revision : repository.revisions) {
                if (!repository.kept.contains(revision)) {
                    untagged.add(revision);
                }
            }
            untagged.sort(java.util.Comparator.comparing(Digest::toString));
            for (Digest revision : untagged) {
                String link = PathLayout.manifestRevisionLink(repository.name, revision);
                if (isYoung(link)) {
                    // pushed within the grace period: maybe the child of an index still on its way, or about to be tagged
                    repository.kept.add(revision);
                    continue;
                }
                Optional<ParsedManifest> manifest = manifest(revision);
                if (!options.dryRun()) {
                    if (manifest.isPresent() && manifest.get().subject() != null) {
                        links.delete(PathLayout.referrerLink(repository.name, manifest.get().subject().digest(), revision)
                                .replaceFirst("/link$", ""));
                    }
                    links.delete(PathLayout.manifestRevisionDirectory(repository.name, revision));
                    // as registry:2 does: the manifest also leaves the history of every tag that once pointed at it
                    for (String tag : repository.tagNames) {
                        links.delete(PathLayout.tagIndexLink(repository.name, tag, revision).replaceFirst("/link$", ""));
                    }
                }
                report(new Removal(Kind.MANIFEST, repository.name, revision.toString(), 0));
            }
        }

        private void mark(RepositoryState repository) throws IOException {
            for (Digest revision : repository.kept) {
                marked.add(revision);
                Optional<ParsedManifest> manifest = manifest(revision);
                if (manifest.isEmpty()) {
                    continue;
                }
                for (Descriptor blob : manifest.get().blobs()) {
                    marked.add(blob.digest());
                }
                for (Descriptor child : manifest.get().manifests()) {
                    marked.add(child.digest());
                }
                if (manifest.get().subject() != null) {
                    marked.add(manifest.get().subject().digest());
                }
            }
        }

        /** Deletes unmarked blobs; returns the blobs that still exist. */
        private Set<Digest> sweepBlobs(List<RepositoryState> repositories) throws IOException {
            Set<Digest> existing = new HashSet<>();
            for (String algorithmPath : listOrEmpty(BLOBS)) {
                String algorithm = algorithmPath.substring(algorithmPath.lastIndexOf('/') + 1);
                for (String prefixPath : listOrEmpty(algorithmPath)) {
                    checkpoint.check();
                    for (String blobPath : listOrEmpty(prefixPath)) {
                        Optional<Digest> digest = digest(algorithm, blobPath.substring(blobPath.lastIndexOf('/') + 1));
                        if (digest.isEmpty()) {
                            continue;
                        }
                        existing.add(digest.get());
                        if (!marked.contains(digest.get()) && sweepBlob(digest.get(), repositories)) {
                            existing.remove(digest.get());
                        }
                    }
                }
            }
            return existing;
        }

        /** The final check and delete of one unmarked blob; reports whether it was deleted. */
        private boolean sweepBlob(Digest digest, List<RepositoryState> repositories) throws IOException {
            checkTimeLimit();
            FileInfo data;
            try {
                data = driver.stat(PathLayout.blobData(digest));
            } catch (PathNotFoundException gone) {
                return false;
            }
            if (data.directory() || isYoung(data.modified())) {
                return false;
            }
            if (!options.gracePeriod().isZero()) {
                for (RepositoryState repository : repositories) {
                    if (repository.layers.contains(digest) && isYoung(PathLayout.layerLink(repository.name, digest))) {
                        return false;
                    }
                    if (repository.revisions.contains(digest) && isYoung(PathLayout.manifestRevisionLink(repository.name, digest))) {
                        return false;
                    }
                }
            }
            if (!options.dryRun()) {
                try {
                    driver.delete(PathLayout.blobDirectory(digest));
                } catch (PathNotFoundException gone) {
                    return false;
                }
            }
            deletedBlobs.add(digest);
            bytes += data.size();
            report(new Removal(Kind.BLOB, null, digest.toString(), data.size()));
            return true;
        }

        private void sweepLinks(RepositoryState repository, Set<Digest> existing) throws IOException {
            String name = repository.name;
            for (Digest layer : sorted(repository.layers)) {
                if (!existing.contains(layer) && removable(PathLayout.layerLink(name, layer))) {
                    deleteQuietly(PathLayout.layerLinkDirectory(name, layer));
                    report(new Removal(Kind.LAYER_LINK, name, layer.toString(), 0));
                }
            }
            Set<Digest> revisions = new HashSet<>();
            for (Digest revision : sorted(repository.revisions)) {
                if (!repository.kept.contains(revision)) {
                    continue; // deleted as untagged
                }
                if (!existing.contains(revision) && removable(PathLayout.manifestRevisionLink(name, revision))) {
                    deleteQuietly(PathLayout.manifestRevisionDirectory(name, revision));
                    report(new Removal(Kind.REVISION_LINK, name, revision.toString(), 0));
                } else {
                    revisions.add(revision);
                }
            }
            String referrers = PathLayout.repository(name) + "/_referrers";
            for (String subjectAlgorithm : listOrEmpty(referrers)) {
                for (String subject : listOrEmpty(subjectAlgorithm)) {
                    for (String referrerAlgorithm : listOrEmpty(subject)) {
                        String algorithm = referrerAlgorithm.substring(referrerAlgorithm.lastIndexOf('/') + 1);
                        for (String entry : listOrEmpty(referrerAlgorithm)) {
                            Optional<Digest> referrer = digest(algorithm, entry.substring(entry.lastIndexOf('/') + 1));
                            if (referrer.isPresent() && !revisions.contains(referrer.get()) && removable(entry + "/link")) {
                                deleteQuietly(entry);
                                report(new Removal(Kind.REFERRER_LINK, name, referrer.get().toString(), 0));
                            }
                        }
                    }
                }
            }
        }

        private void sweepUploads(String name) throws IOException {
            for (String upload : listOrEmpty(PathLayout.uploads(name))) {
                String uuid = upload.substring(upload.lastIndexOf('/') + 1);
                if (exists(upload + "/startedat")) {
                    continue; // in progress, or abandoned and left to upload purging
                }
                if (!options.gracePeriod().isZero() && hasYoungObject(upload)) {
                    continue;
                }
                if (exists(upload + "/startedat")) {
                    continue; // started meanwhile: a start writes its time first
                }
                deleteQuietly(upload);
                report(new Removal(Kind.UPLOAD, name, uuid, 0));
            }
        }

        private boolean hasYoungObject(String directory) throws IOException {
            for (String child : listOrEmpty(directory)) {
                FileInfo info;
                try {
                    info = driver.stat(child);
                } catch (PathNotFoundException gone) {
                    continue;
                }
                if (info.directory() ? hasYoungObject(child) : isYoung(info.modified())) {
                    return true;
                }
            }
            return false;
        }

        private boolean exists(String path) throws IOException {
            try {
                return !driver.stat(path).directory();
            } catch (PathNotFoundException e) {
                return false;
            }
        }

        /** A link that exists, is older than the grace period, and may go (a dry run removes nothing). */
        private boolean removable(String link) throws IOException {
            try {
                return !isYoung(driver.stat(link).modified());
            } catch (PathNotFoundException gone) {
                return false;
            }
        }

        private void deleteQuietly(String path) throws IOException {
            if (options.dryRun()) {
                return;
            }
            try {
                driver.delete(path);
            } catch (PathNotFoundException gone) {
                // removed meanwhile
            }
        }

        private boolean isYoung(String path) throws IOException {
            try {
                return isYoung(driver.stat(path).modified());
            } catch (PathNotFoundException gone) {
                return false;
            }
        }

        /**
         * Younger than the grace period, plus a second: object stores (S3) give modification times
         * truncated to the second, so an object can look up to a second older than it is.
         */
        private boolean isYoung(Instant modified) {
            return !options.gracePeriod().isZero()
                    && modified.isAfter(clock.instant().minus(options.gracePeriod()).minus(TIMESTAMP_SLACK));
        }

        private void checkTimeLimit() throws StoppedException {
            Duration limit = options.timeLimit();
            if (limit != null && Duration.between(started, clock.instant()).compareTo(limit) > 0) {
                throw new StoppedException("it ran longer than a quarter of the grace period (" + limit
                        + "); the rest is left for the next run (raise graceperiod if this repeats)");
            }
        }

        private void report(Removal removal) {
            counts.merge(removal.kind(), 1, Integer::sum);
            removed.accept(removal);
        }

        private List<Digest> sorted(Set<Digest> digests) {
            List<Digest> list = new ArrayList<>(digests);
            list.sort(java.util.Comparator.comparing(Digest::toString));
            return list;
        }
    }
}
