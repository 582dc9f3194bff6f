#!/usr/bin/env python3
"""One run, one Tansu broker, one workload: the limit, the Python peer and handoffd, side by side.

    make bench-compare          (= scripts/bench-env.sh, release builds, then this script)
    .tools/bench-venv/bin/python bench/compare.py [--events 1000000] [--conversations 100000]
        [--partitions 6] [--latency-seconds 45] [--skip-peer-latency] [--handoffd-first] [--handoffd-only] [--profile-handoffd]

1. Starts Tansu (memory storage) on a free loopback port and creates the topics: support.conversations
   with --partitions, handoffd's outputs and its changelog (compacted, co-partitioned), and the peer's
   outputs under the prefix `peer.` so that handoffd never reads what the peer wrote.
2. Loads the workload (bench/workload.py, written once to .tools/bench/) with a batching producer; the
   end offsets come from the delivery reports.
3. limit: `handoff-bench limit` (our Kafka module, librdkafka, no processing) in a fresh group.
4. peer: bench/peer.py --changelog --batch 512 (handoffd's batch size) in a fresh group; done when it
   prints that its last batch is processed and flushed (every output acknowledged). Then once more
   without --changelog (another fresh group), to show what the changelog costs the peer.
5. handoffd: `handoffd serve` with processing.changelog: true in a fresh group; done when its /metrics
   first show every record processed with no output in flight (polled every 0.05 s), or its committed
   offsets reach the ends, whichever comes first. For both, the time the group's committed offsets reach
   the ends is kept as a second figure (handoffd commits every 1 s, the peer after every batch). Then the outputs and changelog of handoffd are read back for their
   bytes, and the (conversation, reason code) pairs of both contenders' handoffs are compared.
6. latency: a paced producer at half of handoffd's rate feeds new conversations (another seed) for
   --latency-seconds; latency = input record timestamp -> timestamp of the support.handoff.created record
   whose trigger_event_id is that input. Then the same for the peer, at the same rate.
7. `handoff-bench memory`, and a table of everything. Logs and results.json: .tools/bench/run-<time>/.

--handoffd-first runs step 5 right after step 3 and leaves out step 6: the broker then holds the input
only, as for the limit, instead of the peers' outputs as well (what the order costs the last contender).

--handoffd-only loads the workload and runs only step 5, for trying a change or a setting (--set).
--profile-handoffd instead loads the workload and runs only handoffd, under `perf record -g`, and prints
its top costs (bench/perf_top.py); the profile stays in the run folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import orjson
from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, Producer, TopicPartition, libversion

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".tools"
sys.path.insert(0, str(ROOT / "bench"))
import workload  # noqa: E402

INPUT = "support.conversations"
OUTPUTS = ["support.handoffs", "support.directives", "support.callbacks"]
SINGLE = ["support.agents", "support.deadletter", "support.alerts"]
CHANGELOG = "support.conversation-state"
SESSION_TIMEOUT_MS = 6000  # Tansu: a group join takes ~3 s with it, ~23 s with librdkafka's default
PEER_BATCH = 512  # handoffd's batch size: both write about as many changelog records


def say(message: str) -> None:
    print(f"[compare {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (threads included)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return float("nan")


def rss_mib(pid: int, key: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Process:
    """A child process whose stderr (or stdout) lines are kept with the monotonic time they arrived."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict | None = None, stream: str = "stderr"):
        self.name, self.started = name, time.monotonic()
        self.log = open(log, "w", encoding="utf-8")
        self.log.write("$ " + " ".join(argv) + "\n")
        self.log.flush()
        piped = {"stdout": subprocess.PIPE, "stderr": self.log} if stream == "stdout" else {"stdout": self.log, "stderr": subprocess.PIPE}
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, env=env, cwd=ROOT, **piped)
        self.lines: list[tuple[float, str]] = []
        self.reader = threading.Thread(target=self._read, args=(getattr(self.proc, stream),), daemon=True)
        self.reader.start()

    def _read(self, pipe) -> None:
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append((time.monotonic(), line))
            self.log.write(line + "\n")
        self.log.flush()

    def first(self, pattern: str) -> tuple[float, str] | None:
        rx = re.compile(pattern)
        return next(((t, line) for t, line in list(self.lines) if rx.search(line)), None)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.reader.join(timeout=10)
        self.log.flush()
        return self.proc.returncode


