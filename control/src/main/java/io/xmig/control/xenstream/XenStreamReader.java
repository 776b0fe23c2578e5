package io.xmig.control.xenstream;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.xmig.control.xenstream.XenStreamFormat.*;

/**
 * Reads a whole Xen 4.17 migration stream (xl header, libxl v2, libxc v2/v3) and checks it at least as strictly as
 * Xen's {@code verify-stream-v2}, plus what a stock receiver needs of an HVM stream (STATIC_DATA_END before the first
 * page, an HVM_CONTEXT before END, no PV records). The first fault is an {@link XenStreamException} saying where and
 * what; a valid stream yields a {@link StreamSummary}. One instance reads one stream on the caller's thread.
 */
public final class XenStreamReader {
    private final InputStream in;
    private final ByteBuffer buf = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    private final byte[] skip = new byte[1 << 16];
    private long offset;
    private String where = "xl header";

    private final List<String> sequence = new ArrayList<>();
    private final List<int[]> counts = new ArrayList<>();
    private final List<StreamSummary.Pass> passes = new ArrayList<>();
    private long passRecords, passEntries, passData, passFirst = -1, passLast = -1, lastPfn = -1;
    private long dataPages;
    private int hvmContextBytes, hvmParams;

    private XenStreamReader(InputStream in) {
        this.in = new BufferedInputStream(in, 1 << 20);
    }

    /** Reads and checks the stream in {@code in} to its libxl END, then counts what trails it. */
    public static StreamSummary read(InputStream in) throws IOException {
        return new XenStreamReader(in).readAll();
    }

    private StreamSummary readAll() throws IOException {
        int configBytes = xlHeader();
        libxlHeader();
        int libxcVersion = 0;
        String domainType = null, xen = null;
        while (true) {
            where = "libxl record header";
            long at = offset;
            fill(8);
            int type = buf.getInt(), length = buf.getInt();
            String name = LIBXL_RECORD_NAMES.get(type);
            if (name == null) throw new XenStreamException(at, where, "unknown libxl record type 0x" + Integer.toHexString(type));
            count("libxl:" + name);
            where = "libxl " + name + " record";
            switch (type) {
                case LIBXL_REC_END, LIBXL_REC_LIBXC_CONTEXT, LIBXL_REC_CHECKPOINT_END -> {
                    if (length != 0) throw new XenStreamException(at, where, "must be empty, has length " + length);
                }
                default -> skipPadded(at, length);
            }
            if (type == LIBXL_REC_LIBXC_CONTEXT) {
                String[] header = libxcStream();
                libxcVersion = Integer.parseInt(header[0]);
                domainType = header[1];
                xen = header[2];
            }
            if (type == LIBXL_REC_END) break;
        }
        if (libxcVersion == 0) throw new XenStreamException(offset, "libxl stream", "ended without a LIBXC_CONTEXT record");
        long streamBytes = offset;
        long trailing = 0;
        for (long n; (n = in.read(skip)) > 0; ) trailing += n;
        List<String> records = new ArrayList<>();
        for (int i = 0; i < sequence.size(); i++) {
            int c = counts.get(i)[0];
            records.add(c > 1 ? sequence.get(i) + " x" + c : sequence.get(i));
        }
        return new StreamSummary(configBytes, libxcVersion, domainType, xen, List.copyOf(records), List.copyOf(passes),
                dataPages, hvmContextBytes, hvmParams, streamBytes, trailing);
    }

    private int xlHeader() throws IOException {
        byte[] magic = new byte[XL_MAGIC.length];
        readFully(magic, magic.length);
        if (!Arrays.equals(magic, XL_MAGIC)) throw new XenStreamException(0, where, "no xl magic \"Xen saved domain, xl format\"");
        fill(16);
        int byteorder = buf.getInt(), mandatory = buf.getInt(), optional = buf.getInt(), optlen = buf.getInt();
        if (byteorder != XL_BYTEORDER) {
            throw new XenStreamException(32, where, "byte order 0x" + Integer.toHexString(byteorder) + ", expected 0x1020304");
        }
        if ((mandatory & ~(XL_MANDATORY_FLAG_JSON | XL_MANDATORY_FLAG_STREAMV2)) != 0) {
            throw new XenStreamException(36, where, "unknown mandatory flags 0x" + Integer.toHexString(mandatory));
        }
        if ((mandatory & XL_MANDATORY_FLAG_STREAMV2) == 0) {
            throw new XenStreamException(36, where, "not a v2 stream (mandatory flag STREAMv2 clear): legacy streams are not read");
        }
        if (optional != 0) throw new XenStreamException(40, where, "unknown optional flags 0x" + Integer.toHexString(optional));
        if (optlen < 0 || optlen > (64 << 20)) throw new XenStreamException(44, where, "implausible optional data length " + optlen);
        int config = 0;
        if (optlen >= 4) {
            fill(4);
            config = buf.getInt();
            if (config < 0 || config > optlen - 4) {
                throw new XenStreamException(48, where, "config length " + config + " exceeds the optional data (" + (optlen - 4) + " bytes)");
            }
            byte[] json = new byte[config];
            readFully(json, config);
            if ((mandatory & XL_MANDATORY_FLAG_JSON) != 0 && config > 0 && json[config - 1] != 0) {
                throw new XenStreamException(52, where, "JSON configuration is not NUL-terminated");
            }
            skipExactly(optlen - 4 - config);
        } else {
            skipExactly(optlen);
        }
        return config;
    }

