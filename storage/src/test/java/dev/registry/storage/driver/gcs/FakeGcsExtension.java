package dev.registry.storage.driver.gcs;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One {@link FakeGcsServer} for a test class, registered on a static field with
 * {@code @RegisterExtension}: started before the class's first test and stopped after its last.
 * It wants credentials, and drivers opened through it carry a service-account key the fake
 * trusts, so the real client fetches OAuth tokens and can sign URLs.
 */
public final class FakeGcsExtension implements BeforeAllCallback, AfterAllCallback {
    private final AtomicInteger buckets = new AtomicInteger();
    private FakeGcsServer fake;
    private FakeGcsServer.ServiceAccount account;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        fake = FakeGcsServer.start();
        fake.requireCredentials();
        account = fake.newServiceAccount("registry@fake-project.iam.gserviceaccount.com");
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (fake != null) {
            fake.close();
        }
    }

    public FakeGcsServer server() {
        return fake;
    }

    /** The service account the drivers use. */
    public FakeGcsServer.ServiceAccount account() {
        return account;
    }

    /** A new empty bucket named {@code prefix-<n>}. */
    public String newBucket(String prefix) {
        String name = prefix + "-" + buckets.incrementAndGet();
        fake.createBucket(name);
        return name;
    }

    /** Driver settings for {@code bucket} on the fake, under {@code rootDirectory}, in chunks of {@code chunkSize}. */
    public GcsSettings settings(String bucket, String rootDirectory, int chunkSize) {
        return new GcsSettings(bucket, Optional.of(account.json()), rootDirectory, chunkSize,
                Optional.of(fake.endpoint()), false);
    }

    /** A driver of {@code bucket} on the fake (see {@link #settings}). */
    public GcsDriver openDriver(String bucket, String rootDirectory, int chunkSize) throws IOException {
        return GcsDriver.open(settings(bucket, rootDirectory, chunkSize));
    }
}
