package dev.registry.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * One upstream registry of the mirror ({@code proxy.remotes[i]}, or the single remote of
 * registry:2's {@code proxy.remoteurl} form).
 *
 * @param name        the first repository name component that selects it ({@code gitlab} in
 *                    {@code gitlab/group/app}); for registry:2's form, {@code default}
 * @param url         the upstream's base URL, such as {@code https://registry.gitlab.com}
 * @param credentials credential rules, first match wins; none matching means anonymous
 * @param ttl         how long a cached tag is served before it is checked upstream again
 */
public record ProxyRemoteConfig(String name, URI url, List<ProxyCredentialConfig> credentials, Duration ttl) {
    public ProxyRemoteConfig {
        credentials = List.copyOf(credentials);
    }
}
