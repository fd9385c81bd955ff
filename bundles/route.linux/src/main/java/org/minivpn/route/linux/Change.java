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
 * @param skipIfPresent true when an equal route that is already there does the job: then the
 *     change is skipped (and that route left alone) instead of failing
 */
record Change(String description, List<String> apply, String stdin, List<String> undo, boolean skipIfPresent) {

    Change {
        Objects.requireNonNull(description, "description");
        apply = List.copyOf(apply);
        undo = List.copyOf(undo);
    }
}
