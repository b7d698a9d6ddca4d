package dev.registry.e2e.auth;

import static dev.registry.e2e.auth.AuthRegistry.CI_PUSH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.e2e.clients.Cli;
import dev.registry.e2e.clients.DockerEngine;
import dev.registry.e2e.clients.OciLayoutBuilder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Login tokens (issue 11) end to end: tokens made with the jar's {@code token} command log in
 * skopeo ({@code --creds any:<token>}) and docker ({@code docker login -u any -p <token>}) as the
 * token's user, with that user's access rules, both with htpasswd Basic authentication and through
 * the built-in token server; revocation and expiry take effect on the running registry.
 *
 * <p>The tokens belong to {@code ci-push}, who may pull and push {@code ci/**} only
 * ({@link AuthRegistry#RULES}).
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class LoginTokensE2ETest {
    private static final Duration CLIENT_TIMEOUT = Duration.ofMinutes(2);
    /** The registry looks at the tokens file at most once a second. */
    private static final long RELOAD_MILLIS = 1_500;

    private static String create(AuthRegistry registry, String... options) {
        List<String> args = new ArrayList<>(List.of("create", CI_PUSH));
        args.addAll(List.of(options));
        Cli.Result created = registry.tokenCommand(args.toArray(String[]::new));
        assertTrue(created.ok(), created::describe);
        String token = created.stdout().strip();
        assertTrue(token.matches("regpat_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}"), created::describe);
        return token;
    }

    private static String id(String token) {
        return token.substring("regpat_".length(), "regpat_".length() + 12);
    }

    private static Cli skopeo(Path work, String... args) throws Exception {
        return SkopeoCli.of(work, CLIENT_TIMEOUT, args);
    }

    private static boolean refusedAsUnauthorized(Cli.Result result) {
        String text = result.stderr().toLowerCase(Locale.ROOT);
        return !result.ok() && (text.contains("unauthorized") || text.contains("authentication required")
                || text.contains("invalid_grant") || text.contains("401"));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(AuthRegistry.Mode.class)
    void skopeoLogsInWithATokenUnderAnyUserNameUntilItIsRevokedOrExpires(AuthRegistry.Mode mode) throws Exception {
        Cli.assumeTools("skopeo");
        try (AuthRegistry registry = AuthRegistry.startWithLoginTokens("login-tokens-skopeo-" + mode, mode)) {
            registry.withLog(() -> {
                Path work = registry.dir().resolve("skopeo");
                OciLayoutBuilder layout = new OciLayoutBuilder(work.resolve("layout"));
                OciLayoutBuilder.Image image = layout.image("linux", "amd64", 8 * 1024, 16 * 1024);
                layout.tag(image.manifest(), "v1");
                String source = "oci:" + layout.dir() + ":v1";
                String app = "docker://" + registry.hostPort() + "/ci/app";
                String token = create(registry, "--name", "ci", "--expires", "1d");

                // push and read back, under two user names that are not the token's user
                skopeo(work, "copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", "any:" + token,
                        source, app + ":v1").check();
                byte[] raw = skopeo(work, "inspect", "--raw", "--tls-verify=false", "--creds", "cluster-pull:" + token,
                        app + ":v1").check().stdoutBytes();
                assertArrayEquals(image.manifestBytes(), raw, "the manifest as pushed");
                Path pulled = work.resolve("pulled");
                skopeo(work, "copy", "--src-tls-verify=false", "--src-creds", "any:" + token, app + ":v1",
                        "oci:" + pulled + ":v1").check();
                for (String digest : image.blobDigests()) {
                    assertArrayEquals(OciLayoutBuilder.readBlob(layout.dir(), digest),
                            OciLayoutBuilder.readBlob(pulled, digest), "blob " + digest);
                }

                // ci-push's rules: no push outside ci/**, whatever user name is given
                StorageSnapshot before = StorageSnapshot.of(registry.storage());
                Cli.Result outside = skopeo(work, "copy", "--dest-tls-verify=false", "--dest-creds", "admin:" + token,
                        source, "docker://" + registry.hostPort() + "/other/app:v1").run();
                assertFalse(outside.ok(), () -> "the token is ci-push's, not admin's:\n" + outside.describe());
                before.assertUnchanged("push outside ci/** with ci-push's token");

                Cli.Result list = registry.tokenCommand("list");
                assertTrue(list.ok() && list.stdout().contains(id(token)) && list.stdout().contains(CI_PUSH),
                        list::describe);
                assertFalse(list.stdout().contains(token.substring(20)), "list never shows a token");

                // expiry, without a restart (long enough for the check before it on a loaded machine)
                String shortLived = create(registry, "--expires", "10s");
                long expiresAt = System.currentTimeMillis() + 10_000;
                skopeo(work, "inspect", "--raw", "--tls-verify=false", "--creds", "any:" + shortLived, app + ":v1")
                        .check();
                Thread.sleep(Math.max(0, expiresAt - System.currentTimeMillis()) + 1_000);
                Cli.Result expired = skopeo(work, "inspect", "--raw", "--tls-verify=false", "--creds",
                        "any:" + shortLived, app + ":v1").run();
                assertTrue(refusedAsUnauthorized(expired), () -> "an expired token:\n" + expired.describe());

                // revocation, without a restart
                Cli.Result revoked = registry.tokenCommand("revoke", id(token));
                assertTrue(revoked.ok(), revoked::describe);
                Thread.sleep(RELOAD_MILLIS);
                Cli.Result afterRevoke = skopeo(work, "inspect", "--raw", "--tls-verify=false", "--creds",
                        "any:" + token, app + ":v1").run();
                assertTrue(refusedAsUnauthorized(afterRevoke), () -> "a revoked token:\n" + afterRevoke.describe());

                String log = registry.output();
                assertFalse(log.contains(token.substring(20)) || log.contains(shortLived.substring(20)),
                        "tokens are never logged");
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(AuthRegistry.Mode.class)
    void dockerLoginWithATokenPushesAndPullsUntilItIsRevoked(AuthRegistry.Mode mode) throws Exception {
        try (AuthRegistry registry = AuthRegistry.startWithLoginTokens("login-tokens-docker-" + mode, mode)) {
            Path work = registry.dir().resolve("docker");
            DockerEngine engine = DockerEngine.require(work);
            DockerCli docker = new DockerCli(engine, work.resolve("config"));
            String image = registry.hostPort() + "/ci/token-" + Content.nonce() + ":v1";
            registry.withLog(() -> {
                try {
                    String token = create(registry, "--name", "docker");
                    Cli.Result login = docker.run("login", registry.hostPort(), "-u", "any", "-p", token).run();
                    assertTrue(login.ok() && login.stdout().contains("Login Succeeded"), login::describe);

                    Path rootfs = work.resolve("rootfs.tar");
                    Files.write(rootfs, OciLayoutBuilder.tar(Map.of("etc/token", ("pushed with a login token "
                            + image + "\n").getBytes(StandardCharsets.UTF_8), "data.bin", Content.randomBytes(16 * 1024))));
                    String imageId = docker.run("import", rootfs.toString(), image).check().stdout().trim();
                    docker.run("push", image).check();
                    docker.run("rmi", image).check();
                    docker.run("pull", image).check();
                    assertEquals(imageId, docker.imageId(image), "the image id after push, rmi, pull");

                    assertTrue(registry.tokenCommand("revoke", id(token)).ok());
                    Thread.sleep(RELOAD_MILLIS);
                    docker.run("rmi", image).check();
                    Cli.Result refused = docker.run("pull", image).run();
                    assertTrue(refusedAsUnauthorized(refused), () -> "pull after the token was revoked:\n"
                            + refused.describe());
                    Cli.Result relogin = docker.run("login", registry.hostPort(), "-u", "any", "-p", token).run();
                    assertFalse(relogin.ok(), () -> "login with a revoked token:\n" + relogin.describe());
                } finally {
                    docker.run("rmi", "-f", image).run();
                }
            });
        }
    }
}
