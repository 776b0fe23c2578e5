package io.xmig.bindings;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The Java layouts and constants equal what the C compiler says about the headers: native/abi/xmig-abi.c
 * prints every size, alignment, field offset, field size and constant, and each must have its Java twin
 * with the same value, and every Java layout field and header constant must have been printed.
 */
class AbiTest {
    /** The struct names xmig-abi prints, and the Java layout of each. */
    private static final Map<String, MemoryLayout> LAYOUTS = Map.of(
            "xc_domaininfo_t", XcDomainInfo.LAYOUT,
            "xc_shadow_op_stats_t", XcShadowOpStats.LAYOUT,
            "xc_hypercall_buffer_t", XcHypercallBuffer.LAYOUT,
            "xmigsim_counters", XmigSimCounters.LAYOUT,
            "hvm_save_descriptor", HvmSaveDescriptor.LAYOUT);

    /** The classes whose public static final int/long fields mirror C constants. */
    private static final List<Class<?>> CONSTANT_HOLDERS =
            List.of(XenCtrl.class, XenForeignMemory.class, XmigSim.class, Errno.class);

    private static Map<String, Long> cLayouts;
    private static Map<String, Long> cConstants;

    @BeforeAll
    static void runXmigAbi() throws IOException, InterruptedException {
        String dir = System.getProperty("xmig.native.dir");
        assertThat(dir).as("system property xmig.native.dir (set by the parent pom's surefire argLine)").isNotNull();
        Path program = Path.of(dir, "xmig-abi");
        if (!Files.isExecutable(program)) {
            fail(program + " is missing: it is built by the native module (`mvn -pl native compile`), or alone by"
                    + " `make -C native OUT=$PWD/native/target $PWD/native/target/xmig-abi`");
        }
        Process p = new ProcessBuilder(program.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("xmig-abi finished").isTrue();
        assertThat(p.exitValue()).as("xmig-abi exit status; output:%n%s", out).isZero();

        cLayouts = new TreeMap<>();
        cConstants = new TreeMap<>();
        for (String line : out.lines().filter(l -> !l.isBlank()).toList()) {
            String[] f = line.trim().split("\\s+");
            assertThat(f).as("line '%s' has three words", line).hasSize(3);
            Map<String, Long> into = f[0].equals("CONST") ? cConstants : cLayouts;
            String key = f[0].equals("CONST") ? f[1] : f[0] + " " + f[1];
            assertThat(into.put(key, Long.parseLong(f[2]))).as("'%s' printed twice", key).isNull();
        }
        assertThat(cLayouts).as("xmig-abi printed layouts").isNotEmpty();
        assertThat(cConstants).as("xmig-abi printed constants").isNotEmpty();
    }

    @Test
    void everyPrintedStructHasAJavaLayout() {
        Set<String> printed = new TreeSet<>();
        cLayouts.keySet().forEach(k -> printed.add(k.split("[. ]")[0]));
        assertThat(printed).containsExactlyInAnyOrderElementsOf(LAYOUTS.keySet());
    }

    @Test
    void layoutsMatchTheCompilersSizesAlignmentsAndOffsets() {
        Map<String, Long> java = new TreeMap<>();
        LAYOUTS.forEach((name, layout) -> describe(name, layout, 0, java));
        assertAllEqual("layout fact", cLayouts, java);
    }

    @Test
    void constantsMatchTheHeaders() {
        Map<String, Long> java = new TreeMap<>();
        for (Class<?> holder : CONSTANT_HOLDERS) {
            for (Field field : holder.getDeclaredFields()) {
                int m = field.getModifiers();
                boolean constant = Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m)
                        && (field.getType() == int.class || field.getType() == long.class);
                if (!constant) continue;
                try {
                    Long previous = java.put(field.getName(), ((Number) field.get(null)).longValue());
                    assertThat(previous).as("%s defined in two classes", field.getName()).isNull();
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        assertAllEqual("constant", cConstants, java);
    }

    /** Same keys both ways and the same value for each, reporting every difference at once. */
    private static void assertAllEqual(String what, Map<String, Long> c, Map<String, Long> java) {
        Set<String> problems = new TreeSet<>();
        c.forEach((k, v) -> {
            if (!java.containsKey(k)) problems.add(what + " '" + k + "' printed by xmig-abi (" + v + ") has no Java twin");
            else if (!java.get(k).equals(v)) problems.add(what + " '" + k + "': C " + v + ", Java " + java.get(k));
        });
        java.forEach((k, v) -> {
            if (!c.containsKey(k)) problems.add(what + " '" + k + "' in Java (" + v + ") is not printed by xmig-abi");
        });
        assertThat(problems).as("differences between xmig-abi and the Java bindings").isEmpty();
    }

    /** The facts xmig-abi prints for a struct, and recursively for its named fields (padding is unnamed). */
    private static void describe(String name, MemoryLayout layout, long offset, Map<String, Long> into) {
        boolean struct = !name.contains(".");
        if (struct) {
            into.put(name + " sizeof", layout.byteSize());
            into.put(name + " alignof", layout.byteAlignment());
        } else {
            into.put(name + " offsetof", offset);
            into.put(name + " sizeof", layout.byteSize());
        }
        if (layout instanceof GroupLayout group) {
            long at = offset;
            for (MemoryLayout member : group.memberLayouts()) {
                if (!(member instanceof PaddingLayout)) {
                    String field = member.name().orElseThrow(() -> new AssertionError(name + " has an unnamed field"));
                    describe(name + "." + field, member, at, into);
                }
                if (group instanceof StructLayout) at += member.byteSize();
            }
        }
    }
}
