package io.xmig.control.xenstream;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static io.xmig.control.xenstream.XenStreamFormat.*;

/**
 * Writes the bytes of a Xen 4.17 migration stream, layer by layer: the xl header with the domain's JSON
 * configuration, the libxl v2 header and records, the libxc v3 image and domain headers and records, PAGE_DATA
 * batches straight from a foreign mapping. It knows the encoding (byte orders, 8-byte padding, pfn entry layout),
 * not the order of records: that is {@link XenStreamSender}'s.
 *
 * <p>Owns a header buffer and one page-sized copy buffer, reused for every record, so writing pages allocates
 * nothing. Not thread-safe: one sender thread writes one stream. It does not close {@code out}.
 */
public final class XenStreamWriter {
    private static final byte[] ZEROS = new byte[8];

    private final OutputStream out;
    private final ByteBuffer head = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    private final byte[] page = new byte[1 << PAGE_SHIFT];
    private long bytes;

    public XenStreamWriter(OutputStream out) {
        this.out = out;
    }

    /** Bytes written so far. */
    public long bytes() {
        return bytes;
    }

    /**
     * The xl header: magic, byte order, mandatory flags (STREAMv2, and JSON when there is a configuration), and the
     * configuration as optional data ({@code u32 length}, then the JSON text with its trailing NUL, which is added
     * when missing).
     */
    public void xlHeader(byte[] configJson) throws IOException {
        byte[] config = configJson;
        if (config.length > 0 && config[config.length - 1] != 0) {
            config = java.util.Arrays.copyOf(config, config.length + 1);
        }
        write(XL_MAGIC, XL_MAGIC.length);
        head.clear();
        head.putInt(XL_BYTEORDER);
        head.putInt(XL_MANDATORY_FLAG_STREAMV2 | (config.length > 0 ? XL_MANDATORY_FLAG_JSON : 0));
        head.putInt(0);
        head.putInt(config.length > 0 ? 4 + config.length : 0);
        if (config.length > 0) head.putInt(config.length);
        flushHead();
        write(config, config.length);
    }

    /** The libxl v2 header: "LibxlFmt", version 2, options 0 (little-endian, not legacy), all big-endian. */
    public void libxlHeader() throws IOException {
        head.clear();
        head.order(ByteOrder.BIG_ENDIAN).putLong(LIBXL_IDENT).putInt(LIBXL_VERSION).putInt(0);
        head.order(ByteOrder.LITTLE_ENDIAN);
        flushHead();
    }

    /** One libxl record (LIBXC_CONTEXT and END are empty). */
    public void libxlRecord(int type, byte[] body) throws IOException {
        record(type, body);
    }

    /** The libxc v3 image header (big-endian) and the domain header (native: type, page shift 12, Xen version). */
    public void libxcHeaders(int domainType, int xenMajor, int xenMinor) throws IOException {
        head.clear();
        head.order(ByteOrder.BIG_ENDIAN).putLong(LIBXC_MARKER).putInt(LIBXC_IDENT).putInt(LIBXC_VERSION)
                .putShort((short) 0).putShort((short) 0).putInt(0);
        head.order(ByteOrder.LITTLE_ENDIAN);
        head.putInt(domainType).putShort((short) PAGE_SHIFT).putShort((short) 0).putInt(xenMajor).putInt(xenMinor);
        flushHead();
    }

    /** One libxc record other than PAGE_DATA: header, body, zero padding to 8 bytes. */
    public void libxcRecord(int type, byte[] body) throws IOException {
        record(type, body);
    }

    /**
     * One PAGE_DATA record of {@code count} entries ({@code pfn | type << 60}); entry {@code i}, if its type carries
     * data, takes its 4096 bytes from page {@code pageIndex[i]} of {@code pages} (page {@code i} when
     * {@code pageIndex} is null). Allocates nothing.
     */
    public void pageData(long[] entries, int count, MemorySegment pages, int[] pageIndex) throws IOException {
        if (count <= 0 || count > entries.length) throw new IllegalArgumentException("bad PAGE_DATA count " + count);
        int withData = 0;
        for (int i = 0; i < count; i++) {
            if (typeHasData(entries[i] >>> PFN_TYPE_SHIFT)) withData++;
        }
        long length = 8 + 8L * count + ((long) withData << PAGE_SHIFT);
        if (length > 0xffffffffL) throw new IllegalArgumentException("PAGE_DATA record too long: " + length);
        head.clear();
        head.putInt(REC_PAGE_DATA).putInt((int) length).putInt(count).putInt(0);
        flushHead();
        for (int i = 0; i < count; i++) {
            head.clear();
            head.putLong(entries[i]);
            flushHead();
        }
        for (int i = 0; i < count; i++) {
            if (!typeHasData(entries[i] >>> PFN_TYPE_SHIFT)) continue;
            long at = (long) (pageIndex == null ? i : pageIndex[i]) << PAGE_SHIFT;
            MemorySegment.copy(pages, ValueLayout.JAVA_BYTE, at, page, 0, page.length);
            write(page, page.length);
        }
    }

    public void flush() throws IOException {
        out.flush();
    }

    private void record(int type, byte[] body) throws IOException {
        head.clear();
        head.putInt(type).putInt(body.length);
        flushHead();
        write(body, body.length);
        int pad = (8 - body.length % 8) % 8;
        write(ZEROS, pad);
    }

    private void flushHead() throws IOException {
        write(head.array(), head.position());
    }

    private void write(byte[] b, int n) throws IOException {
        out.write(b, 0, n);
        bytes += n;
    }
}
