package dev.registry.storage;

/**
 * Every storage path the registry uses, in CNCF Distribution 2.x's layout, so that a directory
 * written by {@code registry:2} is served as is and the other way round:
 *
 * <pre>
 * /docker/registry/v2/
 *   blobs/&lt;alg&gt;/&lt;hex[0:2]&gt;/&lt;hex&gt;/data
 *   repositories/&lt;name&gt;/
 *     _layers/&lt;alg&gt;/&lt;hex&gt;/link
 *     _manifests/revisions/&lt;alg&gt;/&lt;hex&gt;/link
 *     _manifests/tags/&lt;tag&gt;/current/link
 *     _manifests/tags/&lt;tag&gt;/index/&lt;alg&gt;/&lt;hex&gt;/link
 *     _uploads/&lt;uuid&gt;/data, startedat
 *     _uploads/&lt;uuid&gt;/hashstates/&lt;alg&gt;/&lt;offset&gt;   (running hash after offset bytes)
 *     _uploads/&lt;uuid&gt;/taggedhashstates/&lt;alg&gt;/&lt;offset&gt;/&lt;tag&gt;   (the same, for the bytes a content tag names)
 *     _referrers/&lt;subject alg&gt;/&lt;subject hex&gt;/&lt;alg&gt;/&lt;hex&gt;/link   (ours; distribution skips "_" directories)
 *     _proxy/cache                      (ours: the repository is a mirror's cache; JSON, see CachedRepositories)
 *     _proxy/tags/&lt;tag&gt;/checked         (ours: when the mirror last checked the tag upstream)
 * </pre>
 *
 * Callers pass only validated names, tags, digests and upload ids.
 */
public final class PathLayout {
    public static final String ROOT = "/docker/registry/v2";
    public static final String REPOSITORIES = ROOT + "/repositories";

    private PathLayout() {
    }

    public static String blobData(Digest digest) {
        return blobDirectory(digest) + "/data";
    }

    public static String blobDirectory(Digest digest) {
        return ROOT + "/blobs/" + digest.algorithm() + "/" + digest.hex().substring(0, 2) + "/" + digest.hex();
    }

    public static String repository(String name) {
        return REPOSITORIES + "/" + name;
    }

    public static String layerLink(String name, Digest digest) {
        return repository(name) + "/_layers/" + digest.algorithm() + "/" + digest.hex() + "/link";
    }

    public static String layerLinkDirectory(String name, Digest digest) {
        return repository(name) + "/_layers/" + digest.algorithm() + "/" + digest.hex();
    }

    public static String manifests(String name) {
        return repository(name) + "/_manifests";
    }

    public static String manifestRevisionLink(String name, Digest digest) {
        return manifestRevisionDirectory(name, digest) + "/link";
    }

    public static String manifestRevisionDirectory(String name, Digest digest) {
        return manifests(name) + "/revisions/" + digest.algorithm() + "/" + digest.hex();
    }

    public static String tags(String name) {
        return manifests(name) + "/tags";
    }

    public static String tagDirectory(String name, String tag) {
        return tags(name) + "/" + tag;
    }

    public static String tagCurrentLink(String name, String tag) {
        return tagDirectory(name, tag) + "/current/link";
    }

    public static String tagIndexLink(String name, String tag, Digest digest) {
        return tagDirectory(name, tag) + "/index/" + digest.algorithm() + "/" + digest.hex() + "/link";
    }

    public static String uploads(String name) {
        return repository(name) + "/_uploads";
    }

    public static String uploadDirectory(String name, String uuid) {
        return uploads(name) + "/" + uuid;
    }

    public static String uploadData(String name, String uuid) {
        return uploadDirectory(name, uuid) + "/data";
    }

    public static String uploadStartedAt(String name, String uuid) {
        return uploadDirectory(name, uuid) + "/startedat";
    }

    /**
     * The saved hash state of an upload after its first {@code offset} bytes, tied to the bytes it
     * describes by the writer's content tag ({@code StorageWriter.contentTag}); beside registry:2's
     * untied one, which two replicas taking one chunk at once could both write.
     */
    public static String uploadTaggedHashState(String name, String uuid, String algorithm, long offset, String tag) {
        return uploadTaggedHashStates(name, uuid, algorithm, offset) + "/" + tag;
    }

    /** The directory of an upload's tagged hash states after its first {@code offset} bytes. */
    public static String uploadTaggedHashStates(String name, String uuid, String algorithm, long offset) {
        return uploadDirectory(name, uuid) + "/taggedhashstates/" + algorithm + "/" + offset;
    }

    /** The saved hash state of an upload after its first {@code offset} bytes, as registry:2 keeps it. */
    public static String uploadHashState(String name, String uuid, String algorithm, long offset) {
        return uploadDirectory(name, uuid) + "/hashstates/" + algorithm + "/" + offset;
    }

    /** The marker that makes {@code name} a pull-through cache of an upstream repository. */
    public static String cacheMarker(String name) {
        return repository(name) + "/_proxy/cache";
    }

    /** When the mirror last checked tag {@code tag} of cached repository {@code name} upstream. */
    public static String cachedTagChecked(String name, String tag) {
        return repository(name) + "/_proxy/tags/" + tag + "/checked";
    }

    public static String referrers(String name, Digest subject) {
        return repository(name) + "/_referrers/" + subject.algorithm() + "/" + subject.hex();
    }

    public static String referrerLink(String name, Digest subject, Digest referrer) {
        return referrers(name, subject) + "/" + referrer.algorithm() + "/" + referrer.hex() + "/link";
    }
}
