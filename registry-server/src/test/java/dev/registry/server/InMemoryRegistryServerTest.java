package dev.registry.server;

import dev.registry.config.InMemoryConfig;
import dev.registry.storage.driver.inmemory.InMemoryDriver;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The same push and pull flows as {@link RegistryServerTest} on {@code storage.inmemory}, whose
 * uncommitted writes are invisible like an object store's unfinished multipart uploads.
 */
class InMemoryRegistryServerTest extends RegistryServerTest {
    @BeforeAll
    static void start() throws Exception {
        server = RegistryServer.start(TestServers.config(new InMemoryConfig(), true, 1000));
        base = "http://127.0.0.1:" + server.port();
    }

    @Test
    void configuredDriverIsTheInMemoryOne() {
        assertInstanceOf(InMemoryDriver.class, server.registry().driver());
    }
}
