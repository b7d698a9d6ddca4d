package dev.registry.auth;

/**
 * One right a request needs, in the token spec's terms: {@code repository:<name>:pull},
 * {@code repository:<name>:push}, {@code repository:<name>:delete} or {@code registry:catalog:*}.
 */
public record Access(String type, String name, String action) {
    public static Access pull(String repository) {
        return new Access("repository", repository, "pull");
    }

    public static Access push(String repository) {
        return new Access("repository", repository, "push");
    }

    public static Access delete(String repository) {
        return new Access("repository", repository, "delete");
    }

    public static Access catalog() {
        return new Access("registry", "catalog", "*");
    }

    /** The scope string, as in {@code WWW-Authenticate} and token requests. */
    public String scope() {
        return type + ":" + name + ":" + action;
    }
}
