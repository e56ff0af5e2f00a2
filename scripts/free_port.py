#!/usr/bin/env python3
"""Prints a free TCP port on 127.0.0.1 for a server to listen on.

Not one the kernel hands out for outgoing connections: a port picked from the ephemeral range (what
binding to port 0 gives) can be taken as the local end of some client connection between being picked
and being bound, or while a server that uses it is down for a restart, and the server then fails to
bind it. So the port is chosen at random below the kernel's ip_local_port_range and checked free.
"""
import random
import socket


def ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    high = ephemeral_low() - 1
    low = 10000 if high > 11000 else 1024
    for _ in range(200):
        port = random.randint(low, high)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # a crowded range: let the kernel pick
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    print(free_port())
