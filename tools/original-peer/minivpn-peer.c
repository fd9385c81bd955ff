/*
 * A peer that behaves as the original C MiniVPN does, for interoperability tests.
 *
 *   minivpn-peer client HOST PORT TUN CERT KEY     presents CERT, does not verify the server's
 *   minivpn-peer server PORT TUN CERT KEY          requires a client certificate, accepts any; one session
 *
 * It opens the TUN device TUN (its address is set by hand, as the original's was), makes one DTLS 1.2
 * session with OpenSSL, and copies every record to the TUN as it is and every TUN packet into one
 * record. Nothing else is ever sent. Like the original it exits with status 1 on the first TUN write
 * that fails, which is what a record that is not an IP packet causes, and also when the session ends.
 * Build: gcc -O2 -o minivpn-peer minivpn-peer.c -lssl -lcrypto
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static unsigned char cookie_secret[32];

static void die(const char *what) {
    fprintf(stderr, "minivpn-peer: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static int open_tun(const char *name) {
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR);
    if (fd < 0) die("cannot open /dev/net/tun");
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF failed");
    return fd;
}

/* Cookies bound to the client's address and port (RFC 6347 4.2.1), as OpenSSL's examples do. */
static int cookie(SSL *ssl, unsigned char *out, unsigned int *len) {
    struct sockaddr_storage peer;
    memset(&peer, 0, sizeof peer);
    BIO_dgram_get_peer(SSL_get_rbio(ssl), &peer);
    unsigned char *md = HMAC(EVP_sha256(), cookie_secret, sizeof cookie_secret, (unsigned char *) &peer,
                             sizeof peer, out, len);
    return md != NULL;
}

static int generate_cookie(SSL *ssl, unsigned char *out, unsigned int *len) {
    return cookie(ssl, out, len);
}

static int verify_cookie(SSL *ssl, const unsigned char *got, unsigned int len) {
    unsigned char want[EVP_MAX_MD_SIZE];
    unsigned int n;
    return cookie(ssl, want, &n) && n == len && CRYPTO_memcmp(want, got, n) == 0;
}

static int accept_any(int ok, X509_STORE_CTX *ctx) {
    (void) ok;
    (void) ctx;
    return 1;
}

static SSL_CTX *context(int server, const char *cert, const char *key) {
    SSL_CTX *ctx = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
    if (!ctx) die("SSL_CTX_new failed");
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    if (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1) die("cannot read the certificate");
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) die("cannot read the key");
    if (server) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
        SSL_CTX_set_cookie_generate_cb(ctx, generate_cookie);
        SSL_CTX_set_cookie_verify_cb(ctx, verify_cookie);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    return ctx;
}

static SSL *connect_to(SSL_CTX *ctx, const char *host, const char *port) {
    struct addrinfo hints = {0}, *ai;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0) die("cannot resolve the server");
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) die("cannot reach the server");
    BIO *bio = BIO_new_dgram(fd, BIO_CLOSE);
    BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, ai->ai_addr);
    SSL *ssl = SSL_new(ctx);
    SSL_set_bio(ssl, bio, bio);
    if (SSL_connect(ssl) != 1) die("the DTLS handshake failed");
    freeaddrinfo(ai);
    return ssl;
}

static SSL *accept_one(SSL_CTX *ctx, const char *port) {
    struct sockaddr_in local = {0};
    local.sin_family = AF_INET;
    local.sin_port = htons((unsigned short) atoi(port));
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (fd < 0 || bind(fd, (struct sockaddr *) &local, sizeof local) < 0) die("cannot bind the port");
    BIO *bio = BIO_new_dgram(fd, BIO_NOCLOSE);
    SSL *ssl = SSL_new(ctx);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_options(ssl, SSL_OP_COOKIE_EXCHANGE);
    BIO_ADDR *client = BIO_ADDR_new();
    while (DTLSv1_listen(ssl, client) <= 0) {
    }
    struct sockaddr_in peer = {0};
    peer.sin_family = AF_INET;
    peer.sin_port = BIO_ADDR_rawport(client);
    size_t n = sizeof peer.sin_addr;
    BIO_ADDR_rawaddress(client, &peer.sin_addr, &n);
    if (connect(fd, (struct sockaddr *) &peer, sizeof peer) < 0) die("cannot connect to the client");
    BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &peer);
    if (SSL_accept(ssl) != 1) die("the DTLS handshake failed");
    fprintf(stderr, "minivpn-peer: a client connected from %s:%d\n", inet_ntoa(peer.sin_addr), ntohs(peer.sin_port));
    return ssl;
}

int main(int argc, char **argv) {
    int server = argc == 6 && strcmp(argv[1], "server") == 0;
    if (!server && !(argc == 7 && strcmp(argv[1], "client") == 0)) {
        fprintf(stderr, "usage: minivpn-peer client HOST PORT TUN CERT KEY | server PORT TUN CERT KEY\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    RAND_bytes(cookie_secret, sizeof cookie_secret);
    const char *tun_name = argv[server ? 3 : 4];
    int tun = open_tun(tun_name);
    SSL_CTX *ctx = context(server, argv[server ? 4 : 5], argv[server ? 5 : 6]);
    SSL *ssl = server ? accept_one(ctx, argv[2]) : connect_to(ctx, argv[2], argv[3]);
    fprintf(stderr, "minivpn-peer: session up (%s)\n", SSL_get_cipher(ssl));
    int udp = SSL_get_fd(ssl);
    unsigned char buf[65536];
    unsigned long records = 0, packets = 0;
    for (;;) {
        struct pollfd fds[2] = {{tun, POLLIN, 0}, {udp, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll failed");
        }
        if (fds[0].revents & POLLIN) {
            ssize_t n = read(tun, buf, sizeof buf);
            if (n > 0) {
                SSL_write(ssl, buf, (int) n);
                packets++;
            }
        }
        if (fds[1].revents & POLLIN) {
            int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0) {
                int e = SSL_get_error(ssl, n);
                if (e == SSL_ERROR_WANT_READ) continue;
                fprintf(stderr, "minivpn-peer: the session ended after %lu records in, %lu packets out\n", records, packets);
                return 1;
            }
            records++;
            if (write(tun, buf, (size_t) n) != n) {
                fprintf(stderr, "minivpn-peer: TUN write of a %d-byte record failed (%s): exiting as the original does\n",
                        n, strerror(errno));
                return 1;
            }
        }
    }
}
