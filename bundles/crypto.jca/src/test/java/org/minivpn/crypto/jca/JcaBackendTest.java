package org.minivpn.crypto.jca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import javax.crypto.Cipher;
import org.junit.jupiter.api.Test;

class JcaBackendTest {

    @Test
    void leavesTheChoiceToTheJdkWhoseAesGcmIsSunJce() throws Exception {
        JcaBackend backend = new JcaBackend();
        assertEquals("jca", backend.name());
        assertNull(backend.provider(), "null means the JDK's configured providers");
        assertEquals("SunJCE", Cipher.getInstance("AES/GCM/NoPadding").getProvider().getName());
    }
}