    private void libxlHeader() throws IOException {
        where = "libxl header";
        long at = offset;
        fill(16);
        buf.order(ByteOrder.BIG_ENDIAN);
        long ident = buf.getLong();
        int version = buf.getInt(), options = buf.getInt();
        buf.order(ByteOrder.LITTLE_ENDIAN);
        if (ident != LIBXL_IDENT) throw new XenStreamException(at, where, "ident 0x" + Long.toHexString(ident) + ", expected \"LibxlFmt\"");
        if (version != LIBXL_VERSION) throw new XenStreamException(at + 8, where, "version " + version + ", expected 2");
        if ((options & 0xfffc) != 0) throw new XenStreamException(at + 12, where, "reserved option bits 0x" + Integer.toHexString(options));
        if ((options & 1) != 0) throw new XenStreamException(at + 12, where, "big-endian stream");
    }

    /** The libxc stream inside LIBXC_CONTEXT; returns {version, domain type, xen version}. */
    private String[] libxcStream() throws IOException {
        where = "libxc image header";
        long at = offset;
        fill(24);
        buf.order(ByteOrder.BIG_ENDIAN);
        long marker = buf.getLong();
        int ident = buf.getInt(), version = buf.getInt();
        int options = buf.getShort() & 0xffff, res1 = buf.getShort() & 0xffff, res2 = buf.getInt();
        buf.order(ByteOrder.LITTLE_ENDIAN);
        if (marker != LIBXC_MARKER) throw new XenStreamException(at, where, "marker 0x" + Long.toHexString(marker) + ", expected all ones");
        if (ident != LIBXC_IDENT) throw new XenStreamException(at + 8, where, "ident 0x" + Integer.toHexString(ident) + ", expected \"XENF\"");
        if (version < 2 || version > 3) throw new XenStreamException(at + 12, where, "version " + version + ", expected 2 or 3");
        if ((options & 0xfffe) != 0 || res1 != 0 || res2 != 0) throw new XenStreamException(at + 16, where, "reserved bits set");
        if ((options & 1) != 0) throw new XenStreamException(at + 16, where, "big-endian stream");
        where = "libxc domain header";
        at = offset;
        fill(16);
        int type = buf.getInt(), pageShift = buf.getShort() & 0xffff, res = buf.getShort() & 0xffff;
        int major = buf.getInt(), minor = buf.getInt();
        if (type != DOMAIN_TYPE_X86_HVM && type != DOMAIN_TYPE_X86_PV) {
            throw new XenStreamException(at, where, "unknown domain type " + type + " (1 = x86 PV, 2 = x86 HVM)");
        }
        if (pageShift != PAGE_SHIFT) throw new XenStreamException(at + 4, where, "page shift " + pageShift + ", expected 12");
        if (res != 0) throw new XenStreamException(at + 6, where, "reserved bits set");
        boolean hvm = type == DOMAIN_TYPE_X86_HVM;
        boolean staticDataEnd = false, sawPages = false;
        while (true) {
            where = "libxc record header";
            at = offset;
            fill(8);
            int rtype = buf.getInt();
            long length = Integer.toUnsignedLong(buf.getInt());
            String name = LIBXC_RECORD_NAMES.get(rtype);
            if (name == null) throw new XenStreamException(at, where, "unknown libxc record type 0x" + Integer.toHexString(rtype));
            count("libxc:" + name);
            where = "libxc " + name + " record";
            if (hvm && rtype >= 0x02 && rtype <= 0x07 || hvm && rtype == 0x0c) {
                throw new XenStreamException(at, where, "a PV record in an x86 HVM stream");
            }
            if (rtype == 0x0b || rtype == 0x0f) throw new XenStreamException(at, where, "record type not allowed in a 4.17 stream");
            switch (rtype) {
                case REC_END, REC_VERIFY, REC_STATIC_DATA_END -> {
                    if (length != 0) throw new XenStreamException(at, where, "must be empty, has length " + length);
                    if (rtype == REC_STATIC_DATA_END) {
                        if (version < 3) throw new XenStreamException(at, where, "STATIC_DATA_END in a v2 stream");
                        staticDataEnd = true;
                    }
                    if (rtype == REC_VERIFY) endPass();
                }
                case REC_PAGE_DATA -> {
                    if (version >= 3 && !staticDataEnd) {
                        throw new XenStreamException(at, where, "PAGE_DATA before STATIC_DATA_END in a v3 stream");
                    }
                    pageData(at, length);
                    sawPages = true;
                }
                case REC_X86_TSC_INFO -> {
                    if (length != 24) throw new XenStreamException(at, where, "length " + length + ", expected 24");
                    fill(24);
                    if (buf.getInt(20) != 0) throw new XenStreamException(at + 28, where, "reserved bits set");
                }
                case REC_HVM_CONTEXT -> {
                    if (length == 0) throw new XenStreamException(at, where, "empty HVM context");
                    hvmContextBytes = (int) length;
                    skipPadded(at, length);
                }
                case REC_HVM_PARAMS -> {
                    if (length < 8) throw new XenStreamException(at, where, "length " + length + ", at least 8 expected");
                    fill(8);
                    long n = Integer.toUnsignedLong(buf.getInt());
                    if (buf.getInt() != 0) throw new XenStreamException(at + 12, where, "reserved field not zero");
                    if (length != 8 + 16 * n) throw new XenStreamException(at, where, "length " + length + " for " + n + " entries, expected " + (8 + 16 * n));
                    hvmParams = (int) n;
                    skipExactly(16 * n);
                }
                case REC_X86_CPUID_POLICY, REC_X86_MSR_POLICY -> {
                    int unit = rtype == REC_X86_CPUID_POLICY ? 24 : 16;
                    if (version < 3) throw new XenStreamException(at, where, name + " in a v2 stream");
                    if (length < unit || length % unit != 0) {
                        throw new XenStreamException(at, where, "length " + length + ", expected a multiple of " + unit);
                    }
                    skipPadded(at, length);
                }
                default -> skipPadded(at, length);
            }
            if (rtype == REC_END) {
                endPass();
                if (hvm && hvmContextBytes == 0) throw new XenStreamException(at, where, "x86 HVM stream ends without an HVM_CONTEXT record");
                if (!sawPages) throw new XenStreamException(at, where, "stream ends without any PAGE_DATA");
                return new String[]{Integer.toString(version), hvm ? "x86 HVM" : "x86 PV", major + "." + minor};
            }
        }
    }

