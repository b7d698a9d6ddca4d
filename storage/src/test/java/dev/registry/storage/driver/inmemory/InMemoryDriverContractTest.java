package dev.registry.storage.driver.inmemory;

import dev.registry.storage.driver.StorageDriver;
import dev.registry.storage.driver.StorageDriverContract;

/** The in-memory driver against the common driver contract. */
class InMemoryDriverContractTest extends StorageDriverContract {
    @Override
    protected StorageDriver newDriver() {
        return new InMemoryDriver();
    }
}
