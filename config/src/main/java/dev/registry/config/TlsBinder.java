package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** Binds and checks {@code http.tls.*}. */
final class TlsBinder {
    private static final ConfigKey TLS = ConfigKey.ROOT.child("http").child("tls");
    private static final ConfigKey SELF_SIGNED = TLS.child("selfsigned");
    private static final ConfigKey HTTP2 = ConfigKey.ROOT.child("http").child("http2");
    static final List<String> DEFAULT_SELF_SIGNED_HOSTS = List.of("localhost", "127.0.0.1");
    private static final Pattern DNS_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final Pattern IPV6_CHARACTERS = Pattern.compile("[0-9A-Fa-f:.]+");
    /**
     * The names {@code http.tls.ciphersuites} accepts: registry:2 3.x's, which are the IANA names.
     * registry:2 2.8 also took RC4 and the CBC suites with SHA-256 MACs; 3.x and this server do not.
     */
    static final Set<String> KNOWN_CIPHER_SUITES = Set.of(
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "TLS_RSA_WITH_AES_256_CBC_SHA",
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256");

    private TlsBinder() {
    }

    /**
     * @param tls    {@code http.tls}
     * @param http2  {@code http.http2}, registry:2's section whose {@code disabled} turns HTTP/2 off
     */
    static TlsConfig bind(JsonNode tls, JsonNode http2) {
        Values.section(TLS, tls);
        Values.section(HTTP2, http2);
        boolean http2Enabled = !Values.bool(HTTP2.child("disabled"), Values.field(http2, "disabled"), false);
        if (Values.isAbsent(tls)) {
            return TlsConfig.DISABLED;
        }
        List<Path> clientCas = clientCas(TLS.child("clientcas"), Values.field(tls, "clientcas"));
        ConfigKey certificateKey = TLS.child("certificate");
        ConfigKey keyKey = TLS.child("key");
        JsonNode certificateNode = Values.field(tls, "certificate");
        JsonNode keyNode = Values.field(tls, "key");
        Optional<Path> certificate = Values.readableFile(certificateKey, certificateNode, "PEM certificate");
        Optional<Path> key = Values.readableFile(keyKey, keyNode, "PEM private key");
        if (certificate.isPresent() && key.isEmpty()) {
            throw keyKey.problem("is not set although " + certificateKey.path()
                    + " is: give the certificate's private key too, or neither");
        }
        if (key.isPresent() && certificate.isEmpty()) {
            throw certificateKey.problem("is not set although " + keyKey.path()
                    + " is: give the key's certificate too, or neither");
        }
        TlsConfig.SelfSignedConfig selfSigned = selfSigned(Values.field(tls, "selfsigned"));
        if (selfSigned != null && certificate.isPresent()) {
            throw SELF_SIGNED.problem("is set together with " + certificateKey.path()
                    + ": keep either the certificate or the self-signed one");
        }
        if (!clientCas.isEmpty() && certificate.isEmpty() && selfSigned == null) {
            throw TLS.child("clientcas").problem("is set but the port serves plain HTTP: client certificates need TLS, "
                    + "so set " + certificateKey.path() + " and " + keyKey.path() + " (or " + SELF_SIGNED.path()
                    + ") too, or remove it");
        }
        String minimumVersion = minimumVersion(TLS.child("minimumtls"), Values.field(tls, "minimumtls"));
        List<String> cipherSuites = cipherSuites(TLS.child("ciphersuites"), Values.field(tls, "ciphersuites"));
        if (minimumVersion.equals("tls1.2") && !cipherSuites.isEmpty() && TlsConfig.TLS13_CIPHER_SUITES.containsAll(cipherSuites)) {
            throw TLS.child("ciphersuites").problem("names only TLS 1.3 suites, which are always on, and so no suite for "
                    + "TLS 1.2 clients, which could not connect: add one such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "
                    + "or set " + TLS.child("minimumtls").path() + " to tls1.3");
        }
        return new TlsConfig(certificate.orElse(null), key.orElse(null), selfSigned, minimumVersion, clientCas,
                cipherSuites, http2Enabled);
    }

    /**
     * {@code http.tls.ciphersuites}: IANA names, as registry:2 takes them (upper case, each once).
     * Empty when not set, or set to an empty list, which in registry:2 also means the defaults.
     */
    private static List<String> cipherSuites(ConfigKey key, JsonNode node) {
        String fix = "give a list of cipher suite names such as "
                + "'[TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]'";
        List<String> names = new ArrayList<>();
        for (String name : Values.stringList(key, node, fix).orElse(List.of())) {
            if (!KNOWN_CIPHER_SUITES.contains(name)) {
                throw key.problem("holds '" + name + "', which is not a cipher suite this server offers: use "
                        + "registry:2 3.x's names, such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (the RC4 and CBC-SHA256 "
                        + "suites that registry:2 2.8 still took are not offered)");
            }
            if (!names.contains(name)) {
                names.add(name);
            }
        }
        return List.copyOf(names);
    }

    /**
     * {@code http.tls.clientcas}: a list of PEM files (a single file without a list is accepted too),
     * each of which must be readable now; their content is checked when the server builds its TLS
     * context. Empty when not set.
     */
    private static List<Path> clientCas(ConfigKey key, JsonNode node) {
        String fix = "give a list of PEM CA certificate files, such as '[/etc/registry/client-ca.pem]'";
        Optional<List<String>> files = Values.stringList(key, node, fix);
        List<Path> paths = new ArrayList<>();
        // An empty list asks for no client certificates, as in registry:2.
        for (String file : files.orElse(List.of())) {
            Path path = Values.readableFile(key, TextNode.valueOf(file),
                    "PEM CA certificate").orElseThrow(() -> key.invalid(node, fix));
            if (!paths.contains(path)) {
                paths.add(path);
            }
        }
        return List.copyOf(paths);
    }

    private static String minimumVersion(ConfigKey key, JsonNode node) {
        Optional<String> text = Values.text(key, node);
        if (text.isEmpty()) {
            return TlsConfig.DISABLED.minimumVersion();
        }
        return switch (text.get().toLowerCase(Locale.ROOT)) {
            case "tls1.2" -> "tls1.2";
            case "tls1.3" -> "tls1.3";
            case "tls1.0", "tls1.1" -> throw key.invalid(node, "TLS versions before 1.2 are not supported, so give "
                    + "tls1.2 or tls1.3");
            default -> throw key.invalid(node, "give tls1.2 or tls1.3");
        };
    }

    private static TlsConfig.SelfSignedConfig selfSigned(JsonNode selfSigned) {
        Values.section(SELF_SIGNED, selfSigned);
        if (selfSigned == null || selfSigned.isMissingNode()) {
            return null;
        }
        // "selfsigned:" with nothing under it still asks for a self-signed certificate.
        ConfigKey directoryKey = SELF_SIGNED.child("directory");
        Path directory = Values.path(directoryKey, Values.field(selfSigned, "directory"),
                "give the directory to keep the generated CA and server certificate in")
                .orElseThrow(() -> directoryKey.problem("is not set: give the directory to keep the generated CA "
                        + "and server certificate in, such as '/var/lib/registry-tls'"));
        ConfigKey hostsKey = SELF_SIGNED.child("hosts");
        JsonNode hostsNode = Values.field(selfSigned, "hosts");
        String fix = "give a list of DNS names and IP addresses, such as '[registry.example, 10.0.0.5]'";
        List<String> hosts = Values.stringList(hostsKey, hostsNode, fix).orElse(DEFAULT_SELF_SIGNED_HOSTS);
        if (hosts.isEmpty()) {
            throw hostsKey.invalid(hostsNode, fix);
        }
        for (String host : hosts) {
            if (!isDnsName(host) && !isIpAddress(host)) {
                throw hostsKey.problem("holds '" + host + "', which is neither a DNS name nor an IP address: " + fix);
            }
        }
        return new TlsConfig.SelfSignedConfig(hosts, directory);
    }

    static boolean isDnsName(String host) {
        String name = host.startsWith("*.") ? host.substring(2) : host;
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty() || name.length() > 253 || IPV4.matcher(name).matches()) {
            return false;
        }
        for (String label : name.split("\\.", -1)) {
            if (!DNS_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        // A name made only of digits and dots is a malformed IPv4 address, not a host name.
        return !name.chars().allMatch(c -> c == '.' || Character.isDigit(c));
    }

    static boolean isIpAddress(String host) {
        if (IPV4.matcher(host).matches()) {
            return true;
        }
        if (!host.contains(":") || !IPV6_CHARACTERS.matcher(host).matches()) {
            return false;
        }
        try {
            // Only a literal reaches here (hex digits, ':' and '.'), which InetAddress parses without a lookup.
            return InetAddress.getByName(host) != null;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
