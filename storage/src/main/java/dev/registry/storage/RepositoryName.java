package dev.registry.storage;

/**
 * Validation of repository names and tags against the distribution-spec grammar.
 *
 * <p>A valid name can never contain {@code .} or {@code ..} path segments, a backslash or a
 * percent sign, which is what makes it safe to use as a storage path.
 */
public final class RepositoryName {
    /** CNCF Distribution's limit on the whole name. */
    public static final int MAX_LENGTH = 255;
    private static final int MAX_TAG_LENGTH = 128;

    private RepositoryName() {
    }

    /** Throws {@code NAME_INVALID} unless {@code name} matches the spec's name grammar. */
    public static String validate(String name) {
        if (!isValid(name)) {
            throw new RegistryException(ErrorCode.NAME_INVALID, "invalid repository name", name == null ? null
                    : java.util.Map.of("name", name.length() > 300 ? name.substring(0, 300) + "..." : name));
        }
        return name;
    }

    /**
     * {@code [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*}, at most
     * 255 characters; hand-written to avoid regex backtracking on hostile input.
     */
    public static boolean isValid(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
            return false;
        }
        int start = 0;
        while (true) {
            int slash = name.indexOf('/', start);
            int end = slash < 0 ? name.length() : slash;
            if (!isValidComponent(name, start, end)) {
                return false;
            }
            if (slash < 0) {
                return true;
            }
            start = slash + 1;
        }
    }

    private static boolean isValidComponent(String name, int start, int end) {
        if (start >= end || !isAlnum(name.charAt(start)) || !isAlnum(name.charAt(end - 1))) {
            return false;
        }
        int i = start;
        while (i < end) {
            char c = name.charAt(i);
            if (isAlnum(c)) {
                i++;
                continue;
            }
            // a separator run: ".", "_", "__" or one or more "-", always followed by [a-z0-9]
            int runStart = i;
            if (c == '.') {
                i++;
            } else if (c == '_') {
                i++;
                if (i < end && name.charAt(i) == '_') {
                    i++;
                }
            } else if (c == '-') {
                while (i < end && name.charAt(i) == '-') {
                    i++;
                }
            } else {
                return false;
            }
            if (i == runStart || i >= end || !isAlnum(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    /** {@code [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}}. */
    public static boolean isValidTag(String tag) {
        if (tag == null || tag.isEmpty() || tag.length() > MAX_TAG_LENGTH) {
            return false;
        }
        for (int i = 0; i < tag.length(); i++) {
            char c = tag.charAt(i);
            boolean word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            if (!(word || (i > 0 && (c == '.' || c == '-')))) {
                return false;
            }
        }
        return true;
    }

    /** Throws {@code TAG_INVALID} unless {@code tag} matches the tag grammar. */
    public static String validateTag(String tag) {
        if (!isValidTag(tag)) {
            throw new RegistryException(ErrorCode.TAG_INVALID, "invalid tag", tag == null ? null : java.util.Map.of("tag",
                    tag.length() > 200 ? tag.substring(0, 200) + "..." : tag));
        }
        return tag;
    }
}
