package dev.registry.config;

import java.nio.file.Path;

/**
 * {@code auth.htpasswd.*}: users and bcrypt password hashes in an Apache htpasswd file, as made by
 * {@code htpasswd -B}.
 *
 * @param realm {@code auth.htpasswd.realm}: the realm of the {@code Basic} challenge (default
 *              {@value #DEFAULT_REALM})
 * @param path {@code auth.htpasswd.path}: the file, absolute; it existed and was readable at startup
 */
public record HtpasswdConfig(String realm, Path path) {
    public static final String DEFAULT_REALM = "Registry Realm";
}
