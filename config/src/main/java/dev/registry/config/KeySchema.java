package dev.registry.config;

import java.util.List;
import java.util.Optional;

/**
 * The key tree of registry:2's {@code config.yml}: what this server reads, and what it recognises
 * but does not implement yet. Environment variables are resolved against it, and keys outside it
 * are reported as unknown.
 */
final class KeySchema {

    /** How a key's value is read. */
    enum Kind {
        /** A mapping of the keys listed as its children. */
        SECTION,
        /** A scalar read by the binder. */
        VALUE,
        /** A mapping of HTTP header name to a list of values. */
        HEADERS,
        /** A registry:2 key, with whatever is under it, that is not implemented yet. */
        UNSUPPORTED,
        /**
         * A value whose environment variable is read as YAML, so that a list or a list of
         * mappings can be given in one variable.
         */
        YAML,
        /**
         * A mapping of free-form names to scalar values: its own variable is read as YAML, and
         * {@code REGISTRY_<KEY>_<NAME>} sets one entry, the name lower-cased, as registry:2 does.
         */
        MAPPING,
        /**
         * A registry:2 key whose presence the binder rejects by name: a storage driver other than
         * {@code filesystem}, or an authentication kind other than {@code htpasswd} and {@code token}.
         */
        REJECTED
    }

    /** One key of the tree. */
    record Key(String name, Kind kind, List<Key> children) {
        Optional<Key> child(String childName) {
            return children.stream().filter(k -> k.name.equals(childName)).findFirst();
        }
    }

    static final Key ROOT = section("",
            value("version"),
            section("log",
                    value("level"),
                    section("accesslog", value("disabled")),
                    value("formatter"),
                    new Key("fields", Kind.MAPPING, List.of()),
                    unsupported("hooks"),
                    unsupported("reportcaller")),
            unsupported("loglevel"),
            section("http",
                    value("addr"),
                    value("host"),
                    value("secret"),
                    value("relativeurls"),
                    value("prefix"),
                    new Key("headers", Kind.HEADERS, List.of()),
                    unsupported("net"),
                    value("draintimeout"),
                    value("headertimeout"),
                    section("tls",
                            value("certificate"),
                            value("key"),
                            value("minimumtls"),
                            section("selfsigned", yaml("hosts"), value("directory")),
                            yaml("clientcas"),
                            yaml("ciphersuites"),
                            unsupported("letsencrypt")),
                    section("debug",
                            value("addr"),
                            section("prometheus", value("enabled"), value("path"))),
                    section("http2", value("disabled")),
                    section("h2c", value("enabled"))),
            section("storage",
                    section("filesystem", value("rootdirectory"), unsupported("maxthreads")),
                    section("s3",
                            value("accesskey"), value("secretkey"), value("sessiontoken"),
                            value("region"), value("regionendpoint"), value("forcepathstyle"),
                            value("bucket"), value("rootdirectory"),
                            value("encrypt"), value("keyid"), value("secure"), value("skipverify"), value("v4auth"),
                            value("chunksize"), value("multipartcopychunksize"),
                            value("multipartcopymaxconcurrency"), value("multipartcopythresholdsize"),
                            value("storageclass"), value("usedualstack"), value("loglevel"),
                            unsupported("useragent"), unsupported("objectacl"), unsupported("accelerate"),
                            unsupported("usefipsendpoint"), unsupported("redirectendpoint")),
                    section("gcs",
                            value("bucket"),
                            value("keyfile"),
                            yaml("credentials"),
                            value("rootdirectory"),
                            value("chunksize"),
                            value("endpoint"),
                            unsupported("useragent"),
                            unsupported("maxconcurrency")),
                    rejected("azure"),
                    section("inmemory"),
                    rejected("swift"),
                    rejected("oss"),
                    section("delete", value("enabled")),
                    section("maintenance",
                            section("uploadpurging",
                                    value("enabled"), value("age"), value("interval"), value("dryrun")),
                            section("readonly", value("enabled")),
                            section("garbagecollect",
                                    value("enabled"), value("interval"), value("graceperiod"), value("deleteuntagged"),
                                    value("cacheexpiry"))),
                    section("redirect", value("disable")),
                    unsupported("cache"),
                    unsupported("tag")),
            section("catalog", value("maxentries")),
            section("auth",
                    section("htpasswd", value("realm"), value("path")),
                    section("token",
                            value("realm"),
                            value("service"),
                            value("issuer"),
                            value("rootcertbundle"),
                            value("jwks"),
                            unsupported("autoredirect"),
                            unsupported("autoredirectpath"),
                            unsupported("signingalgorithms")),
                    section("tokenserver", value("enabled"), value("signingkey"), value("expiration"), value("issuer")),
                    yaml("access"),
                    section("tokens", value("path")),
                    rejected("silly")),
            unsupported("middleware"),
            unsupported("reporting"),
            section("notifications",
                    yaml("endpoints"),
                    section("events", value("includereferences")),
                    section("queue", value("directory"), value("maxevents"))),
            unsupported("redis"),
            section("health",
                    section("storagedriver", value("enabled"), value("interval"), value("threshold")),
                    yaml("file"),
                    yaml("http"),
                    yaml("tcp")),
            section("proxy",
                    value("remoteurl"),
                    value("username"),
                    value("password"),
                    value("passwordfile"),
                    value("ttl"),
                    yaml("remotes"),
                    value("default")),
            unsupported("validation"),
            unsupported("compatibility"),
            unsupported("policy"));

    private KeySchema() {
    }

    private static Key section(String name, Key... children) {
        return new Key(name, Kind.SECTION, List.of(children));
    }

    private static Key value(String name) {
        return new Key(name, Kind.VALUE, List.of());
    }

    private static Key unsupported(String name) {
        return new Key(name, Kind.UNSUPPORTED, List.of());
    }

    private static Key yaml(String name) {
        return new Key(name, Kind.YAML, List.of());
    }

    private static Key rejected(String name) {
        return new Key(name, Kind.REJECTED, List.of());
    }
}
