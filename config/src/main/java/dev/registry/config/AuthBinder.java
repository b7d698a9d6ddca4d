package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Binds and checks {@code auth.*}. Anything doubtful is an error rather than a warning: a
 * misread authentication setting would leave the registry more open than its operator meant.
 */
final class AuthBinder {
    private static final ConfigKey AUTH = ConfigKey.ROOT.child("auth");
    private static final ConfigKey HTPASSWD = AUTH.child("htpasswd");
    private static final ConfigKey TOKEN = AUTH.child("token");
    private static final ConfigKey TOKEN_SERVER = AUTH.child("tokenserver");
    private static final ConfigKey TOKENS = AUTH.child("tokens");
    private static final String KINDS = "use auth.htpasswd or auth.token instead";

    private AuthBinder() {
    }

    static AuthConfig bind(JsonNode auth) {
        Values.section(AUTH, auth);
        if (Values.isAbsent(auth)) {
            return AuthConfig.NONE;
        }
        rejectUnknownKinds(auth);
        HtpasswdConfig htpasswd = htpasswd(Values.field(auth, "htpasswd"));
        TokenServerConfig tokenServer = tokenServer(Values.field(auth, "tokenserver"));
        TokenAuthConfig token = token(Values.field(auth, "token"), tokenServer);
        var access = AccessRulesBinder.bind(AUTH.child("access"), Values.field(auth, "access"));
        LoginTokensConfig tokens = tokens(Values.field(auth, "tokens"));

        if (tokenServer.enabled()) {
            if (htpasswd == null) {
                throw TOKEN_SERVER.child("enabled").problem("is true but auth.htpasswd is not set: the token server "
                        + "checks passwords against an htpasswd file, so configure auth.htpasswd too");
            }
            if (token == null) {
                throw TOKEN.problem("is not set although auth.tokenserver.enabled is true: give at least "
                        + "auth.token.realm (the URL of the token endpoint) and auth.token.service");
            }
        } else if (htpasswd != null && token != null) {
            throw AUTH.problem("configures both htpasswd and token authentication: keep one, or set "
                    + "auth.tokenserver.enabled to issue tokens to htpasswd users");
        }
        if (!access.isEmpty() && htpasswd == null) {
            throw AUTH.child("access").problem("only applies to auth.htpasswd users (directly or through "
                    + "auth.tokenserver)" + (token != null ? ", and an external token server decides access itself"
                    : "") + ": configure auth.htpasswd or remove the rules");
        }
        if (tokens != null && htpasswd == null) {
            throw TOKENS.child("path").problem("is set but auth.htpasswd is not: login tokens belong to htpasswd "
                    + "users, so configure auth.htpasswd or remove auth.tokens");
        }
        return new AuthConfig(htpasswd, token, tokenServer, access, tokens);
    }

    /**
     * The file may be missing (no token made yet: the {@code token} command creates it and the
     * registry picks it up without a restart), but its directory must exist, so a misspelt path
     * fails now rather than leaving every token refused.
     */
    private static LoginTokensConfig tokens(JsonNode node) {
        Values.section(TOKENS, node);
        if (Values.isAbsent(node)) {
            return null;
        }
        ConfigKey pathKey = TOKENS.child("path");
        JsonNode pathNode = Values.field(node, "path");
        String fix = "give the path of the login tokens file that 'token create' writes";
        Path path = Values.path(pathKey, pathNode, fix).orElseThrow(() -> pathKey.problem("is not set: " + fix));
        if (Files.exists(path)) {
            if (!(Files.isRegularFile(path) && Files.isReadable(path))) {
                throw pathKey.invalid(pathNode, path + " cannot be read, so make it a readable file or " + fix);
            }
        } else if (path.getParent() == null || !Files.isDirectory(path.getParent())) {
            throw pathKey.invalid(pathNode, "neither the file nor its directory " + path.getParent()
                    + " exists, so create the directory or " + fix);
        }
        return new LoginTokensConfig(path);
    }

    private static void rejectUnknownKinds(JsonNode auth) {
        for (Map.Entry<String, JsonNode> field : auth.properties()) {
            String name = field.getKey();
            ConfigKey key = AUTH.child(name);
            switch (name) {
                case "htpasswd", "token", "tokenserver", "access", "tokens" -> {
                }
                case "silly" -> throw key.problem("selects registry:2's 'silly' authentication, which is not "
                        + "supported: " + KINDS);
                default -> throw key.problem("names an authentication kind that is not supported: " + KINDS);
            }
        }
    }

