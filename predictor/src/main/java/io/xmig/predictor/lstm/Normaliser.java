package io.xmig.predictor.lstm;

import java.util.Arrays;

/** Per-column standardisation {@code (x − mean) / std}, fitted once on the training set and saved with the model. */
public record Normaliser(double[] mean, double[] std) {
    private static final double MIN_STD = 1e-6;

    public Normaliser {
        if (mean.length != std.length) throw new IllegalArgumentException("mean and std differ in length");
        mean = mean.clone();
        std = std.clone();
        for (double s : std) if (!(s > 0) || !Double.isFinite(s)) throw new IllegalArgumentException("std must be finite and > 0: " + Arrays.toString(std));
    }

    /** Fits on every row of every block (rows are {@code [column]} arrays). */
    public static Normaliser fit(Iterable<double[]> rows, int columns) {
        double[] sum = new double[columns], sq = new double[columns];
        long n = 0;
        for (double[] r : rows) {
            for (int c = 0; c < columns; c++) {
                sum[c] += r[c];
                sq[c] += r[c] * r[c];
            }
            n++;
        }
        if (n == 0) throw new IllegalArgumentException("cannot fit a normaliser on no data");
        double[] mean = new double[columns], std = new double[columns];
        for (int c = 0; c < columns; c++) {
            mean[c] = sum[c] / n;
            std[c] = Math.max(MIN_STD, Math.sqrt(Math.max(0, sq[c] / n - mean[c] * mean[c])));
        }
        return new Normaliser(mean, std);
    }

    public int columns() {
        return mean.length;
    }

    public double apply(int column, double x) {
        return (x - mean[column]) / std[column];
    }

    public double invert(int column, double z) {
        return z * std[column] + mean[column];
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }
}
