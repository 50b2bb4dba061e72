#!/usr/bin/env python3
"""User-space link shaper between two TUN devices (see link-emulator.ts).

This kernel has no netem or tbf qdisc, so the shaping happens here: the process opens two TUN
devices (one stays on the host, the other is moved into the test's network namespace by the
caller) and copies IP packets between them. Per direction: random loss, then a token bucket
(rate, tail drop once more than queue_ms of data waits, like tbf's latency), then a fixed
one-way delay. Conditions change at any time through JSON lines on stdin; the process exits
when stdin closes (so a crashed test leaves no shaper behind, and the TUN devices vanish with it).

stdin lines:   {"id": n, "up": {...}, "down": {...}}     set conditions (each key optional)
               {"id": n, "allow": [...] | null}            a firewall on the link (below)
               {"id": n, "stats": true}                   ask for counters
stdout lines:  {"ready": true}  then  {"id": n, "ok": true, "stats": {...}}
A direction is {"rateKbps": 0 = unlimited, "delayMs": one way, "lossPct": 0-100, "queueMs": tail-drop bound}.
"up" is namespace -> host, "down" is host -> namespace.
"allow" makes the link a firewall that lets through only IPv4 packets matching one of its rules
{"protocol": "tcp"|"udp", "port": n (optional)}: the port is the host side's (destination going
up, source coming down), so [{"protocol": "tcp", "port": 443}] is a network where the township can
open TCP to port 443 and nothing else (no UDP, no ICMP). null lets everything through again.
Dropped packets count as "filtered".
"""

import fcntl
import heapq
import json
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


class Direction:
    def __init__(self, name, out_fd):
        self.name = name
        self.out_fd = out_fd
        self.rate = 0.0  # bytes per second, 0 = unlimited
        self.delay = 0.0  # seconds
        self.loss = 0.0  # probability
        self.queue = 0.3  # seconds of data the bucket may hold before tail drop
        self.next_free = 0.0  # when the bucket has sent everything queued so far
        self.pending = []  # heap of (deliver_at, seq, packet)
        self.seq = 0
        self.counters = {"in": 0, "out": 0, "lost": 0, "queueDropped": 0, "bytesOut": 0, "filtered": 0}
        self.allow = None  # None = everything passes; else a list of (ip protocol number, port or None)
        self.port_at = 0  # offset of the host side's port in the transport header: 2 going up (dst), 0 coming down (src)

    def configure(self, c):
        if "rateKbps" in c:
            self.rate = max(0.0, float(c["rateKbps"] or 0)) * 1000 / 8
        if "delayMs" in c:
            self.delay = max(0.0, float(c["delayMs"] or 0)) / 1000
        if "lossPct" in c:
            self.loss = min(100.0, max(0.0, float(c["lossPct"] or 0))) / 100
        if "queueMs" in c and c["queueMs"] is not None:
            self.queue = max(0.001, float(c["queueMs"]) / 1000)

    def allowed(self, packet):
        if self.allow is None:
            return True
        if len(packet) < 20 or packet[0] >> 4 != 4:
            return False
        proto = packet[9]
        ihl = (packet[0] & 0x0F) * 4
        first_fragment = (struct.unpack("!H", packet[6:8])[0] & 0x1FFF) == 0
        port = None
        if first_fragment and len(packet) >= ihl + 4:
            port = struct.unpack("!H", packet[ihl + self.port_at : ihl + self.port_at + 2])[0]
        for rule_proto, rule_port in self.allow:
            if rule_proto == proto and (rule_port is None or (port is not None and rule_port == port)):
                return True
        return False

    def accept(self, packet, now):
        self.counters["in"] += 1
        if not self.allowed(packet):
            self.counters["filtered"] += 1
            return
        if self.loss >= 1.0 or (self.loss > 0 and random.random() < self.loss):
            self.counters["lost"] += 1
            return
        if self.rate > 0:
            start = max(now, self.next_free)
            if start - now > self.queue:
                self.counters["queueDropped"] += 1
                return
            self.next_free = start + len(packet) / self.rate
            leaves = self.next_free
        else:
            leaves = now
        self.seq += 1
        heapq.heappush(self.pending, (leaves + self.delay, self.seq, packet))

    def flush(self, now):
        while self.pending and self.pending[0][0] <= now:
            _, _, packet = heapq.heappop(self.pending)
            try:
                os.write(self.out_fd, packet)
                self.counters["out"] += 1
                self.counters["bytesOut"] += len(packet)
            except OSError:
                pass  # device down or full: the packet is lost, as on a wire

    def next_due(self):
        return self.pending[0][0] if self.pending else None


def main():
    host_name, ns_name = sys.argv[1], sys.argv[2]
    host_fd = open_tun(host_name)
    ns_fd = open_tun(ns_name)
    up = Direction("up", host_fd)  # read from the namespace's device, written to the host's
    down = Direction("down", ns_fd)
    up.port_at = 2
    stdin = sys.stdin.buffer.raw if hasattr(sys.stdin.buffer, "raw") else sys.stdin.buffer
    stdin_fd = stdin.fileno()
    buf = b""
    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    while True:
        now = time.monotonic()
        dues = [d for d in (up.next_due(), down.next_due()) if d is not None]
        timeout = max(0.0, min(dues) - now) if dues else 1.0
        readable, _, _ = select.select([host_fd, ns_fd, stdin_fd], [], [], min(timeout, 1.0))
        now = time.monotonic()
        for fd in readable:
            if fd == stdin_fd:
                chunk = os.read(stdin_fd, 65536)
                if not chunk:
                    return  # the test is gone: close the devices by exiting
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not line.strip():
                        continue
                    msg = json.loads(line)
                    if "up" in msg:
                        up.configure(msg["up"])
                    if "down" in msg:
                        down.configure(msg["down"])
                    if "allow" in msg:
                        rules = None
                        if msg["allow"] is not None:
                            protos = {"tcp": 6, "udp": 17}
                            rules = [(protos[r["protocol"]], r.get("port")) for r in msg["allow"]]
                        up.allow = rules
                        down.allow = rules
                    reply = {"id": msg.get("id"), "ok": True}
                    if msg.get("stats"):
                        reply["stats"] = {"up": up.counters, "down": down.counters}
                    out.write(json.dumps(reply) + "\n")
                    out.flush()
                continue
            direction = down if fd == host_fd else up
            # Drain what is there now (bounded, so the other side and stdin get their turn).
            for _ in range(256):
                try:
                    packet = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    break
                direction.accept(packet, now)
        up.flush(now)
        down.flush(now)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
