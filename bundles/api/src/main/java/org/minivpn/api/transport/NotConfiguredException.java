package org.minivpn.api.transport;

/**
 * No session can be made because this appliance lacks what only a person can give it: no server to
 * connect to, no CA, no certificate of its own (the files are absent, not broken). The message
 * names what is missing; a shell answers with the steps that set an appliance up.
 */
public class NotConfiguredException extends TransportException {

    private static final long serialVersionUID = 1L;

    public NotConfiguredException(String message) {
        super(message);
    }
}
