package dev.registry.auth;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Optional;

/**
 * The JWS signature algorithms accepted in tokens: RSA PKCS#1 v1.5, RSA-PSS, ECDSA and EdDSA.
 * {@code none} and the HMAC algorithms are deliberately absent: a registry only holds public keys,
 * and accepting them would let anyone forge tokens.
 */
enum JwsAlgorithm {
    RS256("SHA256withRSA", null, 0),
    RS384("SHA384withRSA", null, 0),
    RS512("SHA512withRSA", null, 0),
    PS256("RSASSA-PSS", new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1), 0),
    PS384("RSASSA-PSS", new PSSParameterSpec("SHA-384", "MGF1", MGF1ParameterSpec.SHA384, 48, 1), 0),
    PS512("RSASSA-PSS", new PSSParameterSpec("SHA-512", "MGF1", MGF1ParameterSpec.SHA512, 64, 1), 0),
    // JWS carries ECDSA signatures as R || S (IEEE P1363), not DER.
    ES256("SHA256withECDSAinP1363Format", null, 256),
    ES384("SHA384withECDSAinP1363Format", null, 384),
    ES512("SHA512withECDSAinP1363Format", null, 521),
    EdDSA("EdDSA", null, 0);

    /** Weaker RSA keys are refused. */
    static final int MINIMUM_RSA_BITS = 2048;

    private final String jcaName;
    private final AlgorithmParameterSpec parameters;
    private final int curveBits;

    JwsAlgorithm(String jcaName, AlgorithmParameterSpec parameters, int curveBits) {
        this.jcaName = jcaName;
        this.parameters = parameters;
        this.curveBits = curveBits;
    }

    /** The algorithm named by a JWS {@code alg} header, if it is one we accept. */
    static Optional<JwsAlgorithm> named(String alg) {
        for (JwsAlgorithm algorithm : values()) {
            if (algorithm.name().equals(alg)) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }

    /**
     * Whether {@code key} is of the kind this algorithm uses, so that a token cannot pick an
     * algorithm the key was never meant for.
     */
    boolean fits(Key key) {
        return switch (this) {
            case RS256, RS384, RS512, PS256, PS384, PS512 -> key instanceof RSAKey rsa
                    && rsa.getModulus().bitLength() >= MINIMUM_RSA_BITS;
            case ES256, ES384, ES512 -> key instanceof ECKey ec
                    && ec.getParams().getCurve().getField().getFieldSize() == curveBits;
            case EdDSA -> key.getAlgorithm().equals("EdDSA") || key.getAlgorithm().equals("Ed25519")
                    || key.getAlgorithm().equals("Ed448");
        };
    }

    boolean verify(PublicKey key, byte[] signingInput, byte[] signature) {
        if (!fits(key)) {
            return false;
        }
        try {
            Signature verifier = Signature.getInstance(jcaName);
            if (parameters != null) {
                verifier.setParameter(parameters);
            }
            verifier.initVerify(key);
            verifier.update(signingInput);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false; // a signature of the wrong length or encoding is simply not valid
        }
    }

    byte[] sign(PrivateKey key, byte[] signingInput) throws GeneralSecurityException {
        Signature signer = Signature.getInstance(jcaName);
        if (parameters != null) {
            signer.setParameter(parameters);
        }
        signer.initSign(key);
        signer.update(signingInput);
        return signer.sign();
    }
}
