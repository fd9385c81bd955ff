package org.minivpn.web;

import java.lang.annotation.Annotation;

/** A {@link WebConfig} with given values, as SCR would make it from configs/org.minivpn.web.cfg. */
final class Configs {

    private Configs() {
    }

    static WebConfig web(String bind, int port, String password, String... allowedHosts) {
        return new WebConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return WebConfig.class;
            }

            @Override
            public String bind() {
                return bind;
            }

            @Override
            public int port() {
                return port;
            }

            @Override
            public String password() {
                return password;
            }

            @Override
            public String[] allowed_hosts() {
                return allowedHosts;
            }
        };
    }
}