    private static HtpasswdConfig htpasswd(JsonNode node) {
        Values.section(HTPASSWD, node);
        if (node == null) {
            return null;
        }
        ConfigKey pathKey = HTPASSWD.child("path");
        JsonNode pathNode = Values.field(node, "path");
        String fix = "give the path of an htpasswd file, made with 'htpasswd -cB FILE USER'";
        Path path = Values.path(pathKey, pathNode, fix)
                .orElseThrow(() -> pathKey.problem("is not set: " + fix));
        if (!(Files.isRegularFile(path) && Files.isReadable(path))) {
            throw pathKey.invalid(pathNode, "there is no readable file at " + path
                    + ", so create one with 'htpasswd -cB " + path + " USER' or fix the path");
        }
        String realm = Values.text(HTPASSWD.child("realm"), Values.field(node, "realm"))
                .orElse(HtpasswdConfig.DEFAULT_REALM);
        return new HtpasswdConfig(realm, path);
    }

    private static TokenServerConfig tokenServer(JsonNode node) {
        Values.section(TOKEN_SERVER, node);
        boolean enabled = Values.bool(TOKEN_SERVER.child("enabled"), Values.field(node, "enabled"), false);
        if (!enabled) {
            return TokenServerConfig.DISABLED;
        }
        ConfigKey keyKey = TOKEN_SERVER.child("signingkey");
        JsonNode keyNode = Values.field(node, "signingkey");
        String fix = "give the path of the PEM file that holds, or is to hold, the token signing key";
        Path signingKey = Values.path(keyKey, keyNode, fix).orElseThrow(() -> keyKey.problem("is not set: " + fix
                + ", such as '/var/lib/registry-auth/token.key'"));
        if (Files.exists(signingKey)) {
            if (!(Files.isRegularFile(signingKey) && Files.isReadable(signingKey))) {
                throw keyKey.invalid(keyNode, signingKey + " cannot be read, so make it a readable file or " + fix);
            }
        } else if (signingKey.getParent() == null || !Files.isDirectory(signingKey.getParent())) {
            throw keyKey.invalid(keyNode, "the key is generated there but the directory " + signingKey.getParent()
                    + " does not exist, so create it or " + fix);
        }
        ConfigKey expirationKey = TOKEN_SERVER.child("expiration");
        JsonNode expirationNode = Values.field(node, "expiration");
        Duration expiration = Values.positiveDuration(expirationKey, expirationNode,
                TokenServerConfig.DEFAULT_EXPIRATION);
        if (expiration.compareTo(Duration.ofSeconds(60)) < 0) {
            throw expirationKey.invalid(expirationNode, "Docker clients expect tokens to live at least 60 seconds, "
                    + "so give a Go duration of at least '60s', such as '5m'");
        }
        String issuer = Values.text(TOKEN_SERVER.child("issuer"), Values.field(node, "issuer"))
                .orElse(TokenServerConfig.DEFAULT_ISSUER);
        return new TokenServerConfig(true, signingKey, expiration, issuer);
    }

    private static TokenAuthConfig token(JsonNode node, TokenServerConfig tokenServer) {
        Values.section(TOKEN, node);
        if (node == null) {
            return null;
        }
        String realm = realm(TOKEN.child("realm"), Values.field(node, "realm"));
        String service = required(TOKEN.child("service"), Values.field(node, "service"),
                "give the name clients request tokens for, such as 'registry.example.com'");
        ConfigKey issuerKey = TOKEN.child("issuer");
        JsonNode issuerNode = Values.field(node, "issuer");
        Optional<String> issuer = Values.text(issuerKey, issuerNode);
        if (tokenServer.enabled() && issuer.isPresent() && !issuer.get().equals(tokenServer.issuer())) {
            throw issuerKey.invalid(issuerNode, "the built-in token server signs as '" + tokenServer.issuer()
                    + "', so leave it out or give the same value as auth.tokenserver.issuer");
        }
        if (!tokenServer.enabled() && issuer.isEmpty()) {
            throw issuerKey.problem("is not set: give the 'iss' value of the token server's tokens");
        }
        Optional<Path> bundle = Values.readableFile(TOKEN.child("rootcertbundle"), Values.field(node,
                "rootcertbundle"), "PEM certificate bundle");
        Optional<Path> jwks = Values.readableFile(TOKEN.child("jwks"), Values.field(node, "jwks"),
                "JSON Web Key Set");
        if (!tokenServer.enabled() && bundle.isEmpty() && jwks.isEmpty()) {
            throw TOKEN.child("rootcertbundle").problem("is not set, and neither is auth.token.jwks: give the "
                    + "certificates or keys the token server signs with, or set auth.tokenserver.enabled");
        }
        return new TokenAuthConfig(realm, service, issuer.orElse(tokenServer.issuer()), bundle.orElse(null),
                jwks.orElse(null));
    }

    private static String required(ConfigKey key, JsonNode node, String fix) {
        return Values.text(key, node).orElseThrow(() -> key.problem("is not set: " + fix));
    }

    /** Clients fetch tokens from the realm as it is, so it must be an absolute URL. */
    private static String realm(ConfigKey key, JsonNode node) {
        String fix = "give the absolute URL of the token endpoint, such as 'https://auth.example.com/token'";
        String realm = required(key, node, fix);
        try {
            URI uri = new URI(realm);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null && !realm.contains("\"")) {
                return realm;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw key.invalid(node, fix);
    }
}
