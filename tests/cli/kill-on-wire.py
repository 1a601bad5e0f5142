#!/usr/bin/env python3
"""Kill a server while a client's upload is on the wire (hard_rgw_kill).

Usage: kill-on-wire.py LOG LINE PORT CLIENT_PID SERVER_PID

Waits until LOG holds LINE (radosgw logs a request when it ends: the line says an
earlier request finished), then until a TCP connection to PORT on this machine holds
more than 64 KiB not yet sent or read (/proc/net/tcp: a body larger than a small
file is on the wire), and sends SERVER_PID SIGKILL at once.  Prints what it saw
and exits 0 when it killed; prints 'started' or 'not started' and exits 1 when the
client ended first or 60 s passed.
"""
import os
import signal
import sys
import time

QUEUED = 65536


def alive(pid):
    # a child that ended stays a zombie until the shell waits for it
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def queued(port):
    """The most bytes waiting on one established connection to PORT, either end, either way."""
    most = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for row in f:
            c = row.split()
            if c[3] != "01":
                continue
            if port in (int(c[1].split(":")[1], 16), int(c[2].split(":")[1], 16)):
                most = max(most, *(int(x, 16) for x in c[4].split(":")))
    return most


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    log, line = sys.argv[1], sys.argv[2]
    port, client, server = (int(x) for x in sys.argv[3:6])
    started, seen = False, ""
    deadline = time.time() + 60
    with open(log, errors="replace") as f:
        while time.time() < deadline and alive(client):
            if not started:
                seen = seen[-len(line):] + f.read()
                started = line in seen
            if started:
                q = queued(port)
                if q > QUEUED:
                    os.kill(server, signal.SIGKILL)
                    print(f"{q} bytes queued on a connection to port {port}")
                    return 0
            time.sleep(0.002)
    print("started" if started else "not started")
    return 1


if __name__ == "__main__":
    sys.exit(main())
