package org.minivpn.transport.dtls;

/**
 * Connection ID to peer (a {@link ServerSession} or a {@link ServerHandshake}): an open-addressing
 * table of primitive keys, so a lookup per record allocates nothing. Keys are non-zero. Receive
 * thread only.
 */
final class CidTable {

    private long[] keys = new long[64];
    private Object[] values = new Object[64];
    private int size;

    Object get(long key) {
        int mask = keys.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == 0) {
                return null;
            }
        }
    }

    boolean contains(long key) {
        return get(key) != null;
    }

    void put(long key, Object value) {
        if (key == 0 || value == null) {
            throw new IllegalArgumentException("connection IDs are non-zero and map to a peer");
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
            if (keys[i] == 0) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
        }
    }

    /** Removes {@code key} if it maps to {@code value}. */
    void remove(long key, Object value) {
        int mask = keys.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            if (keys[i] == 0) {
                return;
            }
            if (keys[i] == key) {
                if (values[i] == value) {
                    deleteAt(i);
                }
                return;
            }
        }
    }

    void clear() {
        keys = new long[64];
        values = new Object[64];
        size = 0;
    }

    /** Linear probing's deletion: shift later entries of the cluster back over the hole. */
    private void deleteAt(int hole) {
        int mask = keys.length - 1;
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            if (keys[j] == 0) {
                break;
            }
            int home = slot(keys[j], mask);
            boolean stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (!stays) {
                keys[hole] = keys[j];
                values[hole] = values[j];
                hole = j;
            }
        }
        keys[hole] = 0;
        values[hole] = null;
        size--;
    }

    private void grow() {
        long[] oldKeys = keys;
        Object[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new Object[oldKeys.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }

    private static int slot(long key, int mask) {
        return Long.hashCode(key * 0x9E3779B97F4A7C15L) & mask;
    }
}