class Sampler(threading.Thread):
    """The broker's resident memory, sampled every second; the peak is reported."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mib(self.pid) or 0.0)
            time.sleep(1)


# MARK: - broker, topics, load


def start_tansu(run: Path) -> tuple[Process, str]:
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE")}
    tansu = Process("tansu", [str(TOOLS / "bin" / "tansu"), "broker", "--listener-url", url, "--advertised-listener-url", url,
                              "--storage-engine", "memory://tansu/"], run / "tansu.log", env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return tansu, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    sys.exit(f"tansu did not listen on {url} within 30 s (log {run / 'tansu.log'})")


def create_topics(bootstrap: str, partitions: int) -> None:
    topics = {INPUT: partitions, CHANGELOG: partitions, **{t: partitions for t in OUTPUTS}, **{t: 1 for t in SINGLE},
              **{f"peer.{t}": partitions for t in OUTPUTS[:2] + [CHANGELOG]}}
    for name, count in topics.items():
        extra = ["--config", "cleanup.policy=compact"] if name.endswith(CHANGELOG) else []
        subprocess.run([str(TOOLS / "bin" / "tansu"), "topic", "create", name, "--partitions", str(count),
                        "--broker", f"tcp://{bootstrap}"] + extra, check=True, capture_output=True, timeout=30)
    say("topics: " + ", ".join(f"{t}({n})" for t, n in topics.items()))


def load(bootstrap: str, records: list[tuple[bytes, bytes]]) -> dict[int, int]:
    """Produces every record (key = conversation id); returns the end offset of each partition."""
    ends: dict[int, int] = {}
    failed = []

    def delivered(error, message) -> None:
        if error is not None:
            failed.append(error)
        else:
            ends[message.partition()] = max(ends.get(message.partition(), 0), message.offset() + 1)

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "batch.num.messages": 10000,
                         "queue.buffering.max.messages": 500000, "queue.buffering.max.kbytes": 1048576})
    started = time.monotonic()
    for key, value in records:
        while True:
            try:
                producer.produce(INPUT, value, key, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    left = producer.flush(300)
    elapsed = time.monotonic() - started
    if failed or left:
        sys.exit(f"loading failed: {len(failed)} delivery errors ({failed[:3]}), {left} not delivered")
    say(f"loaded {len(records)} records into {INPUT} in {elapsed:.1f} s ({len(records) / elapsed:.0f} records/s); "
        f"ends {dict(sorted(ends.items()))}")
    return ends


class CommitWatch:
    """Reads a group's committed offsets on the input topic (without joining the group)."""

    def __init__(self, bootstrap: str, group: str, ends: dict[int, int]):
        self.ends = ends
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
        self.partitions = [TopicPartition(INPUT, p) for p in sorted(ends)]

    def committed(self) -> int:
        try:
            return sum(max(0, tp.offset) for tp in self.consumer.committed(self.partitions, timeout=5))
        except Exception:  # a coordinator not ready yet reads as nothing committed
            return 0

    def reached(self) -> bool:
        try:
            return all(tp.offset >= self.ends[tp.partition] for tp in self.consumer.committed(self.partitions, timeout=5))
        except Exception:
            return False

    def close(self) -> None:
        self.consumer.close()


def wait_committed(watch: CommitWatch, process: Process, timeout: float, extra=None) -> float | None:
    """Polls every 0.1 s until the committed offsets reach the ends; the monotonic time they did, or None."""
    deadline = time.monotonic() + timeout
    last_report = time.monotonic()
    while time.monotonic() < deadline:
        if process.proc.poll() is not None:
            say(f"{process.name} exited with {process.proc.returncode} before finishing (log {process.log.name})")
            return None
        if watch.reached():
            return time.monotonic()
        if extra:
            extra()
        if time.monotonic() - last_report > 10:
            last_report = time.monotonic()
            say(f"  {process.name}: {watch.committed()} of {sum(watch.ends.values())} committed, "
                f"{time.monotonic() - process.started:.0f} s, rss {rss_mib(process.proc.pid):.0f} MiB")
        time.sleep(0.1)
    say(f"{process.name}: not done within {timeout:.0f} s")
    return None


# MARK: - the three contenders


