package dev.registry.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RepositoryNameTest {
    /** The distribution-spec grammar, verbatim. */
    private static final Pattern NAME = Pattern.compile(
            "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

    private static boolean specName(String s) {
        return s.length() <= 255 && NAME.matcher(s).matches();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "a", "0", "z9", "library/ubuntu", "a.b", "a_b", "a__b", "a-b", "a--b", "a---b",
            "a/b/c/d/e", "foo.bar_baz__qux-quux", "a1/b2", "a.b.c", "127.0.0.1/foo", "0-0/1_1/2__2/3.3",
            "my-org/my-app", "a/b-c", "ab/cd.ef/gh_ij",
    })
    void validNames(String name) {
        assertTrue(RepositoryName.isValid(name), name);
        assertTrue(specName(name), "test data disagrees with spec regex: " + name);
        assertSame(name, RepositoryName.validate(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", ".", "..", "a/..", "../a", "a/../b", "a/./b", "./a", "a//b", "a/", "/a", "/",
            "A", "Abc", "aBc", "library/Ubuntu",
            "a___b", "a_-b", "a-_b", "a.-b", "a-.b", "a..b", "a._b", "a_.b",
            "-a", "a-", "_a", "a_", ".a", "a.", "__a", "a__",
            "a b", " a", "a ", "a\tb", "a:b", "a@b", "a+b", "a\\b", "a\u0000b", "a\nb",
            "%2e", "%2e%2e", "a%2eb", "a%2fb", "é", "ａ", "a/b/", "a/-b", "a/b-", "a/_b",
    })
    void invalidNames(String name) {
        assertFalse(RepositoryName.isValid(name), name);
        assertFalse(specName(name), "test data disagrees with spec regex: " + name);
        RegistryException e = TestSupport.assertRegistryError(ErrorCode.NAME_INVALID, () -> RepositoryName.validate(name));
        assertEquals(400, e.status());
    }

    @Test
    void nullNameIsInvalid() {
        assertFalse(RepositoryName.isValid(null));
        TestSupport.assertRegistryError(ErrorCode.NAME_INVALID, () -> RepositoryName.validate(null));
    }

    @Test
    void lengthLimitIs255() {
        String max = "a".repeat(255);
        assertTrue(RepositoryName.isValid(max));
        assertFalse(RepositoryName.isValid("a".repeat(256)));
        String path = ("ab/".repeat(85)); // 255 chars, ends with '/'
        assertFalse(RepositoryName.isValid(path));
        String path255 = "ab/".repeat(84) + "abc"; // 252 + 3
        assertEquals(255, path255.length());
        assertTrue(RepositoryName.isValid(path255));
        assertFalse(RepositoryName.isValid(path255 + "d"));
        assertFalse(RepositoryName.isValid("a".repeat(100_000)));
    }

    @Test
    void validateAbbreviatesHugeNamesInDetail() {
        String huge = "A".repeat(5000);
        RegistryException e = TestSupport.assertRegistryError(ErrorCode.NAME_INVALID, () -> RepositoryName.validate(huge));
        Map<?, ?> detail = (Map<?, ?>) e.detail();
        assertTrue(((String) detail.get("name")).length() < 400);
    }

    @Test
    void hostileSeparatorRunsAreFast() {
        // a regex engine with backtracking would struggle on these; the hand-written matcher must not
        String hostile = "a" + "-".repeat(250) + "!";
        long start = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            assertFalse(RepositoryName.isValid(hostile));
        }
        assertTrue(System.nanoTime() - start < 5_000_000_000L);
    }

    @Test
    void crossCheckNamesAgainstSpecRegex() {
        Random random = new Random(20240601);
        char[] alphabet = {'a', 'b', '0', '.', '_', '-', '/', 'A', '%'};
        char[] dense = {'a', '.', '_', '-', '/'};
        int valid = 0;
        for (int i = 0; i < 20_000; i++) {
            char[] alpha = i % 2 == 0 ? alphabet : dense;
            int length = random.nextInt(12);
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < length; j++) {
                sb.append(alpha[random.nextInt(alpha.length)]);
            }
            String s = sb.toString();
            boolean expected = specName(s);
            if (expected) {
                valid++;
            }
            assertEquals(expected, RepositoryName.isValid(s), () -> "disagreement on \"" + s + "\"");
        }
        assertTrue(valid > 500, "too few valid samples to be meaningful: " + valid);
    }

    @Test
    void crossCheckLongNamesAgainstSpecRegex() {
        Random random = new Random(7);
        char[] alphabet = {'a', '1', '.', '_', '-', '/'};
        for (int i = 0; i < 2_000; i++) {
            int length = 250 + random.nextInt(10);
            StringBuilder sb = new StringBuilder();
            while (sb.length() < length) {
                // mostly letters so that a good share of samples is valid
                sb.append(random.nextInt(4) == 0 ? alphabet[random.nextInt(alphabet.length)] : 'a');
            }
            String s = sb.toString();
            assertEquals(specName(s), RepositoryName.isValid(s), () -> "disagreement on \"" + s + "\"");
        }
    }

    // ---------------------------------------------------------------- tags

    @ParameterizedTest
    @ValueSource(strings = {
            "latest", "v1.0.0", "_", "_a", "A", "1", "a-b", "a.b", "a..b", "a--", "v1.", "Z_z.9-",
            "sha256_abc", "__", "x.", "0.0.0-rc1",
    })
    void validTags(String tag) {
        assertTrue(RepositoryName.isValidTag(tag), tag);
        assertTrue(TAG.matcher(tag).matches(), "test data disagrees with spec regex: " + tag);
        assertSame(tag, RepositoryName.validateTag(tag));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", ".", "..", ".a", "-a", "a/b", "a:b", "a+b", "a@b", "a b", "é", "%2e", "a\\b", "a\u0000",
            "sha256:abc", "/", "a/", " ",
    })
    void invalidTags(String tag) {
        assertFalse(RepositoryName.isValidTag(tag), tag);
        assertFalse(TAG.matcher(tag).matches(), "test data disagrees with spec regex: " + tag);
        RegistryException e = TestSupport.assertRegistryError(ErrorCode.TAG_INVALID, () -> RepositoryName.validateTag(tag));
        assertEquals(400, e.status());
    }

    @Test
    void tagLengthLimitIs128() {
        assertTrue(RepositoryName.isValidTag("a".repeat(128)));
        assertTrue(RepositoryName.isValidTag("_" + "-".repeat(127)));
        assertFalse(RepositoryName.isValidTag("a".repeat(129)));
        TestSupport.assertRegistryError(ErrorCode.TAG_INVALID, () -> RepositoryName.validateTag("a".repeat(10_000)));
    }

    @Test
    void nullTagIsInvalid() {
        assertFalse(RepositoryName.isValidTag(null));
    }

    /** validate(null) gives NAME_INVALID; validateTag(null) should likewise give TAG_INVALID, not an NPE. */
    @Test
    void validateNullTagIsTagInvalid() {
        TestSupport.assertRegistryError(ErrorCode.TAG_INVALID, () -> RepositoryName.validateTag(null));
    }

    @Test
    void crossCheckTagsAgainstSpecRegex() {
        Random random = new Random(99);
        char[] alphabet = {'a', 'Z', '0', '.', '_', '-', ':', '/'};
        int valid = 0;
        for (int i = 0; i < 20_000; i++) {
            int length = random.nextInt(i % 100 == 0 ? 140 : 8);
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < length; j++) {
                sb.append(alphabet[random.nextInt(i % 100 == 0 ? 6 : alphabet.length)]);
            }
            String s = sb.toString();
            boolean expected = TAG.matcher(s).matches();
            if (expected) {
                valid++;
            }
            assertEquals(expected, RepositoryName.isValidTag(s), () -> "disagreement on \"" + s + "\"");
        }
        assertTrue(valid > 500, "too few valid samples: " + valid);
    }
}
