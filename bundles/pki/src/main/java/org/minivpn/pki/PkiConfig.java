package org.minivpn.pki;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the certificate authority, PID {@code org.minivpn.pki}. */
@ObjectClassDefinition(name = "MiniVPN certificate authority",
        description = "Where vpn:pki keeps the CA, and how long what it signs stays valid.")
@interface PkiConfig {

    @AttributeDefinition(description = "the PKI folder; a relative path is relative to the installation folder"
            + " (framework property minivpn.home)")
    String dir() default "pki";

    @AttributeDefinition(description = "days a new CA is valid (vpn:pki init --days overrides)")
    int ca_days() default 3650;

    @AttributeDefinition(description = "days a new server or client certificate is valid (--days overrides);"
            + " never beyond the CA's own end")
    int days() default 825;

    @AttributeDefinition(description = "days each CRL is valid; run vpn:pki crl before they run out")
    int crl_days() default 180;
}
