package dev.registry.storage;

import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

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

    /** Repositories that have manifests, the ones the catalog lists, in catalog order. */
    static List<String> catalogRepositories(StorageDriver driver) throws IOException {
        return walk(driver, true);
    }

    /** Every repository directory, including those that only hold uploads so far. */
    static List<String> allRepositories(StorageDriver driver) throws IOException {
        return walk(driver, false);
    }

    /**
     * Walks level by level, listing the directories of one level concurrently (at most
     * {@link #CONCURRENT_LISTINGS} at a time): on an object store every listing is a request, and
     * a thousand repositories take a thousand of them.
     */
    private static List<String> walk(StorageDriver driver, boolean manifestsOnly) throws IOException {
        List<String> found = new ArrayList<>();
        List<Directory> level = List.of(new Directory(PathLayout.REPOSITORIES, ""));
        try (ExecutorService listers = Executors.newVirtualThreadPerTaskExecutor()) {
            Semaphore permits = new Semaphore(CONCURRENT_LISTINGS);
            while (!level.isEmpty()) {
                List<Future<Visit>> visits = new ArrayList<>(level.size());
                for (Directory directory : level) {
                    visits.add(listers.submit(() -> {
                        permits.acquire();
                        try {
                            return visit(driver, directory, manifestsOnly);
                        } finally {
                            permits.release();
                        }
                    }));
                }
                List<Directory> next = new ArrayList<>();
                for (Future<Visit> visit : visits) {
                    Visit result = result(visit);
                    if (result.repository()) {
                        found.add(result.directory().name());
                    }
                    next.addAll(result.children());
                }
                level = next;
            }
        }
        found.sort(CATALOG_ORDER);
        return found;
    }

    private static final int CONCURRENT_LISTINGS = 32;

    /** A directory under {@code repositories/} and the repository name it would be. */
    private record Directory(String path, String name) {
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
