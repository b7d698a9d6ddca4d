package dev.registry.storage;

import dev.registry.storage.driver.ForwardingDriver;
import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.filesystem.FilesystemDriver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static dev.registry.storage.TestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CatalogServiceTest {
    static final Digest D = Digest.sha256(utf8("m"));

    @TempDir
    Path root;

    RecordingDriver driver;
    Registry registry;

    /** Delegates to a filesystem driver and records which directories were listed. */
    static final class RecordingDriver extends ForwardingDriver {
        final List<String> listed = Collections.synchronizedList(new ArrayList<>());
        /** How long each listing takes, as on an object store; zero for the disk's own speed. */
        volatile long delayMillis;
        final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger mostInFlight = new java.util.concurrent.atomic.AtomicInteger();
        /** Runs once, after the next listing of the repositories root. */
        volatile Runnable afterRootListing;

        RecordingDriver(StorageDriver delegate) {
            super(delegate);
        }

        @Override
        public List<String> list(String path) throws IOException {
            listed.add(path);
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                if (delayMillis > 0) {
                    Thread.sleep(delayMillis);
                }
                List<String> entries = delegate.list(path);
                Runnable hook = afterRootListing;
                if (hook != null && path.equals(PathLayout.REPOSITORIES)) {
                    afterRootListing = null;
                    hook.run();
                }
                return entries;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            } finally {
                inFlight.decrementAndGet();
            }
        }

    }

    /** Moved by hand, so whether a walk is reused does not depend on how fast the test runs. */
    TestSupport.MutableClock clock;

    @BeforeEach
    void setUp() throws IOException {
        driver = new RecordingDriver(new FilesystemDriver(root));
        clock = new TestSupport.MutableClock(java.time.Instant.parse("2026-01-01T00:00:00Z"));
        registry = new Registry(driver, true, clock);
    }

    private void repository(String name) throws IOException {
        registry.tags().tag(name, "latest", D);
    }

    /** A manifest push through this registry, which tells the catalog a repository may be new. */
    private void push(String name) throws IOException {
        BlobInfo config = TestSupport.pushBlob(registry, name, utf8("{}"));
        registry.manifests().put(name, "latest", MediaTypes.OCI_MANIFEST, utf8("""
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
                 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[]}"""
                .formatted(config.digest(), config.size())));
    }

    private CatalogService.Page page(int limit, String last) throws IOException {
        return registry.catalog().repositories(limit, last);
    }

    @Test
    void emptyRegistry() throws IOException {
        assertEquals(new CatalogService.Page(List.of(), false), page(100, null));
    }

    @Test
    void componentWiseOrder() throws IOException {
        for (String name : List.of("b", "a-b", "a0", "a/b/c", "a", "a/b", "a.b", "a_b", "ab", "a/a-b", "a/a/b")) {
            repository(name);
        }
        // component by component: "a/..." sorts with "a", before "a-b" although '-' < '/'
        assertEquals(List.of("a", "a/a/b", "a/a-b", "a/b", "a/b/c", "a-b", "a.b", "a0", "a_b", "ab", "b"),
                page(100, null).items());
        assertFalse(page(100, null).more());
    }

    @Test
    void paginationWithLimitAndLast() throws IOException {
        for (String name : List.of("a", "a/b", "a/b/c", "a-b", "a0", "b")) {
            repository(name);
        }
        assertEquals(new CatalogService.Page(List.of("a", "a/b"), true), page(2, null));
        assertEquals(new CatalogService.Page(List.of("a/b/c", "a-b"), true), page(2, "a/b"));
        assertEquals(new CatalogService.Page(List.of("a0", "b"), false), page(2, "a-b"));
        assertEquals(new CatalogService.Page(List.of(), false), page(2, "b"));
        assertEquals(new CatalogService.Page(List.of(), false), page(2, "zzz"));
        // last need not be a listed name
        assertEquals(new CatalogService.Page(List.of("a/b", "a/b/c", "a-b"), true), page(3, "a/a"));
        assertEquals(new CatalogService.Page(List.of("a", "a/b", "a/b/c", "a-b", "a0", "b"), false), page(6, null));
        assertEquals(new CatalogService.Page(List.of("b"), false), page(1, "a0"));

        // walking all pages of 1 yields every name exactly once, in order
        List<String> walked = new ArrayList<>();
        String last = null;
        while (true) {
            CatalogService.Page p = page(1, last);
            walked.addAll(p.items());
            if (!p.more()) {
                break;
            }
            last = p.items().get(p.items().size() - 1);
        }
        assertEquals(List.of("a", "a/b", "a/b/c", "a-b", "a0", "b"), walked);
    }

    @Test
    void repositoriesWithoutManifestsAreNotListed() throws IOException {
        repository("with/manifests");
        registry.uploads().start("only/uploads");
        registry.blobs().link("only/layers", D);
        Files.createDirectories(root.resolve("docker/registry/v2/repositories/just/a/dir"));
        assertEquals(List.of("with/manifests"), page(100, null).items());
    }

    @Test
    void uploadOnlyRepositoriesAreStillFoundForPurge() throws IOException {
        registry.uploads().start("only/uploads");
        registry.blobs().link("only/layers", D);
        repository("with/manifests");
        assertEquals(List.of("only/layers", "only/uploads", "with/manifests"),
                RepositoryWalker.allRepositories(driver));
        assertEquals(List.of("with/manifests"), RepositoryWalker.catalogRepositories(driver, null, 100, name -> true).accepted());
    }

    @Test
    void invalidDirectoryNamesAreNotListed() throws IOException {
        repository("good");
        Path repos = root.resolve("docker/registry/v2/repositories");
        Files.createDirectories(repos.resolve("UPPER/_manifests/tags"));
        Files.createDirectories(repos.resolve("good/Bad/_manifests/tags"));
        Files.createDirectories(repos.resolve("a..b/_manifests/tags"));
        assertEquals(List.of("good"), page(100, null).items());
    }

    @Test
    void underscoreDirectoriesAreNotDescended() throws IOException {
        repository("app");
        repository("app/nested");
        registry.uploads().start("app");
        registry.blobs().link("app", D);
        // a repository-looking tree hidden below an underscore directory
        Path repos = root.resolve("docker/registry/v2/repositories");
        Files.createDirectories(repos.resolve("app/_layers/sha256/x/_manifests/tags"));
        Files.createDirectories(repos.resolve("_hidden/_manifests/tags"));
        driver.listed.clear();

        assertEquals(List.of("app", "app/nested"), page(100, null).items());
        for (String listed : driver.listed) {
            String relative = listed.substring(PathLayout.REPOSITORIES.length());
            assertFalse(relative.contains("/_"), "walked into " + listed);
        }
        assertTrue(driver.listed.contains(PathLayout.REPOSITORIES + "/app/nested"));
    }

    @Test
    void aPageListsAboutAsManyDirectoriesAsItHasNames() throws IOException {
        for (int i = 0; i < 200; i++) {
            repository(String.format("r%03d", i));
        }
        driver.listed.clear();
        assertEquals(new CatalogService.Page(List.of("r000", "r001"), true), page(2, null));
        // the root, the three names, and at most one read-ahead window of listings
        assertTrue(driver.listed.size() <= 4 + 32, "listed " + driver.listed.size() + " directories for a page of 2");

        driver.listed.clear();
        assertEquals(new CatalogService.Page(List.of("r151", "r152", "r153"), true), page(3, "r150"));
        for (String listed : driver.listed) {
            String name = listed.substring(PathLayout.REPOSITORIES.length());
            assertTrue(name.isEmpty() || name.compareTo("/r150") >= 0, "listed " + listed + ", which sorts before the page");
        }
    }

    @Test
    void slowListingsAreMadeAheadConcurrentlyAndStillComeOutInOrder() throws IOException {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            names.add(String.format("r%03d", i));
            names.add(String.format("r%03d/n", i));
        }
        for (String name : names) {
            repository(name);
        }
        driver.delayMillis = 5;
        driver.listed.clear();
        CatalogService.Page page = page(100, "r010/n");
        assertEquals(names.subList(22, 122), page.items());
        assertTrue(page.more());
        assertTrue(driver.mostInFlight.get() > 1, "slow listings were made one at a time");
        assertTrue(driver.listed.size() <= 1 + 11 + 101 + 32, "listed " + driver.listed.size() + " directories");

        List<String> walked = new ArrayList<>();
        String last = null;
        do {
            page = page(7, last);
            walked.addAll(page.items());
            last = walked.isEmpty() ? null : walked.get(walked.size() - 1);
        } while (page.more());
        assertEquals(names, walked);
    }

    @Test
    void aPageAfterANestedNameListsOnlyItsAncestorsAndWhatFollows() throws IOException {
        for (String name : List.of("a", "a/a", "a/a/z", "a/b", "a/b/c", "a/b/c/d", "a/c", "a-b", "b", "b/x")) {
            repository(name);
        }
        driver.listed.clear();
        assertEquals(new CatalogService.Page(List.of("a/b/c/d", "a/c", "a-b", "b", "b/x"), false), page(10, "a/b/c"));
        String repositories = PathLayout.REPOSITORIES;
        assertTrue(driver.listed.containsAll(List.of(repositories, repositories + "/a", repositories + "/a/b",
                repositories + "/a/b/c")), "last and its ancestors are listed to find what follows it: " + driver.listed);
        assertFalse(driver.listed.contains(repositories + "/a/a"), "listed a/a, which sorts before the page: " + driver.listed);
    }

    @Test
    void aRepositoryCreatedAfterAPageIsInTheNextOne() throws IOException {
        repository("a");
        repository("c");
        repository("d");
        assertEquals(new CatalogService.Page(List.of("a"), true), page(1, null));
        repository("b"); // a tag written directly, as another replica would
        assertEquals(new CatalogService.Page(List.of("b"), true), page(1, "a"));
        assertEquals(new CatalogService.Page(List.of("c"), true), page(1, "b"));
    }

    @Test
    void onlyVisibleRepositoriesCountTowardsAPage() throws IOException {
        for (String name : List.of("a", "b", "c", "d", "e")) {
            repository(name);
        }
        java.util.function.Predicate<String> visible = name -> !name.equals("b") && !name.equals("d");
        assertEquals(new CatalogService.Page(List.of("a", "c"), true), registry.catalog().repositories(2, null, visible));
        assertEquals(new CatalogService.Page(List.of("e"), false), registry.catalog().repositories(2, "c", visible));
    }

    @Test
    void aCompleteWalkAnswersTheNextRequestsWithoutListing() throws IOException {
        for (String name : List.of("a", "b", "c")) {
            repository(name);
        }
        assertEquals(new CatalogService.Page(List.of("a"), true), page(1, null)); // stopped early
        driver.listed.clear();
        assertEquals(new CatalogService.Page(List.of("a"), true), page(1, null));
        assertFalse(driver.listed.isEmpty(), "a walk that stopped early does not know every repository");

        assertEquals(new CatalogService.Page(List.of("a", "b", "c"), false), page(100, null)); // reached the end
        driver.listed.clear();
        assertEquals(new CatalogService.Page(List.of("b"), true), page(1, "a"));
        assertEquals(new CatalogService.Page(List.of("c"), false), registry.catalog().repositories(5, null, name -> name.equals("c")));
        assertEquals(List.of(), driver.listed);

        push("a0"); // a push through this registry is listed at once
        clock.advance(java.time.Duration.ofMillis(1)); // a walk begun in the push's millisecond is not kept
        assertEquals(new CatalogService.Page(List.of("a", "a0", "b", "c"), false), page(100, null));

        repository("b0"); // written by another replica: seen once the walk is half a second old
        assertEquals(new CatalogService.Page(List.of("a", "a0", "b", "c"), false), page(100, null));
        clock.advance(java.time.Duration.ofMillis(499));
        assertEquals(new CatalogService.Page(List.of("a", "a0", "b", "c"), false), page(100, null));
        clock.advance(java.time.Duration.ofMillis(1));
        assertEquals(new CatalogService.Page(List.of("a", "a0", "b", "b0", "c"), false), page(100, null));
    }

    @Test
    void aWalkFilteredByVisibilityStillLearnsEveryRepository() throws IOException {
        for (String name : List.of("a", "b", "c")) {
            repository(name);
        }
        assertEquals(new CatalogService.Page(List.of("a", "c"), false),
                registry.catalog().repositories(100, null, name -> !name.equals("b")));
        driver.listed.clear();
        assertEquals(new CatalogService.Page(List.of("a", "b", "c"), false), page(100, null));
        assertEquals(List.of(), driver.listed);
    }

    @Test
    void aWalkThatMissedAPushMadeMeanwhileIsNotReused() throws IOException {
        repository("a");
        repository("c");
        // the walk lists the root, then a manifest is pushed to a new repository, then the walk ends
        driver.afterRootListing = () -> {
            try {
                push("b");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        assertEquals(new CatalogService.Page(List.of("a", "c"), false), page(100, null));
        assertEquals(new CatalogService.Page(List.of("a", "b", "c"), false), page(100, null));
    }

    @Test
    void aNegativePageSizeIsRefused() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> page(-1, null));
    }

    @Test
    void nestedRepositoriesBothListed() throws IOException {
        repository("x");
        repository("x/y");
        repository("x/y/z");
        assertEquals(List.of("x", "x/y", "x/y/z"), page(10, null).items());
    }

    @Test
    void catalogOrderComparator() {
        assertTrue(RepositoryWalker.CATALOG_ORDER.compare("a/b", "a-b") < 0);
        assertTrue(RepositoryWalker.CATALOG_ORDER.compare("a", "a/b") < 0);
        assertTrue(RepositoryWalker.CATALOG_ORDER.compare("a/b", "a") > 0);
        assertEquals(0, RepositoryWalker.CATALOG_ORDER.compare("a/b", "a/b"));
        assertTrue(RepositoryWalker.CATALOG_ORDER.compare("a/z", "b") < 0);
    }
}
