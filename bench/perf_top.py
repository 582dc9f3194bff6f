#!/usr/bin/env python3
"""Top costs of a `perf record -g` profile, counted only over samples taken inside a chosen frame.

    perf record -F 1999 -g -o core.data .build/release/handoff-bench core --events 200000
    perf script -i core.data | swift demangle --simplified | python3 bench/perf_top.py --inside 'Engine.process|JSONWriter.bytes' --outside 'Workload.records'

`handoff-bench core` builds its records before it starts the clock; --inside/--outside keep that set-up
out of the figures. Prints the top symbols by self samples (the leaf frame) and by inclusive samples
(anywhere on the stack, each symbol once per sample), as % of the kept samples.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys


def samples(lines):
    frames: list[str] = []
    for line in lines:
        if not line.strip():
            if frames:
                yield frames
            frames = []
        elif line.startswith((" ", "\t")):
            # "\t    55d0c0ffee symbol+0x12 (/path/to/dso)"
            m = re.match(r"\s+[0-9a-f]+\s+(.*?)(?:\+0x[0-9a-f]+)?\s+\(([^)]*)\)\s*$", line)
            if m:
                frames.append(m[1])
    if frames:
        yield frames


def short(symbol: str, width: int) -> str:
    symbol = re.sub(r"^(specialized |generic specialization <[^>]*> of |merged |closure #\d+ in )+", "", symbol)
    return symbol if len(symbol) <= width else symbol[: width - 1] + "…"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inside", default=".", help="regex: keep samples with a frame matching it")
    parser.add_argument("--outside", default="$^", help="regex: drop samples with a frame matching it")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--width", type=int, default=110)
    args = parser.parse_args()
    inside, outside = re.compile(args.inside), re.compile(args.outside)
    self_counts: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    kept = total = 0
    for frames in samples(sys.stdin):
        total += 1
        if not any(inside.search(f) for f in frames) or any(outside.search(f) for f in frames):
            continue
        kept += 1
        self_counts[frames[0]] += 1
        for symbol in set(frames):
            inclusive[symbol] += 1
    print(f"{kept} of {total} samples kept (inside /{args.inside}/, outside /{args.outside}/)")
    print(f"\ntop {args.top} by self samples:")
    for symbol, count in self_counts.most_common(args.top):
        print(f"  {100 * count / kept:5.1f} %  {short(symbol, args.width)}")
    print(f"\ntop {args.top} by inclusive samples:")
    for symbol, count in inclusive.most_common(args.top + 12):
        if not re.search(r"^(main|_start|__libc_start|swift_job_run|handoff_bench_main|0x)", symbol):
            print(f"  {100 * count / kept:5.1f} %  {short(symbol, args.width)}")


if __name__ == "__main__":
    main()