def run_limit(bootstrap: str, run: Path, env: dict, total: int, tag: str) -> dict:
    say("limit: handoff-bench limit (our Kafka module on librdkafka, no processing)")
    children, tansu0 = resource.getrusage(resource.RUSAGE_CHILDREN), cpu_seconds(TANSU_PID)
    process = Process("limit", [str(ROOT / ".build/release/handoff-bench"), "limit", "--brokers", bootstrap, "--group", f"bench-limit-{tag}",
                                "--expect", str(total)], run / "limit.log", env, stream="stdout")
    process.proc.wait(timeout=900)
    process.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the only child that ended meanwhile: the limit
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    tansu_cpu = cpu_seconds(TANSU_PID) - tansu0
    wall = time.monotonic() - process.started
    line = process.first(r"^limit: \d+ records")
    print("  " + (line[1] if line else f"(no result; see {run / 'limit.log'})"))
    m = re.search(r"assigned after ([\d.]+) s.*?([\d.]+) s in all = (\d+) records/s; ([\d.]+) s from the first record = (\d+)", line[1]) if line else None
    figures = {"wall": wall, "cpu": cpu, "tansu_cpu": tansu_cpu}
    if m:
        figures.update({"assigned": float(m[1]), "total_s": float(m[2]), "rate": int(m[3]), "steady_rate": int(m[5])})
    return figures


def run_peer(bootstrap: str, run: Path, ends: dict[int, int], tag: str, timeout: float, changelog: bool = True) -> dict:
    name = "peer" if changelog else "peer-nochangelog"
    total = sum(ends.values())
    say(f"{name}: bench/peer.py --batch {PEER_BATCH}{' --changelog' if changelog else ''} (confluent-kafka + orjson)")
    group = f"bench-{name}-{tag}"
    watch = CommitWatch(bootstrap, group, ends)
    process = Process(name, [sys.executable, str(ROOT / "bench/peer.py"), "--brokers", bootstrap, "--group", group, "--batch", str(PEER_BATCH),
                             "--expect", str(total), "--out-prefix", "peer."] + (["--changelog"] if changelog else []), run / f"{name}.log")
    cpu0 = cpu_seconds(TANSU_PID)
    committed = wait_committed(watch, process, timeout)
    flushed = process.first(r"^peer: \d+ records processed, every output acknowledged")
    assigned = process.first(r"assigned")
    result = figures(process, flushed[0] if flushed else None, committed, ends, assigned[0] if assigned else None)
    result["tansu_cpu"] = cpu_seconds(TANSU_PID) - cpu0
    process.stop(signal.SIGINT)
    summary = process.first(r"^peer: \d+ records, ")
    print("  " + (summary[1] if summary else "(no summary)"))
    m = re.search(r"(\d+) handoffs, (\d+) outputs \((\d+) bytes\), (\d+) states written \((\d+) bytes\)", summary[1]) if summary else None
    if m:
        result.update({"handoffs": int(m[1]), "outputs": int(m[2]), "output_bytes": int(m[3]),
                       "changelog_records": int(m[4]), "changelog_bytes": int(m[5])})
    watch.close()
    return result


def figures(process: Process, processed: float | None, committed: float | None, ends: dict[int, int], assigned: float | None) -> dict:
    """processed: the monotonic time every record was processed with its outputs acknowledged (the
    headline "done"); committed: the time the group's committed offsets reached the ends."""
    total = sum(ends.values())
    # Offsets reaching the ends also prove every record processed and acknowledged (both contenders
    # commit only such records), so the earlier of the two times is the one "done".
    processed = min((t for t in (processed, committed) if t is not None), default=None)
    result = {"cpu": cpu_seconds(process.proc.pid), "rss": rss_mib(process.proc.pid), "hwm": rss_mib(process.proc.pid, "VmHWM")}
    if assigned is not None:
        result["assigned"] = assigned - process.started
    if committed is not None:
        result["committed_wall"] = committed - process.started
    if processed is not None:
        result["wall"] = processed - process.started
        result["rate"] = total / result["wall"]
        if assigned is not None:
            result["steady_rate"] = total / (processed - assigned)
    return result


