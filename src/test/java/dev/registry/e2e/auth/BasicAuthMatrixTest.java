package dev.registry.e2e.auth;

import static dev.registry.e2e.auth.AuthRegistry.ADMIN;
import static dev.registry.e2e.auth.AuthRegistry.BASIC_CHALLENGE;
import static dev.registry.e2e.auth.AuthRegistry.CI_PUSH;
import static dev.registry.e2e.auth.AuthRegistry.CLUSTER_PULL;
import static dev.registry.e2e.auth.AuthRegistry.password;
import static dev.registry.e2e.auth.Endpoints.CI_APP;
import static dev.registry.e2e.auth.Endpoints.CI_SRC;
import static dev.registry.e2e.auth.Endpoints.OTHER;
import static dev.registry.e2e.auth.Endpoints.PUBLIC;
import static dev.registry.e2e.auth.Endpoints.REPOSITORIES;
import static dev.registry.e2e.auth.Endpoints.TARGETS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.e2e.auth.Endpoints.Endpoint;
import dev.registry.e2e.auth.Endpoints.Prepared;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * htpasswd + access rules over plain HTTP: every API endpoint against every kind of caller, with
 * the exact status, challenge and error code expected, and the storage checked unchanged after
 * every refusal.
 *
 * <p>Rules (see {@link AuthRegistry#RULES}): {@code ci-push} may pull, push and delete
 * {@code ci/**}; {@code cluster-pull} may pull everything; anonymous callers may pull
 * {@code public/**}; {@code admin} (used only to set up and to look) may do everything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BasicAuthMatrixTest {
    private AuthRegistry registry;
    private Http http;
    private String admin;
    private Endpoints endpoints;
    /** Wrong passwords count against the client address: each such request gets an address of its own. */
    private final AtomicInteger nextAddress = new AtomicInteger(1);

    /** Who calls. */
    enum Caller {
        NO_CREDENTIALS, WRONG_PASSWORD, CLUSTER_PULL, CI_PUSH
    }

    @BeforeAll
    void startRegistry() throws Exception {
        registry = AuthRegistry.start("basic-matrix", AuthRegistry.Mode.HTPASSWD, false);
        http = registry.http();
        admin = Http.basic(ADMIN, password(ADMIN));
        registry.withLog(() -> endpoints = new Endpoints(http, admin));
    }

    @AfterAll
    void stopRegistry() throws Exception {
        if (http != null) {
            http.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    // ---- the model: what each caller may do, from the rules -----------------------------------

    /**
     * 2xx when the rules allow it ({@link Endpoints#allowed}); else 401 for callers without (valid)
     * credentials and 403 for users lacking a right. A wrong password is refused even where
     * anonymous callers may pull.
     */
    static int expectedStatus(Caller caller, Endpoint endpoint, String repository) {
        return switch (caller) {
            case WRONG_PASSWORD -> 401;
            case NO_CREDENTIALS -> Endpoints.allowed(null, endpoint, repository) ? endpoint.success : 401;
            case CLUSTER_PULL -> Endpoints.allowed(CLUSTER_PULL, endpoint, repository) ? endpoint.success : 403;
            case CI_PUSH -> Endpoints.allowed(CI_PUSH, endpoint, repository) ? endpoint.success : 403;
        };
    }

    Stream<Arguments> repositoryCells() {
        List<Arguments> cells = new ArrayList<>();
        for (Endpoint endpoint : Endpoint.values()) {
            for (String repository : TARGETS) {
                for (Caller caller : Caller.values()) {
                    cells.add(Arguments.of(endpoint, repository, caller, expectedStatus(caller, endpoint, repository)));
                }
            }
        }
        return cells.stream();
    }

    /** A few cells spelled out, so that the model above cannot drift from the brief unnoticed. */
    @Test
    void modelMatchesTheRulesAsWritten() {
        assertEquals(200, expectedStatus(Caller.NO_CREDENTIALS, Endpoint.MANIFEST_GET, PUBLIC));
        assertEquals(401, expectedStatus(Caller.NO_CREDENTIALS, Endpoint.MANIFEST_GET, CI_APP));
        assertEquals(401, expectedStatus(Caller.NO_CREDENTIALS, Endpoint.UPLOAD_POST, PUBLIC));
        assertEquals(401, expectedStatus(Caller.WRONG_PASSWORD, Endpoint.MANIFEST_GET, PUBLIC));
        assertEquals(200, expectedStatus(Caller.CLUSTER_PULL, Endpoint.BLOB_GET, OTHER));
        assertEquals(403, expectedStatus(Caller.CLUSTER_PULL, Endpoint.MANIFEST_PUT, CI_APP));
        assertEquals(403, expectedStatus(Caller.CLUSTER_PULL, Endpoint.BLOB_DELETE, PUBLIC));
        assertEquals(202, expectedStatus(Caller.CI_PUSH, Endpoint.MANIFEST_DELETE, CI_APP));
        assertEquals(403, expectedStatus(Caller.CI_PUSH, Endpoint.MANIFEST_GET, PUBLIC));
        assertEquals(201, expectedStatus(Caller.CI_PUSH, Endpoint.MOUNT_FROM_CI_SRC, CI_APP));
        assertEquals(403, expectedStatus(Caller.CI_PUSH, Endpoint.MOUNT_FROM_PUBLIC, CI_APP));
        assertEquals(403, expectedStatus(Caller.CI_PUSH, Endpoint.UPLOAD_PATCH, OTHER));
    }

    // ---- the matrix -----------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} on {1} by {2} -> {3}")
    @MethodSource("repositoryCells")
    void repositoryEndpoint(Endpoint endpoint, String repository, Caller caller, int expected) throws Exception {
        registry.withLog(() -> {
            Prepared request = endpoints.prepare(endpoint, repository);
            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            Http.Response response = send(caller, request);
            String context = endpoint + " on " + repository + " by " + caller + ": " + response;
            assertEquals(expected, response.status(), context);
            if (expected < 300) {
                request.succeeded().verify(response);
                return;
            }
            assertRefusal(expected, request.method(), response, context);
            before.assertUnchanged(context);
            request.refused().verify(response);
        });
    }

    @ParameterizedTest(name = "GET /v2/ by {0}")
    @EnumSource(Caller.class)
    void base(Caller caller) throws Exception {
        registry.withLog(() -> {
            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            Http.Response response = send(caller, Prepared.get("/v2/"));
            if (caller == Caller.CLUSTER_PULL || caller == Caller.CI_PUSH) {
                assertEquals(200, response.status(), response::toString);
                assertEquals("{}", response.text().strip());
            } else {
                // without credentials too: docker login relies on this 401 (even though anonymous may pull public/**)
                assertRefusal(401, "GET", response, "GET /v2/ by " + caller);
            }
            before.assertUnchanged("GET /v2/ by " + caller);
        });
    }

    @ParameterizedTest(name = "GET /v2/_catalog by {0}")
    @EnumSource(Caller.class)
    void catalogListsOnlyPullableRepositories(Caller caller) throws Exception {
        registry.withLog(() -> {
            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            Http.Response response = send(caller, Prepared.get("/v2/_catalog"));
            switch (caller) {
                case NO_CREDENTIALS, WRONG_PASSWORD -> assertRefusal(401, "GET", response, "catalog by " + caller);
                case CLUSTER_PULL -> {
                    assertEquals(200, response.status(), response::toString);
                    assertEquals(List.of(CI_APP, CI_SRC, OTHER, PUBLIC), repositories(response));
                }
                case CI_PUSH -> {
                    assertEquals(200, response.status(), response::toString);
                    assertEquals(List.of(CI_APP, CI_SRC), repositories(response));
                }
            }
            before.assertUnchanged("catalog by " + caller);
            // and the admin still sees every repository
            assertEquals(REPOSITORIES, repositories(http.get("/v2/_catalog", admin)));
        });
    }

    @Test
    void catalogPagesHoldOnlyPullableRepositories() throws Exception {
        registry.withLog(() -> {
            String ciPush = Http.basic(CI_PUSH, password(CI_PUSH));
            List<String> seen = new ArrayList<>();
            String next = "/v2/_catalog?n=1";
            for (int page = 0; next != null; page++) {
                assertTrue(page < 10, "the catalog pages end");
                Http.Response response = http.get(next, ciPush);
                assertEquals(200, response.status(), response::toString);
                List<String> items = repositories(response);
                assertTrue(items.size() <= 1, () -> "n=1 pages hold at most one repository: " + response);
                seen.addAll(items);
                String link = response.header("Link");
                next = link == null ? null : link.substring(link.indexOf('<') + 1, link.indexOf('>'));
            }
            assertEquals(List.of(CI_APP, CI_SRC), seen, "ci-push pages through exactly the ci/** repositories");
        });
    }

    /** Malformed credentials and other schemes are refused like wrong passwords. */
    @ParameterizedTest(name = "Authorization: {0}")
    @ValueSource(strings = {"Basic !!!not-base64!!!", "Basic Y2ktcHVzaA==", "Bearer abc.def.ghi", "Digest username=\"ci-push\"",
            "Basic"})
    void malformedCredentialsAreRefused(String authorization) throws Exception {
        registry.withLog(() -> {
            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            try (Http fresh = registry.httpFrom(nextFreshAddress())) {
                Http.Response response = fresh.get("/v2/" + PUBLIC + "/manifests/v1", authorization);
                assertRefusal(401, "GET", response, "Authorization: " + authorization);
                Http.Response upload = fresh.send("POST", "/v2/" + CI_APP + "/blobs/uploads/", authorization, null);
                assertRefusal(401, "POST", upload, "Authorization: " + authorization);
            }
            before.assertUnchanged("Authorization: " + authorization);
        });
    }

    /**
     * {@code Basic Og==} (empty user and password) is what skopeo, podman and buildah send
     * without credentials: it is anonymous, pulls what anonymous may pull, and never counts
     * towards the failed-login limit.
     */
    @Test
    void emptyBasicCredentialsAreAnonymous() throws Exception {
        registry.withLog(() -> {
            String empty = "Basic Og==";
            String address = nextFreshAddress();
            try (Http fresh = registry.httpFrom(address)) {
                for (int i = 0; i < 8; i++) {
                    Http.Response pull = fresh.get("/v2/" + PUBLIC + "/manifests/v1", empty,
                            "Accept", Content.OCI_MANIFEST);
                    assertEquals(200, pull.status(), pull::toString);
                }
                Http.Response denied = fresh.get("/v2/" + CI_APP + "/manifests/v1", empty);
                assertRefusal(401, "GET", denied, "empty credentials on a private repository");
                Http.Response base = fresh.get("/v2/", empty);
                assertEquals(401, base.status(), "GET /v2/ still asks for a login: " + base);
                Http.Response login = fresh.get("/v2/" + CI_APP + "/tags/list", Http.basic(CI_PUSH, password(CI_PUSH)));
                assertEquals(200, login.status(), "empty credentials counted as failed logins: " + login);
            }
            java.util.Optional<java.nio.file.Path> skopeo = dev.registry.e2e.clients.Cli.which("skopeo");
            if (skopeo.isPresent()) {
                java.nio.file.Path work = registry.dir().resolve("skopeo-no-creds");
                dev.registry.e2e.clients.Cli.Result inspect = SkopeoCli.of(work, java.time.Duration.ofMinutes(1), "inspect",
                        "--no-creds", "--tls-verify=false", "--raw", "docker://" + registry.hostPort() + "/" + PUBLIC + ":v1").run();
                assertTrue(inspect.ok(), "skopeo inspect --no-creds of an anonymous-readable repository: " + inspect.describe());
                dev.registry.e2e.clients.Cli.Result refused = SkopeoCli.of(work, java.time.Duration.ofMinutes(1), "inspect",
                        "--no-creds", "--tls-verify=false", "--raw", "docker://" + registry.hostPort() + "/" + CI_APP + ":v1").run();
                assertTrue(!refused.ok(), "skopeo pulled a private repository without credentials");
            }
        });
    }

    /**
     * A mount without {@code from} links a blob only from a repository the caller may pull:
     * ci-push gets ci/src's blob into ci/app, never other/app's.
     */
    @Test
    void automaticMountLinksOnlyBlobsTheCallerMayPull() throws Exception {
        registry.withLog(() -> {
            String ciPush = Http.basic(CI_PUSH, password(CI_PUSH));
            Content.Image readable = Content.pushImage(http, admin, CI_SRC, "automount-" + Content.nonce());
            Content.Image foreign = Content.pushImage(http, admin, OTHER, "automount-" + Content.nonce());

            Http.Response mounted = http.send("POST", "/v2/" + CI_APP + "/blobs/uploads/?mount=" + readable.layer(), ciPush, null);
            assertEquals(201, mounted.status(), mounted::toString);
            assertEquals(readable.layer(), mounted.header("Docker-Content-Digest"));
            assertEquals(200, http.head("/v2/" + CI_APP + "/blobs/" + readable.layer(), ciPush).status());

            Http.Response refused = http.send("POST", "/v2/" + CI_APP + "/blobs/uploads/?mount=" + foreign.layer(), ciPush, null);
            assertEquals(202, refused.status(), "a blob of a repository ci-push may not pull was mounted: " + refused);
            assertNotNull(refused.header("Docker-Upload-UUID"));
            assertEquals(404, http.head("/v2/" + CI_APP + "/blobs/" + foreign.layer(), admin).status());
            assertTrue(java.nio.file.Files.notExists(registry.storage().resolve("docker/registry/v2/repositories/" + CI_APP
                    + "/_layers/sha256/" + foreign.layer().substring(7))), "other/app's layer was linked into ci/app");
            assertEquals(204, http.send("DELETE", refused.header("Location"), ciPush, null).status());
        });
    }

    /**
     * Rights on ci/app must not reach content of repositories ci-push may not pull through ci/app's
     * paths: blobs and manifests known by digest, upload sessions by id, manifests referencing them.
     */
    @Test
    void contentOfOtherRepositoriesIsNotReachableThroughAnAllowedOne() throws Exception {
        registry.withLog(() -> {
            String ciPush = Http.basic(CI_PUSH, password(CI_PUSH));
            Content.Image foreign = endpoints.image(OTHER);
            String session = Content.startUpload(http, admin, PUBLIC);
            String uuid = session.substring(session.lastIndexOf('/') + 1).split("\\?")[0];
            StorageSnapshot before = StorageSnapshot.of(registry.storage());

            Http.Response blob = http.get("/v2/ci/app/blobs/" + foreign.layer(), ciPush);
            assertEquals(404, blob.status(), blob::toString);
            assertEquals("BLOB_UNKNOWN", blob.errorCode(), blob::toString);
            assertEquals(404, http.head("/v2/ci/app/blobs/" + foreign.config(), ciPush).status());
            Http.Response manifest = http.get("/v2/ci/app/manifests/" + foreign.digest(), ciPush);
            assertEquals(404, manifest.status(), manifest::toString);
            assertEquals("MANIFEST_UNKNOWN", manifest.errorCode(), manifest::toString);

            // a manifest in ci/app over other/app's blobs is refused, and links nothing
            byte[] borrowing = Content.manifest(foreign.config(), foreign.configSize(), foreign.layer(),
                    foreign.layerSize(), "borrowing");
            Http.Response put = http.send("PUT", "/v2/ci/app/manifests/borrowing", ciPush, borrowing,
                    "Content-Type", Content.OCI_MANIFEST);
            assertEquals(400, put.status(), put::toString);
            assertEquals("MANIFEST_BLOB_UNKNOWN", put.errorCode(), put::toString);

            // public/base's upload session, addressed through ci/app
            String path = "/v2/ci/app/blobs/uploads/" + uuid;
            byte[] data = Content.randomBytes(16);
            for (Http.Response response : List.of(
                    http.get(path, ciPush),
                    http.send("PATCH", path, ciPush, data, "Content-Type", "application/octet-stream"),
                    http.send("PUT", path + "?" + Http.query("digest", Content.digest(data)), ciPush, data,
                            "Content-Type", "application/octet-stream"),
                    http.send("DELETE", path, ciPush, null))) {
                assertEquals(404, response.status(), response::toString);
                assertEquals("BLOB_UPLOAD_UNKNOWN", response.errorCode(), response::toString);
            }
            before.assertUnchanged("ci-push reaching into other repositories through ci/app");
            assertEquals(204, http.get(session, admin).status(), "public/base's session is untouched");
        });
    }

    /**
     * The htpasswd file is re-read while the registry runs: a new user can log in, a changed
     * password replaces the old one at once (the remembered successful check included), and a
     * removed user is refused.
     */
    @Test
    void htpasswdChangesTakeEffectWithoutRestart() throws Exception {
        registry.withLog(() -> {
            String user = "rotating";
            registry.setPassword(user, "first-Password-1");
            awaitStatus(Http.basic(user, "first-Password-1"), 200, "the new user can log in");

            registry.setPassword(user, "second-Password-2");
            awaitStatus(Http.basic(user, "first-Password-1"), 401, "the old password stops working");
            assertEquals(200, http.get("/v2/", Http.basic(user, "second-Password-2")).status(), "the new password works");

            registry.removeUser(user);
            awaitStatus(Http.basic(user, "second-Password-2"), 401, "the removed user is refused");
            assertEquals(200, http.get("/v2/", Http.basic(CI_PUSH, password(CI_PUSH))).status(), "others stay");
        });
    }

    /** Polls {@code GET /v2/} with {@code authorization} (each time from a fresh address) until it answers {@code status}. */
    private void awaitStatus(String authorization, int status, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Http.Response response;
        do {
            try (Http fresh = registry.httpFrom(nextFreshAddress())) {
                response = fresh.get("/v2/", authorization);
            }
            if (response.status() == status) {
                return;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(what + ": still " + response + " after 10s");
    }

    /** After 5 failed logins from one address, every request with credentials from it gets 429 for the minute. */
    @Test
    void sixthWrongPasswordFromOneAddressIsTooManyRequests() throws Exception {
        registry.withLog(() -> {
            String address = "127.0.0.200";
            String wrong = Http.basic(CI_PUSH, "not-the-password");
            String right = Http.basic(CI_PUSH, password(CI_PUSH));
            StorageSnapshot before = StorageSnapshot.of(registry.storage());
            try (Http attacker = registry.httpFrom(address)) {
                for (int i = 1; i <= 5; i++) {
                    Http.Response response = attacker.get("/v2/", wrong);
                    assertRefusal(401, "GET", response, "wrong password #" + i);
                }
                Http.Response sixth = attacker.get("/v2/", wrong);
                assertTooManyRequests(sixth, "6th wrong password");
                Http.Response seventh = attacker.get("/v2/" + CI_APP + "/tags/list", wrong);
                assertTooManyRequests(seventh, "7th wrong password");
                // refused without checking the password: the right one does not help from this address ...
                Http.Response rightPassword = attacker.get("/v2/" + CI_APP + "/tags/list", right);
                assertTooManyRequests(rightPassword, "right password from the blocked address");
                Http.Response push = attacker.send("POST", "/v2/" + CI_APP + "/blobs/uploads/", right, null);
                assertTooManyRequests(push, "upload with the right password from the blocked address");
                // ... while requests without credentials are never counted nor refused
                Http.Response anonymous = attacker.get("/v2/" + PUBLIC + "/tags/list", null);
                assertEquals(200, anonymous.status(), anonymous::toString);
            }
            before.assertUnchanged("requests from the blocked address");
            // other addresses are not affected
            Http.Response elsewhere = http.get("/v2/" + CI_APP + "/tags/list", right);
            assertEquals(200, elsewhere.status(), elsewhere::toString);
        });
    }

    // ---- requests --------------------------------------------------------------------------------

    private Http.Response send(Caller caller, Prepared request) throws Exception {
        return switch (caller) {
            case NO_CREDENTIALS -> http.send(request.method(), request.path(), null, request.body(), request.headers());
            case CLUSTER_PULL -> http.send(request.method(), request.path(), Http.basic(CLUSTER_PULL, password(CLUSTER_PULL)),
                    request.body(), request.headers());
            case CI_PUSH -> http.send(request.method(), request.path(), Http.basic(CI_PUSH, password(CI_PUSH)),
                    request.body(), request.headers());
            case WRONG_PASSWORD -> {
                try (Http fresh = registry.httpFrom(nextFreshAddress())) {
                    yield fresh.send(request.method(), request.path(), Http.basic(CI_PUSH, password(CI_PUSH) + "x"),
                            request.body(), request.headers());
                }
            }
        };
    }

    /** 127.0.1.1, 127.0.1.2, ...: a loopback address no earlier request came from. */
    private String nextFreshAddress() {
        int n = nextAddress.getAndIncrement();
        return "127.0." + (1 + n / 250) + "." + (1 + n % 250);
    }

    // ---- assertions ------------------------------------------------------------------------------

    /** 401 with the Basic challenge and UNAUTHORIZED, or 403 DENIED without a challenge. */
    static void assertRefusal(int status, String method, Http.Response response, String context) {
        assertEquals(status, response.status(), () -> context + ": " + response);
        if (status == 401) {
            assertEquals(BASIC_CHALLENGE, response.header("WWW-Authenticate"), () -> context + ": " + response);
        } else {
            assertNull(response.header("WWW-Authenticate"), () -> context + ": 403 carries no challenge: " + response);
        }
        if (!method.equals("HEAD")) {
            assertEquals(status == 401 ? "UNAUTHORIZED" : "DENIED", response.errorCode(), () -> context + ": " + response);
            assertTrue(String.valueOf(response.header("Content-Type")).startsWith("application/json"),
                    () -> context + ": " + response);
        } else {
            assertEquals(0, response.body().length, () -> context + ": HEAD has no body");
        }
    }

    static void assertTooManyRequests(Http.Response response, String context) {
        assertEquals(429, response.status(), () -> context + ": " + response);
        assertEquals("TOOMANYREQUESTS", response.errorCode(), () -> context + ": " + response);
        String retryAfter = response.header("Retry-After");
        assertNotNull(retryAfter, () -> context + ": Retry-After: " + response);
        long seconds = Long.parseLong(retryAfter);
        assertTrue(seconds >= 1 && seconds <= 60, () -> context + ": Retry-After within the minute: " + retryAfter);
        assertNull(response.header("WWW-Authenticate"), () -> context + ": no challenge on 429: " + response);
    }

    static List<String> repositories(Http.Response response) {
        assertEquals(200, response.status(), response::toString);
        List<String> names = new ArrayList<>();
        response.json().path("repositories").forEach(name -> names.add(name.asText()));
        return names;
    }
}
