package dev.registry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {

    @ParameterizedTest
    @CsvSource({
            "168h, 604800000000000",
            "24h, 86400000000000",
            "1h30m, 5400000000000",
            "10m, 600000000000",
            "30s, 30000000000",
            "500ms, 500000000",
            "250us, 250000",
            "250µs, 250000",
            "250μs, 250000",
            "7ns, 7",
            "0, 0",
            "-0, 0",
            "+5s, 5000000000",
            "-1.5h, -5400000000000",
            "1.5s, 1500000000",
            ".5s, 500000000",
            "5.s, 5000000000",
            "1h0m0s, 3600000000000",
            "2h45m30.5s, 9930500000000",
            "1.0000000009s, 1000000000",
            "2562047h47m16.854775807s, 9223372036854775807",
    })
    void parsesGoDurations(String text, long nanos) {
        assertEquals(Duration.ofNanos(nanos), GoDuration.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-", "5", "5 minutes", "1h 30m", "h", "1x", "1.2.3s", ".s", "1d", "1H",
            "ten seconds", "3000000h", "2562047h47m16.854775808s", "1e3s"})
    void rejectsWhatGoRejects(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GoDuration.parse(text));
        assertEquals(true, e.getMessage().startsWith("'" + text + "' is not a duration"), e.getMessage());
    }
}
