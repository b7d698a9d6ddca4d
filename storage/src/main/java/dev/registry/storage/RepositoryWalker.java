package dev.registry.storage;

import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

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

    private static List<String> walk(StorageDriver driver, boolean manifestsOnly) throws IOException {
        List<String> found = new ArrayList<>();
        walk(driver, PathLayout.REPOSITORIES, "", manifestsOnly, found);
        found.sort(CATALOG_ORDER);
        return found;
    }

    private static void walk(StorageDriver driver, String path, String name, boolean manifestsOnly, List<String> found)
            throws IOException {
        List<String> children;
        try {
            children = driver.list(path);
        } catch (PathNotFoundException e) {
            return;
        }
        boolean repository = false;
        for (String child : children) {
            String base = child.substring(child.lastIndexOf('/') + 1);
            if (base.startsWith("_")) {
                if (base.equals("_manifests") || (!manifestsOnly && (base.equals("_uploads") || base.equals("_layers")))) {
                    repository = true;
                }
            } else if (RepositoryName.isValid(name.isEmpty() ? base : name + "/" + base)) {
                walk(driver, child, name.isEmpty() ? base : name + "/" + base, manifestsOnly, found);
            }
        }
        if (repository && !name.isEmpty()) {
            found.add(name);
        }
    }
}
