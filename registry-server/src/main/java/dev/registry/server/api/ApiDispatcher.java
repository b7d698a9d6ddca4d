package dev.registry.server.api;

import dev.registry.auth.Access;
import dev.registry.auth.AccessController;
import dev.registry.auth.AccessDeniedException;
import dev.registry.auth.AuthRequest;
import dev.registry.auth.Principal;
import dev.registry.auth.TokenService;
import dev.registry.auth.TooManyAttemptsException;
import dev.registry.server.http.ApiRequest;
import dev.registry.server.http.ApiResponse;
import dev.registry.server.http.RequestHandler;
import dev.registry.server.http.Route;
import dev.registry.server.notifications.EventSink;
import dev.registry.server.mirror.Mirror;
import dev.registry.storage.Digest;
import dev.registry.storage.ErrorCode;
import dev.registry.storage.Registry;
import dev.registry.storage.RegistryException;
import dev.registry.storage.RepositoryName;
import io.netty.handler.codec.http.HttpMethod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Routes each API request to its endpoint after validating the name and checking access, and
 * turns every refusal into the spec's error response.
 */
public final class ApiDispatcher implements RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(ApiDispatcher.class);
    private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);

    private final AccessController access;
    private final boolean readOnly;
    private final BlobEndpoints blobs;
    private final UploadEndpoints uploads;
    private final ManifestEndpoints manifests;
    private final ListingEndpoints listings;
    private final ReferrersEndpoint referrers;
    private final TokenEndpoint tokens;
    /** The pull-through mirror, or {@code null} when {@code proxy} is not configured. */
    private final Mirror mirror;

    /**
     * @param registry the storage-side services
     * @param access who may do what
     * @param readOnly {@code storage.maintenance.readonly.enabled}: refuse every write
     * @param host {@code http.host}, or empty
     * @param relativeUrls {@code http.relativeurls}
     * @param prefix {@code http.prefix}
     * @param catalogMaxEntries {@code catalog.maxentries}
     * @param tokenService the built-in token server, or {@code null} when it is not enabled
     * @param blobRedirects not {@code storage.redirect.disable}: answer blob GETs with the driver's signed URL when it has one
     */
    public ApiDispatcher(Registry registry, AccessController access, boolean readOnly, String host, boolean relativeUrls,
                         String prefix, int catalogMaxEntries, TokenService tokenService, boolean blobRedirects) {
        this(registry, access, readOnly, host, relativeUrls, prefix, catalogMaxEntries, tokenService, blobRedirects,
                EventSink.NONE, false, null);
    }

    /**
     * As above, also reporting pushes, pulls, mounts and deletes to {@code events}.
     *
     * @param events where notification events go; {@link EventSink#NONE} for none
     * @param includeReferences {@code notifications.events.includereferences}
     */
    public ApiDispatcher(Registry registry, AccessController access, boolean readOnly, String host, boolean relativeUrls,
                         String prefix, int catalogMaxEntries, TokenService tokenService, boolean blobRedirects,
                         EventSink events, boolean includeReferences) {
        this(registry, access, readOnly, host, relativeUrls, prefix, catalogMaxEntries, tokenService, blobRedirects,
                events, includeReferences, null);
    }

    /**
     * As above, with the pull-through mirror ({@code proxy.*}) in front of manifest, blob and
     * referrers pulls, and refusing pushes to the names it caches; {@code mirror} may be null.
     */
    public ApiDispatcher(Registry registry, AccessController access, boolean readOnly, String host, boolean relativeUrls,
                         String prefix, int catalogMaxEntries, TokenService tokenService, boolean blobRedirects,
                         EventSink events, boolean includeReferences, Mirror mirror) {
        this(registry, access, readOnly, host, relativeUrls, prefix, catalogMaxEntries, tokenService, blobRedirects,
                events, includeReferences, mirror, "");
    }

    /**
     * As above; with {@code secret} ({@code http.secret}) not empty, upload URLs carry registry:2's
     * signed {@code _state}, so registry:2 instances with the same secret on the same store can
     * continue uploads begun here.
     */
    public ApiDispatcher(Registry registry, AccessController access, boolean readOnly, String host, boolean relativeUrls,
                         String prefix, int catalogMaxEntries, TokenService tokenService, boolean blobRedirects,
                         EventSink events, boolean includeReferences, Mirror mirror, String secret) {
        this.mirror = mirror;
        Locations locations = new Locations(host, relativeUrls, prefix, secret);
        EventReporter reporter = new EventReporter(events, locations, includeReferences);
        this.access = access;
        this.readOnly = readOnly;
        this.blobs = new BlobEndpoints(registry, blobRedirects, reporter);
        this.uploads = new UploadEndpoints(registry, locations, reporter);
        this.manifests = new ManifestEndpoints(registry, locations, reporter);
        this.listings = new ListingEndpoints(registry, locations, catalogMaxEntries);
        this.referrers = new ReferrersEndpoint(registry);
        this.tokens = tokenService == null ? null : new TokenEndpoint(tokenService);
    }

    @Override
    public ApiResponse handle(ApiRequest request) {
        try {
            return dispatch(request);
        } catch (RegistryException e) {
            return Errors.of(e);
        } catch (AccessDeniedException e) {
            return denied(request, e);
        } catch (IOException e) {
            if (request.body() != null && !request.body().isEnded()) {
                log.debug("{} {} ended early: {}", request.method(), request.uri(), e.toString());
                return Errors.of(400, ErrorCode.BLOB_UPLOAD_INVALID.name(), "request body incomplete: " + e.getMessage(), null);
            }
            log.error("storage failure for {} {}", request.method(), request.uri(), e);
            return Errors.of(500, ErrorCode.UNKNOWN.name(), "storage error", null);
        }
    }

    private ApiResponse dispatch(ApiRequest request) throws IOException, AccessDeniedException {
        Route route = request.route();
        HttpMethod method = request.method();
        if (request.malformedQuery()) {
            return Errors.of(400, ErrorCode.UNSUPPORTED.name(), "malformed query string", null);
        }
        if (route.kind() == Route.Kind.NOT_FOUND || (route.kind() == Route.Kind.TOKEN && tokens == null)) {
            return Errors.of(404, "NOT_FOUND", "no such API endpoint", null);
        }
        if (!allowed(route.kind(), method)) {
            return Errors.of(ErrorCode.UNSUPPORTED, "method " + method + " is not allowed here");
        }
        String name = route.name();
        if (name != null) {
            RepositoryName.validate(name);
        }
        if (route.kind() == Route.Kind.TOKEN) {
            return tokens.handle(request);
        }
        boolean write = !(method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD));
        Principal principal = authorize(request, required(route, method, request));
        if (write && readOnly) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, "the registry is in read-only mode (storage.maintenance.readonly)");
        }
        if (write && mirror != null && name != null) {
            // registry:2's proxy mode answers pushes with 405 UNSUPPORTED; nothing reaches storage
            Optional<String> refusal = mirror.refusesWrites(name);
            if (refusal.isPresent()) {
                throw new RegistryException(ErrorCode.UNSUPPORTED, refusal.get());
            }
        }
        return switch (route.kind()) {
            case BASE -> ApiResponse.of(200).body(EMPTY_OBJECT, "application/json");
            case CATALOG -> listings.catalog(request, repository -> access.mayPull(principal, repository));
            case TAGS -> listings.tags(request, name);
            case MANIFEST -> {
                if (!method.equals(HttpMethod.PUT) && !ManifestEndpoints.isReference(route.reference())) {
                    // Neither a tag nor a digest names nothing: 404, as registry:2 (whose routes do
                    // not match it) and the OCI conformance suite expect. A PUT keeps TAG_INVALID.
                    throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown: the reference is neither a valid tag nor a digest",
                            java.util.Map.of("reference", route.reference()));
                }
                yield switch (method.name()) {
                    case "PUT" -> manifests.put(request, name, route.reference());
                    case "DELETE" -> manifests.delete(request, name, route.reference());
                    default -> {
                        Optional<ApiResponse> mirrored = mirror == null ? Optional.empty() : mirror.manifest(name, route.reference());
                        yield mirrored.isPresent() ? mirrored.get() : manifests.get(request, name, route.reference());
                    }
                };
            }
            case BLOB -> {
                Digest digest = Digest.parse(route.reference());
                if (method.equals(HttpMethod.DELETE)) {
                    yield blobs.delete(request, name, digest);
                }
                Optional<ApiResponse> mirrored = mirror == null ? Optional.empty() : mirror.blob(request, name, digest);
                yield mirrored.isPresent() ? mirrored.get() : blobs.get(request, name, digest);
            }
            case UPLOAD_START -> uploads.start(request, name, repository -> mayPull(request, repository));
            case UPLOAD -> switch (method.name()) {
                case "PATCH" -> uploads.patch(request, name, route.reference());
                case "PUT" -> uploads.put(request, name, route.reference());
                case "DELETE" -> uploads.cancel(name, route.reference());
                default -> uploads.status(request, name, route.reference());
            };
            case REFERRERS -> {
                Digest subject = Digest.parse(route.reference());
                Optional<ApiResponse> mirrored = mirror == null ? Optional.empty() : mirror.referrers(request, name, subject);
                yield mirrored.isPresent() ? mirrored.get() : referrers.get(request, name, subject);
            }
            case TOKEN, NOT_FOUND -> throw new IllegalStateException("unreachable");
        };
    }

    private static boolean allowed(Route.Kind kind, HttpMethod method) {
        String m = method.name();
        return switch (kind) {
            case BASE, CATALOG, TAGS, REFERRERS -> m.equals("GET") || m.equals("HEAD");
            case TOKEN -> m.equals("GET") || m.equals("POST");
            case MANIFEST -> m.equals("GET") || m.equals("HEAD") || m.equals("PUT") || m.equals("DELETE");
            case BLOB -> m.equals("GET") || m.equals("HEAD") || m.equals("DELETE");
            case UPLOAD_START -> m.equals("POST");
            case UPLOAD -> m.equals("GET") || m.equals("PATCH") || m.equals("PUT") || m.equals("DELETE");
            case NOT_FOUND -> false;
        };
    }

    /** The rights a request needs, as distribution asks for them. */
    private static List<Access> required(Route route, HttpMethod method, ApiRequest request) {
        String name = route.name();
        return switch (route.kind()) {
            case BASE, TOKEN, NOT_FOUND -> List.of();
            case CATALOG -> List.of(Access.catalog());
            case TAGS, REFERRERS -> List.of(Access.pull(name));
            case MANIFEST, BLOB -> switch (method.name()) {
                case "PUT" -> List.of(Access.pull(name), Access.push(name));
                case "DELETE" -> List.of(Access.delete(name));
                default -> List.of(Access.pull(name));
            };
            case UPLOAD_START -> {
                String from = request.query("from");
                if (request.query("mount") != null && from != null && RepositoryName.isValid(from)) {
                    yield List.of(Access.pull(name), Access.push(name), Access.pull(from));
                }
                yield List.of(Access.pull(name), Access.push(name));
            }
            case UPLOAD -> List.of(Access.pull(name), Access.push(name));
        };
    }

    private Principal authorize(ApiRequest request, List<Access> required) throws AccessDeniedException {
        Principal principal = access.authorize(new AuthRequest(request.header("Authorization"), request.remoteAddress()), required);
        request.user(principal.name());
        return principal;
    }

    /**
     * Whether the caller's credentials grant pull on {@code repository}, checked the way a pull
     * request would be (so a bearer token must carry that scope, htpasswd rules must allow it).
     */
    private boolean mayPull(ApiRequest request, String repository) {
        try {
            access.authorize(new AuthRequest(request.header("Authorization"), request.remoteAddress()),
                    List.of(Access.pull(repository)));
            return true;
        } catch (AccessDeniedException e) {
            return false;
        }
    }

    private static ApiResponse denied(ApiRequest request, AccessDeniedException e) {
        if (e.user() != null) {
            request.user(e.user());
        }
        ApiResponse response = Errors.of(e.status(), e.errorCode(), e.getMessage(), e.detail());
        if (e.challenge() != null) {
            response.header("WWW-Authenticate", e.challenge());
        }
        if (e instanceof TooManyAttemptsException tooMany) {
            response.header("Retry-After", tooMany.retryAfterSeconds());
        }
        return response;
    }
}
