package org.minivpn.tun.memory;

import java.util.concurrent.locks.LockSupport;

/**
 * A bounded queue of packets in one preallocated byte array: one writer thread and one reader
 * thread at a time, no locks and no allocation per packet. Each packet is stored as a 4-byte length
 * followed by its bytes, wrapping around the end of the array.
 */
final class PacketRing {

    private final byte[] data;
    private final int mask;
    private volatile long head; // written by the reader only
    private volatile long tail; // written by the writer only
    private volatile Thread waiter; // the reader while it parks, else null

    /** A ring of at least {@code bytes} bytes (rounded up to a power of two). */
    PacketRing(int bytes) {
        int capacity = Integer.highestOneBit(Math.max(bytes, 64) - 1) << 1;
        this.data = new byte[capacity];
        this.mask = capacity - 1;
    }

    /** Appends one packet; false when it does not fit in the free space (the caller drops it). */
    boolean offer(byte[] src, int off, int len) {
        long t = tail;
        if (data.length - (t - head) < 4L + len) {
            return false;
        }
        putInt(t, len);
        copyIn(t + 4, src, off, len);
        tail = t + 4 + len;
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
        return true;
    }

    /**
     * Takes the oldest packet into {@code dst[off, off+len)}, truncated to {@code len}. Returns the
     * number of bytes copied, or -1 when the ring is empty.
     */
    int poll(byte[] dst, int off, int len) {
        long h = head;
        if (h == tail) {
            return -1;
        }
        int size = getInt(h);
        int n = Math.min(size, len);
        copyOut(h + 4, dst, off, n);
        head = h + 4 + size;
        return n;
    }

    boolean isEmpty() {
        return head == tail;
    }

    /** Parks the calling reader until a packet arrives, {@link #wake()} is called or the time passes. */
    void await(Object blocker, long nanos) {
        waiter = Thread.currentThread();
        if (isEmpty()) {
            LockSupport.parkNanos(blocker, nanos);
        }
        waiter = null;
    }

    /** Wakes a parked reader, e.g. when the device closes. */
    void wake() {
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    private void putInt(long pos, int v) {
        data[(int) pos & mask] = (byte) (v >>> 24);
        data[(int) (pos + 1) & mask] = (byte) (v >>> 16);
        data[(int) (pos + 2) & mask] = (byte) (v >>> 8);
        data[(int) (pos + 3) & mask] = (byte) v;
    }

    private int getInt(long pos) {
        return (data[(int) pos & mask] & 0xff) << 24
                | (data[(int) (pos + 1) & mask] & 0xff) << 16
                | (data[(int) (pos + 2) & mask] & 0xff) << 8
                | data[(int) (pos + 3) & mask] & 0xff;
    }

    private void copyIn(long pos, byte[] src, int off, int len) {
        int start = (int) pos & mask;
        int first = Math.min(len, data.length - start);
        System.arraycopy(src, off, data, start, first);
        System.arraycopy(src, off + first, data, 0, len - first);
    }

    private void copyOut(long pos, byte[] dst, int off, int len) {
        int start = (int) pos & mask;
        int first = Math.min(len, data.length - start);
        System.arraycopy(data, start, dst, off, first);
        System.arraycopy(data, 0, dst, off + first, len - first);
    }
}
