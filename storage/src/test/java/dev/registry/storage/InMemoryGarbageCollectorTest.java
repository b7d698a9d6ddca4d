package dev.registry.storage;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.inmemory.InMemoryDriver;

/** Garbage collection on the in-memory driver. */
class InMemoryGarbageCollectorTest extends GarbageCollectorContract {
    @Override
    protected StorageDriver newDriver() {
        return new InMemoryDriver();
    }
}
