package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Binds and checks {@code proxy.*}. Every doubtful key is an error, not a warning: a misspelt
 * credential key would send the wrong credentials upstream, or none.
 */
final class ProxyBinder {
    private static final ConfigKey PROXY = ConfigKey.ROOT.child("proxy");
    private static final Set<String> REMOTE_KEYS = Set.of("name", "url", "credentials", "ttl");
    private static final Set<String> CREDENTIAL_KEYS = Set.of("repositories", "username", "password", "passwordfile");
    /** One repository name component, the grammar's {@code [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*}. */
    private static final Pattern NAME_COMPONENT = Pattern.compile("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*");
    /** A pattern component, as in {@code auth.access}: {@code **}, or name characters with single {@code *}s. */
    private static final Pattern PATTERN_COMPONENT = Pattern.compile("\\*\\*|[a-z0-9._-]*(\\*[a-z0-9._-]+)*\\*?");
    private static final String REMOTE_EXAMPLE = "[{name: hub, url: 'https://registry-1.docker.io', ttl: 10m}]";
    /** The name of the single remote of registry:2's {@code proxy.remoteurl} form, as logs show it. */
    static final String SINGLE_REMOTE_NAME = "default";

    private ProxyBinder() {
    }

    static ProxyConfig bind(JsonNode proxy) {
        Values.section(PROXY, proxy);
        if (Values.isAbsent(proxy) || proxy.isEmpty()) {
            return ProxyConfig.NONE;
        }
        JsonNode remoteUrl = Values.field(proxy, "remoteurl");
        JsonNode remotes = Values.field(proxy, "remotes");
        boolean single = !Values.isAbsent(remoteUrl);
        boolean named = !Values.isAbsent(remotes);
        if (single && named) {
            throw PROXY.problem("has both remoteurl and remotes: use remoteurl (with username, password and ttl) "
                    + "for registry:2's read-only cache of one registry, or remotes (with default) for several, not both");
        }
        if (single) {
            for (String key : List.of("remotes", "default")) {
                if (!Values.isAbsent(Values.field(proxy, key))) {
                    throw PROXY.child(key).problem("only goes with proxy.remotes: remove it, or move proxy.remoteurl into a remote");
                }
            }
            return single(proxy);
        }
        if (!named) {
            for (String key : List.of("username", "password", "passwordfile", "ttl", "default")) {
                if (!Values.isAbsent(Values.field(proxy, key))) {
                    throw PROXY.problem("sets " + key + " but neither remoteurl nor remotes: give proxy.remoteurl "
                            + "(the upstream registry's URL) or a list of proxy.remotes");
                }
            }
            return ProxyConfig.NONE;
        }
        for (String key : List.of("username", "password", "passwordfile", "ttl")) {
            if (!Values.isAbsent(Values.field(proxy, key))) {
                throw PROXY.child(key).problem("only goes with proxy.remoteurl: give it inside each remote of proxy.remotes"
                        + (key.equals("ttl") ? "" : " as credentials"));
            }
        }
        return namedRemotes(remotes, Values.field(proxy, "default"));
    }

    private static ProxyConfig single(JsonNode proxy) {
        URI url = url(PROXY.child("remoteurl"), Values.field(proxy, "remoteurl"));
        Duration ttl = Values.nonNegativeDuration(PROXY.child("ttl"), Values.field(proxy, "ttl"), ProxyConfig.DEFAULT_TTL);
        Optional<String> username = Values.text(PROXY.child("username"), Values.field(proxy, "username"));
        Optional<String> password = Values.string(PROXY.child("password"), Values.field(proxy, "password"))
                .filter(p -> !p.isEmpty());
        Optional<Path> passwordFile = Values.readableFile(PROXY.child("passwordfile"), Values.field(proxy, "passwordfile"),
                "password");
        List<ProxyCredentialConfig> credentials = new ArrayList<>();
        if (username.isPresent() || password.isPresent() || passwordFile.isPresent()) {
            if (username.isEmpty()) {
                throw PROXY.child("username").problem("is not set although a password is: give the upstream user name");
            }
            if (password.isPresent() == passwordFile.isPresent()) {
                throw PROXY.child("password").problem(password.isPresent()
                        ? "and proxy.passwordfile are both set: keep one"
                        : "is not set although proxy.username is: give the password, or proxy.passwordfile");
            }
            credentials.add(new ProxyCredentialConfig(List.of("**"), username.get(), password, passwordFile));
        }
        ProxyRemoteConfig remote = new ProxyRemoteConfig(SINGLE_REMOTE_NAME, url, credentials, ttl);
        return new ProxyConfig(List.of(remote), Optional.of(SINGLE_REMOTE_NAME), true);
    }

