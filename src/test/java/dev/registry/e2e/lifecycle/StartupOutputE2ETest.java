package dev.registry.e2e.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registry.e2e.RegistryProcess;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A clean start and stop of the packaged jar prints only the registry's own log lines: no JVM
 * warnings (Netty's use of {@code sun.misc.Unsafe} printed four on Java 24 and later, which users
 * read as a defect), nothing on the console that does not come from the registry's logger. Runs on
 * the JDK that runs the tests, which {@code .ci/run} picks (21 or newer).
 */
class StartupOutputE2ETest {
    /** Our console format: an ISO timestamp, the level, the thread in brackets. */
    private static final Pattern OUR_LINE = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z (INFO|WARN|ERROR|DEBUG) +\\[");

    @Test
    void aCleanStartAndStopPrintOnlyTheRegistrysOwnLines() throws Exception {
        RegistryProcess registry = RegistryProcess.start(RegistryProcess.workDir("startup-output").resolve("storage"));
        registry.close();
        List<String> lines = registry.output().lines().filter(line -> !line.isBlank()).toList();
        // "Picked up JAVA_TOOL_OPTIONS: ..." is the machine's doing, not the registry's
        List<String> foreign = lines.stream().filter(line -> !OUR_LINE.matcher(line).find())
                .filter(line -> !line.startsWith("Picked up ")).toList();
        assertEquals(List.of(), foreign, "lines that are not the registry's own log:\n" + registry.output());
        assertTrue(lines.stream().anyMatch(line -> line.contains("registry listening on")), registry.output());
        assertTrue(lines.stream().noneMatch(line -> line.contains(" WARN ") || line.contains(" ERROR ")),
                "a clean start warns about nothing:\n" + registry.output());
    }
}
