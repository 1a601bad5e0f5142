#!/usr/bin/env python3
"""Run one command and measure it; append one JSON line to a results file.

usage: measure.py --out FILE --log FILE --pids "PID..." [--meta K=V]... -- COMMAND...

Measured:
  wall       seconds from spawn to exit (monotonic clock)
  user, sys  CPU seconds of the command and the children it waited for (wait4's
             rusage, the figures /usr/bin/time prints as %U and %S)
  rss_kb     peak resident set size in KiB (ru_maxrss, /usr/bin/time's %M)
  rchar      bytes the command's own process read through read(2) and friends
             (/proc/PID/io, read while the process is a zombie, before reaping)
  server     CPU seconds (utime + stime from /proc/PID/stat) that the given
             server processes used between spawn and exit
Before starting, it waits (at most 20 s) until the server processes are idle, so
one tool's leftovers do not land on the next tool's bill.
"""
import json
import os
import sys
import time

TICK = os.sysconf('SC_CLK_TCK')


def ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open('/proc/%d/stat' % pid) as f:
                s = f.read()
        except OSError:
            continue
        # comm may hold spaces; the fields after it are fixed
        rest = s[s.rindex(')') + 2:].split()
        total += int(rest[11]) + int(rest[12])  # fields 14 and 15: utime, stime
    return total


def wait_idle(pids, limit=20.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        a = ticks(pids)
        time.sleep(0.5)
        if ticks(pids) - a <= max(1, TICK // 50):  # <= 4 % of one core
            return True
    return False


def main():
    args = sys.argv[1:]
    out = log = None
    pids = []
    meta = {}
    while args and args[0] != '--':
        a = args.pop(0)
        if a == '--out':
            out = args.pop(0)
        elif a == '--log':
            log = args.pop(0)
        elif a == '--pids':
            pids = [int(p) for p in args.pop(0).split()]
        elif a == '--meta':
            k, _, v = args.pop(0).partition('=')
            meta[k] = v
        else:
            sys.exit('measure.py: unknown option %r' % a)
    if not args or not out or not log:
        sys.exit(__doc__)
    cmd = args[1:]

    idle = wait_idle(pids)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    s0 = ticks(pids)
    t0 = time.monotonic()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ,
                          file_actions=[(os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0),
                                        (os.POSIX_SPAWN_DUP2, fd, 1),
                                        (os.POSIX_SPAWN_DUP2, fd, 2)])
    os.close(fd)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    t1 = time.monotonic()
    s1 = ticks(pids)
    io = {}
    try:
        with open('/proc/%d/io' % pid) as f:
            for line in f:
                k, _, v = line.partition(':')
                io[k] = int(v)
    except OSError:
        pass
    _, status, ru = os.wait4(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    rec = dict(meta)
    rec.update(rc=rc, wall=round(t1 - t0, 3), user=round(ru.ru_utime, 3), sys=round(ru.ru_stime, 3),
               rss_kb=ru.ru_maxrss, rchar=io.get('rchar', -1), server=round((s1 - s0) / TICK, 2),
               idle_before=idle, load=os.getloadavg()[0])
    with open(out, 'a') as f:
        f.write(json.dumps(rec) + '\n')
    print(json.dumps(rec))
    return 0


if __name__ == '__main__':
    sys.exit(main())
