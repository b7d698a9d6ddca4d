package dev.registry.server.notifications;

/**
 * The registry instance that sent an event, as registry:2 names it.
 *
 * @param addr this host's name and the configured port, {@code host:5000}
 * @param instanceId a random id chosen when the process starts
 */
record Source(String addr, String instanceId) {
}