def read_topic(bootstrap: str, topic: str, each=None) -> tuple[int, int]:
    """Reads a topic from the beginning to its end: (records, value bytes); `each(value)` sees every value.
    The end is where nothing more arrives for 1.5 s: Tansu reports a partition's end as the base offset of
    its last batch + 1, so watermarks undercount."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-readback", "enable.auto.commit": False,
                         "fetch.max.bytes": 52428800, "max.partition.fetch.bytes": 10485760})
    count = size = 0
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 1.5:
            messages = consumer.consume(num_messages=10000, timeout=0.3)
            for message in messages:
                if message.error():
                    continue
                value = message.value()
                count += 1
                if value is not None:
                    size += len(value)
                    if each:
                        each(value)
            if messages:
                quiet_since = time.monotonic()
        return count, size
    finally:
        consumer.close()


def handoff_pairs(bootstrap: str, topic: str) -> tuple[set[tuple[str, str]], int, int]:
    """The (conversation id, reason code) pairs of every support.handoff.created in a topic; and its records, bytes."""
    pairs: set[tuple[str, str]] = set()

    def each(value: bytes) -> None:
        if b'"support.handoff.created"' in value:
            event = orjson.loads(value)
            if event.get("type") == "support.handoff.created":
                data = event["data"]
                pairs.update((data["conversation_id"], reason["code"]) for reason in data["reasons"])

    count, size = read_topic(bootstrap, topic, each)
    return pairs, count, size


def handoffd_bytes(bootstrap: str) -> dict:
    """handoffd's outputs and changelog as the topics hold them (before the latency run adds more)."""
    started = time.monotonic()
    outputs = [read_topic(bootstrap, topic) for topic in OUTPUTS]
    changelog = read_topic(bootstrap, CHANGELOG)
    say(f"handoffd's outputs and changelog read back in {time.monotonic() - started:.1f} s")
    return {"output_records": sum(c for c, _ in outputs), "output_bytes": sum(b for _, b in outputs),
            "changelog_records": changelog[0], "changelog_bytes": changelog[1]}


def compare_handoffs(bootstrap: str) -> dict:
    """Which (conversation, reason code) pairs each contender's handoffs carry; read before the latency runs add more."""
    started = time.monotonic()
    peer, _, _ = handoff_pairs(bootstrap, "peer.support.handoffs")
    ours, _, _ = handoff_pairs(bootstrap, "support.handoffs")
    conversations = lambda pairs: {c for c, _ in pairs}
    only_peer, only_ours = peer - ours, ours - peer
    codes = lambda pairs: dict(sorted(Counter(code for _, code in pairs).items()))
    result = {"peer_pairs": len(peer), "handoffd_pairs": len(ours), "peer_conversations": len(conversations(peer)),
              "handoffd_conversations": len(conversations(ours)), "symmetric_difference": len(only_peer | only_ours),
              "only_peer": len(only_peer), "only_handoffd": len(only_ours), "only_peer_codes": codes(only_peer),
              "only_handoffd_codes": codes(only_ours),
              "conversations_only_peer": len(conversations(peer) - conversations(ours)),
              "conversations_only_handoffd": len(conversations(ours) - conversations(peer))}
    say(f"handoffs compared in {time.monotonic() - started:.1f} s: {result}")
    return result


def metrics(port: int) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    figures: dict[str, float] = {}
    for line in text.splitlines():
        m = re.match(r"^(handoffd_records_total|handoffd_records_in_flight|handoffd_outputs_total|handoffd_handoffs_total)(?:\{[^}]*\})? ([0-9.e+]+)$", line)
        if m:
            figures[m[1]] = figures.get(m[1], 0.0) + float(m[2])
    return figures


# `--set section.key=value` (repeatable): handoffd settings for an experiment, beside the bench's own.
SETTINGS: dict[str, dict[str, str]] = {}


def start_handoffd(bootstrap: str, run: Path, env: dict, tag: str, wrap: list[str] = []) -> tuple[Process, int, str]:
    group, port = f"bench-handoffd-{tag}", free_port()
    config = run / "handoffd.yaml"
    extra = lambda section: "".join(f"  {key}: {value}\n" for key, value in SETTINGS.get(section, {}).items())
    config.write_text(f"""\
# bench/compare.py: defaults everywhere except what the bench needs.
source: urn:handoffd:bench
kafka:
  group.id: {group}
  session.timeout.ms: {SESSION_TIMEOUT_MS}   # as every client of this bench (Tansu joins slowly with the default)
{extra("kafka")}processing:
  changelog: true                # state written to {CHANGELOG} before offsets are committed
  idle_timeout: 30d              # the workload's day is 2026-11-26: never forget its conversations mid-run
{extra("processing")}admin:
  port: {port}
""")
    process = Process("handoffd", wrap + [str(ROOT / ".build/release/handoffd"), "serve", "--brokers", bootstrap, "--config", str(config)],
                      run / "handoffd.log", env)
    return process, port, group


