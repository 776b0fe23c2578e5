package io.xmig.predictor.lstm;

import io.xmig.predictor.Forecasters;
import io.xmig.predictor.HorizonForecast;
import io.xmig.predictor.Synthetic;
import io.xmig.predictor.baseline.EwmaForecaster;
import io.xmig.predictor.telemetry.TelemetrySample;
import io.xmig.predictor.telemetry.TelemetryTrace;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The first shown test: a model trains (tiny), saves, loads and predicts the same numbers; a bad file falls back. */
@Timeout(120)
class LstmModelTest {
    static final int H = 8;
    static LstmModel model;
    static List<TelemetryTrace> validation;

    @TempDir
    static Path dir;

    @BeforeAll
    static void trainATinyModel() {
        List<TelemetryTrace> train = new ArrayList<>();
        for (long seed = 2; seed <= 7; seed++) train.add(Synthetic.phased(seed, 80, 6 + (int) seed % 3, 3, 200, 20_000));
        validation = List.of(Synthetic.phased(1, 80, 7, 3, 300, 15_000));
        List<String> log = new ArrayList<>();
        model = new LstmTrainer(TrainingConfig.tiny(H), log::add).train(train, validation);
        assertThat(log).anyMatch(l -> l.startsWith("epoch   1"));
    }

    private static List<HorizonForecast> run(LstmForecaster f, TelemetryTrace t) {
        List<HorizonForecast> out = new ArrayList<>();
        for (TelemetrySample s : t.samples()) out.add(f.observe(s));
        return out;
    }

    @Test
    void aSavedModelLoadsAndForecastsTheSameNumbers() {
        Path file = dir.resolve("m.zip");
        model.save(file);
        LstmModel loaded = LstmModel.load(file);
        assertThat(loaded.horizonSteps()).isEqualTo(H);
        assertThat(loaded.intervalMillis()).isEqualTo(250);
        assertThat(loaded.inputs().mean()).containsExactly(model.inputs().mean());
        assertThat(loaded.targets().std()).containsExactly(model.targets().std());
        assertThat(loaded.info()).containsEntry("hidden", "8");
        List<HorizonForecast> a = run(new LstmForecaster(model, "before"), validation.getFirst());
        List<HorizonForecast> b = run(new LstmForecaster(loaded, "after"), validation.getFirst());
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).dirtySeries()).containsExactly(a.get(i).dirtySeries());
            assertThat(b.get(i).cpuSeries()).containsExactly(a.get(i).cpuSeries());
        }
        for (HorizonForecast f : a) {
            assertThat(f.steps()).isEqualTo(H);
            assertThat(Arrays.stream(f.dirtySeries())).allMatch(x -> x >= 0 && Double.isFinite(x));
        }
    }

    @Test
    void onlineInferenceKeepsStateAndResetStartsOver() {
        LstmForecaster f = new LstmForecaster(model, "lstm");
        List<HorizonForecast> first = run(f, validation.getFirst());
        f.reset();
        List<HorizonForecast> again = run(f, validation.getFirst());
        assertThat(again.getLast().dirtySeries()).containsExactly(first.getLast().dirtySeries());
        // the same sample gives a different forecast with a different history: the network has state
        TelemetrySample s = validation.getFirst().samples().get(10);
        f.reset();
        double fresh = f.observe(s).dirty(1);
        assertThat(first.get(10).dirty(1)).isNotEqualTo(fresh);
    }

    @Test
    void aMissingModelIsNamedAndTheFactoryFallsBackToEwma() {
        Path missing = dir.resolve("nope.zip");
        assertThatThrownBy(() -> LstmModel.load(missing)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("no such file");
        Forecasters.Selection sel = Forecasters.fromModelOrEwma(missing.toString(), 250, H);
        assertThat(sel.fellBack()).isTrue();
        assertThat(sel.forecaster()).isInstanceOf(EwmaForecaster.class);
        assertThat(sel.description()).contains("ewma").contains("fallback").contains(missing.toString());
    }

    @Test
    void corruptModelFilesGiveAClearErrorAndTheEwmaFallback() throws Exception {
        Path good = dir.resolve("good.zip");
        model.save(good);
        byte[] bytes = Files.readAllBytes(good);

        Path text = dir.resolve("text.zip");
        Files.writeString(text, "this is not a model");
        Path truncated = dir.resolve("truncated.zip");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        Path flipped = dir.resolve("flipped.zip");
        byte[] f = bytes.clone();
        for (int i = 200; i < f.length / 2; i += 7) f[i] ^= 0x5a;
        Files.write(flipped, f);
        Path foreign = dir.resolve("foreign.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(foreign))) {
            z.putNextEntry(new ZipEntry("configuration.json"));
            z.write("{}".getBytes());
            z.putNextEntry(new ZipEntry("coefficients.bin"));
            z.write(new byte[8]);
        }
        assertThatThrownBy(() -> LstmModel.load(text)).isInstanceOf(ModelFileException.class).hasMessageContaining("text.zip")
                .hasMessageContaining("not a zip archive");
        assertThatThrownBy(() -> LstmModel.load(truncated)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("truncated.zip").hasMessageContaining("truncated zip archive");
        assertThatThrownBy(() -> LstmModel.load(flipped)).isInstanceOf(ModelFileException.class).hasMessageContaining("flipped.zip");
        assertThatThrownBy(() -> LstmModel.load(foreign)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("not an xmig forecaster");
        for (Path p : List.of(text, truncated, flipped, foreign)) {
            Forecasters.Selection sel = Forecasters.fromModelOrEwma(p.toString(), 250, H);
            assertThat(sel.forecaster().name()).startsWith("ewma");
            assertThat(sel.description()).contains(p.getFileName().toString());
        }
        Forecasters.Selection ok = Forecasters.fromModelOrEwma(good.toString(), 250, H);
        assertThat(ok.fellBack()).isFalse();
        assertThat(ok.forecaster().name()).isEqualTo("lstm(good.zip)");
    }

    @Test
    void aModelForAnotherIntervalIsRefused() {
        Path file = dir.resolve("m250.zip");
        model.save(file);
        assertThatThrownBy(() -> Forecasters.lstm(file.toString(), 1000, H)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("250 ms interval");
        assertThat(Forecasters.fromModelOrEwma(file.toString(), 1000, H).fellBack()).isTrue();
    }
}
