package dev.registry.server.mirror;

import dev.registry.auth.RepositoryPattern;
import dev.registry.config.ProxyCredentialConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;

/**
 * The credential rules of one remote: for an upstream repository, the first rule whose patterns
 * match gives the user name and password; none matching means anonymous. A password given as
 * {@code passwordfile} is read again whenever the file's modification time or size changes, so
 * a rotated Kubernetes Secret takes effect without a restart.
 */
final class UpstreamCredentials {
    /** A user name and password for the upstream. {@link #toString()} never shows the password. */
    record Credentials(String username, String password) {
        @Override
        public String toString() {
            return "Credentials[" + username + "]";
        }
    }

    private final List<Rule> rules;

    UpstreamCredentials(List<ProxyCredentialConfig> config) {
        this.rules = config.stream().map(Rule::new).toList();
    }

    /** The credentials for upstream repository {@code repository}, if a rule matches it. */
    Optional<Credentials> forRepository(String repository) throws IOException {
        for (Rule rule : rules) {
            if (rule.matches(repository)) {
                return Optional.of(new Credentials(rule.config.username(), rule.password()));
            }
        }
        return Optional.empty();
    }

    private static final class Rule {
        private final ProxyCredentialConfig config;
        private final List<RepositoryPattern> patterns;
        /** The password file as last read, guarded by {@code this}. */
        private FileTime readModified;
        private long readSize = -1;
        private String readPassword;

        Rule(ProxyCredentialConfig config) {
            this.config = config;
            this.patterns = config.repositories().stream().map(RepositoryPattern::compile).toList();
        }

        boolean matches(String repository) {
            return patterns.stream().anyMatch(pattern -> pattern.matches(repository));
        }

        String password() throws IOException {
            if (config.password().isPresent()) {
                return config.password().get();
            }
            Path file = config.passwordFile().orElseThrow();
            synchronized (this) {
                FileTime modified = Files.getLastModifiedTime(file);
                long size = Files.size(file);
                if (readPassword == null || !modified.equals(readModified) || size != readSize) {
                    // one trailing newline is how files (and Kubernetes Secrets made from them) usually end
                    String content = Files.readString(file, StandardCharsets.UTF_8);
                    readPassword = content.endsWith("\r\n") ? content.substring(0, content.length() - 2)
                            : content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
                    readModified = modified;
                    readSize = size;
                }
                return readPassword;
            }
        }
    }
}
