package org.minivpn.route.linux;

import java.util.List;
import java.util.Objects;

/**
 * One change to the host and the command that undoes exactly it.
 *
 * @param description one line for {@link org.minivpn.api.route.AppliedRoutes#changes()}
 * @param apply the command line that makes the change (complete, namespace prefix included)
 * @param stdin what {@code apply} reads on standard input, or null
 * @param undo the command line that undoes the change; it touches nothing else
 * @param skip when a failure of {@code apply} means the change is not needed, so that it is
 *     skipped instead of failing the whole call
 */
record Change(String description, List<String> apply, String stdin, List<String> undo, Skip skip) {

    /** The failures of a change's command that mean "not needed" rather than "failed". */
    enum Skip {
        /** Every failure fails the call. */
        NEVER,
        /**
         * An equal route is already there and does the job: the change is skipped and that route
         * left alone.
         */
        IF_PRESENT,
        /**
         * IPv6 is disabled on the machine or on the device: no IPv6 can leave by any route, so an
         * IPv6 route that only keeps IPv6 from leaking is not needed.
         */
        IF_IPV6_DISABLED
    }

    Change {
        Objects.requireNonNull(description, "description");
        apply = List.copyOf(apply);
        undo = List.copyOf(undo);
        Objects.requireNonNull(skip, "skip");
    }
}
