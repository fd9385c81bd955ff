package org.minivpn.web;

import java.util.Collection;
import java.util.Map;

/**
 * A small JSON writer (RFC 8259) for the page's snapshots: objects, arrays, strings, numbers, booleans
 * and null. Strings are escaped so that no value can end the string, the object or a {@code <script>}
 * (identities come from certificates: text a client chose). Not thread-safe.
 */
final class Json {

    private final StringBuilder out = new StringBuilder(1024);
    private boolean first = true; // nothing written yet in the open object or array
    private boolean afterKey;     // a key was written: its value follows without a comma

    Json begin() {
        beforeValue();
        out.append('{');
        first = true;
        return this;
    }

    Json end() {
        out.append('}');
        first = false;
        return this;
    }

    Json object(String name) {
        key(name);
        return begin();
    }

    Json beginArray() {
        beforeValue();
        out.append('[');
        first = true;
        return this;
    }

    Json beginArray(String name) {
        key(name);
        return beginArray();
    }

    Json endArray() {
        out.append(']');
        first = false;
        return this;
    }

    Json field(String name, String value) {
        key(name);
        beforeValue();
        string(value);
        return this;
    }

    Json field(String name, long value) {
        key(name);
        beforeValue();
        out.append(value);
        return this;
    }

    Json field(String name, boolean value) {
        key(name);
        beforeValue();
        out.append(value);
        return this;
    }

    /** A number, or null when {@code value} is null. */
    Json field(String name, Double value) {
        key(name);
        beforeValue();
        if (value == null) {
            out.append("null");
        } else {
            number(value);
        }
        return this;
    }

    Json field(String name, Collection<?> strings) {
        beginArray(name);
        for (Object s : strings) {
            beforeValue();
            string(String.valueOf(s));
        }
        return endArray();
    }

    Json field(String name, Map<String, Long> numbers) {
        object(name);
        numbers.forEach(this::field);
        return end();
    }

    Json value(double v) {
        beforeValue();
        number(v);
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void key(String name) {
        beforeValue();
        string(name);
        out.append(':');
        afterKey = true;
    }

    private void beforeValue() {
        if (afterKey) {
            afterKey = false;
        } else if (!first) {
            out.append(',');
        }
        first = false;
    }

    private void number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            out.append("null");
        } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            out.append((long) v);
        } else {
            out.append(v);
        }
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '<', '>', '&', '\u2028', '\u2029' -> out.append(String.format("\\u%04x", (int) c));
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
