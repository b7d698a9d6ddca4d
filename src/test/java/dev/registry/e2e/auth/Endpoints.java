package dev.registry.e2e.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The repository endpoints of the API as the matrix tests exercise them, on a fixed set of
 * repositories that each hold an image tagged {@code v1}, and the rights the configured rules
 * ({@link AuthRegistry#RULES}) give each user there.
 *
 * <p>{@link #prepare} sets up whatever a request needs with the admin's credentials (a fresh
 * manifest to delete, an upload session to patch, a blob to mount, ...) so that every cell of a
 * matrix is independent of the others, and says what to check after a success or a refusal.
 */
final class Endpoints {
    static final String CI_APP = "ci/app";
    static final String CI_SRC = "ci/src";
    static final String PUBLIC = "public/base";
    static final String OTHER = "other/app";
    /** Every repository, in catalog order. */
    static final List<String> REPOSITORIES = List.of(CI_APP, CI_SRC, OTHER, PUBLIC);
    /** The repositories the endpoints are tried on (ci/src serves as a mount source). */
    static final List<String> TARGETS = List.of(CI_APP, PUBLIC, OTHER);

    /**
     * Every repository endpoint, with its success status and the actions it needs on the target
     * repository (mounts also need pull on their source).
     */
    enum Endpoint {
        TAGS_LIST(200, "pull"),
        MANIFEST_GET(200, "pull"),
        MANIFEST_HEAD(200, "pull"),
        MANIFEST_PUT(201, "pull", "push"),
        MANIFEST_DELETE(202, "delete"),
        BLOB_GET(200, "pull"),
        BLOB_HEAD(200, "pull"),
        BLOB_DELETE(202, "delete"),
        UPLOAD_POST(202, "pull", "push"),
        UPLOAD_PATCH(202, "pull", "push"),
        UPLOAD_PUT(201, "pull", "push"),
        UPLOAD_GET(204, "pull", "push"),
        UPLOAD_DELETE(204, "pull", "push"),
        MOUNT_FROM_CI_SRC(201, "pull", "push"),
        MOUNT_FROM_PUBLIC(201, "pull", "push"),
        REFERRERS(200, "pull");

        final int success;
        /** In the order scopes list them. */
        final List<String> actions;

        Endpoint(int success, String... actions) {
            this.success = success;
            this.actions = List.of(actions);
        }

        /** The mount source, or {@code null}. */
        String mountFrom() {
            return this == MOUNT_FROM_CI_SRC ? CI_SRC : this == MOUNT_FROM_PUBLIC ? PUBLIC : null;
        }

        /**
         * The {@code scope} of the Bearer challenge for this endpoint on {@code repository}: the
         * actions merged per repository, in the order required, such as
         * {@code repository:ci/app:pull,push repository:public/base:pull} for a mount.
         */
        String scope(String repository) {
            Map<String, List<String>> byRepository = new LinkedHashMap<>();
            byRepository.put(repository, new ArrayList<>(actions));
            String from = mountFrom();
            if (from != null) {
                List<String> fromActions = byRepository.computeIfAbsent(from, k -> new ArrayList<>());
                if (!fromActions.contains("pull")) {
                    fromActions.add("pull");
                }
            }
            List<String> scopes = new ArrayList<>();
            byRepository.forEach((name, list) -> scopes.add("repository:" + name + ":" + String.join(",", list)));
            return String.join(" ", scopes);
        }
    }

    /** A request ready to send, and what to check once it succeeded or was refused. */
    record Prepared(String method, String path, byte[] body, String[] headers, Check succeeded, Check refused) {
        static Prepared get(String path) {
            return new Prepared("GET", path, null, new String[0], r -> { }, r -> { });
        }
    }

    /** A check on a response (which may look at the registry again). */
    @FunctionalInterface
    interface Check {
        void verify(Http.Response response) throws Exception;
    }

    // ---- the rules, as the tests understand them ----------------------------------------------

    /**
     * The actions {@code user} (or anonymous callers, for {@code null}) has on {@code repository}:
     * {@code ci-push} pull, push, delete on {@code ci/**}; {@code cluster-pull} pull everywhere;
     * anonymous pull on {@code public/**}; admin everything.
     */
    static Set<String> rights(String user, String repository) {
        if (user == null) {
            return repository.startsWith("public/") ? Set.of("pull") : Set.of();
        }
        return switch (user) {
            case AuthRegistry.ADMIN -> Set.of("pull", "push", "delete");
            case AuthRegistry.CI_PUSH -> repository.startsWith("ci/") ? Set.of("pull", "push", "delete") : Set.of();
            case AuthRegistry.CLUSTER_PULL -> Set.of("pull");
            default -> Set.of();
        };
    }

    /** Whether {@code user} ({@code null}: anonymous) may use {@code endpoint} on {@code repository}. */
    static boolean allowed(String user, Endpoint endpoint, String repository) {
        return rights(user, repository).containsAll(endpoint.actions)
                && (endpoint.mountFrom() == null || rights(user, endpoint.mountFrom()).contains("pull"));
    }

    // ---- fixtures and requests -----------------------------------------------------------------

    private final Http http;
    private final String admin;
    private final Map<String, Content.Image> images = new LinkedHashMap<>();

    /**
     * Pushes an image tagged {@code v1} to every repository with {@code admin} (an Authorization
     * value granting everything).
     */
    Endpoints(Http http, String admin) throws Exception {
        this.http = http;
        this.admin = admin;
        for (String repository : REPOSITORIES) {
            images.put(repository, Content.pushImage(http, admin, repository, "v1"));
        }
    }

    Content.Image image(String repository) {
        return images.get(repository);
    }

    /** Sets up {@code endpoint} on {@code repository} with the admin's rights and returns the request to try. */
    Prepared prepare(Endpoint endpoint, String repository) throws Exception {
        Content.Image image = images.get(repository);
        String base = "/v2/" + repository;
        Check none = r -> { };
        return switch (endpoint) {
            case TAGS_LIST -> new Prepared("GET", base + "/tags/list", null, new String[0], r -> {
                assertEquals(repository, r.json().path("name").asText(), r::toString);
                List<String> tags = new ArrayList<>();
                r.json().path("tags").forEach(tag -> tags.add(tag.asText()));
                assertTrue(tags.contains("v1"), r::toString);
            }, none);
            case MANIFEST_GET -> new Prepared("GET", base + "/manifests/v1", null,
                    new String[] {"Accept", Content.OCI_MANIFEST}, r -> {
                        assertArrayEquals(image.manifest(), r.body());
                        assertEquals(image.digest(), r.header("Docker-Content-Digest"));
                    }, none);
            case MANIFEST_HEAD -> new Prepared("HEAD", base + "/manifests/v1", null,
                    new String[] {"Accept", Content.OCI_MANIFEST},
                    r -> assertEquals(image.digest(), r.header("Docker-Content-Digest"), r::toString), none);
            case MANIFEST_PUT -> {
                String tag = "put-" + Content.nonce();
                byte[] manifest = Content.manifest(image.config(), image.configSize(), image.layer(), image.layerSize(),
                        tag);
                yield new Prepared("PUT", base + "/manifests/" + tag, manifest,
                        new String[] {"Content-Type", Content.OCI_MANIFEST}, r -> {
                            Http.Response stored = http.get(base + "/manifests/" + tag, admin, "Accept",
                                    Content.OCI_MANIFEST);
                            assertEquals(200, stored.status(), stored::toString);
                            assertArrayEquals(manifest, stored.body());
                        }, r -> assertEquals(404, http.head(base + "/manifests/" + tag, admin).status(),
                        "the refused tag does not exist"));
            }
            case MANIFEST_DELETE -> {
                Content.Image fresh = Content.pushImage(http, admin, repository, "del-" + Content.nonce());
                String path = base + "/manifests/" + fresh.digest();
                yield new Prepared("DELETE", path, null, new String[0],
                        r -> assertEquals(404, http.head(path, admin).status(), "the deleted manifest is gone"),
                        r -> assertEquals(200, http.head(path, admin).status(), "the manifest is still there"));
            }
            case BLOB_GET -> new Prepared("GET", base + "/blobs/" + image.layer(), null, new String[0],
                    r -> assertEquals(image.layer(), Content.digest(r.body())), none);
            case BLOB_HEAD -> new Prepared("HEAD", base + "/blobs/" + image.layer(), null, new String[0], r -> {
                assertEquals(String.valueOf(image.layerSize()), r.header("Content-Length"), r::toString);
                assertEquals(image.layer(), r.header("Docker-Content-Digest"), r::toString);
            }, none);
            case BLOB_DELETE -> {
                String digest = Content.uploadBlob(http, admin, repository, Content.randomBytes(64));
                String path = base + "/blobs/" + digest;
                yield new Prepared("DELETE", path, null, new String[0],
                        r -> assertEquals(404, http.head(path, admin).status(), "the deleted blob is gone"),
                        r -> assertEquals(200, http.head(path, admin).status(), "the blob is still there"));
            }
            case UPLOAD_POST -> new Prepared("POST", base + "/blobs/uploads/", null, new String[0], r -> {
                assertNotNull(r.header("Location"), r::toString);
                assertEquals(204, http.get(r.header("Location"), admin).status(), "the new session exists");
            }, none);
            case UPLOAD_PATCH -> {
                String location = Content.startUpload(http, admin, repository);
                String range = http.get(location, admin).header("Range");
                yield new Prepared("PATCH", location, Content.randomBytes(16),
                        new String[] {"Content-Type", "application/octet-stream"},
                        r -> assertEquals("0-15", r.header("Range"), r::toString),
                        r -> assertEquals(range, http.get(location, admin).header("Range"), "nothing was appended"));
            }
            case UPLOAD_PUT -> {
                String location = Content.startUpload(http, admin, repository);
                byte[] data = Content.randomBytes(32);
                String digest = Content.digest(data);
                yield new Prepared("PUT", location + (location.contains("?") ? "&" : "?") + Http.query("digest", digest),
                        data, new String[] {"Content-Type", "application/octet-stream"},
                        r -> assertEquals(200, http.head(base + "/blobs/" + digest, admin).status(), "the blob is stored"),
                        r -> assertEquals(404, http.head(base + "/blobs/" + digest, admin).status(), "no blob"));
            }
            case UPLOAD_GET -> {
                String location = Content.startUpload(http, admin, repository);
                yield new Prepared("GET", location, null, new String[0],
                        r -> assertNotNull(r.header("Docker-Upload-UUID"), r::toString), none);
            }
            case UPLOAD_DELETE -> {
                String location = Content.startUpload(http, admin, repository);
                yield new Prepared("DELETE", location, null, new String[0],
                        r -> assertEquals(404, http.get(location, admin).status(), "the session is gone"),
                        r -> assertEquals(204, http.get(location, admin).status(), "the session is still there"));
            }
            case MOUNT_FROM_CI_SRC, MOUNT_FROM_PUBLIC -> {
                String from = endpoint.mountFrom();
                String digest = Content.uploadBlob(http, admin, from, Content.randomBytes(48));
                String target = base + "/blobs/" + digest;
                yield new Prepared("POST", base + "/blobs/uploads/?" + Http.query("mount", digest) + "&"
                        + Http.query("from", from), null, new String[0], r -> {
                    assertTrue(URI.create(r.header("Location")).getPath().endsWith("/blobs/" + digest), r::toString);
                    assertEquals(200, http.head(target, admin).status(), "the blob is mounted into " + repository);
                }, r -> {
                    if (!from.equals(repository)) {
                        assertEquals(404, http.head(target, admin).status(),
                                "a refused mount must not link the blob into " + repository);
                    }
                });
            }
            case REFERRERS -> new Prepared("GET", base + "/referrers/" + image.digest(), null, new String[0], r -> {
                assertEquals("application/vnd.oci.image.index.v1+json", r.json().path("mediaType").asText(), r::toString);
                assertTrue(r.json().path("manifests").isArray(), r::toString);
            }, none);
        };
    }
}
