package dev.registry.server.http;

/** Answers one API request; runs on a worker thread and may block. */
@FunctionalInterface
public interface RequestHandler {
    ApiResponse handle(ApiRequest request);
}
