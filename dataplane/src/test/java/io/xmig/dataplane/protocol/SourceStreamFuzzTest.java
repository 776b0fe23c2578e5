package io.xmig.dataplane.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing (Jazzer) of what a source reads from a connection: {@link FrameDecoder} on the SOURCE
 * side, then every body it may receive decoded as the session code does ({@link DecodingSink}), then the
 * {@link ProtocolErrorHandler}; the outcome is checked by {@link FuzzedConnection}. Without {@code JAZZER_FUZZ} this
 * runs the kept inputs under {@code src/test/resources/io/xmig/dataplane/protocol/SourceStreamFuzzTestInputs/stream/}
 * as regression tests. With {@code -Dxmig.fuzz.minInputs=N} the run fails unless N inputs were fuzzed.
 */
class SourceStreamFuzzTest {
    private static final FuzzedConnection CONNECTION = new FuzzedConnection(FrameDecoder.Side.SOURCE);

    @FuzzTest(maxDuration = "5s")
    void stream(byte[] input) {
        CONNECTION.feed(input);
    }

    @AfterAll
    static void report() {
        CONNECTION.report();
    }
}
