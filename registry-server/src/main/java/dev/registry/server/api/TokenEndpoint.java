package dev.registry.server.api;

import dev.registry.auth.AccessDeniedException;
import dev.registry.auth.TokenRequest;
import dev.registry.auth.TokenRequestException;
import dev.registry.auth.TokenResponse;
import dev.registry.auth.TokenService;
import dev.registry.server.http.ApiRequest;
import dev.registry.server.http.ApiResponse;
import dev.registry.server.http.RequestBody;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The built-in token server ({@code auth.tokenserver}): {@code GET /auth/token} as in the Docker
 * token spec, and the OAuth2 {@code POST} form that docker, containerd and Jib use.
 */
final class TokenEndpoint {
    private static final int MAX_FORM_BYTES = 64 * 1024;

    private final TokenService tokens;

    TokenEndpoint(TokenService tokens) {
        this.tokens = tokens;
    }

    ApiResponse handle(ApiRequest request) throws IOException, AccessDeniedException {
        try {
            TokenRequest tokenRequest;
            if (request.method().equals(HttpMethod.POST)) {
                tokenRequest = TokenRequest.fromForm(form(request), request.remoteAddress());
            } else {
                tokenRequest = TokenRequest.fromQuery(request.queryParameters(), request.header("Authorization"),
                        request.remoteAddress());
            }
            TokenResponse issued = tokens.issue(tokenRequest);
            request.user(issued.subject());
            return ApiResponse.of(200)
                    .header("Cache-Control", "no-store")
                    .body(issued.toJson().getBytes(StandardCharsets.UTF_8), "application/json");
        } catch (TokenRequestException e) {
            return ApiResponse.of(e.status()).body(e.toJson().getBytes(StandardCharsets.UTF_8), "application/json");
        }
    }

    private static Map<String, List<String>> form(ApiRequest request) throws IOException, TokenRequestException {
        byte[] body;
        try {
            body = request.body().readAll(MAX_FORM_BYTES);
        } catch (RequestBody.BodyTooLargeException e) {
            throw new TokenRequestException("invalid_request", "the form is larger than " + MAX_FORM_BYTES + " bytes");
        }
        try {
            return new QueryStringDecoder(new String(body, StandardCharsets.UTF_8), StandardCharsets.UTF_8, false).parameters();
        } catch (IllegalArgumentException e) {
            throw new TokenRequestException("invalid_request", "the form is not valid application/x-www-form-urlencoded");
        }
    }
}
