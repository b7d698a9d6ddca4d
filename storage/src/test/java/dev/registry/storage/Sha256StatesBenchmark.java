package dev.registry.storage;

import org.bouncycastle.crypto.digests.SHA256Digest;

import java.security.MessageDigest;

/**
 * Hashing speed of the upload digests, a plain main (no JMH): the JDK's SHA-256 whose state
 * {@link Sha256States} reads, Bouncy Castle's (the fallback), and the cost of one save and restore
 * (what each chunk adds). Run from the repository root after {@code ./mvnw -pl storage -am test-compile}:
 * <pre>
 * java --add-opens java.base/java.security=ALL-UNNAMED --add-opens java.base/sun.security.provider=ALL-UNNAMED \
 *   -cp storage/target/classes:storage/target/test-classes:$(ls ~/.m2/repository/org/bouncycastle/bcprov-jdk18on/1.79/*.jar):$(ls ~/.m2/repository/org/slf4j/slf4j-api/2.0.16/*.jar) \
 *   dev.registry.storage.Sha256StatesBenchmark
 * </pre>
 */
public final class Sha256StatesBenchmark {
    private Sha256StatesBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long total = (args.length > 0 ? Long.parseLong(args[0]) : 512) << 20;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        byte[] buffer = new byte[1 << 20];
        new java.util.Random(1).nextBytes(buffer);
        System.out.println("implementation used: " + Sha256States.implementation());
        for (int round = 0; round < rounds; round++) {
            double jdk = rate(Sha256States.newDigest(), buffer, total);
            double bc = rate(new Sha256States.BcSha256(new SHA256Digest()), buffer, total);
            MessageDigest digest = Sha256States.newDigest();
            digest.update(buffer, 0, 1000);
            int saves = 100_000;
            long start = System.nanoTime();
            for (int i = 0; i < saves; i++) {
                digest = Sha256States.restore(Sha256States.save(digest));
            }
            double microsPerSaveRestore = (System.nanoTime() - start) / 1e3 / saves;
            System.out.printf("round %d: JDK %.0f MB/s, Bouncy Castle %.0f MB/s (JDK/BC %.1fx), save+restore %.2f us%n",
                    round, jdk, bc, jdk / bc, microsPerSaveRestore);
        }
    }

    private static double rate(MessageDigest digest, byte[] buffer, long total) {
        long start = System.nanoTime();
        for (long done = 0; done < total; done += buffer.length) {
            digest.update(buffer);
        }
        digest.digest();
        return total / 1e6 / ((System.nanoTime() - start) / 1e9);
    }
}
