package dev.registry.e2e.auth;

import dev.registry.e2e.RegistryProcess;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The packaged jar with authentication configured the way these tests need it: an htpasswd file
 * (made with the jar's own {@code htpasswd} command) holding {@link #ADMIN}, {@link #CI_PUSH} and
 * {@link #CLUSTER_PULL}, the access rules of {@link #RULES}, optionally the built-in token server,
 * and optionally self-signed TLS.
 *
 * <p>Plain HTTP registries are started with {@link RegistryProcess#startWithConfig}; TLS ones by
 * this class itself (same command line), because readiness must be polled over HTTPS trusting the
 * generated {@code ca.crt}.
 */
final class AuthRegistry implements AutoCloseable {
    static final String ADMIN = "admin";
    static final String CI_PUSH = "ci-push";
    static final String CLUSTER_PULL = "cluster-pull";
    /** The user names and their passwords. */
    static final Map<String, String> USERS = users();
    static final String REALM = "registry";
    static final String SERVICE = "registry.local";
    static final String ISSUER = "registry-token-issuer";
    static final String BASIC_CHALLENGE = "Basic realm=\"registry\"";

    /**
     * The rules of the brief, with an {@code admin} rule first so the tests can set up content and
     * look at the registry as it is.
     */
    static final String RULES = """
              access:
                - { repositories: ["**"], users: [admin], actions: ["*"] }
                - { repositories: ["ci/**"], users: [ci-push], actions: [pull, push, delete] }
                - { repositories: ["**"], users: [cluster-pull], actions: [pull] }
                - { repositories: ["public/**"], users: [anonymous], actions: [pull] }
            """;

    /** Which authentication the registry runs. */
    enum Mode {
        /** {@code auth.htpasswd} + {@code auth.access}: Basic authentication. */
        HTPASSWD,
        /** htpasswd + {@code auth.token} + {@code auth.tokenserver} + rules: Bearer tokens from {@code /auth/token}. */
        TOKEN
    }

    private final Path dir;
    private final int port;
    private final String host;
    private final boolean tls;
    private final RegistryProcess plain;
    private final Process process;
    private final Path log;

    private AuthRegistry(Path dir, int port, String host, boolean tls, RegistryProcess plain, Process process, Path log) {
        this.dir = dir;
        this.port = port;
        this.host = host;
        this.tls = tls;
        this.plain = plain;
        this.process = process;
        this.log = log;
    }

    private static Map<String, String> users() {
        Map<String, String> users = new LinkedHashMap<>();
        users.put(ADMIN, "admin-Secret-1");
        users.put(CI_PUSH, "ci-push-Secret-2");
        users.put(CLUSTER_PULL, "cluster-pull-Secret-3");
        return java.util.Collections.unmodifiableMap(users);
    }

    static String password(String user) {
        String password = USERS.get(user);
        if (password == null) {
            throw new IllegalArgumentException("no such test user " + user);
        }
        return password;
    }

    /** Starts a registry on 127.0.0.1 in a fresh directory named after {@code name}. */
    static AuthRegistry start(String name, Mode mode, boolean tls) throws Exception {
        return start(name, mode, tls, "127.0.0.1");
    }

    /**
     * Starts a registry listening on {@code bindHost} (an IP address); with TLS its certificate
     * names {@code localhost}, {@code 127.0.0.1} and {@code bindHost}.
     */
    static AuthRegistry start(String name, Mode mode, boolean tls, String bindHost) throws Exception {
        return start(name, mode, tls, bindHost, false);
    }

    /** Starts a plain-HTTP registry on 127.0.0.1 that also accepts the login tokens in {@link #loginTokens()}. */
    static AuthRegistry startWithLoginTokens(String name, Mode mode) throws Exception {
        return start(name, mode, false, "127.0.0.1", true);
    }

    private static AuthRegistry start(String name, Mode mode, boolean tls, String bindHost, boolean loginTokens)
            throws Exception {
        Path dir = RegistryProcess.workDir("auth-" + name);
        Path htpasswd = dir.resolve("htpasswd");
        writeHtpasswd(htpasswd, dir);
        int port = RegistryProcess.freePort();
        String scheme = tls ? "https" : "http";
        StringBuilder config = new StringBuilder();
        config.append("""
                version: 0.1
                log:
                  level: info
                http:
                  addr: %s:%d
                """.formatted(bindHost, port));
        if (tls) {
            List<String> hosts = new ArrayList<>(List.of("localhost", "127.0.0.1"));
            if (!hosts.contains(bindHost)) {
                hosts.add(bindHost);
            }
            config.append("""
                      tls:
                        selfsigned:
                          hosts: [%s]
                          directory: %s
                    """.formatted(String.join(", ", hosts), dir.resolve("tls")));
        }
        config.append("""
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                  maintenance:
                    uploadpurging:
                      enabled: false
                auth:
                  htpasswd:
                    realm: %s
                    path: %s
                """.formatted(dir.resolve("storage"), REALM, htpasswd));
        if (mode == Mode.TOKEN) {
            config.append("""
                      token:
                        realm: %s://%s:%d/auth/token
                        service: %s
                        issuer: %s
                      tokenserver:
                        enabled: true
                        signingkey: %s
                        expiration: 5m
                    """.formatted(scheme, bindHost, port, SERVICE, ISSUER, dir.resolve("token.key")));
        }
        if (loginTokens) {
            config.append("""
                      tokens:
                        path: %s
                    """.formatted(dir.resolve("tokens.json")));
        }
        config.append(RULES);
        Path configFile = dir.resolve("config.yml");
        Files.writeString(configFile, config.toString());
        if (!tls) {
            RegistryProcess process = RegistryProcess.startWithConfig(configFile, port, Map.of());
            return new AuthRegistry(dir, port, bindHost, false, process, null, configFile.resolveSibling("server.log"));
        }
        Path log = configFile.resolveSibling("server.log");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-jar", RegistryProcess.jar().toString(), "serve", configFile.toString());
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        AuthRegistry registry = new AuthRegistry(dir, port, bindHost, true, null, process, log);
        try {
            registry.awaitTlsReady();
        } catch (Exception | Error e) {
            registry.close();
            throw e;
        }
        return registry;
    }

    /**
     * Writes the htpasswd file with the jar's {@code htpasswd FILE USER} command (password on
     * stdin), one JVM per user in parallel, each into its own file, then joined.
     */
    private static void writeHtpasswd(Path htpasswd, Path dir) throws Exception {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Path> parts = new ArrayList<>();
        for (Map.Entry<String, String> user : USERS.entrySet()) {
            Path part = dir.resolve("htpasswd-" + user.getKey());
            parts.add(part);
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    Commands.check(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                                    RegistryProcess.jar().toString(), "htpasswd", part.toString(), user.getKey()),
                            Map.of(), user.getValue() + "\n", Duration.ofSeconds(60));
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("could not write the htpasswd file with the jar");
            failures.forEach(error::addSuppressed);
            throw error;
        }
        StringBuilder all = new StringBuilder();
        for (Path part : parts) {
            String line = Files.readString(part).strip();
            if (!line.matches("[a-z-]+:\\$2y\\$10\\$.{53}")) {
                throw new AssertionError("the jar's htpasswd command wrote an unexpected entry: " + line);
            }
            all.append(line).append('\n');
            Files.delete(part);
        }
        Files.writeString(htpasswd, all.toString());
    }

    /** Adds {@code user} or changes their password in the running registry's htpasswd file, with the jar's command. */
    void setPassword(String user, String password) {
        Commands.check(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                RegistryProcess.jar().toString(), "htpasswd", htpasswd().toString(), user), Map.of(), password + "\n",
                Duration.ofSeconds(60));
    }

    /** Removes {@code user} from the htpasswd file (replacing the file at once, as an administrator would). */
    void removeUser(String user) throws IOException {
        List<String> kept = Files.readAllLines(htpasswd()).stream().filter(line -> !line.startsWith(user + ":")).toList();
        Path temporary = Files.createTempFile(dir, "htpasswd-", ".tmp");
        Files.write(temporary, kept);
        Files.move(temporary, htpasswd(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    Path htpasswd() {
        return dir.resolve("htpasswd");
    }

    /** The login tokens file ({@code auth.tokens.path}) of a registry started {@link #startWithLoginTokens}. */
    Path loginTokens() {
        return dir.resolve("tokens.json");
    }

    /** Runs the jar's {@code token ARGS... --file <loginTokens()>} command. */
    dev.registry.e2e.clients.Cli.Result tokenCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", RegistryProcess.jar().toString(), "token"));
        command.addAll(List.of(args));
        command.addAll(List.of("--file", loginTokens().toString()));
        return Commands.run(command, Map.of(), null, Duration.ofSeconds(60));
    }

    private void awaitTlsReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("registry exited with " + process.exitValue() + ":\n" + output());
            }
            if (Files.exists(caCertificate())) {
                try (HttpClient client = HttpClient.newBuilder().sslContext(sslContext())
                        .connectTimeout(Duration.ofSeconds(2)).build()) {
                    HttpResponse<Void> response = client.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/v2/"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                    if (response.statusCode() == 200 || response.statusCode() == 401) {
                        return;
                    }
                } catch (IOException | java.security.GeneralSecurityException notYet) {
                    last = notYet; // not listening yet, or ca.crt half written
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("registry did not answer " + baseUrl() + "/v2/ over TLS within 30s (last error: "
                + last + "):\n" + output());
    }

    /** An SSL context trusting only the generated {@code ca.crt}. */
    SSLContext sslContext() throws IOException, java.security.GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caCertificate())) {
            int i = 0;
            for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca-" + i++, (X509Certificate) certificate);
            }
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    /** An HTTP client for this registry (trusting its CA when TLS is on), from 127.0.0.1. */
    Http http() throws Exception {
        return new Http(baseUrl(), tls ? sslContext() : null, null);
    }

    /** An HTTP client whose connections come from {@code localAddress} (another 127.x.y.z), for the login limit. */
    Http httpFrom(String localAddress) throws Exception {
        return new Http(baseUrl(), tls ? sslContext() : null, localAddress);
    }

    Path dir() {
        return dir;
    }

    Path storage() {
        return dir.resolve("storage");
    }

    Path caCertificate() {
        return dir.resolve("tls").resolve("ca.crt");
    }

    Path signingKey() {
        return dir.resolve("token.key");
    }

    int port() {
        return port;
    }

    /** {@code HOST:PORT}, as docker and skopeo name the registry. */
    String hostPort() {
        return host + ":" + port;
    }

    String baseUrl() {
        return (tls ? "https://" : "http://") + hostPort();
    }

    /** The token realm the registry announces. */
    String tokenRealm() {
        return baseUrl() + "/auth/token";
    }

    /** Everything the server printed so far. */
    String output() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(could not read " + log + ": " + e + ")";
        }
    }

    /** Runs {@code body}; if it fails, the tail of the server log is attached to the failure. */
    void withLog(Body body) throws Exception {
        try {
            body.run();
        } catch (Throwable failure) {
            String text = output();
            int max = 6_000;
            failure.addSuppressed(new AssertionError("server log " + log + " (last " + max + " chars):\n"
                    + (text.length() > max ? text.substring(text.length() - max) : text)));
            throw failure;
        }
    }

    /** Test code that may throw anything. */
    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    @Override
    public void close() throws InterruptedException {
        if (plain != null) {
            plain.close();
            return;
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return "registry at " + baseUrl() + " (" + dir + ")";
    }
}
