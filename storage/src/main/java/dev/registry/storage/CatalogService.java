package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The list of repositories ({@code /v2/_catalog}), in distribution's order, one page at a time.
 *
 * <p>Listing means walking the whole repositories tree, so a walk is reused by the requests that
 * arrive within {@link #FRESHNESS} of its start, and concurrent requests share one walk. A
 * repository created through this process is visible at once ({@link #repositoryCreated}); one
 * created by another replica on the same store appears within {@link #FRESHNESS} plus the
 * duration of one walk (well under a second in all: a walk lists directories concurrently).
 */
public final class CatalogService {
    /** How long after its start a walk of the repositories tree is reused. */
    public static final Duration FRESHNESS = Duration.ofMillis(500);

    private final StorageDriver driver;
    /** The last completed walk. */
    private volatile Walk last;
    /** The walk in progress, which requests arriving meanwhile wait for; guarded by {@code this}. */
    private CompletableFuture<Walk> running;

    public CatalogService(StorageDriver driver) {
        this.driver = driver;
    }

    /** A walk's result and when it started ({@link System#nanoTime()}). */
    private record Walk(long startedNanos, List<String> names) {
    }

    /** Called after a manifest push: a repository the last walk does not know makes it stale. */
    void repositoryCreated(String name) {
        Walk walk = last;
        if (walk != null && java.util.Collections.binarySearch(walk.names, name, RepositoryWalker.CATALOG_ORDER) < 0) {
            last = null;
        }
    }

    private List<String> allRepositories() throws IOException {
        Walk walk = last;
        if (walk != null && System.nanoTime() - walk.startedNanos < FRESHNESS.toNanos()) {
            return walk.names;
        }
        CompletableFuture<Walk> shared;
        boolean mine = false;
        synchronized (this) {
            if (running == null) {
                running = new CompletableFuture<>();
                mine = true;
            }
            shared = running;
        }
        if (mine) {
            try {
                long started = System.nanoTime();
                Walk done = new Walk(started, List.copyOf(RepositoryWalker.catalogRepositories(driver)));
                last = done;
                shared.complete(done);
            } catch (IOException | RuntimeException e) {
                shared.completeExceptionally(e);
            } finally {
                synchronized (this) {
                    running = null;
                }
            }
        }
        try {
            return shared.join().names;
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
    }

    /**
     * Up to {@code limit} repositories that sort after {@code last} (all when {@code last} is null).
     *
     * @return the page, and whether more repositories follow it
     */
    public Page repositories(int limit, String last) throws IOException {
        return repositories(limit, last, name -> true);
    }

    /** As {@link #repositories(int, String)}, counting only the repositories {@code visible} accepts. */
    public Page repositories(int limit, String last, java.util.function.Predicate<String> visible) throws IOException {
        List<String> all = allRepositories();
        List<String> page = new ArrayList<>();
        boolean more = false;
        for (String name : all) {
            if ((last != null && RepositoryWalker.CATALOG_ORDER.compare(name, last) <= 0) || !visible.test(name)) {
                continue;
            }
            if (page.size() == limit) {
                more = true;
                break;
            }
            page.add(name);
        }
        return new Page(page, more);
    }

    /** One page of names; {@code more} tells whether a next page exists. */
    public record Page(List<String> items, boolean more) {
    }
}
