package org.minivpn.control;

/** Constants of the control protocol; see the package documentation. */
final class Frames {

    static final byte EXIT = 0;
    static final byte OUT = 1;
    static final byte ERR = 2;

    /** The longest command line a client may send. */
    static final int MAX_REQUEST = 64 * 1024;

    /** The longest frame payload either side writes or accepts. */
    static final int MAX_FRAME = 1024 * 1024;

    static final int STATUS_OK = 0;
    static final int STATUS_FAILED = 1;
    static final int STATUS_REFUSED = 2;
    /** The appliance is not ready yet; see {@link Readiness}. */
    static final int STATUS_STARTING = 5;

    private Frames() {
    }
}
