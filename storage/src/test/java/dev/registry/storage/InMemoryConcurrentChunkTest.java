package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.inmemory.InMemoryDriver;

import java.util.Collections;
import java.util.List;

/** {@link ConcurrentChunkContract} for registries in one process sharing one in-memory store. */
class InMemoryConcurrentChunkTest extends ConcurrentChunkContract {
    @Override
    protected List<StorageDriver> replicasOfOneStore(int count) {
        return Collections.nCopies(count, new InMemoryDriver());
    }
}
