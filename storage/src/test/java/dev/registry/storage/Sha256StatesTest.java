package dev.registry.storage;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class Sha256StatesTest {
    private static final HexFormat HEX = HexFormat.of();

    /** The tests run with the opens the server's manifest declares: the fast JDK digests. */
    @Test
    void usesTheJdkDigestWhenItsStateIsAccessible() {
        assertEquals("jdk", Sha256States.implementation());
    }

    /** Go's crypto/sha256 MarshalBinary of a digest that has taken "abc": no block compressed yet. */
    @Test
    void savedStateIsGosMarshalBinaryForm() throws Exception {
        for (MessageDigest digest : new MessageDigest[] {Sha256States.newDigest(), new Sha256States.BcSha256(new SHA256Digest())}) {
            digest.update("abc".getBytes(StandardCharsets.US_ASCII));
            String expected = "73686103"
                    + "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19"
                    + "616263" + "00".repeat(61)
                    + "0000000000000003";
            assertEquals(expected, HEX.formatHex(save(digest)), digest.getClass().getName());
        }
    }

    @Test
    void jdkAndBouncyCastleStatesAreInterchangeableAtEveryBlockOffset() throws Exception {
        byte[] data = new byte[3 * 64 + 70];
        new Random(5).nextBytes(data);
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(data);
        for (int split = 0; split <= data.length; split++) {
            MessageDigest jdk = Sha256States.newDigest();
            MessageDigest bc = new Sha256States.BcSha256(new SHA256Digest());
            jdk.update(data, 0, split);
            bc.update(data, 0, split);
            byte[] jdkState = save(jdk);
            assertArrayEquals(jdkState, save(bc), "state after " + split + " bytes");
            assertEquals(split, Sha256States.length(jdkState));

            MessageDigest resumed = Sha256States.restore(jdkState);
            resumed.update(data, split, data.length - split);
            assertArrayEquals(expected, resumed.digest(), "JDK resumed at " + split);

            MessageDigest bcResumed = Sha256States.BcSha256.restore(words(jdkState), block(jdkState), split);
            bcResumed.update(data, split, data.length - split);
            assertArrayEquals(expected, bcResumed.digest(), "Bouncy Castle resumed at " + split);
        }
    }

    @Test
    void savingDoesNotDisturbTheDigestAndChainsOfResumesAgree() throws Exception {
        Random random = new Random(9);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        MessageDigest running = Sha256States.newDigest();
        for (int chunk = 0; chunk < 30; chunk++) {
            byte[] piece = new byte[random.nextInt(200_000)];
            random.nextBytes(piece);
            all.write(piece);
            running.update(piece);
            // as an upload moving between replicas: every chunk resumes from the saved state
            running = Sha256States.restore(save(running));
        }
        assertEquals(HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(all.toByteArray())), HEX.formatHex(running.digest()));
    }

    @Test
    void malformedStatesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Sha256States.restore(new byte[108]));
        assertThrows(IllegalArgumentException.class, () -> Sha256States.restore(new byte[5]));
        byte[] sha224 = save(Sha256States.newDigest());
        sha224[3] = 2;
        assertThrows(IllegalArgumentException.class, () -> Sha256States.restore(sha224));
    }

    private static byte[] save(MessageDigest digest) {
        return Sha256States.save(digest);
    }

    private static int[] words(byte[] state) {
        int[] h = new int[8];
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(state, 4, 32);
        for (int i = 0; i < 8; i++) {
            h[i] = in.getInt();
        }
        return h;
    }

    private static byte[] block(byte[] state) {
        return java.util.Arrays.copyOfRange(state, 36, 100);
    }
}
