package org.minivpn.tun.linux;

import java.lang.reflect.Proxy;
import java.util.Map;

/** Builds a component property type instance from a map, the way DS does (defaults from the annotation). */
final class Configs {

    private Configs() {
    }

    static <A> A of(Class<A> type, Map<String, Object> values) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            String key = method.getName().replace('_', '.');
            Object value = values.get(key);
            return value != null ? value : method.getDefaultValue();
        }));
    }
}
