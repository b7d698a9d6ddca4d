package dev.registry.config;

/**
 * {@code storage.inmemory}: registry:2's transient driver, which has no parameters. Everything
 * stored is kept in the registry's heap and lost when the process stops.
 */
public record InMemoryConfig() implements DriverConfig {
    @Override
    public String name() {
        return "inmemory";
    }
}
