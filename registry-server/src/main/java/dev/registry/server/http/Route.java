package dev.registry.server.http;

/**
 * Where a request path points in the {@code /v2/} API.
 *
 * @param kind which endpoint
 * @param name the repository name as sent (not yet validated), or {@code null}
 * @param reference the tag, digest or upload id as sent, or {@code null}
 */
public record Route(Kind kind, String name, String reference) {

    /** The API endpoints. */
    public enum Kind {
        BASE, CATALOG, TAGS, MANIFEST, BLOB, UPLOAD_START, UPLOAD, REFERRERS, TOKEN, NOT_FOUND
    }

    private static final Route BASE = new Route(Kind.BASE, null, null);
    private static final Route CATALOG = new Route(Kind.CATALOG, null, null);
    private static final Route NOT_FOUND = new Route(Kind.NOT_FOUND, null, null);
    private static final Route TOKEN = new Route(Kind.TOKEN, null, null);

    /** Where the built-in token server ({@code auth.tokenserver}) answers. */
    public static final String TOKEN_PATH = "/auth/token";

    /**
     * Routes a raw (undecoded) request path below the API prefix. Names may contain
     * {@code blobs} or {@code manifests} components, so routing reads from the end.
     */
    public static Route parse(String path) {
        if (path.equals("/v2/") || path.equals("/v2")) {
            return BASE;
        }
        if (path.equals(TOKEN_PATH)) {
            return TOKEN;
        }
        if (!path.startsWith("/v2/")) {
            return NOT_FOUND;
        }
        if (path.equals("/v2/_catalog")) {
            return CATALOG;
        }
        String rest = path.substring(4);
        String[] segments = rest.split("/", -1);
        int n = segments.length;
        if (n >= 3) {
            String last = segments[n - 1];
            String second = segments[n - 2];
            if (n >= 4 && segments[n - 3].equals("blobs") && second.equals("uploads")) {
                String name = join(segments, n - 3);
                return last.isEmpty() ? new Route(Kind.UPLOAD_START, name, null) : new Route(Kind.UPLOAD, name, last);
            }
            switch (second) {
                case "tags":
                    if (last.equals("list")) {
                        return new Route(Kind.TAGS, join(segments, n - 2), null);
                    }
                    break;
                case "manifests":
                    return new Route(Kind.MANIFEST, join(segments, n - 2), last);
                case "blobs":
                    return last.equals("uploads")
                            ? new Route(Kind.UPLOAD_START, join(segments, n - 2), null)
                            : new Route(Kind.BLOB, join(segments, n - 2), last);
                case "referrers":
                    return new Route(Kind.REFERRERS, join(segments, n - 2), last);
                default:
                    break;
            }
        }
        return NOT_FOUND;
    }

    private static String join(String[] segments, int count) {
        return String.join("/", java.util.Arrays.asList(segments).subList(0, count));
    }
}
