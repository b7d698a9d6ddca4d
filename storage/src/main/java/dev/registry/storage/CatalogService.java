package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The list of repositories ({@code /v2/_catalog}), in distribution's order, one page at a time. */
public final class CatalogService {
    private final StorageDriver driver;

    public CatalogService(StorageDriver driver) {
        this.driver = driver;
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
        List<String> all = RepositoryWalker.catalogRepositories(driver);
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
