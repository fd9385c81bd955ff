package org.minivpn.crypto.bc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.security.Security;
import javax.crypto.Cipher;
import org.junit.jupiter.api.Test;

class BouncyCastleBackendTest {

    @Test
    void offersBouncyCastleCiphersWithoutRegisteringItJvmWide() throws Exception {
        BouncyCastleBackend backend = new BouncyCastleBackend();
        assertEquals("bc", backend.name());
        assertEquals("BC", Cipher.getInstance("AES/GCM/NoPadding", backend.provider()).getProvider().getName());
        assertEquals("BC", Cipher.getInstance("ChaCha20-Poly1305", backend.provider()).getProvider().getName());
        assertNull(Security.getProvider("BC"), "other code asking the JVM for ciphers still gets the JDK's");
    }
}
