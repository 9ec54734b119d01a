#!/usr/bin/env python3
"""Time commands in turns: round k runs every command once, in order, so a
machine whose speed drifts (a shared, noisy one) slows them all alike,
which timing one command's runs after the other's does not do.

Usage: alternate.py ROUNDS NAME=COMMAND [NAME=COMMAND ...]
Prints, per command, the median, mean and best wall time and the mean CPU
time (user + system of the child), then each command against the first:
the median of the per-round differences and of the ratios, the ratio of
the bests and of the CPU times. Exit statuses are ignored (a lint that
finds something exits 1).
"""
import os
import shlex
import statistics
import subprocess
import sys
import time


def main():
    rounds = int(sys.argv[1])
    cmds = []
    for arg in sys.argv[2:]:
        name, _, cmd = arg.partition("=")
        cmds.append((name, shlex.split(cmd)))
    wall = [[] for _ in cmds]
    cpu = [[] for _ in cmds]
    for _ in range(rounds):
        for k, (_, argv) in enumerate(cmds):
            before = os.times()
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall[k].append(time.perf_counter() - start)
            after = os.times()
            cpu[k].append(
                (after.children_user - before.children_user)
                + (after.children_system - before.children_system)
            )
    ms = lambda s: s * 1e3
    print("%-16s %10s %10s %10s %10s" % ("command", "median ms", "mean ms", "best ms", "CPU ms"))
    for k, (name, _) in enumerate(cmds):
        print(
            "%-16s %10.2f %10.2f %10.2f %10.2f"
            % (
                name,
                ms(statistics.median(wall[k])),
                ms(statistics.mean(wall[k])),
                ms(min(wall[k])),
                ms(statistics.mean(cpu[k])),
            )
        )
    base = cmds[0][0]
    for k in range(1, len(cmds)):
        name = cmds[k][0]
        ratio = statistics.median(b / a for a, b in zip(wall[0], wall[k]))
        diff = statistics.median(b - a for a, b in zip(wall[0], wall[k]))
        print(
            "%s vs %s: median of per-round ratios %+.1f%% (%+.2f ms), best %+.1f%%, CPU %+.1f%%"
            % (
                name,
                base,
                (ratio - 1) * 100,
                ms(diff),
                (min(wall[k]) / min(wall[0]) - 1) * 100,
                (statistics.mean(cpu[k]) / statistics.mean(cpu[0]) - 1) * 100,
            )
        )


if __name__ == "__main__":
    main()