    private void pageData(long at, long length) throws IOException {
        if (length <= 8) throw new XenStreamException(at, where, "length " + length + ", more than 8 expected");
        fill(8);
        long count = Integer.toUnsignedLong(buf.getInt());
        if (buf.getInt() != 0) throw new XenStreamException(at + 12, where, "reserved field not zero");
        if (count == 0 || 8 + 8 * count > length) {
            throw new XenStreamException(at, where, "count " + count + " does not fit the record length " + length);
        }
        long withData = 0;
        for (long i = 0; i < count; i++) {
            fill(8);
            long e = buf.getLong();
            long type = e >>> PFN_TYPE_SHIFT;
            if ((e & PFN_RESERVED_MASK) != 0) {
                throw new XenStreamException(offset - 8, where, "pfn entry " + i + " has reserved bits set: 0x" + Long.toHexString(e));
            }
            if (typeInvalid(type)) {
                throw new XenStreamException(offset - 8, where, "pfn entry " + i + " has invalid type " + type + ": 0x" + Long.toHexString(e));
            }
            long pfn = e & PFN_MASK;
            if (pfn <= lastPfn && passEntries > 0) endPass();
            if (passFirst < 0 || pfn < passFirst) passFirst = pfn;
            passLast = Math.max(passLast, pfn);
            lastPfn = pfn;
            passEntries++;
            if (typeHasData(type)) withData++;
        }
        long expected = 8 + 8 * count + (withData << PAGE_SHIFT);
        if (length != expected) {
            throw new XenStreamException(at, where, "length " + length + ", expected " + expected + " for " + count
                    + " entries of which " + withData + " carry data");
        }
        skipExactly(withData << PAGE_SHIFT);
        passRecords++;
        passData += withData;
        dataPages += withData;
    }

    private void endPass() {
        if (passEntries > 0) passes.add(new StreamSummary.Pass(passRecords, passEntries, passData, passFirst, passLast));
        passRecords = passEntries = passData = 0;
        passFirst = passLast = lastPfn = -1;
    }

    private void count(String name) {
        if (!sequence.isEmpty() && sequence.getLast().equals(name)) {
            counts.getLast()[0]++;
        } else {
            sequence.add(name);
            counts.add(new int[]{1});
        }
    }

    private void skipPadded(long at, long length) throws IOException {
        skipExactly(length);
        long pad = (8 - length % 8) % 8;
        if (pad > 0) {
            long padAt = offset;
            fill((int) pad);
            for (int i = 0; i < pad; i++) {
                if (buf.get(i) != 0) throw new XenStreamException(padAt, where, "padding holds non-zero bytes");
            }
        }
    }

    private void fill(int n) throws IOException {
        buf.clear();
        readFully(buf.array(), n);
        buf.limit(n);
    }

    private void readFully(byte[] b, int n) throws IOException {
        int done = 0;
        while (done < n) {
            int r = in.read(b, done, n - done);
            if (r < 0) throw truncated(n - done);
            done += r;
        }
        offset += n;
    }

    private void skipExactly(long n) throws IOException {
        long left = n;
        while (left > 0) {
            int r = in.read(skip, 0, (int) Math.min(skip.length, left));
            if (r < 0) throw truncated(left);
            left -= r;
        }
        offset += n;
    }

    private XenStreamException truncated(long missing) {
        return new XenStreamException(offset, where, "stream truncated: " + missing + " more bytes expected",
                new EOFException());
    }
}
