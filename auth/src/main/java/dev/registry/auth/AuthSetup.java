package dev.registry.auth;

import dev.registry.config.AuthConfig;
import dev.registry.config.ConfigException;
import dev.registry.config.HtpasswdConfig;
import dev.registry.config.LoginTokensConfig;
import dev.registry.config.TokenAuthConfig;
import dev.registry.config.TokenServerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the access controller (and the token service, with {@code auth.tokenserver}) that an
 * {@link AuthConfig} describes, reading every file it names now, so that problems stop startup.
 */
public final class AuthSetup {
    private final AccessController accessController;
    private final TokenService tokenService;

    private AuthSetup(AccessController accessController, TokenService tokenService) {
        this.accessController = accessController;
        this.tokenService = tokenService;
    }

    /**
     * @throws ConfigException if a file cannot be read or does not hold what it should; the message is one sentence
     */
    public static AuthSetup from(AuthConfig config) {
        return from(config, Clock.systemUTC());
    }

    static AuthSetup from(AuthConfig config, Clock clock) {
        if (!config.enabled()) {
            return new AuthSetup(new OpenAccessController(), null);
        }
        AccessRules rules = AccessRules.from(config.access());
        LoginThrottle throttle = new LoginThrottle();
        HtpasswdFile users = config.htpasswd() == null ? null : htpasswd(config.htpasswd());
        LoginTokens loginTokens = config.tokens() == null ? null : loginTokens(config.tokens(), clock);
        if (config.token() == null) {
            return new AuthSetup(new BasicAuthController(users, loginTokens, config.htpasswd().realm(), rules,
                    throttle), null);
        }
        TokenAuthConfig token = config.token();
        TokenKeys keys = new TokenKeys(rootCertificates(token.rootCertBundle()), jwks(token.jwks()), clock);
        TokenServerConfig server = config.tokenServer();
        TokenService service = null;
        if (server.enabled()) {
            TokenIssuer issuer = issuer(server, clock);
            keys.trust(issuer.publicKey());
            service = new TokenService(issuer, token.service(), server.expiration(), users, loginTokens,
                    config.htpasswd().realm(), rules, throttle);
        }
        TokenVerifier verifier = new TokenVerifier(keys, token.issuer(), token.service(), clock);
        return new AuthSetup(new TokenAccessController(verifier, token.realm(), token.service(),
                server.enabled() ? rules : null), service);
    }

    /** Decides every request to the registry API. */
    public AccessController accessController() {
        return accessController;
    }

    /** The token endpoint's logic, when {@code auth.tokenserver.enabled} is set. */
    public Optional<TokenService> tokenService() {
        return Optional.ofNullable(tokenService);
    }

    private static HtpasswdFile htpasswd(HtpasswdConfig config) {
        try {
            return HtpasswdFile.load(config.path());
        } catch (IOException e) {
            throw new ConfigException("auth.htpasswd.path (REGISTRY_AUTH_HTPASSWD_PATH) is '" + config.path()
                    + "': the file cannot be read (" + e.getMessage() + "), so make it readable or fix the path.", e);
        }
    }

    private static LoginTokens loginTokens(LoginTokensConfig config, Clock clock) {
        try {
            return LoginTokens.load(config.path(), clock);
        } catch (IOException e) {
            throw new ConfigException("auth.tokens.path (REGISTRY_AUTH_TOKENS_PATH) is '" + config.path()
                    + "': the login tokens file cannot be used (" + e.getMessage() + "), so fix or remove it; "
                    + "'token create' makes a new one.", e);
        }
    }

    private static List<X509Certificate> rootCertificates(Path bundle) {
        if (bundle == null) {
            return List.of();
        }
        String key = "auth.token.rootcertbundle (REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE) is '" + bundle + "': ";
        try {
            List<X509Certificate> certificates = PemFiles.certificates(bundle);
            if (certificates.isEmpty()) {
                throw new ConfigException(key + "it holds no PEM certificate, so give the token server's certificates "
                        + "('-----BEGIN CERTIFICATE-----' blocks).");
            }
            return certificates;
        } catch (IOException | RuntimeException e) {
            if (e instanceof ConfigException config) {
                throw config;
            }
            throw new ConfigException(key + "it cannot be read as PEM certificates (" + e.getMessage()
                    + "), so give the token server's certificates.", e);
        }
    }

    private static Map<String, PublicKey> jwks(Path file) {
        if (file == null) {
            return Map.of();
        }
        String key = "auth.token.jwks (REGISTRY_AUTH_TOKEN_JWKS) is '" + file + "': ";
        try {
            Map<String, PublicKey> keys = Jwks.read(file);
            if (keys.isEmpty()) {
                throw new ConfigException(key + "it holds no usable signing key, so give a JSON Web Key Set with the "
                        + "token server's RSA, EC or Ed25519 public keys.");
            }
            return keys;
        } catch (IOException e) {
            throw new ConfigException(key + e.getMessage() + ", so give a JSON Web Key Set such as "
                    + "'{\"keys\": [...]}'.", e);
        }
    }

    private static TokenIssuer issuer(TokenServerConfig server, Clock clock) {
        try {
            return TokenIssuer.load(server.signingKey(), server.issuer(), clock);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("auth.tokenserver.signingkey (REGISTRY_AUTH_TOKENSERVER_SIGNINGKEY) is '"
                    + server.signingKey() + "': " + e.getMessage() + ", so give an EC P-256 key in PEM or the path of "
                    + "a file to generate one in.", e);
        }
    }
}
