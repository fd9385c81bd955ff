package org.minivpn.relay;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.minivpn.api.transport.Transport;
import org.osgi.framework.Constants;

/**
 * The transports a relay may use, and which one a new session takes: the highest-ranked of the
 * requested type, or without a type the highest-ranked secure one. A plaintext transport is only
 * ever used when asked for by type.
 */
final class TransportChoice {

    private final Map<Transport, Map<String, Object>> bound = new ConcurrentHashMap<>();

    void add(Transport t, Map<String, Object> properties) {
        bound.put(t, Map.copyOf(properties));
    }

    void remove(Transport t) {
        bound.remove(t);
    }

    /** The transport for a new session, or null when none fits. */
    Transport choose(String type) {
        Transport best = null;
        Map<String, Object> bestProps = null;
        for (Map.Entry<Transport, Map<String, Object>> e : bound.entrySet()) {
            Map<String, Object> p = e.getValue();
            boolean fits = type == null || type.isEmpty()
                    ? Boolean.TRUE.equals(p.get(Transport.SECURE))
                    : type.equals(p.get(Transport.TYPE));
            if (fits && (bestProps == null || outranks(p, bestProps))) {
                best = e.getKey();
                bestProps = p;
            }
        }
        return best;
    }

    /** The secure transports, highest-ranked first, one per type (the highest-ranked of each). */
    List<Transport> secureByRank() {
        List<Map.Entry<Transport, Map<String, Object>>> secure = new ArrayList<>();
        for (Map.Entry<Transport, Map<String, Object>> e : bound.entrySet()) {
            if (Boolean.TRUE.equals(e.getValue().get(Transport.SECURE))) {
                secure.add(e);
            }
        }
        secure.sort((a, b) -> outranks(a.getValue(), b.getValue()) ? -1 : outranks(b.getValue(), a.getValue()) ? 1 : 0);
        List<Transport> out = new ArrayList<>();
        List<Object> types = new ArrayList<>();
        for (Map.Entry<Transport, Map<String, Object>> e : secure) {
            Object type = e.getValue().get(Transport.TYPE);
            if (!types.contains(type)) {
                types.add(type);
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** The bound transport of each of {@code types}, in that order; the types not bound are left out. */
    List<Transport> inOrder(List<String> types) {
        List<Transport> out = new ArrayList<>();
        for (String type : types) {
            Transport t = choose(type);
            if (t != null && !out.contains(t)) {
                out.add(t);
            }
        }
        return out;
    }

    /** The types in a comma-separated list ("dtls, tls"), in order, without blanks or repeats. */
    static List<String> types(String list) {
        List<String> types = new ArrayList<>();
        for (String t : list == null ? new String[0] : list.split(",")) {
            String type = t.strip();
            if (!type.isEmpty() && !types.contains(type)) {
                types.add(type);
            }
        }
        return types;
    }

    /** For error messages: the types available, e.g. "[dtls, udp]". */
    String available() {
        TreeSet<String> types = new TreeSet<>();
        bound.values().forEach(p -> types.add(String.valueOf(p.get(Transport.TYPE))));
        return types.toString();
    }

    private static boolean outranks(Map<String, Object> a, Map<String, Object> b) {
        int ra = rank(a);
        int rb = rank(b);
        if (ra != rb) {
            return ra > rb;
        }
        return id(a) < id(b);
    }

    private static int rank(Map<String, Object> p) {
        return p.get(Constants.SERVICE_RANKING) instanceof Integer i ? i : 0;
    }

    private static long id(Map<String, Object> p) {
        return p.get(Constants.SERVICE_ID) instanceof Long l ? l : Long.MAX_VALUE;
    }
}