def run_handoffd(bootstrap: str, run: Path, env: dict, ends: dict[int, int], tag: str, timeout: float) -> tuple[dict, Process | None, int]:
    say("handoffd: handoffd serve, processing.changelog: true")
    total = sum(ends.values())
    process, port, group = start_handoffd(bootstrap, run, env, tag)
    watch = CommitWatch(bootstrap, group, ends)
    processed_at: list[float] = []
    cpu0 = cpu_seconds(TANSU_PID)
    stop = threading.Event()

    def watch_metrics() -> None:
        # Every 0.05 s, in its own thread: the committed offsets can reach the ends before the gauge of
        # records in flight (updated once per processing round, at least every 0.1 s) shows 0.
        while not stop.is_set() and process.proc.poll() is None:
            try:
                m = metrics(port)
            except OSError:
                m = {}
            if m.get("handoffd_records_total", 0) >= total and m.get("handoffd_records_in_flight", 1) == 0:
                processed_at.append(time.monotonic())
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=watch_metrics, daemon=True)
    watcher.start()
    done = wait_committed(watch, process, timeout)
    watcher.join(timeout=10 if done is not None else 0)
    stop.set()
    assigned = process.first(r"partitions assigned")
    result = figures(process, processed_at[0] if processed_at else None, done, ends, assigned[0] if assigned else None)
    result["tansu_cpu"] = cpu_seconds(TANSU_PID) - cpu0
    try:
        m = metrics(port)
        result["outputs"] = int(m.get("handoffd_outputs_total", 0))
        result["handoffs"] = int(m.get("handoffd_handoffs_total", 0))
    except OSError:
        pass
    watch.close()
    if done is None:
        process.stop()
        return result, None, port
    return result, process, port


# MARK: - latency


def paced(bootstrap: str, rate: float, seconds: float, seed: int, prefix: str, handoffs_topic: str) -> dict:
    """Feeds new conversations at `rate` events/s for `seconds`; input record time -> handoff.created record time."""
    events = int(rate * seconds)
    records = workload.generate(max(1, events // 10), events, seed, prefix)
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-latency-{prefix}", "enable.auto.commit": False,
                       "fetch.wait.max.ms": 50})
    meta = reader.list_topics(handoffs_topic, timeout=10).topics[handoffs_topic].partitions
    reader.assign([TopicPartition(handoffs_topic, p, OFFSET_END) for p in meta])
    sent: dict[str, int] = {}
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True})
    latencies: list[int] = []
    stop = threading.Event()

    def collect() -> None:
        while not stop.is_set():
            for message in reader.consume(num_messages=1000, timeout=0.2):
                if message.error():
                    continue
                event = orjson.loads(message.value())
                if event.get("type") == "support.handoff.created":
                    trigger = event["data"].get("trigger_event_id")
                    if trigger in sent:
                        latencies.append(message.timestamp()[1] - sent[trigger])

    collector = threading.Thread(target=collect, daemon=True)
    collector.start()
    time.sleep(1)
    started = time.monotonic()
    for index, (key, value) in enumerate(records):
        due = started + index / rate
        delay = due - time.monotonic()
        if delay > 0.002:
            time.sleep(delay)
        start = value.find(b'"id":"') + 6
        sent[value[start:value.index(b'"', start)].decode()] = int(time.time() * 1000)
        while True:
            try:
                producer.produce(INPUT, value, key)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    producer.flush(30)
    achieved = len(records) / (time.monotonic() - started)
    time.sleep(10)  # the last outputs
    stop.set()
    collector.join(timeout=10)
    reader.close()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))] if latencies else float("nan")
    return {"rate": rate, "achieved": achieved, "events": len(records), "samples": len(latencies),
            "p50": pick(0.50), "p99": pick(0.99), "max": latencies[-1] if latencies else float("nan")}


def peer_latency(bootstrap: str, run: Path, rate: float, seconds: float, tag: str) -> dict:
    process = Process("peer-latency", [sys.executable, str(ROOT / "bench/peer.py"), "--brokers", bootstrap, "--group",
                                       f"bench-peer-latency-{tag}", "--changelog", "--batch", str(PEER_BATCH), "--out-prefix", "peer.", "--from-end"],
                      run / "peer-latency.log")
    deadline = time.monotonic() + 60
    while not process.first(r"assigned") and time.monotonic() < deadline and process.proc.poll() is None:
        time.sleep(0.1)
    time.sleep(1)
    result = paced(bootstrap, rate, seconds, 2424, "latp", "peer.support.handoffs")  # the same conversations as handoffd got
    process.stop(signal.SIGINT)
    return result


