package dev.registry.server.notifications;

import java.io.IOException;

/** Delivers one envelope to one endpoint, once. */
interface EnvelopeSender extends AutoCloseable {
    /**
     * Sends {@code envelope}; returns normally only when the endpoint accepted it.
     *
     * @throws IOException if it could not be sent or the endpoint refused it; the message says why
     */
    void send(byte[] envelope) throws IOException, InterruptedException;

    @Override
    void close();
}
