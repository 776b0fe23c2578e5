package io.xmig.control.xenstream;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The constants of Xen 4.17's save/migration stream, three layers deep: the xl header ({@code tools/xl/xl.h},
 * {@code xl_saverestore.c}), the libxl v2 stream ({@code docs/specs/libxl-migration-stream.pandoc}) and the libxc v3
 * stream ({@code docs/specs/libxc-migration-stream.pandoc}); the verifier's own copy is
 * {@code /usr/lib/xen-4.17/lib/python/xen/migration/}. Also the receiver hand-shake messages of
 * {@code tools/xl/xl.h}. Constants only.
 */
public final class XenStreamFormat {
    private XenStreamFormat() {
    }

    // ---- xl header: 32-byte magic, then four native-endian u32, then optional data
    public static final byte[] XL_MAGIC = "Xen saved domain, xl format\n \0 \r".getBytes(StandardCharsets.ISO_8859_1);
    public static final int XL_BYTEORDER = 0x01020304;
    public static final int XL_MANDATORY_FLAG_JSON = 1;
    public static final int XL_MANDATORY_FLAG_STREAMV2 = 1 << 1;
    public static final int XL_HEADER_BYTES = 32 + 16;

    // ---- libxl v2: big-endian header, native-endian records padded to 8 bytes
    public static final long LIBXL_IDENT = 0x4c6962786c466d74L;          // "LibxlFmt"
    public static final int LIBXL_VERSION = 2;
    public static final int LIBXL_REC_END = 0;
    public static final int LIBXL_REC_LIBXC_CONTEXT = 1;
    public static final int LIBXL_REC_EMULATOR_XENSTORE_DATA = 2;
    public static final int LIBXL_REC_EMULATOR_CONTEXT = 3;
    public static final int LIBXL_REC_CHECKPOINT_END = 4;
    public static final int LIBXL_REC_CHECKPOINT_STATE = 5;
    public static final Map<Integer, String> LIBXL_RECORD_NAMES = Map.of(LIBXL_REC_END, "END",
            LIBXL_REC_LIBXC_CONTEXT, "LIBXC_CONTEXT", LIBXL_REC_EMULATOR_XENSTORE_DATA, "EMULATOR_XENSTORE_DATA",
            LIBXL_REC_EMULATOR_CONTEXT, "EMULATOR_CONTEXT", LIBXL_REC_CHECKPOINT_END, "CHECKPOINT_END",
            LIBXL_REC_CHECKPOINT_STATE, "CHECKPOINT_STATE");

    // ---- libxc v3: big-endian image header, native-endian domain header and records
    public static final long LIBXC_MARKER = 0xffffffffffffffffL;
    public static final int LIBXC_IDENT = 0x58454e46;                    // "XENF"
    public static final int LIBXC_VERSION = 3;
    public static final int DOMAIN_TYPE_X86_PV = 1;
    public static final int DOMAIN_TYPE_X86_HVM = 2;
    public static final int PAGE_SHIFT = 12;

    public static final int REC_END = 0x00;
    public static final int REC_PAGE_DATA = 0x01;
    public static final int REC_X86_TSC_INFO = 0x08;
    public static final int REC_HVM_CONTEXT = 0x09;
    public static final int REC_HVM_PARAMS = 0x0a;
    public static final int REC_VERIFY = 0x0d;
    public static final int REC_STATIC_DATA_END = 0x10;
    public static final int REC_X86_CPUID_POLICY = 0x11;
    public static final int REC_X86_MSR_POLICY = 0x12;
    /** Every libxc record type 4.17 knows, by number. */
    public static final Map<Integer, String> LIBXC_RECORD_NAMES = Map.ofEntries(Map.entry(REC_END, "END"),
            Map.entry(REC_PAGE_DATA, "PAGE_DATA"), Map.entry(0x02, "X86_PV_INFO"), Map.entry(0x03, "X86_PV_P2M_FRAMES"),
            Map.entry(0x04, "X86_PV_VCPU_BASIC"), Map.entry(0x05, "X86_PV_VCPU_EXTENDED"),
            Map.entry(0x06, "X86_PV_VCPU_XSAVE"), Map.entry(0x07, "SHARED_INFO"), Map.entry(REC_X86_TSC_INFO, "X86_TSC_INFO"),
            Map.entry(REC_HVM_CONTEXT, "HVM_CONTEXT"), Map.entry(REC_HVM_PARAMS, "HVM_PARAMS"), Map.entry(0x0b, "TOOLSTACK"),
            Map.entry(0x0c, "X86_PV_VCPU_MSRS"), Map.entry(REC_VERIFY, "VERIFY"), Map.entry(0x0e, "CHECKPOINT"),
            Map.entry(0x0f, "CHECKPOINT_DIRTY_PFN_LIST"), Map.entry(REC_STATIC_DATA_END, "STATIC_DATA_END"),
            Map.entry(REC_X86_CPUID_POLICY, "X86_CPUID_POLICY"), Map.entry(REC_X86_MSR_POLICY, "X86_MSR_POLICY"));

    // ---- PAGE_DATA pfn entries: pfn in bits 0-51, reserved 52-59, XEN_DOMCTL_PFINFO type in 60-63
    public static final long PFN_MASK = (1L << 52) - 1;
    public static final long PFN_RESERVED_MASK = ((1L << 60) - 1) & ~PFN_MASK;
    public static final int PFN_TYPE_SHIFT = 60;
    public static final long TYPE_NOTAB = 0x0L;
    public static final long TYPE_BROKEN = 0xdL;
    public static final long TYPE_XALLOC = 0xeL;
    public static final long TYPE_XTAB = 0xfL;
    /** The most pages the stock sender puts in one PAGE_DATA record ({@code MAX_BATCH_SIZE}). */
    public static final int MAX_BATCH_PAGES = 1024;

    /** Whether a PAGE_DATA entry of this type carries 4096 bytes of data (normal pages and page tables L1-L4). */
    public static boolean typeHasData(long type) {
        return type <= 4;
    }

    /** Types the verifier rejects outright (5-8: no such XEN_DOMCTL_PFINFO type). */
    public static boolean typeInvalid(long type) {
        return type >= 5 && type <= 8;
    }

    // ---- stock receiver hand-shake (tools/xl/xl.h); all but the banner are sent with their trailing NUL
    public static final byte[] RECEIVER_BANNER =
            "xl migration receiver ready, send binary domain data.\n".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] RECEIVER_READY = "domain received, ready to unpause\0".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] PERMISSION_TO_GO =
            "domain is yours, you are cleared to unpause\0".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] RECEIVER_REPORT =
            "my copy unpause results are as follows\0".getBytes(StandardCharsets.US_ASCII);
}
