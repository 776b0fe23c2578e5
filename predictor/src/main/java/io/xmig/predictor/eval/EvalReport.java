package io.xmig.predictor.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Prints a {@link ForecastEvaluation} as text tables and as the Markdown section of docs/FORECAST.md between the
 * markers {@value #BEGIN} and {@value #END} (the rest of the page is hand-written and left alone).
 */
public final class EvalReport {
    public static final String BEGIN = "<!-- forecast-eval:begin (written by xmig forecast-eval; do not edit by hand) -->";
    public static final String END = "<!-- forecast-eval:end -->";
    /** The families the goal is about: the LSTM's WAPE ≥ 25 % below EWMA's. */
    public static final List<String> GOAL_FAMILIES = List.of("phased", "bursty");
    public static final double GOAL = 0.25;

    private final ForecastEvaluation ev;

    public EvalReport(ForecastEvaluation ev) {
        this.ev = ev;
    }

    private String horizonLabel(int j) {
        double s = ev.horizons()[j] * ev.intervalMillis() / 1000.0;
        return s == Math.rint(s) ? String.format(Locale.ROOT, "%.0f s", s) : String.format(Locale.ROOT, "%.2f s", s);
    }

    private static String pct(double x) {
        return Double.isNaN(x) ? "n/a" : String.format(Locale.ROOT, "%.1f %%", 100 * x);
    }

    private static String num(double x) {
        if (Double.isNaN(x)) return "n/a";
        if (Math.abs(x) >= 100) return String.format(Locale.ROOT, "%.0f", x);
        if (Math.abs(x) >= 1) return String.format(Locale.ROOT, "%.2f", x);
        return String.format(Locale.ROOT, "%.4f", x);
    }

    /** Plain text for the terminal: WAPE per family, then MAE / RMSE / WAPE of all traces pooled. */
    public String text() {
        StringBuilder b = new StringBuilder();
        int[] hs = ev.horizons();
        for (Series s : Series.values()) {
            b.append(String.format(Locale.ROOT, "%nWAPE of %s by family and horizon%n", s.label()));
            b.append(String.format(Locale.ROOT, "%-10s %-22s", "family", "model"));
            for (int j = 0; j < hs.length; j++) b.append(String.format(Locale.ROOT, " %8s", horizonLabel(j)));
            b.append('\n');
            for (String fam : ev.families()) {
                for (String m : ev.models()) {
                    b.append(String.format(Locale.ROOT, "%-10s %-22s", fam, m));
                    for (int j = 0; j < hs.length; j++) b.append(String.format(Locale.ROOT, " %8s", pct(ev.metrics(m, fam, s, j).wape())));
                    b.append('\n');
                }
            }
            b.append(String.format(Locale.ROOT, "%nMAE / RMSE / WAPE of %s, all held-out traces%n", s.label()));
            for (String m : ev.models()) {
                b.append(String.format(Locale.ROOT, "%-22s", m));
                for (int j = 0; j < hs.length; j++) {
                    Metrics x = ev.metrics(m, ForecastEvaluation.ALL, s, j);
                    b.append(String.format(Locale.ROOT, "  %s: %s / %s / %s", horizonLabel(j), num(x.mae()), num(x.rmse()), pct(x.wape())));
                }
                b.append('\n');
            }
        }
        b.append('\n').append(goalText());
        return b.toString();
    }

    private String lstm() {
        return ev.models().stream().filter(m -> m.startsWith("lstm")).findFirst().orElse(null);
    }

    private String ewma() {
        return ev.models().stream().filter(m -> m.startsWith("ewma")).findFirst().orElse(null);
    }

    /** Mean over horizons of {@code 1 − WAPE(lstm)/WAPE(ewma)} for the dirty rate of a family; NaN if not there. */
    public double improvementOverEwma(String family) {
        String l = lstm(), e = ewma();
        if (l == null || e == null || !ev.families().contains(family)) return Double.NaN;
        double s = 0;
        int n = ev.horizons().length;
        for (int j = 0; j < n; j++) s += 1 - ev.metrics(l, family, Series.DIRTY, j).wape() / ev.metrics(e, family, Series.DIRTY, j).wape();
        return s / n;
    }

    private String goalText() {
        StringBuilder b = new StringBuilder();
        String l = lstm(), e = ewma();
        if (l == null || e == null) return "goal: needs an lstm and an ewma model in the run\n";
        for (String fam : GOAL_FAMILIES) {
            if (!ev.families().contains(fam)) {
                b.append("goal: no ").append(fam).append(" traces in this run\n");
                continue;
            }
            b.append(String.format(Locale.ROOT, "goal (%s): dirty-rate WAPE of %s vs %s per horizon:", fam, l, e));
            for (int j = 0; j < ev.horizons().length; j++) {
                double x = 1 - ev.metrics(l, fam, Series.DIRTY, j).wape() / ev.metrics(e, fam, Series.DIRTY, j).wape();
                b.append(String.format(Locale.ROOT, " %s %+.1f %%", horizonLabel(j), -100 * x));
            }
            double imp = improvementOverEwma(fam);
            b.append(String.format(Locale.ROOT, "; mean %.1f %% lower: %s%n", 100 * imp, imp >= GOAL ? "MET (>= 25 %)" : "NOT MET (< 25 %)"));
        }
        return b.toString();
    }

    /** The generated Markdown section (between the markers). */
    public String markdown(String header, List<String> plots) {
        StringBuilder b = new StringBuilder(BEGIN).append("\n\n").append(header.strip()).append("\n\n");
        int[] hs = ev.horizons();
        for (Series s : Series.values()) {
            b.append("#### WAPE of ").append(s.label()).append(", per family and horizon\n\n| family | model |");
            for (int j = 0; j < hs.length; j++) b.append(' ').append(horizonLabel(j)).append(" |");
            b.append("\n|---|---|").append("---:|".repeat(hs.length)).append('\n');
            for (String fam : ev.families()) {
                for (String m : ev.models()) {
                    b.append("| ").append(fam.equals(ForecastEvaluation.ALL) ? "**all**" : fam).append(" | ").append(m).append(" |");
                    for (int j = 0; j < hs.length; j++) b.append(' ').append(pct(ev.metrics(m, fam, s, j).wape())).append(" |");
                    b.append('\n');
                }
            }
            b.append("\n#### MAE / RMSE / WAPE of ").append(s.label()).append(", all held-out traces pooled\n\n| model |");
            for (int j = 0; j < hs.length; j++) b.append(' ').append(horizonLabel(j)).append(" |");
            b.append("\n|---|").append("---:|".repeat(hs.length)).append('\n');
            for (String m : ev.models()) {
                b.append("| ").append(m).append(" |");
                for (int j = 0; j < hs.length; j++) {
                    Metrics x = ev.metrics(m, ForecastEvaluation.ALL, s, j);
                    b.append(' ').append(num(x.mae())).append(" / ").append(num(x.rmse())).append(" / ").append(pct(x.wape())).append(" |");
                }
                b.append('\n');
            }
            b.append('\n');
        }
        b.append("#### The goal: LSTM WAPE at least 25 % below EWMA on phased and bursty (dirty rate)\n\n```\n")
                .append(goalText()).append("```\n\n");
        for (String p : plots) b.append("![forecast vs actual](").append(p).append(")\n\n");
        return b.append(END).append('\n').toString();
    }

    /** Replaces the generated section of {@code doc} (or appends it), leaving the hand-written text as it is. */
    public static void writeSection(Path doc, String section) {
        try {
            String old = Files.exists(doc) ? Files.readString(doc, StandardCharsets.UTF_8) : "# Forecasting\n\n";
            int a = old.indexOf(BEGIN), z = old.indexOf(END);
            String updated = a >= 0 && z > a ? old.substring(0, a) + section + old.substring(z + END.length()).replaceFirst("^\n", "")
                    : old + (old.endsWith("\n") ? "\n" : "\n\n") + section;
            if (doc.getParent() != null) Files.createDirectories(doc.getParent());
            Files.writeString(doc, updated, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + doc, e);
        }
    }
}
