package org.minivpn.tls.trust;

import org.bouncycastle.tls.AlertDescription;

/** Alerts in words a user can act on. */
public final class Alerts {

    public static final short WARNING = 1;
    public static final short FATAL = 2;

    private Alerts() {
    }

    /** Why a peer that sent {@code alert} refused us, e.g. "certificate_revoked(44): ...". */
    public static String explain(short alert) {
        String advice = switch (alert) {
            case AlertDescription.bad_certificate -> "it does not accept this appliance's certificate";
            case AlertDescription.unsupported_certificate ->
                    "this appliance's certificate is not meant for this role (extended key usage)";
            case AlertDescription.certificate_revoked ->
                    "this appliance's certificate is revoked: get a new one from the VPN's CA";
            case AlertDescription.certificate_expired ->
                    "this appliance's certificate has expired (or a clock is wrong): get a new one";
            case AlertDescription.certificate_unknown -> "it cannot check this appliance's certificate";
            case AlertDescription.unknown_ca ->
                    "this appliance's certificate is from a CA it does not trust: use a certificate of its CA";
            case AlertDescription.handshake_failure ->
                    "no cipher suite or signature scheme in common, or a certificate is missing";
            case AlertDescription.protocol_version -> "it speaks no protocol version this appliance speaks (DTLS 1.2, TLS 1.3)";
            case AlertDescription.insufficient_security -> "it wants stronger ciphers";
            case AlertDescription.access_denied -> "access denied";
            case AlertDescription.close_notify -> "it closed the session";
            default -> "";
        };
        String name = AlertDescription.getText(alert);
        return advice.isEmpty() ? name : name + ": " + advice;
    }
}
