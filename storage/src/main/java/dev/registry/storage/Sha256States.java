package dev.registry.storage;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Running SHA-256 digests whose state can be saved to storage between an upload's chunks and
 * resumed on another replica, without reading back the bytes already stored.
 *
 * <p>The saved state is Go's {@code crypto/sha256} {@code MarshalBinary} form, which is what
 * {@code registry:2} keeps under {@code _uploads/<id>/hashstates/sha256/<offset>}, so either
 * server can resume the other's uploads: {@code "sha\x03"}, the eight state words (big-endian),
 * the 64-byte block buffer (its unprocessed bytes, then zeros) and the total length (big-endian
 * 64 bits), 108 bytes in all.
 *
 * <p>Hashing runs at the JDK's intrinsic speed (SHA-NI where the CPU has it): the digest is the
 * JDK's own, and its state is read and written through the fields of {@code sun.security.provider}.
 * That needs {@code --add-opens java.base/java.security=ALL-UNNAMED --add-opens
 * java.base/sun.security.provider=ALL-UNNAMED} (the server's jar manifest declares both). Without
 * them, or if a JDK changes those fields (checked once at start against a known answer), the
 * digests are Bouncy Castle's, whose state is public but which hashes several times slower
 * (figures in docs/storage.md).
 */
public final class Sha256States {
    private static final Logger log = LoggerFactory.getLogger(Sha256States.class);
    private static final byte[] MAGIC = {'s', 'h', 'a', 3};
    private static final int BLOCK = 64;
    /** Size of a saved state. */
    public static final int STATE_BYTES = MAGIC.length + 8 * 4 + BLOCK + 8;

    private static final JdkAccess JDK = JdkAccess.open();

    private Sha256States() {
    }

    /** Which implementation digests come from: {@code "jdk"} or {@code "bouncycastle"}. */
    public static String implementation() {
        return JDK != null ? "jdk" : "bouncycastle";
    }

    /** A new SHA-256 digest whose state {@link #save} can read. */
    public static MessageDigest newDigest() {
        return JDK != null ? JDK.newDigest() : new BcSha256(new SHA256Digest());
    }

    /** The digest's state in Go's {@code MarshalBinary} form; the digest is not changed. */
    public static byte[] save(MessageDigest digest) {
        if (digest instanceof BcSha256 bc) {
            return bc.save();
        }
        if (JDK == null) {
            throw new IllegalArgumentException("not a digest from Sha256States.newDigest(): " + digest);
        }
        return JDK.save(digest);
    }

    /**
     * A digest continuing from a saved state.
     *
     * @throws IllegalArgumentException if {@code state} is not a SHA-256 state in Go's form
     */
    public static MessageDigest restore(byte[] state) {
        Parsed parsed = Parsed.of(state);
        return JDK != null ? JDK.restore(parsed) : BcSha256.restore(parsed.h, parsed.block, parsed.length);
    }

    /** A saved state taken apart. */
    private record Parsed(int[] h, byte[] block, long length) {
        static Parsed of(byte[] state) {
            if (state.length != STATE_BYTES || !Arrays.equals(state, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                throw new IllegalArgumentException("not a saved SHA-256 state (" + state.length + " bytes)");
            }
            ByteBuffer in = ByteBuffer.wrap(state, MAGIC.length, state.length - MAGIC.length);
            int[] h = new int[8];
            for (int i = 0; i < 8; i++) {
                h[i] = in.getInt();
            }
            byte[] block = new byte[BLOCK];
            in.get(block);
            long length = in.getLong();
            if (length < 0) {
                throw new IllegalArgumentException("saved SHA-256 state has a negative length");
            }
            return new Parsed(h, block, length);
        }
    }

    /** The bytes hashed so far, as recorded in a saved state. */
    public static long length(byte[] state) {
        return Parsed.of(state).length();
    }

    private static byte[] encode(int[] h, byte[] buffered, int bufferedLength, long length) {
        ByteBuffer out = ByteBuffer.allocate(STATE_BYTES);
        out.put(MAGIC);
        for (int word : h) {
            out.putInt(word);
        }
        out.put(buffered, 0, bufferedLength);
        out.position(out.position() + BLOCK - bufferedLength);
        out.putLong(length);
        return out.array();
    }

    /** Field access to the JDK's SHA-256 ({@code MessageDigest.Delegate} over {@code SHA2.SHA256}). */
    private record JdkAccess(VarHandle spi, VarHandle state, VarHandle buffer, VarHandle bufOfs, VarHandle bytesProcessed) {
        static JdkAccess open() {
            try {
                MessageDigest probe = MessageDigest.getInstance("SHA-256", "SUN");
                Class<?> delegate = probe.getClass();
                while (!delegate.getName().equals("java.security.MessageDigest$Delegate")) {
                    delegate = delegate.getSuperclass();
                }
                Class<?> sha2 = Class.forName("sun.security.provider.SHA2");
                Class<?> digestBase = Class.forName("sun.security.provider.DigestBase");
                MethodHandles.Lookup base = MethodHandles.privateLookupIn(digestBase, MethodHandles.lookup());
                JdkAccess access = new JdkAccess(
                        MethodHandles.privateLookupIn(delegate, MethodHandles.lookup())
                                .findVarHandle(delegate, "digestSpi", java.security.MessageDigestSpi.class),
                        MethodHandles.privateLookupIn(sha2, MethodHandles.lookup()).findVarHandle(sha2, "state", int[].class),
                        base.findVarHandle(digestBase, "buffer", byte[].class),
                        base.findVarHandle(digestBase, "bufOfs", int.class),
                        base.findVarHandle(digestBase, "bytesProcessed", long.class));
                access.selfTest();
                return access;
            } catch (ReflectiveOperationException | RuntimeException | NoSuchAlgorithmException
                     | NoSuchProviderException | AssertionError e) {
                log.info("upload hash states use Bouncy Castle's SHA-256 (slower than the JDK's): the JDK's state is not "
                        + "accessible ({}); run with --add-opens java.base/java.security=ALL-UNNAMED "
                        + "--add-opens java.base/sun.security.provider=ALL-UNNAMED", e.toString());
                return null;
            }
        }

        /** Saves mid-block, restores and finishes; must give the known SHA-256 of the input. */
        private void selfTest() {
            byte[] input = new byte[1000];
            for (int i = 0; i < input.length; i++) {
                input[i] = (byte) (i * 7);
            }
            MessageDigest first = newDigest();
            first.update(input, 0, 333);
            MessageDigest second = restore(Parsed.of(saveState(first)));
            second.update(input, 333, input.length - 333);
            byte[] expected = new SHA256Digest() {
                byte[] of(byte[] data) {
                    update(data, 0, data.length);
                    byte[] out = new byte[32];
                    doFinal(out, 0);
                    return out;
                }
            }.of(input);
            if (!Arrays.equals(expected, second.digest())) {
                throw new AssertionError("restored JDK SHA-256 state gives a wrong digest");
            }
        }

        MessageDigest newDigest() {
            try {
                return MessageDigest.getInstance("SHA-256", "SUN");
            } catch (NoSuchAlgorithmException | NoSuchProviderException e) {
                throw new IllegalStateException(e);
            }
        }

        byte[] save(MessageDigest digest) {
            return saveState(digest);
        }

        private byte[] saveState(MessageDigest digest) {
            Object spi = this.spi.get(digest);
            int[] h = (int[]) state.get(spi);
            byte[] buffered = (byte[]) buffer.get(spi);
            int offset = (int) bufOfs.get(spi);
            long length = (long) bytesProcessed.get(spi);
            return encode(h, buffered, offset, length);
        }

        MessageDigest restore(Parsed saved) {
            MessageDigest digest = newDigest();
            Object spi = this.spi.get(digest);
            System.arraycopy(saved.h, 0, (int[]) state.get(spi), 0, 8);
            System.arraycopy(saved.block, 0, (byte[]) buffer.get(spi), 0, BLOCK);
            bufOfs.set(spi, (int) (saved.length % BLOCK));
            bytesProcessed.set(spi, saved.length);
            return digest;
        }
    }

    /**
     * Bouncy Castle's SHA-256 as a {@link MessageDigest}. Its encoded state (1.79) is: the
     * partial word (4 bytes), the partial word's length (int), the byte count (long), H1..H8,
     * the count of buffered words (int), those words, and a purpose byte.
     */
    static final class BcSha256 extends MessageDigest implements Cloneable {
        private SHA256Digest digest;

        BcSha256(SHA256Digest digest) {
            super("SHA-256");
            this.digest = digest;
        }

        @Override
        protected void engineUpdate(byte input) {
            digest.update(input);
        }

        @Override
        protected void engineUpdate(byte[] input, int offset, int length) {
            digest.update(input, offset, length);
        }

        @Override
        protected byte[] engineDigest() {
            byte[] out = new byte[32];
            digest.doFinal(out, 0);
            return out;
        }

        @Override
        protected int engineGetDigestLength() {
            return 32;
        }

        @Override
        protected void engineReset() {
            digest.reset();
        }

        @Override
        public Object clone() throws CloneNotSupportedException {
            BcSha256 copy = (BcSha256) super.clone();
            copy.digest = new SHA256Digest(digest);
            return copy;
        }

        byte[] save() {
            ByteBuffer encoded = ByteBuffer.wrap(digest.getEncodedState());
            byte[] partialWord = new byte[4];
            encoded.get(partialWord);
            int partialLength = encoded.getInt();
            long length = encoded.getLong();
            int[] h = new int[8];
            for (int i = 0; i < 8; i++) {
                h[i] = encoded.getInt();
            }
            int words = encoded.getInt();
            ByteBuffer block = ByteBuffer.allocate(BLOCK);
            for (int i = 0; i < words; i++) {
                block.putInt(encoded.getInt());
            }
            block.put(partialWord, 0, partialLength);
            if (block.position() != length % BLOCK) {
                throw new IllegalStateException("unexpected Bouncy Castle SHA-256 state: " + HexFormat.of().formatHex(encoded.array()));
            }
            return encode(h, block.array(), block.position(), length);
        }

        static BcSha256 restore(int[] h, byte[] block, long length) {
            int buffered = (int) (length % BLOCK);
            int words = buffered / 4;
            int partialLength = buffered % 4;
            byte[] fresh = new SHA256Digest().getEncodedState();
            ByteBuffer encoded = ByteBuffer.allocate(52 + words * 4 + 1);
            encoded.put(block, words * 4, partialLength);
            encoded.position(4);
            encoded.putInt(partialLength);
            encoded.putLong(length);
            for (int word : h) {
                encoded.putInt(word);
            }
            encoded.putInt(words);
            encoded.put(block, 0, words * 4);
            encoded.put(fresh[fresh.length - 1]);
            return new BcSha256(new SHA256Digest(encoded.array()));
        }
    }
}
