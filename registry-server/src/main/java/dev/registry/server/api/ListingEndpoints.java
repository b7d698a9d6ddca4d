package dev.registry.server.api;

import dev.registry.server.http.ApiRequest;
import dev.registry.server.http.ApiResponse;
import dev.registry.storage.CatalogService;
import dev.registry.storage.Registry;
import dev.registry.storage.RegistryException;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /v2/_catalog} and {@code GET /v2/<name>/tags/list}, paginated with {@code n}/{@code last} and {@code Link}. */
final class ListingEndpoints {
    private final Registry registry;
    private final Locations locations;
    private final int catalogMaxEntries;

    ListingEndpoints(Registry registry, Locations locations, int catalogMaxEntries) {
        this.registry = registry;
        this.locations = locations;
        this.catalogMaxEntries = catalogMaxEntries;
    }

    /** The catalog page, listing only repositories {@code visible} accepts (those the caller may pull). */
    ApiResponse catalog(ApiRequest request, java.util.function.Predicate<String> visible) throws IOException {
        int requested = pageSize(request, catalogMaxEntries);
        int limit = Math.min(requested, catalogMaxEntries);
        String last = request.query("last");
        CatalogService.Page page = registry.catalog().repositories(limit, last, visible);
        ApiResponse response = ApiResponse.of(200).body(Json.write(Map.of("repositories", page.items())), "application/json");
        if (page.more() && !page.items().isEmpty()) {
            String next = page.items().get(page.items().size() - 1);
            response.header("Link", "<" + locations.path("v2/_catalog?last=" + encode(next) + "&n=" + limit) + ">; rel=\"next\"");
        }
        return response;
    }

    ApiResponse tags(ApiRequest request, String name) throws IOException {
        List<String> all = registry.tags().list(name);
        int limit = pageSize(request, Integer.MAX_VALUE);
        String last = request.query("last");
        List<String> page = new ArrayList<>();
        boolean more = false;
        for (String tag : all) {
            if (last != null && tag.compareTo(last) <= 0) {
                continue;
            }
            if (page.size() == limit) {
                more = true;
                break;
            }
            page.add(tag);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("tags", page);
        ApiResponse response = ApiResponse.of(200).body(Json.write(body), "application/json");
        if (more && !page.isEmpty()) {
            response.header("Link", "<" + locations.path("v2/" + name + "/tags/list?n=" + limit + "&last="
                    + encode(page.get(page.size() - 1))) + ">; rel=\"next\"");
        }
        return response;
    }

    private static int pageSize(ApiRequest request, int fallback) {
        String n = request.query("n");
        if (n == null || n.isEmpty()) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(n);
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new RegistryException(dev.registry.storage.ErrorCode.PAGINATION_NUMBER_INVALID, 400,
                    "invalid page size n=" + n + ": give a non-negative integer", Map.of("n", n));
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
