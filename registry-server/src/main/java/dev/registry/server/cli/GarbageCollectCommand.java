package dev.registry.server.cli;

import dev.registry.config.ConfigException;
import dev.registry.config.ConfigLoader;
import dev.registry.config.GoDuration;
import dev.registry.config.RegistryConfig;
import dev.registry.server.StorageDriverFactory;
import dev.registry.storage.CollectionLease;
import dev.registry.storage.GarbageCollector;
import dev.registry.storage.driver.StorageDriver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@code garbage-collect [--dry-run] [--delete-untagged] config.yml}: registry:2's offline
 * collection. The registry must take no pushes meanwhile (stopped, or in
 * {@code storage.maintenance.readonly} mode); the online collection is for a registry that serves.
 */
@Command(name = "garbage-collect", mixinStandardHelpOptions = true,
        description = {
                "Delete blobs that no manifest references, in every repository of the configured storage, with the "
                        + "links and upload leftovers that point at nothing. Prints each removed item and the bytes reclaimed.",
                "Run it while no one pushes: with the registry stopped or in read-only mode "
                        + "(storage.maintenance.readonly.enabled: true). To collect while serving, use storage.maintenance.garbagecollect."})
final class GarbageCollectCommand implements Callable<Integer> {
    /** Renewed while the collection runs; a crashed run leaves it to expire this soon. */
    private static final Duration LEASE_TTL = Duration.ofMinutes(10);

    @Spec
    CommandSpec spec;

    @Option(names = {"-d", "--dry-run"}, description = "Only list what would be removed.")
    boolean dryRun;

    @Option(names = {"-m", "--delete-untagged"},
            description = "Also delete manifests that no tag reaches (directly, as an index's child, or as a referrer of a kept manifest).")
    boolean deleteUntagged;

    @Option(names = "--cache-expiry", paramLabel = "DURATION",
            description = "Also remove pull-through cached repositories that nobody pulled for this long (a Go duration "
                    + "such as 720h; 0 keeps them). Default: storage.maintenance.garbagecollect.cacheexpiry, else 0.")
    String cacheExpiry;

    @Parameters(index = "0", paramLabel = "config.yml", description = "The registry's configuration file; REGISTRY_* variables apply.")
    Path configFile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RegistryConfig config;
        StorageDriver driver;
        try {
            config = ConfigLoader.load(Optional.of(configFile), System.getenv());
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return ExitCodes.CONFIGURATION;
        }
        Duration expiry = config.storage().garbageCollect().cacheExpiry();
        if (cacheExpiry != null) {
            try {
                expiry = GoDuration.parse(cacheExpiry.trim());
            } catch (IllegalArgumentException e) {
                expiry = Duration.ofSeconds(-1);
            }
            if (expiry.isNegative()) {
                err.println("--cache-expiry: '" + cacheExpiry + "' is not a duration; give a Go duration such as 720h, or 0 to keep cached repositories.");
                return ExitCodes.USAGE;
            }
        }
        try {
            driver = StorageDriverFactory.open(config.storage().driver());
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return ExitCodes.CONFIGURATION;
        }
        try {
            CollectionLease lease = new CollectionLease(driver, Clock.systemUTC(),
                    "garbage-collect/" + ProcessHandle.current().pid() + "/" + UUID.randomUUID(),
                    LEASE_TTL, Duration.ofSeconds(1));
            if (!dryRun && !lease.acquire()) {
                err.println("another collection is running on this storage (lease held by "
                        + lease.read().map(CollectionLease.Holder::owner).orElse("?") + "); try again when it is done.");
                return ExitCodes.FAILURE;
            }
            try {
                String verb = dryRun ? "would remove " : "removed ";
                long[] renewed = {System.nanoTime()};
                GarbageCollector.Checkpoint renew = () -> {
                    if (!dryRun && System.nanoTime() - renewed[0] > LEASE_TTL.dividedBy(3).toNanos()) {
                        if (!lease.renew()) {
                            throw new GarbageCollector.StoppedException("another collection took the lease");
                        }
                        renewed[0] = System.nanoTime();
                    }
                };
                GarbageCollector.Result result = new GarbageCollector(driver, Clock.systemUTC())
                        .collect(GarbageCollector.Options.offline(dryRun, deleteUntagged).withCacheExpiry(expiry), removal -> {
                            out.println(verb + removal);
                            out.flush();
                        }, renew);
                if (!result.complete()) {
                    err.println("garbage collection stopped early: another collection took the lease; run it again.");
                    return ExitCodes.FAILURE;
                }
                out.println((dryRun ? "dry run: would remove " : "removed ") + result + "; "
                        + (dryRun ? "would reclaim " : "reclaimed ") + result.bytes() + " bytes");
                return ExitCodes.OK;
            } finally {
                if (!dryRun) {
                    lease.release();
                }
            }
        } catch (IOException | RuntimeException e) {
            err.println("garbage collection failed: " + e + " (what was removed before stays removed; run it again).");
            return ExitCodes.FAILURE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.FAILURE;
        } finally {
            if (driver instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception ignored) {
                    // the process exits next
                }
            }
        }
    }
}
