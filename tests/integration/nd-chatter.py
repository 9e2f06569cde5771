#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# nd-chatter.py DEVICE SECONDS TARGET: for SECONDS, every 0.25 s, what a
# dual-stack host's kernel sends on its own, into DEVICE (the client's tun):
# a router solicitation to ff02::2 and a neighbour solicitation for TARGET
# to its solicited-node group (ICMPv6 133 and 135, from the device's
# link-local or global address, hop limit 255), and an MLD report (the
# kernel's own, by joining and leaving a link-local group). None of it is
# user data (doc/spec/liveness.md §1): an idle tunnel must still end. Prints
# how many of each it sent; stops early, fine, when the device goes away
# (the tunnel ended).
import ipaddress
import socket
import struct
import sys
import time

dev, seconds, target = sys.argv[1], float(sys.argv[2]), sys.argv[3]
ifindex = socket.if_nametoindex(dev)
icmp = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
icmp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
icmp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
icmp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)

t = ipaddress.IPv6Address(target).packed
solicited = ipaddress.IPv6Address(b"\xff\x02" + b"\0" * 9 + b"\x01\xff" + t[13:]).compressed
rs = struct.pack("!BBHI", 133, 0, 0, 0)           # the kernel fills in the checksum
ns = struct.pack("!BBHI", 135, 0, 0, 0) + t
sent = {"rs": 0, "ns": 0, "mld": 0}
end = time.monotonic() + seconds
n = 0
why = "time is up"
while time.monotonic() < end:
    try:
        icmp.sendto(rs, ("ff02::2", 0, 0, ifindex))
        sent["rs"] += 1
        icmp.sendto(ns, (solicited, 0, 0, ifindex))
        sent["ns"] += 1
        group = socket.inet_pton(socket.AF_INET6, "ff02::1:3:%x" % (n % 64 + 1))
        mreq = group + struct.pack("@I", ifindex)
        udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_LEAVE_GROUP, mreq)
        sent["mld"] += 1
    except OSError as e:
        if dev in [name for _, name in socket.if_nameindex()]:
            raise
        why = "%s is gone (%s)" % (dev, e.strerror)
        break
    n += 1
    time.sleep(0.25)
print(" ".join("%s=%d" % kv for kv in sent.items()) + "; stopped: " + why)
