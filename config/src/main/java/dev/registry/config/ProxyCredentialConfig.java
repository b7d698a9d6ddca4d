package dev.registry.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Credentials for some repositories of a remote ({@code proxy.remotes[i].credentials[j]}).
 *
 * @param repositories upstream repository name patterns ({@code *} within a component, {@code **}
 *                     any number of components), as in {@code auth.access}
 * @param username     the user name
 * @param password     the password, when given inline
 * @param passwordFile the file holding the password, when given as {@code passwordfile} (read
 *                     again whenever it changes)
 */
public record ProxyCredentialConfig(List<String> repositories, String username, Optional<String> password,
                                    Optional<Path> passwordFile) {
    public ProxyCredentialConfig {
        repositories = List.copyOf(repositories);
    }

    /** Never shows the password: configurations are logged and printed in test failures. */
    @Override
    public String toString() {
        return "ProxyCredentialConfig[repositories=" + repositories + ", username=" + username + ", password="
                + (password.isPresent() ? "(set)" : "(none)") + ", passwordFile=" + passwordFile.map(Path::toString).orElse("(none)") + "]";
    }
}
