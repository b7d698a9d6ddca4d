package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The list of repositories ({@code /v2/_catalog}), in distribution's order, one page at a time.
 *
 * <p>Listing means walking the whole repositories tree, so the result is kept for
 * {@link #FRESHNESS}: concurrent catalog requests share one walk. A repository created through
 * this process is visible at once ({@link #repositoryCreated}); one created by another replica
 * on shared storage shows up within {@link #FRESHNESS}.
 */
public final class CatalogService {
    /** How long a walk of the repositories tree is reused. */
    public static final Duration FRESHNESS = Duration.ofSeconds(2);
    private static final String ALL = "all";

    private final StorageDriver driver;
    private final Cache<String, List<String>> walks = Caffeine.newBuilder().expireAfterWrite(FRESHNESS).build();

    public CatalogService(StorageDriver driver) {
        this.driver = driver;
    }

    /** Called after a manifest push: a repository the cached walk does not know makes it stale. */
    void repositoryCreated(String name) {
        List<String> cached = walks.getIfPresent(ALL);
        if (cached != null && java.util.Collections.binarySearch(cached, name, RepositoryWalker.CATALOG_ORDER) < 0) {
            walks.invalidate(ALL);
        }
    }

    private List<String> allRepositories() throws IOException {
        try {
            return walks.get(ALL, key -> {
                try {
                    return List.copyOf(RepositoryWalker.catalogRepositories(driver));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
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
