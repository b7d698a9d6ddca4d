package dev.registry.auth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs the tokens of the built-in token server ({@code auth.tokenserver}) with an EC P-256 key
 * (ES256). The key is read from {@code signingkey}, or generated there (PEM, mode 0600) on first
 * start so that tokens stay valid across restarts and replicas sharing the file.
 *
 * <p>A self-signed certificate for the key is made at startup and sent in each token's {@code x5c}
 * header, next to a libtrust {@code kid}, so that other registries can trust the issuer through
 * {@code rootcertbundle} (see {@link #certificatePem()}); this registry trusts the key itself.
 */
public final class TokenIssuer {
    private static final Logger LOG = LoggerFactory.getLogger(TokenIssuer.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String issuer;
    private final PrivateKey privateKey;
    private final PublicKey publicKey;
    private final X509Certificate certificate;
    private final String keyId;
    private final Clock clock;

    private TokenIssuer(String issuer, PrivateKey privateKey, PublicKey publicKey, Clock clock)
            throws GeneralSecurityException {
        this.issuer = issuer;
        this.privateKey = privateKey;
        this.publicKey = publicKey;
        this.clock = clock;
        this.certificate = selfSigned(issuer, privateKey, publicKey, clock.instant());
        this.keyId = KeyIds.libtrust(publicKey);
    }

    /**
     * Loads the signing key from {@code signingKey}, generating it there first if the file does not exist.
     *
     * @throws IOException if the file cannot be read or written, or holds something other than an EC P-256 key
     */
    public static TokenIssuer load(Path signingKey, String issuer, Clock clock) throws IOException {
        if (!Files.exists(signingKey)) {
            generate(signingKey);
        }
        PrivateKey key = PemFiles.privateKey(new StringReader(Files.readString(signingKey, StandardCharsets.US_ASCII)));
        if (!(key instanceof ECPrivateKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
            throw new IOException("the token signing key " + signingKey + " is not an EC P-256 key");
        }
        try {
            return new TokenIssuer(issuer, key, publicKeyOf(ec), clock);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use the token signing key " + signingKey + ": " + e.getMessage(), e);
        }
    }

    private static void generate(Path file) throws IOException {
        KeyPair pair;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            pair = generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("EC P-256 keys are not available", e);
        }
        Path absolute = file.toAbsolutePath();
        // createTempFile makes the file readable by its owner only (0600 on POSIX systems).
        Path temporary = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName(), ".tmp");
        try {
            Files.writeString(temporary, PemFiles.pem("PRIVATE KEY", pair.getPrivate().getEncoded()),
                    StandardCharsets.US_ASCII);
            try {
                // A hard link appears atomically and fails if the file exists, so a replica that created
                // the key meanwhile keeps its key (rename would silently replace it).
                Files.createLink(absolute, temporary);
            } catch (FileAlreadyExistsException e) {
                throw e;
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.move(temporary, absolute); // no hard links here; without REPLACE_EXISTING this still refuses to replace
            }
            LOG.info("generated the token signing key {}", absolute);
        } catch (FileAlreadyExistsException e) {
            LOG.info("the token signing key {} appeared meanwhile; using it", absolute);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** PKCS#8 files of Java-made EC keys omit the public point, so it is computed from the private scalar. */
    private static PublicKey publicKeyOf(ECPrivateKey key) throws GeneralSecurityException {
        X9ECParameters curve = CustomNamedCurves.getByName("secp256r1");
        org.bouncycastle.math.ec.ECPoint q = curve.getG().multiply(key.getS()).normalize();
        ECPoint point = new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, key.getParams()));
    }

    private static X509Certificate selfSigned(String issuer, PrivateKey privateKey, PublicKey publicKey,
            Instant now) throws GeneralSecurityException {
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, issuer).build();
        try {
            X509CertificateHolder holder = new JcaX509v3CertificateBuilder(name, new BigInteger(64, RANDOM).add(
                    BigInteger.ONE), Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(
                    Duration.ofDays(3650))), name, publicKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(privateKey));
            return PemFiles.certificate(holder.getEncoded());
        } catch (OperatorCreationException | IOException e) {
            throw new GeneralSecurityException("cannot make the token signing certificate", e);
        }
    }

    public String issuer() {
        return issuer;
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /** The self-signed certificate of the signing key. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The certificate in PEM, to give other registries as {@code auth.token.rootcertbundle}. */
    public String certificatePem() {
        try {
            return PemFiles.pem("CERTIFICATE", certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode the token signing certificate", e);
        }
    }

    /** The libtrust key ID sent as {@code kid}. */
    public String keyId() {
        return keyId;
    }

    Clock clock() {
        return clock;
    }

    /**
     * Signs {@code claims} as given, adding {@code iss}; the header is {@code alg} ES256, {@code typ}
     * JWT, {@code kid} and {@code x5c}.
     */
    String sign(ObjectNode claims) {
        ObjectNode header = Json.MAPPER.createObjectNode();
        header.put("alg", JwsAlgorithm.ES256.name());
        header.put("typ", "JWT");
        header.put("kid", keyId);
        ArrayNode x5c = header.putArray("x5c");
        try {
            x5c.add(Base64.getEncoder().encodeToString(certificate.getEncoded()));
            ObjectNode signed = claims.deepCopy();
            signed.put("iss", issuer);
            return Jws.sign(header, signed, privateKey, JwsAlgorithm.ES256);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
    }

    /** A random {@code jti}. */
    static String newTokenId() {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    }
}
