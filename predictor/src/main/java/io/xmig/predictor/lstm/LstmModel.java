package io.xmig.predictor.lstm;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A trained LSTM forecaster: the DL4J network plus what it needs to be used, the feature list, the sampling interval
 * and horizon it was trained for, and the input and target {@link Normaliser}s fitted on the training set.
 *
 * <p>File format: the zip {@link ModelSerializer} writes (configuration.json, coefficients.bin; no updater state),
 * plus one entry {@value #ENTRY} ({@code java.util.Properties}) with the rest. Loading checks every part and throws
 * {@link ModelFileException} naming the file and what is wrong with it.
 */
public final class LstmModel {
    public static final String ENTRY = "xmig-forecaster.properties";
    static final int FORMAT = 1;

    private final MultiLayerNetwork net;
    private final long intervalMillis;
    private final int horizonSteps;
    private final Normaliser inputs, targets;
    private final Map<String, String> info;

    public LstmModel(MultiLayerNetwork net, long intervalMillis, int horizonSteps, Normaliser inputs, Normaliser targets,
                     Map<String, String> info) {
        if (inputs.columns() != FeatureExtractor.COUNT) throw new IllegalArgumentException("input normaliser has " + inputs.columns() + " columns");
        if (targets.columns() != 2 * horizonSteps) throw new IllegalArgumentException("target normaliser has " + targets.columns() + " columns");
        this.net = net;
        this.intervalMillis = intervalMillis;
        this.horizonSteps = horizonSteps;
        this.inputs = inputs;
        this.targets = targets;
        this.info = Map.copyOf(new LinkedHashMap<>(info));
    }

    public MultiLayerNetwork network() {
        return net;
    }

    public long intervalMillis() {
        return intervalMillis;
    }

    public int horizonSteps() {
        return horizonSteps;
    }

    public Normaliser inputs() {
        return inputs;
    }

    public Normaliser targets() {
        return targets;
    }

    /** Free-form facts about the training run (epochs, hidden units, traces, validation score). */
    public Map<String, String> info() {
        return info;
    }

    public long parameterCount() {
        return net.numParams();
    }

    public void save(Path file) {
        try {
            ByteArrayOutputStream dl4j = new ByteArrayOutputStream();
            ModelSerializer.writeModel(net, dl4j, false);
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
            try (OutputStream os = Files.newOutputStream(tmp); ZipOutputStream zip = new ZipOutputStream(os);
                 ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(dl4j.toByteArray()))) {
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    zip.putNextEntry(new ZipEntry(e.getName()));
                    in.transferTo(zip);
                    zip.closeEntry();
                }
                zip.putNextEntry(new ZipEntry(ENTRY));
                zip.write(properties().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write forecaster model " + file, e);
        }
    }

    public static LstmModel load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelFileException(file, "no such file (train one with: xmig train --traces DIR --out " + file + ")", e);
        } catch (IOException e) {
            throw new ModelFileException(file, "cannot be read: " + e, e);
        }
        return load(file, bytes);
    }

    /** Loads from a stream (a class-path resource); {@code name} stands for the file in messages. */
    public static LstmModel load(Path name, InputStream in) {
        try {
            return load(name, in.readAllBytes());
        } catch (IOException e) {
            throw new ModelFileException(name, "cannot be read: " + e, e);
        }
    }

    private static LstmModel load(Path file, byte[] bytes) {
        if (bytes.length < 4 || bytes[0] != 'P' || bytes[1] != 'K') {
            throw new ModelFileException(file, "not a zip archive (" + bytes.length + " bytes; a model is the zip `xmig train` writes)");
        }
        if (!hasEndOfCentralDirectory(bytes)) {
            throw new ModelFileException(file, "truncated zip archive (" + bytes.length + " bytes, no end-of-central-directory record)");
        }
        String props = null;
        boolean config = false, coefficients = false;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                switch (e.getName()) {
                    case ENTRY -> props = new String(zip.readAllBytes(), StandardCharsets.UTF_8);
                    case "configuration.json" -> config = true;
                    case "coefficients.bin" -> coefficients = true;
                    default -> { }
                }
            }
        } catch (ZipException | java.io.EOFException e) {
            throw new ModelFileException(file, "damaged zip archive (truncated or corrupt: " + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new ModelFileException(file, "cannot be read: " + e, e);
        }
        if (!config || !coefficients) {
            throw new ModelFileException(file, "no DL4J network in the archive (configuration.json/coefficients.bin missing)");
        }
        if (props == null) throw new ModelFileException(file, "no " + ENTRY + " entry: a DL4J model, but not an xmig forecaster");
        Properties p = new Properties();
        try {
            p.load(new StringReader(props));
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelFileException(file, ENTRY + " is not a properties file: " + e.getMessage(), e);
        }
        int format = intProp(file, p, "format");
        if (format != FORMAT) throw new ModelFileException(file, "format " + format + ", this xmig reads format " + FORMAT);
        List<String> features = Arrays.asList(need(file, p, "features").split(","));
        if (!features.equals(FeatureExtractor.NAMES)) {
            throw new ModelFileException(file, "trained on features " + features + ", this xmig computes " + FeatureExtractor.NAMES);
        }
        long interval = intProp(file, p, "interval_ms");
        int horizon = intProp(file, p, "horizon_steps");
        Normaliser in, out;
        try {
            in = new Normaliser(doubles(file, p, "input_mean"), doubles(file, p, "input_std"));
            out = new Normaliser(doubles(file, p, "target_mean"), doubles(file, p, "target_std"));
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file, "bad normaliser: " + e.getMessage(), e);
        }
        if (in.columns() != FeatureExtractor.COUNT || out.columns() != 2 * horizon) {
            throw new ModelFileException(file, "normaliser sizes " + in.columns() + "/" + out.columns() + " do not match "
                    + FeatureExtractor.COUNT + " features and horizon " + horizon);
        }
        MultiLayerNetwork net;
        try {
            net = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes), false);
        } catch (IOException | RuntimeException e) {
            throw new ModelFileException(file, "the DL4J network cannot be restored: " + e, e);
        }
        long nIn = net.layerInputSize(0), nOut = net.layerSize(net.getnLayers() - 1);
        if (nIn != FeatureExtractor.COUNT || nOut != 2L * horizon) {
            throw new ModelFileException(file, "network takes " + nIn + " inputs and gives " + nOut + " outputs; expected "
                    + FeatureExtractor.COUNT + " and " + 2 * horizon);
        }
        Map<String, String> info = new LinkedHashMap<>();
        for (String k : p.stringPropertyNames()) if (k.startsWith("info.")) info.put(k.substring(5), p.getProperty(k));
        return new LstmModel(net, interval, horizon, in, out, info);
    }

    private static boolean hasEndOfCentralDirectory(byte[] b) {
        for (int i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) {
            if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 5 && b[i + 3] == 6) return true;
        }
        return false;
    }

    private String properties() {
        Properties p = new Properties();
        p.setProperty("format", Integer.toString(FORMAT));
        p.setProperty("features", String.join(",", FeatureExtractor.NAMES));
        p.setProperty("interval_ms", Long.toString(intervalMillis));
        p.setProperty("horizon_steps", Integer.toString(horizonSteps));
        p.setProperty("input_mean", join(inputs.mean()));
        p.setProperty("input_std", join(inputs.std()));
        p.setProperty("target_mean", join(targets.mean()));
        p.setProperty("target_std", join(targets.std()));
        info.forEach((k, v) -> p.setProperty("info." + k, v));
        StringWriter w = new StringWriter();
        try {
            p.store(w, "xmig LSTM forecaster (docs/FORECAST.md)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static String join(double[] a) {
        StringBuilder b = new StringBuilder();
        for (double v : a) b.append(b.isEmpty() ? "" : ",").append(v);
        return b.toString();
    }

    private static String need(Path file, Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) throw new ModelFileException(file, ENTRY + " has no '" + key + "'");
        return v;
    }

    private static int intProp(Path file, Properties p, String key) {
        try {
            return Integer.parseInt(need(file, p, key).strip());
        } catch (NumberFormatException e) {
            throw new ModelFileException(file, ENTRY + ": '" + key + "' is not an integer", e);
        }
    }

    private static double[] doubles(Path file, Properties p, String key) {
        try {
            return Arrays.stream(need(file, p, key).split(",")).mapToDouble(s -> Double.parseDouble(s.strip())).toArray();
        } catch (NumberFormatException e) {
            throw new ModelFileException(file, ENTRY + ": '" + key + "' is not a list of numbers", e);
        }
    }
}
