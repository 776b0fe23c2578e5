package io.xmig.bindings;

import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * The libraries xmig calls, chosen by one property, {@value #HYPERVISOR_PROPERTY}:
 * <ul>
 *   <li>{@code sim} (the default): libxmigsim.so, the guest simulator, which exports the {@code xc_*} and
 *       {@code xenforeignmemory_*} functions xmig uses plus {@code xmigsim_*}; from the path in
 *       {@value #SIM_LIBRARY_PROPERTY}, else found on {@code java.library.path};</li>
 *   <li>{@code xen}: Xen 4.17's {@value #LIBXENCTRL} and {@value #LIBXENFOREIGNMEMORY}, by soname.</li>
 * </ul>
 * Libraries are loaded in the global arena and stay loaded for the life of the JVM. Immutable and
 * thread-safe; the bindings it creates are too.
 */
public final class XenLibraries {
    public static final String HYPERVISOR_PROPERTY = "xmig.hypervisor";
    public static final String SIM_LIBRARY_PROPERTY = "xmig.sim.library";
    public static final String SIM_LIBRARY_NAME = "libxmigsim.so";
    public static final String LIBXENCTRL = "libxenctrl.so.4.17";
    public static final String LIBXENFOREIGNMEMORY = "libxenforeignmemory.so.1";

    /** The values of {@value #HYPERVISOR_PROPERTY}. */
    public enum Hypervisor {
        SIM, XEN;

        /** {@code "sim"} or {@code "xen"}, the property's spelling. */
        public String propertyValue() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses a value of {@value #HYPERVISOR_PROPERTY}, ignoring case and surrounding blanks. */
        public static Hypervisor of(String value) {
            for (Hypervisor h : values()) {
                if (h.propertyValue().equalsIgnoreCase(value.strip())) return h;
            }
            throw new IllegalArgumentException(HYPERVISOR_PROPERTY + "=" + value + " is not a hypervisor: use "
                    + HYPERVISOR_PROPERTY + "=sim (the guest simulator, the default) or " + HYPERVISOR_PROPERTY
                    + "=xen (Xen 4.17 in dom0)");
        }

        /** The hypervisor {@value #HYPERVISOR_PROPERTY} names, {@link #SIM} when it is unset. */
        public static Hypervisor configured() {
            return of(System.getProperty(HYPERVISOR_PROPERTY, "sim"));
        }
    }

    private final Hypervisor hypervisor;
    private final String description;
    private final SymbolLookup xenctrl;
    private final SymbolLookup xenforeignmemory;

    private XenLibraries(Hypervisor hypervisor, String description, SymbolLookup xenctrl,
                         SymbolLookup xenforeignmemory) {
        this.hypervisor = hypervisor;
        this.description = description;
        this.xenctrl = xenctrl;
        this.xenforeignmemory = xenforeignmemory;
    }

    /**
     * The libraries {@value #HYPERVISOR_PROPERTY} chooses.
     *
     * @throws IllegalArgumentException         if the property has a value other than sim or xen
     * @throws HypervisorUnavailableException if the libraries cannot be found or loaded
     */
    public static XenLibraries load() {
        return load(Hypervisor.configured());
    }

    public static XenLibraries load(Hypervisor hypervisor) {
        return switch (hypervisor) {
            case SIM -> sim(simLibrary());
            case XEN -> xen();
        };
    }

    /** Xen 4.17's libraries, by soname. */
    public static XenLibraries xen() {
        return new XenLibraries(Hypervisor.XEN, "xen: " + LIBXENCTRL + ", " + LIBXENFOREIGNMEMORY,
                open(LIBXENCTRL, "install Xen 4.17's libraries (Debian: libxenmisc4.17, libxen-dev)"),
                open(LIBXENFOREIGNMEMORY, "install Xen 4.17's libraries (Debian: libxenmisc4.17, libxen-dev)"));
    }

    /** The simulator library at {@code library}, serving every binding. */
    public static XenLibraries sim(Path library) {
        if (!Files.isRegularFile(library)) {
            throw new HypervisorUnavailableException(SIM_LIBRARY_NAME + " not found at " + library
                    + ". Build it with `mvn -pl native compile` or ./setup.sh, or point -D" + SIM_LIBRARY_PROPERTY
                    + " at it; to use Xen 4.17 instead, set -D" + HYPERVISOR_PROPERTY + "=xen.", 0, null);
        }
        SymbolLookup lookup = open(library.toString(), "rebuild it with `mvn -pl native compile`");
        return new XenLibraries(Hypervisor.SIM, "sim: " + library, lookup, lookup);
    }

    /** {@value #SIM_LIBRARY_PROPERTY} if set, else the first {@value #SIM_LIBRARY_NAME} on java.library.path. */
    private static Path simLibrary() {
        String configured = System.getProperty(SIM_LIBRARY_PROPERTY, "");
        if (!configured.isBlank()) return Path.of(configured.strip());
        String searchPath = System.getProperty("java.library.path", "");
        return Arrays.stream(searchPath.split(File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, SIM_LIBRARY_NAME))
                .filter(Files::isRegularFile)
                .findFirst()
                .orElseThrow(() -> new HypervisorUnavailableException(SIM_LIBRARY_NAME + " not found: -D"
                        + SIM_LIBRARY_PROPERTY + " is not set and java.library.path (" + searchPath
                        + ") has no " + SIM_LIBRARY_NAME + ". Build it with `mvn -pl native compile` or ./setup.sh"
                        + " and set -D" + SIM_LIBRARY_PROPERTY + "=native/target/" + SIM_LIBRARY_NAME
                        + "; to use Xen 4.17 instead, set -D" + HYPERVISOR_PROPERTY + "=xen.", 0, null));
    }

    private static SymbolLookup open(String library, String remedy) {
        try {
            return SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new HypervisorUnavailableException("cannot load " + library + ": " + e.getMessage() + "; " + remedy
                    + ".", 0, e);
        }
    }

    public Hypervisor hypervisor() {
        return hypervisor;
    }

    /** Where {@code xc_*} come from. */
    public SymbolLookup xenctrl() {
        return xenctrl;
    }

    /** Where {@code xenforeignmemory_*} come from. */
    public SymbolLookup xenforeignmemory() {
        return xenforeignmemory;
    }

    /**
     * Where {@code xmigsim_*} come from.
     *
     * @throws IllegalStateException on Xen, which has no simulator calls
     */
    public SymbolLookup xmigsim() {
        if (hypervisor != Hypervisor.SIM) {
            throw new IllegalStateException("the xmigsim_* calls exist only in the guest simulator, and "
                    + HYPERVISOR_PROPERTY + "=" + hypervisor.propertyValue() + " loaded " + description
                    + ": use " + HYPERVISOR_PROPERTY + "=sim, or do not ask for XmigSim on Xen");
        }
        return xenctrl;
    }

    public XenCtrl xenCtrl() {
        return new XenCtrl(xenctrl);
    }

    public XenForeignMemory xenForeignMemory() {
        return new XenForeignMemory(xenforeignmemory);
    }

    /** @throws IllegalStateException on Xen, which has no simulator calls */
    public XmigSim xmigSim() {
        return new XmigSim(xmigsim());
    }

    @Override
    public String toString() {
        return "XenLibraries[" + description + "]";
    }
}
