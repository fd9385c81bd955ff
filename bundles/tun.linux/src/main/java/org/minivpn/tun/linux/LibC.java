package org.minivpn.tun.linux;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The C library calls this bundle makes, bound with JNA direct mapping: each call is one JNI
 * transition with no reflection and no allocation. Pointer arguments are native memory the caller
 * owns ({@link com.sun.jna.Memory}). A call that fails returns -1 and leaves its errno in
 * {@link #errno()}; nothing here throws for a failed call, so a dropped packet costs no exception.
 *
 * <p>{@code size_t} and {@code nfds_t} are mapped to {@code long}: 64-bit Linux only
 * ({@link #check()} says so at activation).
 */
final class LibC {

    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    static final short POLLIN = 0x1;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    static final short POLLNVAL = 0x20;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int ENXIO = 6;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int EBADFD = 77;
    static final int ENOBUFS = 105;
    static final int EADDRNOTAVAIL = 99;

    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;

    static {
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {
    }

    /** Throws a clear {@link UnsupportedOperationException} where this mapping does not fit. */
    static void check() {
        if (!Platform.isLinux() || Native.SIZE_T_SIZE != 8) {
            throw new UnsupportedOperationException("the Linux TUN backend runs on 64-bit Linux only (this is "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch")
                    + "): use the memory backend (org.minivpn.tun.memory) here");
        }
    }

    /** The errno of the last failed call on this thread. */
    static int errno() {
        return Native.getLastError();
    }

    /** "reason (errno N)" for an errno. */
    static String describe(int errno) {
        return strerror(errno) + " (errno " + errno + ")";
    }

    static native int open(String path, int flags);

    static native int close(int fd);

    static native int ioctl(int fd, long request, Pointer arg);

    static native long read(int fd, Pointer buf, long count);

    static native long write(int fd, Pointer buf, long count);

    static native int poll(Pointer fds, long nfds, int timeoutMillis);

    static native int eventfd(int initval, int flags);

    static native int socket(int domain, int type, int protocol);

    static native int setsockopt(int fd, int level, int name, Pointer value, int length);

    static native long send(int fd, Pointer buf, long len, int flags);

    static native long recv(int fd, Pointer buf, long len, int flags);

    static native int if_nametoindex(String name);

    static native String strerror(int errnum);
}
