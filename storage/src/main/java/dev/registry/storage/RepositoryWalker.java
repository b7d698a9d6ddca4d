package dev.registry.storage;

import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Finds repositories by walking {@code repositories/}: a directory is a repository when it holds
 * one of distribution's {@code _}-prefixed directories, and nothing below a {@code _} directory
 * is walked (that is also why distribution ignores our {@code _referrers}).
 */
final class RepositoryWalker {
    /**
     * Orders names component by component, as distribution's catalog does, so {@code a/b}
     * comes before {@code a-b} and pagination with {@code last} is stable.
     */
    static final Comparator<String> CATALOG_ORDER = (a, b) -> {
        String[] left = a.split("/");
        String[] right = b.split("/");
        for (int i = 0; i < Math.min(left.length, right.length); i++) {
            int c = left[i].compareTo(right[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(left.length, right.length);
    };

    private RepositoryWalker() {
    }

    /**
     * The first {@code count} repositories with manifests that sort after {@code after} (from the
     * start when null) and that {@code accept} takes, in catalog order. Only the directories that
     * can hold such names are listed, and the walk stops once it has {@code count}: a page of the
     * catalog costs about as many listings as it has names, not as many as the store has
     * repositories.
     */
    static Walk catalogRepositories(StorageDriver driver, String after, int count, Predicate<String> accept)
            throws IOException {
        return walk(driver, true, after, count, accept);
    }

    /** Every repository directory, including those that only hold uploads so far, in catalog order. */
    static List<String> allRepositories(StorageDriver driver) throws IOException {
        return walk(driver, false, null, Integer.MAX_VALUE, name -> true).accepted();
    }

    /**
     * What a walk found.
     *
     * @param accepted  the names it was asked for
     * @param passed    every repository it came across after {@code after}, accepted or not
     * @param exhausted whether it reached the end of the tree, so {@code passed} holds every
     *                  repository after {@code after}
     */
    record Walk(List<String> accepted, List<String> passed, boolean exhausted) {
    }

    /**
     * Walks depth first in catalog order, so names come out sorted and the walk can stop early.
     * Listings are made one after the other on the caller's thread while they answer within
     * {@link #SLOW_LISTING_NANOS} (a local disk: handing each to another thread would cost more
     * than the listing). After two slower ones in a row (an object store, where every listing is
     * a request; one alone may be a disk's cold cache)
     * the next {@link #CONCURRENT_LISTINGS} directories in walk order are listed ahead,
     * concurrently, while the first is consumed.
     */
    private static Walk walk(StorageDriver driver, boolean manifestsOnly, String after, int count,
                             Predicate<String> accept) throws IOException {
        List<String> found = new ArrayList<>();
        List<String> passed = new ArrayList<>();
        Deque<Pending> pending = new ArrayDeque<>();
        pending.add(new Pending(new Directory(PathLayout.REPOSITORIES, "")));
        boolean readAhead = false;
        int slowInARow = 0;
        try {
            while (!pending.isEmpty() && found.size() < count) {
                if (readAhead) {
                    int ahead = 0;
                    for (Pending next : pending) {
                        if (ahead++ == CONCURRENT_LISTINGS) {
                            break;
                        }
                        next.start(driver, manifestsOnly);
                    }
                }
                Pending head = pending.removeFirst();
                Visit visit;
                if (head.visit != null) {
                    visit = result(head.visit);
                } else {
                    long started = System.nanoTime();
                    visit = visit(driver, head.directory, manifestsOnly);
                    slowInARow = System.nanoTime() - started > SLOW_LISTING_NANOS ? slowInARow + 1 : 0;
                    readAhead = slowInARow == 2;
                }
                String name = head.directory.name();
                if (visit.repository() && (after == null || CATALOG_ORDER.compare(name, after) > 0)) {
                    passed.add(name);
                    if (accept.test(name)) {
                        found.add(name);
                    }
                }
                List<Directory> children = new ArrayList<>(visit.children());
                children.removeIf(child -> !mayHoldNamesAfter(child.name(), after));
                // siblings: their last components alone decide the order
                children.sort(Comparator.comparing(Directory::base));
                for (int i = children.size() - 1; i >= 0; i--) {
                    pending.addFirst(new Pending(children.get(i)));
                }
            }
        } finally {
            // listings read ahead past the end of the page are not needed
            for (Pending unused : pending) {
                if (unused.visit != null) {
                    unused.visit.cancel(false);
                }
            }
        }
        return new Walk(found, passed, pending.isEmpty());
    }

    /**
     * Whether {@code name} or a repository nested below it can sort after {@code after}: names
     * below {@code name} sort after it, and with it among the names that precede it.
     */
    private static boolean mayHoldNamesAfter(String name, String after) {
        return after == null || CATALOG_ORDER.compare(name, after) >= 0 || after.startsWith(name + "/");
    }

    /** A directory waiting its turn in the walk, and its listing once started. */
    private static final class Pending {
        final Directory directory;
        Future<Visit> visit;

        Pending(Directory directory) {
            this.directory = directory;
        }

        void start(StorageDriver driver, boolean manifestsOnly) {
            if (visit == null) {
                visit = LISTERS.submit(() -> visit(driver, directory, manifestsOnly));
            }
        }
    }

    private static final int CONCURRENT_LISTINGS = 32;

    /** A listing slower than this makes the walk list ahead (see {@link #walk}). */
    private static final long SLOW_LISTING_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * Platform threads, kept for a while between walks, rather than a virtual thread per listing:
     * the AWS SDK keeps its XML parser factory and signing MACs in thread locals, which a new
     * thread per listing would build again each time (a tenth of a listing's CPU time on S3).
     */
    private static final ExecutorService LISTERS = listers();

    private static ExecutorService listers() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(CONCURRENT_LISTINGS, CONCURRENT_LISTINGS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), Thread.ofPlatform().daemon().name("repository-lister-", 0).factory());
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** A directory under {@code repositories/} and the repository name it would be. */
    private record Directory(String path, String name) {
        /** The last component of the name. */
        String base() {
            return name.substring(name.lastIndexOf('/') + 1);
        }
    }

    /** What one listing found: whether the directory is a repository, and where to look next. */
    private record Visit(Directory directory, boolean repository, List<Directory> children) {
    }

    private static Visit visit(StorageDriver driver, Directory directory, boolean manifestsOnly) throws IOException {
        List<String> entries;
        try {
            entries = driver.list(directory.path());
        } catch (PathNotFoundException e) {
            return new Visit(directory, false, List.of());
        }
        boolean repository = false;
        List<Directory> children = new ArrayList<>();
        String name = directory.name();
        for (String child : entries) {
            String base = child.substring(child.lastIndexOf('/') + 1);
            if (base.startsWith("_")) {
                if (base.equals("_manifests") || (!manifestsOnly && (base.equals("_uploads") || base.equals("_layers")))) {
                    repository = true;
                }
            } else if (RepositoryName.isValid(name.isEmpty() ? base : name + "/" + base)) {
                children.add(new Directory(child, name.isEmpty() ? base : name + "/" + base));
            }
        }
        return new Visit(directory, repository && !name.isEmpty(), children);
    }

    private static Visit result(Future<Visit> visit) throws IOException {
        try {
            return visit.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("repository walk interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException("repository walk failed", e.getCause());
        }
    }
}