def profile_handoffd(bootstrap: str, run: Path, env: dict, ends: dict[int, int], tag: str, timeout: float) -> None:
    data = run / "handoffd.perf.data"
    say(f"profile: handoffd serve under perf record -g -F 999 -> {data}")
    process, _, group = start_handoffd(bootstrap, run, env, tag, ["perf", "record", "-F", "999", "-g", "-o", str(data), "--"])
    watch = CommitWatch(bootstrap, group, ends)
    done = wait_committed(watch, process, timeout)
    say(f"profile: done after {done - process.started:.1f} s (perturbed by perf)" if done else "profile: not done")
    watch.close()
    children = Path(f"/proc/{process.proc.pid}/task/{process.proc.pid}/children").read_text().split()
    for child in children:  # handoffd itself: perf then writes its data and exits
        os.kill(int(child), signal.SIGTERM)
    process.proc.wait(timeout=120)
    process.stop()
    script = subprocess.run(f"perf script -i {data} 2>/dev/null | swift demangle --simplified", shell=True, capture_output=True, text=True).stdout
    (run / "handoffd.perf.txt").write_text(script)
    top = subprocess.run([sys.executable, str(ROOT / "bench/perf_top.py"), "--top", "15"], input=script, capture_output=True, text=True)
    print(top.stdout)


# MARK: - report


