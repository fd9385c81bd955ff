package org.minivpn.route.linux;

import java.util.regex.Pattern;

/** Checks interface names before they go into a command line or an nft script. */
final class Interfaces {

    // Linux allows up to 15 bytes and almost any character; we accept the usual ones only, so a
    // name can never break out of an nft string or an argument.
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.@:-]{1,15}");

    private Interfaces() {
    }

    /**
     * Returns {@code name} when it is a usable interface name.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    static String check(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("interface name '" + name + "' is not valid: use 1 to 15 letters,"
                    + " digits, '_', '-', '.', '@' or ':'");
        }
        return name;
    }
}
