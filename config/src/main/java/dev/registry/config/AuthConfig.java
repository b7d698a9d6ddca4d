package dev.registry.config;

import java.util.List;

/**
 * {@code auth.*}: who may use the registry. One of four setups, told apart by which parts are set:
 *
 * <ul>
 *   <li><b>none</b> ({@link #NONE}): everyone may do everything, as with registry:2 without {@code auth};
 *   <li><b>htpasswd</b>: HTTP Basic authentication against an htpasswd file, with {@link #access()} rules;
 *   <li><b>token</b>: Bearer tokens issued by an external token server (registry:2's {@code auth.token});
 *       the token's {@code access} claim decides, so there are no access rules;
 *   <li><b>token server</b>: Bearer tokens issued by this registry's own token endpoint
 *       ({@link TokenServerConfig#enabled()}), which checks passwords against {@link #htpasswd()} and
 *       grants what {@link #access()} allows.
 * </ul>
 *
 * @param htpasswd {@code auth.htpasswd}, or {@code null}
 * @param token {@code auth.token}, or {@code null}
 * @param tokenServer {@code auth.tokenserver}; {@link TokenServerConfig#DISABLED} when not configured
 * @param access {@code auth.access}: the rules, first match wins; empty means every authenticated
 *               user may pull, push and delete everything and anonymous callers may do nothing
 * @param tokens {@code auth.tokens}: login tokens for htpasswd users, or {@code null}
 */
public record AuthConfig(
        HtpasswdConfig htpasswd,
        TokenAuthConfig token,
        TokenServerConfig tokenServer,
        List<AccessRuleConfig> access,
        LoginTokensConfig tokens) {

    /** No authentication: every caller is anonymous and may do everything. */
    public static final AuthConfig NONE = new AuthConfig(null, null, TokenServerConfig.DISABLED, List.of());

    public AuthConfig {
        access = List.copyOf(access);
    }

    /** Without login tokens. */
    public AuthConfig(HtpasswdConfig htpasswd, TokenAuthConfig token, TokenServerConfig tokenServer,
            List<AccessRuleConfig> access) {
        this(htpasswd, token, tokenServer, access, null);
    }

    /** Whether callers must authenticate at all. */
    public boolean enabled() {
        return htpasswd != null || token != null;
    }

    /** Whether the registry's endpoints take Bearer tokens (external or from the built-in token server). */
    public boolean usesTokens() {
        return token != null;
    }
}
