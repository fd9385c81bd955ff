package org.minivpn.shell;

/**
 * What vpn:connect answers on an appliance that was never set up as a client (no server given
 * nor configured, no CA, no certificate of its own): what is missing, then the three steps that
 * set it up, in the order of OpenVPN's and WireGuard's quick starts: a CA and a server on one
 * machine, a client profile made there, that profile imported here.
 */
final class GettingStarted {

    private GettingStarted() {
    }

    /**
     * The answer to a connect that found {@code missing}.
     *
     * @param host the server the user named, or empty: it fills in the server's address
     * @param home the installation folder, or null when unknown
     */
    static String text(String missing, String host, String home) {
        String address = host == null || host.isBlank() ? "ADDRESS" : host;
        String here = home == null || home.isBlank() ? "this installation" : home;
        return "this appliance is not set up as a VPN client yet: " + missing + "\nTo get going:\n"
                + "  1. on the server, once: vpn:pki init, vpn:pki server server --san " + address + ", vpn:serve\n"
                + "  2. on the server, for this client: vpn:pki client NAME, then\n"
                + "     vpn:pki export NAME --profile NAME.minivpn --server " + address + ", and copy that file here\n"
                + "  3. here: vpn:import NAME.minivpn, then vpn:connect\n"
                + "     (or copy what vpn:pki export NAME FOLDER --server " + address + " writes into " + here + ")";
    }
}
