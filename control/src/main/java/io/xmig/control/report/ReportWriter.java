package io.xmig.control.report;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Writes and reads {@link MigrationReport}s as JSON (docs/REPORT.md): pretty-printed, {@code "name": value} with two
 * spaces of indent, nulls written as {@code null}, timestamps as ISO-8601 strings ({@link Instant#toString()}).
 * Reading ignores fields it does not know, so a reader keeps working when later issues add fields.
 *
 * <p>Static methods over one configured {@link ObjectMapper}, built once and immutable after that: safe from any
 * thread.
 */
public final class ReportWriter {
    private static final ObjectMapper MAPPER;
    private static final ObjectWriter PRETTY;

    static {
        SimpleModule time = new SimpleModule("xmig-report-time");
        time.addSerializer(Instant.class, ToStringSerializer.instance);
        time.addDeserializer(Instant.class, new InstantDeserializer());
        MAPPER = new ObjectMapper()
                // Names are explicit on every component; this only keeps an un-annotated future field snake_case.
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .registerModule(time)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER));
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        printer.indentObjectsWith(indenter);
        printer.indentArraysWith(indenter);
        PRETTY = MAPPER.writer(printer);
    }

    private ReportWriter() {
    }

    /** The report as pretty-printed JSON, without a trailing newline. */
    public static String toJson(MigrationReport report) {
        try {
            return PRETTY.writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the migration report: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Writes the report to {@code file} (UTF-8, trailing newline), replacing it whole: the JSON goes to a temporary
     * file beside it first, so a reader never sees half a report.
     */
    public static void write(Path file, MigrationReport report) {
        String json = toJson(report) + "\n";
        Path abs = file.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, json, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the migration report to " + file, e);
        }
    }

    /** Reads a report written by {@link #toJson}; unknown fields are ignored. */
    public static MigrationReport fromJson(String json) {
        try {
            return MAPPER.readValue(json, MigrationReport.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a migration report: " + e.getOriginalMessage(), e);
        }
    }

    /** Reads a report file. */
    public static MigrationReport read(Path file) {
        try {
            return fromJson(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the migration report " + file, e);
        }
    }

    /** ISO-8601 text to {@link Instant}, without jackson-datatype-jsr310. */
    private static final class InstantDeserializer extends StdScalarDeserializer<Instant> {
        InstantDeserializer() {
            super(Instant.class);
        }

        @Override
        public Instant deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                return (Instant) ctx.handleUnexpectedToken(Instant.class, p);
            }
            try {
                return Instant.parse(p.getText());
            } catch (DateTimeParseException e) {
                return (Instant) ctx.handleWeirdStringValue(Instant.class, p.getText(), "not an ISO-8601 instant");
            }
        }
    }
}
