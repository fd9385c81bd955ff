package org.minivpn.pki;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and sets values in the text of a FileInstall {@code .cfg} file, keeping every other line
 * (comments, other settings, their order) as it is, as FileInstall's own config save does: an
 * import changes the lines it must and nothing else. Only the {@code key = value} form the
 * appliance's files use is understood; values are set by callers that allow no character that
 * means more in such a file (backslash, ${...}).
 */
final class CfgText {

    private CfgText() {
    }

    /** The settings the text makes (comments and blank lines skipped; a later line wins). */
    static Map<String, String> values(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n", -1)) {
            String key = keyOf(line);
            if (key != null) {
                out.put(key, line.substring(line.indexOf('=') + 1).strip());
            }
        }
        return out;
    }

    /**
     * The text with each of {@code values} set: the first line setting the key is rewritten (later
     * ones go), else the value goes after the commented-out default ({@code #key =}) that the
     * shipped files carry, else at the end. An empty value for a key the text does not set adds
     * nothing: empty is the default.
     */
    static String set(String text, Map<String, String> values) {
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        boolean endsWithNewline = text.isEmpty() || text.endsWith("\n");
        if (endsWithNewline) {
            lines.remove(lines.size() - 1);
        }
        for (Map.Entry<String, String> e : values.entrySet()) {
            String setting = e.getKey() + " = " + e.getValue();
            int first = -1;
            for (int i = 0; i < lines.size(); i++) {
                if (e.getKey().equals(keyOf(lines.get(i)))) {
                    if (first < 0) {
                        first = i;
                        lines.set(i, setting);
                    } else {
                        lines.remove(i--);
                    }
                }
            }
            if (first >= 0 || e.getValue().isEmpty()) {
                continue;
            }
            int commented = -1;
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i).strip();
                if (l.startsWith("#") && e.getKey().equals(keyOf(l.substring(1)))) {
                    commented = i;
                }
            }
            lines.add(commented >= 0 ? commented + 1 : lines.size(), setting);
        }
        return String.join("\n", lines) + "\n";
    }

    /** The key a line sets, or null for a comment, a blank line or anything else. */
    private static String keyOf(String line) {
        String t = line.strip();
        int eq = t.indexOf('=');
        if (t.isEmpty() || t.startsWith("#") || t.startsWith("!") || eq <= 0) {
            return null;
        }
        String key = t.substring(0, eq).strip();
        return key.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-') ? key : null;
    }
}