def fmt(value, spec: str = ".0f") -> str:
    return "—" if value is None or value != value else format(value, spec)


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    tansu = subprocess.run([str(TOOLS / "bin/tansu"), "--version"], capture_output=True, text=True).stdout.strip()
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    if subprocess.run(["git", "status", "--short", "Sources"], capture_output=True, text=True, cwd=ROOT).stdout.strip():
        commit += " with uncommitted working-tree changes (Sources)"
    return {"nproc": os.cpu_count(), "cpu": model, "memory": f"{memory} GiB", "kernel": platform.release(), "tansu": tansu,
            "librdkafka": libversion()[0], "python": platform.python_version(), "orjson": orjson.__version__, "source": commit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--latency-seconds", type=float, default=45)
    parser.add_argument("--timeout", type=float, default=900, help="longest a contender may take for the whole workload")
    parser.add_argument("--skip-peer-latency", action="store_true")
    parser.add_argument("--latency-rate", type=float, metavar="RATE", help="pace the latency run at RATE events/s instead of half of handoffd's rate")
    parser.add_argument("--latency-only", type=float, metavar="RATE",
                        help="only start handoffd (no backlog) and measure its latency paced at RATE events/s")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="a handoffd setting for an experiment (kafka.* or processing.*), e.g. processing.changelog_interval=0ms")
    parser.add_argument("--handoffd-first", action="store_true",
                        help="run handoffd right after the limit, before the peers, and skip the latency runs (to see what the order costs)")
    parser.add_argument("--handoffd-only", action="store_true",
                        help="only load the workload and run handoffd on it (no limit, no peer, no latency): for trying a change")
    parser.add_argument("--profile-handoffd", action="store_true",
                        help="only load and run handoffd under `perf record -g` (its figures are then perturbed), and print its top costs")
    args = parser.parse_args()
    for setting in args.set:
        name, _, value = setting.partition("=")
        section, _, key = name.partition(".")
        if section not in ("kafka", "processing") or not key or not value:
            sys.exit(f"--set {setting}: expected kafka.KEY=VALUE or processing.KEY=VALUE")
        SETTINGS.setdefault(section, {})[key] = value
    global TANSU_PID
    for path in [".build/release/handoffd", ".build/release/handoff-bench", ".tools/bin/tansu", ".tools/rdkafka216/librdkafka.so.1"]:
        if not (ROOT / path).exists():
            sys.exit(f"{path} is missing: run `make bench-compare` (it builds and sets up everything)")
    run = TOOLS / "bench" / ("run-" + time.strftime("%Y%m%d-%H%M%S"))
    run.mkdir(parents=True)
    tag = run.name[4:]
    env = {**os.environ, "LD_LIBRARY_PATH": os.pathsep.join(filter(None, [str(TOOLS / "rdkafka216"), os.environ.get("LD_LIBRARY_PATH")]))}
    facts = machine()
    say(f"machine: {facts}; logs in {run}")

    path = TOOLS / "bench" / f"workload-{args.events // 1000}k-{args.conversations // 1000}k.jsonl"
    if args.events == 1_000_000 and args.conversations == 100_000:
        path = TOOLS / "bench" / "workload-1m.jsonl"
    if not path.exists():
        subprocess.run([sys.executable, str(ROOT / "bench/workload.py"), "--out", str(path), "--events", str(args.events),
                        "--conversations", str(args.conversations)], check=True)
    records = []
    with open(path, "rb") as source:
        for line in source:
            start = line.index(b'"subject":"') + 11
            records.append((line[start:line.index(b'"', start)], line.rstrip(b"\n")))
    say(f"workload {path.name}: {len(records)} events, {sum(len(v) for _, v in records) / len(records):.0f} bytes per event")

    tansu, bootstrap = start_tansu(run)
    TANSU_PID = tansu.proc.pid
    sampler = Sampler(TANSU_PID)
    sampler.start()
    results: dict = {"machine": facts}
    handoffd = None
    try:
        create_topics(bootstrap, args.partitions)
        if args.latency_only:
            handoffd, port, _ = start_handoffd(bootstrap, run, env, tag)
            deadline = time.monotonic() + 60
            while not handoffd.first(r"state restored") and time.monotonic() < deadline:
                time.sleep(0.1)
            say(f"latency only: handoffd {SETTINGS}, paced at {args.latency_only:.0f} events/s for {args.latency_seconds:.0f} s")
            results["latency_handoffd"] = paced(bootstrap, args.latency_only, args.latency_seconds, 2424, "lat", "support.handoffs")
            say(f"latency handoffd: {results['latency_handoffd']}")
            return
        ends = load(bootstrap, records)
        total = sum(ends.values())
        del records
        say(f"tansu rss after loading: {rss_mib(TANSU_PID):.0f} MiB")
        if args.profile_handoffd:
            return profile_handoffd(bootstrap, run, env, ends, tag, args.timeout)
        if args.handoffd_only:
            result, handoffd, _ = run_handoffd(bootstrap, run, env, ends, tag, args.timeout)
            say(f"handoffd only: {SETTINGS or 'defaults'}: {result}")
            return
        results["limit"] = run_limit(bootstrap, run, env, total, tag)
        if args.handoffd_first:
            results["handoffd"], handoffd, port = run_handoffd(bootstrap, run, env, ends, tag, args.timeout)
            say(f"handoffd: {results['handoffd']}")
            if handoffd:
                handoffd.stop()
            handoffd = None
        results["peer"] = run_peer(bootstrap, run, ends, tag, args.timeout)
        say(f"peer: {results['peer']}")
        results["peer_nochangelog"] = run_peer(bootstrap, run, ends, tag, args.timeout, changelog=False)
        say(f"peer without changelog: {results['peer_nochangelog']}")
        if not args.handoffd_first:
            results["handoffd"], handoffd, port = run_handoffd(bootstrap, run, env, ends, tag, args.timeout)
            say(f"handoffd: {results['handoffd']}")
        results["handoffs_compared"] = compare_handoffs(bootstrap)
        results["handoffd"].update(handoffd_bytes(bootstrap))
        say(f"handoffd read back: {results['handoffd']}")
        rate = results["handoffd"].get("steady_rate")
        if handoffd and rate:
            half = args.latency_rate or rate / 2
            say(f"latency: handoffd, paced at {half:.0f} events/s (handoffd's rate: {rate:.0f}) for {args.latency_seconds:.0f} s")
            results["latency_handoffd"] = paced(bootstrap, half, args.latency_seconds, 2424, "lat", "support.handoffs")
            say(f"latency handoffd: {results['latency_handoffd']}")
            handoffd.stop()
            handoffd = None
            if not args.skip_peer_latency:
                say(f"latency: peer, paced at the same {half:.0f} events/s")
                results["latency_peer"] = peer_latency(bootstrap, run, half, args.latency_seconds, tag)
                say(f"latency peer: {results['latency_peer']}")
        say("memory: handoff-bench memory")
        out = subprocess.run([str(ROOT / ".build/release/handoff-bench"), "memory"], capture_output=True, text=True, cwd=ROOT, timeout=600)
        results["memory"] = "; ".join(line for line in out.stdout.splitlines() if line.startswith("memory:")) or out.stdout + out.stderr
    finally:
        if handoffd:
            handoffd.stop()
        sampler.running = False
        results["tansu_peak_rss"] = sampler.peak
        tansu.stop()
    (run / "results.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    report(results, total, args)


def report(r: dict, total: int, args) -> None:
    limit, peer, hd, bare = r.get("limit", {}), r.get("peer", {}), r.get("handoffd", {}), r.get("peer_nochangelog", {})
    m = r["machine"]
    mb = lambda x: f"{x / 1e6:.1f} MB" if x is not None else "—"
    print()
    print(f"machine: {m['nproc']} cores ({m['cpu']}), {m['memory']}, Linux {m['kernel']}; {m['tansu']} (memory storage); "
          f"librdkafka {m['librdkafka']} for every client; Python {m['python']}, orjson {m['orjson']}; source {m.get('source')}")
    print(f"workload: {total} events, {args.conversations} conversations, {args.partitions} partitions of {INPUT}")
    print("done = every record processed and its outputs acknowledged: handoffd's /metrics (polled every 0.05 s), the peer's own line "
          "after its last flush, or the committed offsets if they reach the ends first; the limit: its last record consumed")
    print()
    print("| contender | joined after | done after (wall) | events/s (wall) | events/s (after joining) | offsets committed after | CPU s (process) "
          "| CPU s (Tansu) | peak RSS | handoffs | outputs (value bytes) | changelog records (value bytes) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| limit: handoff-bench limit, no processing | {fmt(limit.get('assigned'), '.2f')} s | {fmt(limit.get('total_s'), '.2f')} s "
          f"| {fmt(limit.get('rate'))} | {fmt(limit.get('steady_rate'))} (from the first record) | — | {fmt(limit.get('cpu'), '.1f')} "
          f"| {fmt(limit.get('tansu_cpu'), '.1f')} | — | — | — | — |")
    for name, x in ((f"feature-reduced peer: bench/peer.py --changelog --batch {PEER_BATCH}", peer),
                    (f"feature-reduced peer without changelog (--batch {PEER_BATCH})", bare), ("handoffd serve, changelog on", hd)):
        print(f"| {name} | {fmt(x.get('assigned'), '.2f')} s | {fmt(x.get('wall'), '.2f')} s | {fmt(x.get('rate'))} | {fmt(x.get('steady_rate'))} "
              f"| {fmt(x.get('committed_wall'), '.2f')} s | {fmt(x.get('cpu'), '.1f')} | {fmt(x.get('tansu_cpu'), '.1f')} | {fmt(x.get('hwm'))} MiB "
              f"| {fmt(x.get('handoffs'))} | {fmt(x.get('outputs'))} ({mb(x.get('output_bytes'))}) "
              f"| {fmt(x.get('changelog_records'))} ({mb(x.get('changelog_bytes'))}) |")
    print("\noffsets committed: the group's committed offsets reach the ends (driver polls every 0.1 s); "
          "handoffd commits every 1 s (its auto-commit interval), the peer asynchronously after every batch")
    if hd.get("output_records") is not None:
        print(f"handoffd's topics read back: {hd['output_records']} output records ({mb(hd.get('output_bytes'))}) in {', '.join(OUTPUTS)}, "
              f"{hd.get('changelog_records')} changelog records ({mb(hd.get('changelog_bytes'))})")
    ratio = lambda a, b: f"{a / b:.3f}" if a and b else "—"
    print(f"\nratios (events/s, wall): handoffd/limit {ratio(hd.get('rate'), limit.get('rate'))}, handoffd/peer {ratio(hd.get('rate'), peer.get('rate'))}")
    print(f"ratios (events/s, after joining): handoffd/limit {ratio(hd.get('steady_rate'), limit.get('steady_rate'))}, "
          f"handoffd/peer {ratio(hd.get('steady_rate'), peer.get('steady_rate'))}")
    cmp = r.get("handoffs_compared")
    if cmp:
        print(f"handoffs, (conversation, reason code) pairs: peer {cmp['peer_pairs']} pairs over {cmp['peer_conversations']} conversations, "
              f"handoffd {cmp['handoffd_pairs']} pairs over {cmp['handoffd_conversations']} conversations; symmetric difference "
              f"{cmp['symmetric_difference']} (only peer {cmp['only_peer']} {cmp['only_peer_codes']}, only handoffd {cmp['only_handoffd']} "
              f"{cmp['only_handoffd_codes']}); conversations handed off by only one: peer {cmp['conversations_only_peer']}, "
              f"handoffd {cmp['conversations_only_handoffd']}")
    for name in ("latency_handoffd", "latency_peer"):
        lat = r.get(name)
        if lat:
            print(f"{name.replace('_', ' ')}: paced at {lat['rate']:.0f} events/s (achieved {lat['achieved']:.0f}) for {lat['events']} events; "
                  f"input record -> support.handoff.created record, {lat['samples']} handoffs: p50 {lat['p50']} ms, p99 {lat['p99']} ms, max {lat['max']} ms")
    print(f"memory: {r.get('memory')}")
    print(f"tansu peak RSS: {r.get('tansu_peak_rss', 0):.0f} MiB")


TANSU_PID = 0

if __name__ == "__main__":
    main()