    private static ProxyConfig namedRemotes(JsonNode node, JsonNode defaultNode) {
        ConfigKey key = PROXY.child("remotes");
        if (!node.isArray() || node.isEmpty()) {
            throw key.invalid(node, "give a list of remotes, such as '" + REMOTE_EXAMPLE + "'");
        }
        List<ProxyRemoteConfig> remotes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            ProxyRemoteConfig remote = remote(key, "remote " + (i + 1), node.get(i));
            if (!names.add(remote.name())) {
                throw key.problem("names the remote '" + remote.name() + "' twice: give each remote its own name "
                        + "(two names may share one url)");
            }
            remotes.add(remote);
        }
        Optional<String> defaultRemote = Values.text(PROXY.child("default"), defaultNode);
        if (defaultRemote.isPresent() && !names.contains(defaultRemote.get())) {
            throw PROXY.child("default").invalid(defaultNode, "give the name of one of proxy.remotes (" + String.join(", ",
                    remotes.stream().map(ProxyRemoteConfig::name).toList()) + ")");
        }
        return new ProxyConfig(remotes, defaultRemote, false);
    }

    /** Errors name the list's key and the remote's position, which is how the file and the variable both show it. */
    private static ProxyRemoteConfig remote(ConfigKey key, String remote, JsonNode node) {
        if (!node.isObject()) {
            throw key.problem(remote + " is not a mapping: give name and url, and optionally credentials and ttl, such as '"
                    + REMOTE_EXAMPLE.substring(1, REMOTE_EXAMPLE.length() - 1) + "'");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!REMOTE_KEYS.contains(field.getKey())) {
                throw key.problem(remote + " has the unknown key '" + field.getKey()
                        + "': give only name, url, credentials and ttl");
            }
        }
        JsonNode nameNode = node.get("name");
        if (Values.isAbsent(nameNode) || !nameNode.isValueNode()) {
            throw key.problem(remote + " has no name: give the first repository name component that selects it, such as 'hub'");
        }
        String name = nameNode.asText().trim();
        if (!NAME_COMPONENT.matcher(name).matches()) {
            throw key.problem(remote + " has the name '" + name + "', which is not one repository name component: "
                    + "use lower-case letters and digits, with '.', '_' or '-' between them, and no '/'");
        }
        String described = remote + " (" + name + ")";
        JsonNode urlNode = node.get("url");
        if (Values.isAbsent(urlNode)) {
            throw key.problem(described + " has no url: give the upstream registry's URL, such as 'https://registry-1.docker.io'");
        }
        URI url;
        try {
            url = url(key, urlNode);
        } catch (ConfigException e) {
            throw key.problem(described + " has the url '" + urlNode.asText() + "', which is not usable: give an "
                    + "http or https URL of a registry, such as 'https://registry.gitlab.com'");
        }
        Duration ttl;
        try {
            ttl = Values.nonNegativeDuration(key, node.get("ttl"), ProxyConfig.DEFAULT_TTL);
        } catch (ConfigException e) {
            throw key.problem(described + " has the ttl '" + node.get("ttl").asText()
                    + "', which is not a Go duration of zero or more: give one such as '10m', '1h', '168h' or '0s'");
        }
        List<ProxyCredentialConfig> credentials = new ArrayList<>();
        JsonNode credentialNodes = node.get("credentials");
        if (!Values.isAbsent(credentialNodes)) {
            if (!credentialNodes.isArray()) {
                throw key.problem(described + " has credentials that are not a list: give a list such as "
                        + "[{repositories: ['group/**'], username: bob, password: secret}]");
            }
            for (int j = 0; j < credentialNodes.size(); j++) {
                credentials.add(credential(key, described + " credentials " + (j + 1), credentialNodes.get(j)));
            }
        }
        return new ProxyRemoteConfig(name, url, credentials, ttl);
    }

    private static ProxyCredentialConfig credential(ConfigKey key, String where, JsonNode node) {
        if (!node.isObject()) {
            throw key.problem(where + " is not a mapping: give repositories, username and password (or passwordfile)");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!CREDENTIAL_KEYS.contains(field.getKey())) {
                throw key.problem(where + " has the unknown key '" + field.getKey()
                        + "': give only repositories, username and password or passwordfile");
            }
        }
        String fix = "give a list of upstream repository name patterns, such as ['group/**']";
        List<String> repositories;
        try {
            repositories = Values.stringList(key, node.get("repositories"), fix).orElse(List.of());
        } catch (ConfigException e) {
            throw key.problem(where + " has repositories that are not a list of patterns: " + fix);
        }
        if (repositories.isEmpty()) {
            throw key.problem(where + " has no repositories: " + fix + ", or ['**'] for all");
        }
        for (String pattern : repositories) {
            for (String component : pattern.split("/", -1)) {
                if (component.isEmpty() || !PATTERN_COMPONENT.matcher(component).matches()) {
                    throw key.problem(where + " has the repository pattern '" + pattern + "', which is not valid: use "
                            + "lower-case repository names with '*' for part of one component and '**' for any number of components");
                }
            }
        }
        JsonNode usernameNode = node.get("username");
        if (Values.isAbsent(usernameNode) || !usernameNode.isValueNode() || usernameNode.asText().trim().isEmpty()) {
            throw key.problem(where + " has no username: give the upstream user name");
        }
        JsonNode passwordNode = node.get("password");
        JsonNode fileNode = node.get("passwordfile");
        boolean hasPassword = !Values.isAbsent(passwordNode);
        boolean hasFile = !Values.isAbsent(fileNode);
        if (hasPassword == hasFile) {
            throw key.problem(where + (hasPassword ? " has both password and passwordfile: keep one"
                    : " has no password: give password, or passwordfile naming a file that holds it"));
        }
        if (hasPassword && (!passwordNode.isValueNode() || passwordNode.asText().isEmpty())) {
            throw key.problem(where + " has an empty password: give the password, or passwordfile");
        }
        Optional<Path> passwordFile;
        try {
            passwordFile = hasFile ? Values.readableFile(key, fileNode, "password") : Optional.empty();
        } catch (ConfigException e) {
            throw key.problem(where + " has the passwordfile '" + fileNode.asText() + "', which is not a readable file: "
                    + "give the path of a file holding the password");
        }
        return new ProxyCredentialConfig(repositories, usernameNode.asText().trim(),
                hasPassword ? Optional.of(passwordNode.asText()) : Optional.empty(), passwordFile);
    }

    private static URI url(ConfigKey key, JsonNode node) {
        String fix = "give an http or https URL of a registry, such as 'https://registry-1.docker.io'";
        String text = Values.text(key, node).orElseThrow(() -> key.invalid(node, fix));
        URI url;
        try {
            url = new URI(text);
        } catch (URISyntaxException e) {
            throw key.invalid(node, fix);
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null || url.getRawQuery() != null
                || url.getRawFragment() != null || url.getRawUserInfo() != null) {
            throw key.invalid(node, fix + " (credentials go in username and password, not in the URL)");
        }
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return URI.create(scheme + "://" + url.getRawAuthority() + path);
    }
}
