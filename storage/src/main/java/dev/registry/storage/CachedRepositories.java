package dev.registry.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.registry.storage.driver.PathNotFoundException;
import dev.registry.storage.driver.StorageDriver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The marks that make a repository a pull-through cache of an upstream one, kept in the
 * repository's {@code _proxy/} directory (which distribution, and this registry's walks, skip):
 *
 * <ul>
 *   <li>{@code _proxy/cache}: JSON {@code {"remote": "hub", "upstream": "library/busybox",
 *       "lastPulled": "2026-12-03T20:00:00Z"}}. Its presence is what tells a cached repository
 *       from one pushed here; {@code lastPulled} is when a client last pulled from it (updated at
 *       most once per {@link #PULL_RECORD_INTERVAL}), for a garbage collection that expires what
 *       nobody pulled for a while.
 *   <li>{@code _proxy/tags/<tag>/checked}: the ISO-8601 instant the tag was last fetched or
 *       confirmed upstream, so that its {@code ttl} survives restarts and is shared by replicas.
 * </ul>
 *
 * Everything else of a cached repository is ordinary content in the layout, on any driver.
 */
public final class CachedRepositories {
    /** How stale {@code lastPulled} may get: writing it on every pull would double the writes of a hot repository. */
    public static final Duration PULL_RECORD_INTERVAL = Duration.ofHours(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StorageDriver driver;
    private final Duration recordInterval;
    /** When this process last wrote {@code lastPulled} of a repository. */
    private final ConcurrentMap<String, Instant> recorded = new ConcurrentHashMap<>();

    public CachedRepositories(StorageDriver driver) {
        this(driver, PULL_RECORD_INTERVAL);
    }

    /**
     * @param recordInterval how stale {@code lastPulled} may get; a garbage collection that expires
     *                       caches must allow several times this (see {@link #recordIntervalFor(Duration)})
     */
    public CachedRepositories(StorageDriver driver, Duration recordInterval) {
        this.driver = driver;
        this.recordInterval = recordInterval;
    }

    /**
     * The record interval for caches that expire after {@code cacheExpiry} (zero: never): at most a
     * quarter of it, so a repository in use is never older than three quarters of the expiry.
     */
    public static Duration recordIntervalFor(Duration cacheExpiry) {
        if (cacheExpiry.isZero() || cacheExpiry.dividedBy(4).compareTo(PULL_RECORD_INTERVAL) >= 0) {
            return PULL_RECORD_INTERVAL;
        }
        return cacheExpiry.dividedBy(4);
    }

    /** What the marker says about a cached repository. */
    public record Mark(String remote, String upstream, Instant lastPulled) {
    }

    /** The marker of {@code name}, or empty if it is not a cached repository. */
    public Optional<Mark> mark(String name) throws IOException {
        byte[] content;
        try {
            content = driver.getContent(PathLayout.cacheMarker(name));
        } catch (PathNotFoundException e) {
            return Optional.empty();
        }
        try {
            JsonNode json = JSON.readTree(content);
            return Optional.of(new Mark(json.path("remote").asText(""), json.path("upstream").asText(""),
                    Instant.parse(json.path("lastPulled").asText())));
        } catch (IOException | DateTimeParseException e) {
            // a marker another tool mangled still marks the repository as cached
            return Optional.of(new Mark("", "", Instant.EPOCH));
        }
    }

    /**
     * Whether {@code name} exists and is not a cache: something pushed here, which the mirror
     * leaves alone. Existing means having manifests, layer links or uploads; a bare repository
     * directory does not count, because the mirror's first write (the marker) creates one an
     * instant before the marker itself appears, and a concurrent pull must not take that for a
     * local repository.
     */
    public boolean isLocal(String name) throws IOException {
        if (exists(PathLayout.cacheMarker(name))) {
            return false;
        }
        return exists(PathLayout.manifests(name)) || exists(PathLayout.repository(name) + "/_layers")
                || exists(PathLayout.uploads(name));
    }

    private boolean exists(String path) throws IOException {
        try {
            driver.stat(path);
            return true;
        } catch (PathNotFoundException e) {
            return false;
        }
    }

    /**
     * Records that {@code name} caches {@code upstream} of {@code remote} and was pulled at
     * {@code now}; skipped if this process recorded a pull less than the record interval ago.
     */
    public void recordPull(String name, String remote, String upstream, Instant now) throws IOException {
        Instant last = recorded.get(name);
        if (last != null && Duration.between(last, now).compareTo(recordInterval) < 0) {
            return;
        }
        ObjectNode json = JSON.createObjectNode();
        json.put("remote", remote);
        json.put("upstream", upstream);
        json.put("lastPulled", now.toString());
        driver.putContent(PathLayout.cacheMarker(name), JSON.writeValueAsBytes(json));
        recorded.put(name, now);
    }

    /** When tag {@code tag} of {@code name} was last fetched or confirmed upstream. */
    public Optional<Instant> tagChecked(String name, String tag) throws IOException {
        try {
            String text = new String(driver.getContent(PathLayout.cachedTagChecked(name, tag)), StandardCharsets.UTF_8).trim();
            return Optional.of(Instant.parse(text));
        } catch (PathNotFoundException e) {
            return Optional.empty();
        } catch (DateTimeParseException e) {
            return Optional.of(Instant.EPOCH); // unreadable: check again
        }
    }

    /** Records that tag {@code tag} of {@code name} was fetched or confirmed upstream at {@code now}. */
    public void recordTagCheck(String name, String tag, Instant now) throws IOException {
        // volatile: after a crash the tag is merely checked upstream once more
        driver.putVolatileContent(PathLayout.cachedTagChecked(name, tag), now.toString().getBytes(StandardCharsets.UTF_8));
    }
}
