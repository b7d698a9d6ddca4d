package dev.registry.server.tls;

import io.netty.util.NetUtil;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x509.GeneralName;

import java.net.IDN;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The host names a generated server certificate is valid for, as subjectAltName entries: DNS
 * names as {@code dNSName}, IP literals as {@code iPAddress}. Clients match IP URLs only against
 * {@code iPAddress} entries, so putting an IP in a DNS entry would not work.
 */
final class SubjectAltNames {
    /** Hosts used when none are configured: what a registry on this machine is reached by. */
    static final List<String> DEFAULT_HOSTS = List.of("localhost", "127.0.0.1", "::1");

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private final List<GeneralName> names;
    private final Set<String> keys;

    private SubjectAltNames(List<GeneralName> names, Set<String> keys) {
        this.names = List.copyOf(names);
        this.keys = Set.copyOf(keys);
    }

    /**
     * Parses configured hosts; an empty list means {@link #DEFAULT_HOSTS}.
     *
     * @throws IllegalArgumentException naming the first entry that is neither a DNS name nor an IP literal
     */
    static SubjectAltNames parse(List<String> hosts) {
        List<String> given = hosts == null || hosts.isEmpty() ? DEFAULT_HOSTS : hosts;
        List<GeneralName> names = new ArrayList<>();
        Set<String> keys = new LinkedHashSet<>();
        for (String host : given) {
            GeneralName name = toGeneralName(host);
            if (keys.add(key(name))) {
                names.add(name);
            }
        }
        return new SubjectAltNames(names, keys);
    }

    /** The entries, in configured order, without duplicates. */
    List<GeneralName> names() {
        return names;
    }

    /** A short human name for certificate subjects: the first DNS name, else the first IP address. */
    String primaryHost() {
        for (GeneralName name : names) {
            if (name.getTagNo() == GeneralName.dNSName) {
                return name.getName().toString();
            }
        }
        return hosts().get(0);
    }

    /** The entries as people write them, for log messages. */
    List<String> hosts() {
        return names.stream().map(name -> name.getTagNo() == GeneralName.iPAddress
                ? NetUtil.bytesToIpAddress(DEROctetString.getInstance(name.getName()).getOctets())
                : name.getName().toString()).toList();
    }

    /** Whether the certificate lists exactly these names (order and IP spelling do not matter). */
    boolean matchExactly(X509Certificate certificate) {
        return keys.equals(keysOf(certificate));
    }

    private static GeneralName toGeneralName(String host) {
        String trimmed = host == null ? "" : host.trim();
        String literal = trimmed.startsWith("[") && trimmed.endsWith("]") ? trimmed.substring(1, trimmed.length() - 1) : trimmed;
        if (NetUtil.isValidIpV4Address(literal) || NetUtil.isValidIpV6Address(literal)) {
            if (literal.contains("%")) {
                throw new IllegalArgumentException("host '" + host + "' has an IPv6 zone id, which a certificate cannot hold");
            }
            return new GeneralName(GeneralName.iPAddress, new DEROctetString(NetUtil.createByteArrayFromIpAddressString(literal)));
        }
        String dns;
        try {
            dns = IDN.toASCII(trimmed, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("host '" + host + "' is not a valid DNS name (" + e.getMessage() + ")");
        }
        if (dns.endsWith(".")) {
            dns = dns.substring(0, dns.length() - 1);
        }
        if (!isDnsName(dns)) {
            String hint = trimmed.matches(".*:\\d+") ? " (leave out the port)" : "";
            throw new IllegalArgumentException("host '" + host + "' is neither a DNS name nor an IP address" + hint);
        }
        return new GeneralName(GeneralName.dNSName, dns);
    }

    private static boolean isDnsName(String name) {
        if (name.isEmpty() || name.length() > 253) {
            return false;
        }
        String[] labels = name.split("\\.", -1);
        for (int i = 0; i < labels.length; i++) {
            // A wildcard is only meaningful as the whole left-most label.
            if (i == 0 && labels[i].equals("*") && labels.length > 2) {
                continue;
            }
            if (!DNS_LABEL.matcher(labels[i]).matches()) {
                return false;
            }
        }
        return true;
    }

    private static String key(GeneralName name) {
        if (name.getTagNo() == GeneralName.iPAddress) {
            return "ip:" + HexFormat.of().formatHex(DEROctetString.getInstance(name.getName()).getOctets());
        }
        return "dns:" + name.getName().toString().toLowerCase(Locale.ROOT);
    }

    private static Set<String> keysOf(X509Certificate certificate) {
        Set<String> keys = new LinkedHashSet<>();
        Collection<List<?>> entries;
        try {
            entries = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return keys;
        }
        if (entries == null) {
            return keys;
        }
        for (List<?> entry : entries) {
            int type = (Integer) entry.get(0);
            String value = String.valueOf(entry.get(1));
            if (type == GeneralName.dNSName) {
                keys.add("dns:" + value.toLowerCase(Locale.ROOT));
            } else if (type == GeneralName.iPAddress) {
                byte[] address = NetUtil.createByteArrayFromIpAddressString(value);
                keys.add(address == null ? "ip?:" + value : "ip:" + HexFormat.of().formatHex(address));
            } else {
                keys.add("other:" + type + ":" + value);
            }
        }
        return keys;
    }
}
