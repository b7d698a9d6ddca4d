package dev.registry.server.notifications;

/**
 * Where the API hands the events of successful requests. Publishing only enqueues: it never
 * blocks and never fails the request.
 */
public interface EventSink {
    /** A sink for a registry without notification endpoints. */
    EventSink NONE = new EventSink() {
        @Override
        public boolean active() {
            return false;
        }

        @Override
        public void publish(Event event) {
        }
    };

    /** Whether any endpoint listens; when not, callers need not build events at all. */
    boolean active();

    /** Queues {@code event} for every endpoint that does not ignore it. */
    void publish(Event event);
}
