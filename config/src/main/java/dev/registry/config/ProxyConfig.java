package dev.registry.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code proxy.*}: the pull-through mirror.
 *
 * <p>Two forms. registry:2's ({@code proxy.remoteurl}, {@code username}, {@code password},
 * {@code ttl}) makes the whole registry a read-only cache of one upstream: it is bound as one
 * remote, the default, with {@link #wholeRegistry()} set. Ours ({@code proxy.remotes} and
 * {@code proxy.default}) names several remotes, each selected by the first component of a
 * repository name, beside the registry's own repositories.
 *
 * @param remotes       the remotes, in configuration order; empty when the mirror is off
 * @param defaultRemote the remote for names whose first component names no remote, if any
 * @param wholeRegistry registry:2's form: every name goes to the one remote and nothing may be pushed
 */
public record ProxyConfig(List<ProxyRemoteConfig> remotes, Optional<String> defaultRemote, boolean wholeRegistry) {
    /** registry:2's default {@code proxy.ttl}. */
    public static final Duration DEFAULT_TTL = Duration.ofHours(168);

    /** No {@code proxy} section: no mirror. */
    public static final ProxyConfig NONE = new ProxyConfig(List.of(), Optional.empty(), false);

    public ProxyConfig {
        remotes = List.copyOf(remotes);
    }

    /** Whether a {@code proxy} section configures a mirror at all. */
    public boolean enabled() {
        return !remotes.isEmpty();
    }

    /** The remote called {@code name}. */
    public Optional<ProxyRemoteConfig> remote(String name) {
        return remotes.stream().filter(remote -> remote.name().equals(name)).findFirst();
    }
}
