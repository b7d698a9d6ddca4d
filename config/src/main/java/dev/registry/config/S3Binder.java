package dev.registry.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Binds and checks {@code storage.s3.*}, registry:2's S3 driver parameters. */
final class S3Binder {
    private static final ConfigKey S3 = ConfigKey.ROOT.child("storage").child("s3");
    private static final long MiB = 1024 * 1024;
    private static final long MIN_PART = 5 * MiB;
    private static final long MAX_PART = 5 * 1024 * MiB;
    /** Each upload in progress holds one part in memory: more than this is a mistake, not a setting. */
    private static final long MAX_CHUNK = 1024 * MiB;
    /** registry:2's storage classes: those that serve reads at once. */
    private static final List<String> STORAGE_CLASSES = List.of("NONE", "STANDARD", "REDUCED_REDUNDANCY",
            "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "OUTPOSTS", "GLACIER_IR", "EXPRESS_ONEZONE");
    /** registry:2's (aws-sdk-go's) log levels. */
    private static final List<String> LOG_LEVELS = List.of("off", "debug", "debugwithsigning", "debugwithhttpbody",
            "debugwithrequestretries", "debugwithrequesterrors", "debugwitheventstreambody");

    private S3Binder() {
    }

    static S3Config bind(JsonNode section) {
        JsonNode s3 = Values.section(S3, section);
        String accessKey = text(s3, "accesskey");
        String secretKey = text(s3, "secretkey");
        String sessionToken = text(s3, "sessiontoken");
        if (accessKey != null && secretKey == null) {
            throw S3.child("secretkey").problem("is missing while accesskey is given: give both, "
                    + "or neither to use the AWS default credential chain");
        }
        if (secretKey != null && accessKey == null) {
            throw S3.child("accesskey").problem("is missing while secretkey is given: give both, "
                    + "or neither to use the AWS default credential chain");
        }
        if (sessionToken != null && accessKey == null) {
            throw S3.child("sessiontoken").problem("is given without accesskey and secretkey: "
                    + "give it with the temporary keys it belongs to, or remove it");
        }
        String region = text(s3, "region");
        if (region == null) {
            throw S3.child("region").problem("is missing: give the bucket's region, such as 'us-east-1' "
                    + "(for an S3-compatible store, the region it expects, often 'us-east-1')");
        }
        String bucket = text(s3, "bucket");
        if (bucket == null) {
            throw S3.child("bucket").problem("is missing: give the name of the bucket to store the registry's data in");
        }
        boolean secure = bool(s3, "secure", true);
        URI endpoint = endpoint(Values.field(s3, "regionendpoint"), secure);
        if (!bool(s3, "v4auth", true)) {
            throw S3.child("v4auth").invalid(Values.field(s3, "v4auth"), "signature version 2 is not supported, "
                    + "as every current S3 store accepts version 4: remove the key or set it to true");
        }
        String rootDirectory = Optional.ofNullable(text(s3, "rootdirectory")).orElse("");
        return new S3Config(accessKey, secretKey, sessionToken, region, endpoint,
                bool(s3, "forcepathstyle", endpoint != null),
                bucket, rootDirectory,
                bool(s3, "encrypt", false),
                text(s3, "keyid"),
                secure,
                bool(s3, "skipverify", false),
                (int) size(s3, "chunksize", 10 * MiB, MIN_PART, MAX_CHUNK,
                        "give a number of bytes from 5242880 (5 MiB, S3's smallest part) to 1073741824 (1 GiB); "
                                + "every upload in progress holds one part of this size in memory"),
                size(s3, "multipartcopychunksize", 32 * MiB, MIN_PART, MAX_PART,
                        "give a number of bytes from 5242880 (5 MiB) to 5368709120 (5 GiB), S3's part sizes"),
                (int) size(s3, "multipartcopymaxconcurrency", 100, 1, 1000,
                        "give a number of parts to copy at once, from 1 to 1000"),
                size(s3, "multipartcopythresholdsize", 32 * MiB, 0, MAX_PART,
                        "give a number of bytes from 0 to 5368709120 (5 GiB, the largest single copy S3 makes)"),
                choice(s3, "storageclass", "STANDARD", STORAGE_CLASSES, true),
                bool(s3, "usedualstack", false),
                choice(s3, "loglevel", "off", LOG_LEVELS, false));
    }

    private static String text(JsonNode s3, String name) {
        return Values.text(S3.child(name), Values.field(s3, name)).orElse(null);
    }

    private static boolean bool(JsonNode s3, String name, boolean defaultValue) {
        return Values.bool(S3.child(name), Values.field(s3, name), defaultValue);
    }

    /** {@code regionendpoint}: a URL, or a host[:port] that gets https (http with {@code secure: false}). */
    private static URI endpoint(JsonNode node, boolean secure) {
        ConfigKey key = S3.child("regionendpoint");
        Optional<String> text = Values.text(key, node);
        if (text.isEmpty()) {
            return null;
        }
        String value = text.get();
        String withScheme = value.contains("://") ? value : (secure ? "https://" : "http://") + value;
        String fix = "give the S3-compatible store's URL, such as 'https://minio.example.com:9000'";
        try {
            URI uri = new URI(withScheme);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
                    || uri.getRawQuery() != null) {
                throw key.invalid(node, fix);
            }
            return new URI(scheme, null, uri.getHost(), uri.getPort(), null, null, null);
        } catch (URISyntaxException e) {
            throw key.invalid(node, fix);
        }
    }

    private static long size(JsonNode s3, String name, long defaultValue, long min, long max, String fix) {
        return Values.wholeNumber(S3.child(name), Values.field(s3, name), defaultValue, min, max, fix);
    }

    private static String choice(JsonNode s3, String name, String defaultValue, List<String> allowed, boolean upperCase) {
        ConfigKey key = S3.child(name);
        JsonNode node = Values.field(s3, name);
        Optional<String> text = Values.text(key, node);
        if (text.isEmpty()) {
            return defaultValue;
        }
        String value = upperCase ? text.get().toUpperCase(Locale.ROOT) : text.get().toLowerCase(Locale.ROOT);
        if (!allowed.contains(value)) {
            throw key.invalid(node, "give one of " + String.join(", ", allowed));
        }
        return value;
    }
}
