package dev.registry.auth;

/** Who made a request: a user name, or {@link #ANONYMOUS} when no credentials were given. */
public record Principal(String name) {
    public static final Principal ANONYMOUS = new Principal("anonymous");

    public boolean isAnonymous() {
        return this == ANONYMOUS || "anonymous".equals(name);
    }
}
