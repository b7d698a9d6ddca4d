package dev.registry.config;

import java.nio.file.Path;

/**
 * {@code auth.tokens.*}: personal access tokens ("login tokens") for htpasswd users, made with the
 * {@code token} command. Only the tokens' SHA-256 hashes are in the file.
 *
 * @param path {@code auth.tokens.path}: the tokens file, absolute. It may not exist yet (no tokens
 *             until the {@code token} command makes it); its directory did exist at startup.
 */
public record LoginTokensConfig(Path path) {
}
