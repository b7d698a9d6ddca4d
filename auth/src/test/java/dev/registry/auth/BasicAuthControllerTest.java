package dev.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.config.AccessRuleConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BasicAuthControllerTest {
    private static final String ALICE = new BasicCredentials("alice", "correct horse".toCharArray()).header();
    private static final String BOB = new BasicCredentials("bob", "S3cr3t!".toCharArray()).header();
    private static final String CHALLENGE = "Basic realm=\"Registry \\\"Realm\\\"\"";

    @TempDir
    Path dir;
    private HtpasswdFile users;

    @BeforeEach
    void setUp() throws IOException {
        users = HtpasswdFile.load(Files.writeString(dir.resolve("htpasswd"),
                HtpasswdFileTest.ALICE + "\n" + HtpasswdFileTest.BOB + "\n"));
    }

    private BasicAuthController controller(AccessRules rules) {
        return new BasicAuthController(users, "Registry \"Realm\"", rules, new LoginThrottle());
    }

    private final AccessRules publicPull = AccessRules.from(List.of(
            new AccessRuleConfig(List.of("public/**"), List.of("anonymous", "*"), List.of("pull")),
            new AccessRuleConfig(List.of("**"), List.of("alice"), List.of("*"))));

    @Test
    void rightCredentialsGiveTheUser() throws AccessDeniedException {
        Principal principal = controller(AccessRules.NONE).authorize(ALICE, List.of(Access.push("any")));

        assertEquals(new Principal("alice"), principal);
    }

    @Test
    void baseCheckWithoutCredentialsIsA401SoDockerLoginWorks() {
        AccessDeniedException e = assertThrows(AccessDeniedException.class,
                () -> controller(publicPull).authorize((String) null, List.of()));

        assertEquals(CHALLENGE, e.challenge());
        assertEquals(401, e.status());
        assertEquals("UNAUTHORIZED", e.errorCode());
    }

    @Test
    void baseCheckWithCredentialsSucceeds() throws AccessDeniedException {
        assertEquals(new Principal("bob"), controller(publicPull).authorize(BOB, List.of()));
    }

    @Test
    void wrongPasswordIsA401WithTheChallenge() {
        String wrong = new BasicCredentials("alice", "guess".toCharArray()).header();

        AccessDeniedException e = assertThrows(AccessDeniedException.class,
                () -> controller(AccessRules.NONE).authorize(wrong, List.of(Access.pull("a"))));

        assertEquals(CHALLENGE, e.challenge());
        assertFalse(e.getMessage().contains("guess"));
    }

    @Test
    void bearerOrMalformedHeadersAreA401() {
        for (String header : List.of("Bearer abc.def.ghi", "Basic !!!", "Basic")) {
            AccessDeniedException e = assertThrows(AccessDeniedException.class,
                    () -> controller(AccessRules.NONE).authorize(header, List.of(Access.pull("a"))));
            assertEquals(CHALLENGE, e.challenge(), header);
        }
    }

    @Test
    void anonymousMayDoWhatTheRulesGrantAnonymous() throws AccessDeniedException {
        assertEquals(Principal.ANONYMOUS, controller(publicPull).authorize((String) null,
                List.of(Access.pull("public/app"))));
    }

    @Test
    void anonymousIsAskedToLogInForMore() {
        AccessDeniedException e = assertThrows(AccessDeniedException.class,
                () -> controller(publicPull).authorize((String) null, List.of(Access.push("public/app"))));

        assertEquals(CHALLENGE, e.challenge());
        assertEquals(List.of(Access.push("public/app")), e.required());
    }

    @Test
    void withoutRulesAnonymousMayDoNothing() {
        assertThrows(AccessDeniedException.class,
                () -> controller(AccessRules.NONE).authorize((String) null, List.of(Access.pull("a"))));
    }

    @Test
    void authenticatedUserWithoutTheRightIsA403() {
        AccessDeniedException e = assertThrows(AccessDeniedException.class,
                () -> controller(publicPull).authorize(BOB, List.of(Access.pull("public/app"), Access.push("public/app"))));

        assertNull(e.challenge());
        assertEquals(403, e.status());
        assertEquals("DENIED", e.errorCode());
    }

    @Test
    void catalogNeedsAUserAndIsFilteredByPullRights() throws AccessDeniedException {
        BasicAuthController controller = controller(publicPull);

        assertThrows(AccessDeniedException.class, () -> controller.authorize((String) null, List.of(Access.catalog())));
        Principal bob = controller.authorize(BOB, List.of(Access.catalog()));
        assertTrue(controller.mayPull(bob, "public/app"));
        assertFalse(controller.mayPull(bob, "private/app"));
        assertTrue(controller.mayPull(new Principal("alice"), "private/app"));
    }

    @Test
    void fiveFailedLoginsFromOneAddressBlockItEvenForTheRightPassword() throws AccessDeniedException {
        BasicAuthController controller = controller(AccessRules.NONE);
        String wrong = new BasicCredentials("alice", "guess".toCharArray()).header();
        for (int i = 0; i < LoginThrottle.MAX_FAILURES; i++) {
            assertThrows(AccessDeniedException.class,
                    () -> controller.authorize(new AuthRequest(wrong, "192.0.2.7"), List.of()));
        }

        TooManyAttemptsException e = assertThrows(TooManyAttemptsException.class,
                () -> controller.authorize(new AuthRequest(ALICE, "192.0.2.7"), List.of(Access.pull("a"))));
        assertTrue(e.retryAfterSeconds() > 0 && e.retryAfterSeconds() <= 60);
        assertEquals(new Principal("alice"), controller.authorize(new AuthRequest(ALICE, "192.0.2.8"), List.of()),
                "other addresses are not blocked");
    }

    @Test
    void requestsWithoutCredentialsAreNotBlocked() throws AccessDeniedException {
        BasicAuthController controller = controller(publicPull);
        String wrong = new BasicCredentials("alice", "guess".toCharArray()).header();
        for (int i = 0; i < LoginThrottle.MAX_FAILURES; i++) {
            assertThrows(AccessDeniedException.class,
                    () -> controller.authorize(new AuthRequest(wrong, "192.0.2.7"), List.of()));
        }

        assertEquals(Principal.ANONYMOUS, controller.authorize(new AuthRequest(null, "192.0.2.7"),
                List.of(Access.pull("public/app"))));
    }

    @Test
    void emptyBasicCredentialsAreAnonymousAndNeverCountAsFailedLogins() throws AccessDeniedException {
        BasicAuthController controller = controller(publicPull);
        for (String empty : List.of("Basic Og==", "basic  Og==", "BASIC Og")) {
            for (int i = 0; i < LoginThrottle.MAX_FAILURES + 2; i++) {
                assertEquals(Principal.ANONYMOUS, controller.authorize(new AuthRequest(empty, "192.0.2.9"),
                        List.of(Access.pull("public/app"))), empty);
            }
            AccessDeniedException push = assertThrows(AccessDeniedException.class,
                    () -> controller.authorize(new AuthRequest(empty, "192.0.2.9"), List.of(Access.push("public/app"))));
            assertEquals(401, push.status());
            assertEquals(CHALLENGE, push.challenge());
            AccessDeniedException base = assertThrows(AccessDeniedException.class,
                    () -> controller.authorize(new AuthRequest(empty, "192.0.2.9"), List.of()));
            assertEquals(CHALLENGE, base.challenge(), "GET /v2/ still asks for a login, as without a header");
        }
        assertEquals(new Principal("alice"), controller.authorize(new AuthRequest(ALICE, "192.0.2.9"), List.of()),
                "empty credentials did not count towards the failed-login limit");
    }

    @Test
    void authRequestNeverShowsTheHeader() {
        assertFalse(new AuthRequest(ALICE, "1.2.3.4").toString().contains(ALICE.substring(6)));
    }

    // ---- login tokens ----------------------------------------------------------------------------

    private final java.util.concurrent.atomic.AtomicLong tokenNanos = new java.util.concurrent.atomic.AtomicLong();
    private final MutableClock tokenClock = new MutableClock(java.time.Instant.parse("2026-12-03T19:50:00Z"));

    private LoginTokens loginTokens() throws IOException {
        return new LoginTokens(dir.resolve("tokens.json"), tokenClock, tokenNanos::get);
    }

    private LoginToken.Issued createToken(String user, java.time.Instant expires) throws IOException {
        return LoginTokenFile.create(dir.resolve("tokens.json"), user, "ci", tokenClock.instant(), expires);
    }

    private static String basic(String user, String password) {
        return new BasicCredentials(user, password.toCharArray()).header();
    }

    @Test
    void aLoginTokenLogsInAsItsUserWhateverUserNameIsGiven() throws Exception {
        String token = createToken("bob", null).text();
        BasicAuthController controller = new BasicAuthController(users, loginTokens(), "Registry \"Realm\"",
                publicPull, new LoginThrottle());

        for (String user : List.of("any", "alice", "bob", "x")) {
            assertEquals(new Principal("bob"), controller.authorize(basic(user, token), List.of()), user);
        }
        // with bob's rules, not alice's: bob may pull public/** only
        assertEquals(new Principal("bob"), controller.authorize(basic("alice", token),
                List.of(Access.pull("public/app"))));
        AccessDeniedException denied = assertThrows(AccessDeniedException.class,
                () -> controller.authorize(basic("alice", token), List.of(Access.push("team/app"))));
        assertEquals(403, denied.status());
        // passwords keep working beside tokens
        assertEquals(new Principal("alice"), controller.authorize(ALICE, List.of(Access.push("team/app"))));
    }

    @Test
    void revokedExpiredAndForeignTokensFailLikeAWrongPasswordAndCountAsFailures() throws Exception {
        LoginToken.Issued revoked = createToken("alice", null);
        String expiring = createToken("alice", tokenClock.instant().plusSeconds(60)).text();
        String removedUser = createToken("carol", null).text(); // carol is not in the htpasswd file
        BasicAuthController controller = new BasicAuthController(users, loginTokens(), "Registry \"Realm\"",
                AccessRules.NONE, new LoginThrottle());
        assertEquals(new Principal("alice"), controller.authorize(basic("any", revoked.text()), List.of()));
        assertEquals(new Principal("alice"), controller.authorize(basic("any", expiring), List.of()));

        LoginTokenFile.revoke(dir.resolve("tokens.json"), revoked.token().id());
        tokenNanos.addAndGet(1_000_000_000L);
        tokenClock.advance(java.time.Duration.ofSeconds(60));

        String address = "192.0.2.44";
        for (String token : List.of(revoked.text(), expiring, removedUser)) {
            AccessDeniedException e = assertThrows(AccessDeniedException.class,
                    () -> controller.authorize(new AuthRequest(basic("alice", token), address), List.of()));
            assertEquals(401, e.status());
            assertEquals(CHALLENGE, e.challenge());
            assertEquals("invalid user name or password", e.getMessage());
        }
        assertThrows(AccessDeniedException.class,
                () -> controller.authorize(new AuthRequest(basic("alice", revoked.text()), address), List.of()));
        assertThrows(AccessDeniedException.class,
                () -> controller.authorize(new AuthRequest(basic("alice", expiring), address), List.of()));
        assertThrows(TooManyAttemptsException.class,
                () -> controller.authorize(new AuthRequest(ALICE, address), List.of()),
                "five refused tokens count like five wrong passwords");
    }

    @Test
    void withoutAuthTokensConfiguredATokenIsJustAWrongPassword() throws Exception {
        String token = createToken("alice", null).text();

        assertThrows(AccessDeniedException.class, () -> controller(AccessRules.NONE).authorize(basic("alice", token),
                List.of()));
    }
}
