package io.xmig.control.xenstream;

import java.io.IOException;

/**
 * A Xen migration stream that breaks the format: says where (byte offset from the start of the stream, and the
 * layer and record being read) and what was expected.
 */
public final class XenStreamException extends IOException {
    private final long offset;

    public XenStreamException(long offset, String where, String what) {
        super("at byte " + offset + " (" + where + "): " + what);
        this.offset = offset;
    }

    public XenStreamException(long offset, String where, String what, Throwable cause) {
        this(offset, where, what);
        initCause(cause);
    }

    /** Offset of the first byte of the field or record that is wrong. */
    public long offset() {
        return offset;
    }
}
