package dev.registry.auth;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The keys trusted to sign tokens, and how a token names the one it was signed with. As in
 * registry:2, the header is looked at in this order:
 *
 * <ol>
 *   <li>{@code x5c}: the leaf certificate's key, if that key is trusted itself (the leaf is in the root
 *       bundle, or it is a JWKS key or this registry's own token key), or if the chain (leaf, then
 *       intermediates) validates up to a root of the bundle at the current time;
 *   <li>{@code kid}: a key of the bundle's certificates, by libtrust key ID or RFC 7638 thumbprint, or
 *       a JWKS key by its {@code kid}.
 * </ol>
 *
 * <p>Root certificates are trust anchors: like RFC 5280 trust anchors, their own validity dates are
 * not checked. Certificates carried in {@code x5c} are checked.
 */
final class TokenKeys {
    private final List<X509Certificate> roots;
    private final Set<TrustAnchor> anchors = new HashSet<>();
    private final Map<String, PublicKey> byKeyId = new LinkedHashMap<>();
    /** The DER encodings of every key trusted directly, whatever it is named by. */
    private final Set<String> directlyTrusted = new HashSet<>();
    private final Clock clock;

    /**
     * @param roots the root certificate bundle (may be empty)
     * @param keys further trusted keys by {@code kid}, such as those of a JWKS file
     */
    TokenKeys(List<X509Certificate> roots, Map<String, PublicKey> keys, Clock clock) {
        this.roots = List.copyOf(roots);
        this.clock = clock;
        for (X509Certificate root : roots) {
            anchors.add(new TrustAnchor(root, null));
            trust(root.getPublicKey());
        }
        byKeyId.putAll(keys);
        keys.values().forEach(key -> directlyTrusted.add(encoded(key)));
    }

    /** Trusts {@code key} under its libtrust key ID and RFC 7638 thumbprint. */
    void trust(PublicKey key) {
        directlyTrusted.add(encoded(key));
        byKeyId.put(KeyIds.libtrust(key), key);
        KeyIds.thumbprint(key).ifPresent(thumbprint -> byKeyId.put(thumbprint, key));
    }

    boolean isEmpty() {
        return byKeyId.isEmpty();
    }

    /** The trusted key that signed a token with this header. */
    PublicKey signingKey(JsonNode header) throws InvalidTokenException {
        JsonNode x5c = header.get("x5c");
        if (x5c != null) {
            return chainKey(x5c);
        }
        JsonNode kid = header.get("kid");
        if (kid != null && kid.isTextual() && !kid.asText().isEmpty()) {
            PublicKey key = byKeyId.get(kid.asText());
            if (key == null) {
                throw new InvalidTokenException("the token is signed by the untrusted key '" + kid.asText() + "'");
            }
            return key;
        }
        throw new InvalidTokenException("the token header names no signing key (neither x5c nor kid)");
    }

    private PublicKey chainKey(JsonNode x5c) throws InvalidTokenException {
        if (!x5c.isArray() || x5c.isEmpty()) {
            throw new InvalidTokenException("the token's x5c header is not a list of certificates");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (JsonNode entry : x5c) {
            try {
                // x5c holds standard base64 DER, not base64url (RFC 7515 section 4.1.6).
                chain.add(PemFiles.certificate(Base64.getDecoder().decode(entry.asText())));
            } catch (IOException | IllegalArgumentException e) {
                throw new InvalidTokenException("the token's x5c header holds something that is not a certificate");
            }
        }
        X509Certificate leaf = chain.get(0);
        Date now = Date.from(clock.instant());
        try {
            leaf.checkValidity(now);
        } catch (CertificateException e) {
            throw new InvalidTokenException("the token's signing certificate is expired or not yet valid");
        }
        // A trusted key signed the token, whatever certificate it came in (a replica's own self-signed one, say).
        if (directlyTrusted.contains(encoded(leaf.getPublicKey()))) {
            return leaf.getPublicKey();
        }
        if (anchors.isEmpty()) {
            throw new InvalidTokenException("the token carries a certificate chain but no root certificates are "
                    + "configured (auth.token.rootcertbundle)");
        }
        try {
            CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(chain);
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false); // there is nowhere to fetch revocation lists from
            parameters.setDate(now);
            CertPathValidator.getInstance("PKIX").validate(path, parameters);
            return leaf.getPublicKey();
        } catch (GeneralSecurityException e) {
            throw new InvalidTokenException("the token's certificate chain does not lead to a trusted root "
                    + "certificate: " + e.getMessage());
        }
    }

    private static String encoded(PublicKey key) {
        return Base64.getEncoder().encodeToString(key.getEncoded());
    }
}
