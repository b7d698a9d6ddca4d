package dev.registry.storage.driver;

/**
 * The one definition of a valid driver path, shared by every {@link StorageDriver}: {@code /} (the
 * root) or {@code /} followed by one or more {@code /}-separated segments, where no segment is
 * empty, {@code .} or {@code ..} and none holds a backslash or a NUL. Such a path can never leave
 * the driver's root, on a filesystem or as an object key under a root prefix.
 */
public final class StoragePaths {
    private StoragePaths() {
    }

    /**
     * Returns {@code path} if it is valid.
     *
     * @throws IllegalArgumentException naming the path if it is not
     */
    public static String check(String path) {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("storage path must be absolute: " + path);
        }
        if (path.length() == 1) {
            return path;
        }
        int start = 1;
        while (start <= path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            int length = end - start;
            if (length == 0
                    || (length == 1 && path.charAt(start) == '.')
                    || (length == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.')) {
                throw new IllegalArgumentException("invalid storage path (empty, '.' or '..' segment): " + path);
            }
            start = end + 1;
        }
        if (path.indexOf('\\') >= 0 || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid storage path (backslash or NUL): " + path);
        }
        return path;
    }

    /** The last segment of a valid path other than the root. */
    public static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The parent of a valid path other than the root ({@code /} for a top-level path). */
    public static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash == 0 ? "/" : path.substring(0, slash);
    }

    /** {@code directory} and {@code name} joined with one {@code /}. */
    public static String child(String directory, String name) {
        return directory.equals("/") ? "/" + name : directory + "/" + name;
    }
}
