package dev.registry.auth;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A request to the token endpoint, independent of HTTP. Build it with {@link #fromQuery} for
 * {@code GET} (Docker's token protocol, credentials in the {@code Authorization} header) or
 * {@link #fromForm} for {@code POST} (the OAuth2 form).
 *
 * @param grantType how the caller authenticates
 * @param service the {@code service} parameter, or {@code null}
 * @param scopes the {@code scope} parameter values; each may hold several scopes separated by spaces
 * @param clientId the {@code client_id} parameter, or {@code null}; only logged
 * @param offline whether a refresh token is asked for ({@code offline_token=true} or {@code access_type=offline})
 * @param authorization the {@code Authorization} header of a {@code GET}, or {@code null}
 * @param username the {@code username} of a password grant, or {@code null}
 * @param password the {@code password} of a password grant, or {@code null}
 * @param refreshToken the {@code refresh_token} of a refresh grant, or {@code null}
 * @param remoteAddress the client's address for the failed-login limit, or {@code null}
 */
public record TokenRequest(
        GrantType grantType,
        String service,
        List<String> scopes,
        String clientId,
        boolean offline,
        String authorization,
        String username,
        char[] password,
        String refreshToken,
        String remoteAddress) {

    /** How the caller of the token endpoint authenticates. */
    public enum GrantType {
        /** {@code GET}: Basic credentials in the {@code Authorization} header, or none (anonymous). */
        NONE,
        /** OAuth2 {@code grant_type=password}. */
        PASSWORD,
        /** OAuth2 {@code grant_type=refresh_token}. */
        REFRESH_TOKEN
    }

    public TokenRequest {
        scopes = List.copyOf(scopes);
    }

    /**
     * A {@code GET /token?service=...&scope=...&scope=...&offline_token=...&client_id=...} request.
     *
     * @param query the decoded query parameters
     */
    public static TokenRequest fromQuery(Map<String, List<String>> query, String authorization, String remoteAddress) {
        return new TokenRequest(GrantType.NONE, first(query, "service"), query.getOrDefault("scope", List.of()),
                first(query, "client_id"), "true".equalsIgnoreCase(first(query, "offline_token")), authorization, null,
                null, null, remoteAddress);
    }

    /**
     * A {@code POST /token} OAuth2 form ({@code application/x-www-form-urlencoded}).
     *
     * @param form the decoded form fields
     * @throws TokenRequestException if {@code grant_type} is missing or not {@code password} or {@code refresh_token}
     */
    public static TokenRequest fromForm(Map<String, List<String>> form, String remoteAddress)
            throws TokenRequestException {
        String grant = first(form, "grant_type");
        GrantType grantType;
        if ("password".equals(grant)) {
            grantType = GrantType.PASSWORD;
        } else if ("refresh_token".equals(grant)) {
            grantType = GrantType.REFRESH_TOKEN;
        } else if (grant == null) {
            throw new TokenRequestException("invalid_request", "grant_type is missing: give password or refresh_token");
        } else {
            throw new TokenRequestException("unsupported_grant_type", "grant_type '" + grant
                    + "' is not supported: give password or refresh_token");
        }
        String password = first(form, "password");
        return new TokenRequest(grantType, first(form, "service"), form.getOrDefault("scope", List.of()),
                first(form, "client_id"), "offline".equals(lower(first(form, "access_type"))), null,
                first(form, "username"), password == null ? null : password.toCharArray(),
                first(form, "refresh_token"), remoteAddress);
    }

    private static String first(Map<String, List<String>> parameters, String name) {
        List<String> values = parameters.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static String lower(String value) {
        return value == null ? null : value.toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        // Never the password, the header or the refresh token.
        return "TokenRequest[grantType=" + grantType + ", service=" + service + ", scopes=" + scopes + ", clientId="
                + clientId + ", offline=" + offline + ", username=" + username + "]";
    }
}
