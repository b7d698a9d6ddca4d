package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/**
 * The list of repositories ({@code /v2/_catalog}), in distribution's order, one page at a time.
 *
 * <p>A page walks only the part of the {@code repositories/} tree that holds its names, so it costs
 * about as many directory listings as it has names, whatever the size of the store. A walk that
 * started at the beginning and reached the end knows every repository; it answers the requests
 * that arrive within {@link #FRESHNESS} of its start without listing anything. A repository
 * created through this process is visible at once ({@link #repositoryCreated}); one created by
 * another replica on the same store appears within {@link #FRESHNESS} plus the duration of one
 * walk. Concurrent requests do not share a walk: each lists what its page needs.
 */
public final class CatalogService {
    /** How long after its start a complete walk of the repositories tree is reused. */
    public static final Duration FRESHNESS = Duration.ofMillis(500);

    private final StorageDriver driver;
    private final Clock clock;
    /** The last complete walk, or null; guarded by {@code this}. */
    private Complete complete;
    /**
     * When ({@link Clock#millis()}) this process last created a repository its complete walk did
     * not hold: a walk that started before then may lack it and is not kept; guarded by {@code this}.
     */
    private long createdAt = Long.MIN_VALUE;

    public CatalogService(StorageDriver driver, Clock clock) {
        this.driver = driver;
        this.clock = clock;
    }

    /** Every repository in catalog order, and when the walk that found them started ({@link Clock#millis()}). */
    private record Complete(long startedMillis, List<String> names) {
    }

    /** Called after a manifest push: a repository the last complete walk does not know makes it stale. */
    synchronized void repositoryCreated(String name) {
        if (complete == null || Collections.binarySearch(complete.names, name, RepositoryWalker.CATALOG_ORDER) < 0) {
            complete = null;
            createdAt = clock.millis();
        }
    }

    private synchronized Complete fresh() {
        if (complete == null) {
            return null;
        }
        long age = clock.millis() - complete.startedMillis;
        // a clock set back makes the age negative: list again rather than trust the walk longer
        return age >= 0 && age < FRESHNESS.toMillis() ? complete : null;
    }

    /** Keeps a walk that began at {@code startedMillis} unless a newer one, or a creation since it began, outdates it. */
    private synchronized void keep(long startedMillis, List<String> names) {
        if (startedMillis > createdAt && (complete == null || startedMillis >= complete.startedMillis)) {
            complete = new Complete(startedMillis, List.copyOf(names));
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
    public Page repositories(int limit, String last, Predicate<String> visible) throws IOException {
        if (limit < 0) {
            throw new IllegalArgumentException("negative page size " + limit);
        }
        // one name beyond the page tells whether a next page exists
        int wanted = limit == Integer.MAX_VALUE ? limit : limit + 1;
        List<String> names;
        Complete walk = fresh();
        if (walk != null) {
            names = new ArrayList<>();
            for (int i = firstAfter(walk.names, last); i < walk.names.size() && names.size() < wanted; i++) {
                String name = walk.names.get(i);
                if (visible.test(name)) {
                    names.add(name);
                }
            }
        } else {
            long started = clock.millis();
            RepositoryWalker.Walk page = RepositoryWalker.catalogRepositories(driver, last, wanted, visible);
            if (last == null && page.exhausted()) {
                keep(started, page.passed());
            }
            names = page.accepted();
        }
        boolean more = names.size() > limit;
        return new Page(List.copyOf(more ? names.subList(0, limit) : names), more);
    }

    /** The index of the first of {@code names} (in catalog order) that sorts after {@code last}. */
    private static int firstAfter(List<String> names, String last) {
        if (last == null) {
            return 0;
        }
        int at = Collections.binarySearch(names, last, RepositoryWalker.CATALOG_ORDER);
        return at >= 0 ? at + 1 : -at - 1;
    }

    /** One page of names; {@code more} tells whether a next page exists. */
    public record Page(List<String> items, boolean more) {
    }
}
