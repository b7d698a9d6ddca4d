package dev.registry.config;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code storage.maintenance.garbagecollect}: defaults, every key, environment overrides and errors. */
class GarbageCollectConfigTest {
    @TempDir
    Path dir;
    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(dir);
    }

    @Test
    void offByDefault() {
        GarbageCollectConfig gc = files.load("storage: {filesystem: {rootdirectory: /srv}}\n").storage().garbageCollect();
        assertEquals(new GarbageCollectConfig(false, Duration.ofHours(24), Duration.ofHours(1), false), gc);
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void everyKeyIsReadWithoutWarnings() {
        GarbageCollectConfig gc = files.load("""
                storage:
                  filesystem: {rootdirectory: /srv}
                  maintenance:
                    garbagecollect: {enabled: true, interval: 2s, graceperiod: 8s, deleteuntagged: true, cacheexpiry: 720h}
                """).storage().garbageCollect();
        assertEquals(new GarbageCollectConfig(true, Duration.ofSeconds(2), Duration.ofSeconds(8), true, Duration.ofHours(720)), gc);
        assertTrue(gc.expiresCache());
        assertEquals(List.of(), files.warnings);
    }

    @Test
    void environmentOverridesTheFile() {
        GarbageCollectConfig gc = files.load("storage: {filesystem: {rootdirectory: /srv}}\n", Map.of(
                "REGISTRY_STORAGE_MAINTENANCE_GARBAGECOLLECT_ENABLED", "true",
                "REGISTRY_STORAGE_MAINTENANCE_GARBAGECOLLECT_GRACEPERIOD", "30m")).storage().garbageCollect();
        assertEquals(new GarbageCollectConfig(true, Duration.ofHours(24), Duration.ofMinutes(30), false), gc);
    }

    @Test
    void cacheExpiryIsOffByDefaultAndRefusesGarbage() {
        assertFalse(GarbageCollectConfig.defaults().expiresCache());
        ConfigException e = files.failure("""
                storage:
                  filesystem: {rootdirectory: /srv}
                  maintenance: {garbagecollect: {cacheexpiry: a week}}
                """);
        assertTrue(e.getMessage().contains("storage.maintenance.garbagecollect.cacheexpiry"), e.getMessage());
    }

    @Test
    void aBadGracePeriodNamesTheKey() {
        ConfigException e = files.failure("""
                storage:
                  filesystem: {rootdirectory: /srv}
                  maintenance: {garbagecollect: {enabled: true, graceperiod: 0s}}
                """);
        assertTrue(e.getMessage().contains("storage.maintenance.garbagecollect.graceperiod"), e.getMessage());
    }
}
