"""Fixtures for the end-to-end tests: a real Kafka-compatible broker (Tansu) and `handoffd` processes.

Set up the tools first with `scripts/test-env.sh`, then run
    .tools/venv/bin/python -m pytest Tests/e2e -v

Environment:
    HANDOFFD_BIN        the handoffd binary (default: .build/debug/handoffd); missing -> the tests fail
    HANDOFFD_TANSU_BIN  the Tansu broker binary (default: .tools/bin/tansu, made by scripts/test-env.sh)
    HANDOFFD_RDKAFKA_DIR  directory with librdkafka.so.1 2.16 (default: .tools/rdkafka216); put on
                        LD_LIBRARY_PATH of handoffd only, because Debian's librdkafka 2.0.2 cannot
                        talk to Tansu.

Every wait here is on a condition with a deadline; nothing sleeps to synchronise.
Logs of each test go to .tools/e2e-logs/<run>/<test>/.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Iterable, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
LOG_ROOT = TOOLS / "e2e-logs"
# One folder per pytest run.
RUN_DIR = LOG_ROOT / (time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + f"-{os.getpid()}")

# Topic name -> partition count, as the tests expect them.
TOPICS = {
    "support.conversations": 3,
    "support.agents": 1,
    "support.handoffs": 3,
    "support.directives": 3,
    "support.deadletter": 1,
    "support.alerts": 1,
    "support.callbacks": 3,
}

# The group handoffd joins (from the config the tests write) and that config.
HANDOFFD_GROUP = "handoffd-e2e"
HANDOFFD_SOURCE = "urn:handoffd:e2e"
HANDOFFD_CONFIG = f"""\
source: "{HANDOFFD_SOURCE}"
kafka:
  group.id: {HANDOFFD_GROUP}
"""

SESSION_TIMEOUT_MS = 6000  # Tansu: a group join takes ~3 s with 6000, ~23 s with librdkafka's default
MAX_WAIT_S = 120.0


# MARK: - small helpers


class Deadline:
    """A monotonic deadline; `left()` is the time remaining (never negative)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.end


def _die_with_parent() -> None:
    """preexec_fn: make the child get SIGKILL if pytest itself dies (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    except OSError:
        pass


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text[-lines:])


def _tool_path(env_name: str, default: Path, what: str) -> Path:
    raw = os.environ.get(env_name)
    path = Path(raw) if raw else default
    if not path.is_absolute():
        path = ROOT / path
    return path


# MARK: - reporting


class Reporter:
    """Prints progress lines to the terminal even while pytest captures output, and keeps them in a file."""

    def __init__(self, capsys: pytest.CaptureFixture, log_path: Path):
        self._capsys = capsys
        self._file = open(log_path, "a", encoding="utf-8")
        self._t0 = time.monotonic()

    def __call__(self, message: str) -> None:
        line = f"[e2e {time.monotonic() - self._t0:6.1f}s] {message}"
        self._file.write(line + "\n")
        self._file.flush()
        with self._capsys.disabled():
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def close(self) -> None:
        self._file.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def test_log_dir(request) -> Path:
    d = RUN_DIR / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture
def say(capsys, test_log_dir) -> Iterable[Callable[[str], None]]:
    r = Reporter(capsys, test_log_dir / "test.log")
    r(f"logs of this test: {test_log_dir}")
    yield r
    r.close()


# MARK: - tools


@pytest.fixture(scope="session")
def tansu_bin() -> Path:
    path = _tool_path("HANDOFFD_TANSU_BIN", TOOLS / "bin" / "tansu", "tansu")
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"Tansu broker binary not found at {path}: run scripts/test-env.sh first "
                    f"(or set HANDOFFD_TANSU_BIN)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def rdkafka_dir() -> Path:
    path = _tool_path("HANDOFFD_RDKAFKA_DIR", TOOLS / "rdkafka216", "librdkafka")
    if not (path / "librdkafka.so.1").exists():
        pytest.fail(f"{path}/librdkafka.so.1 (librdkafka 2.16 from the confluent-kafka wheel) not found: "
                    f"run scripts/test-env.sh first", pytrace=False)
    return path


@pytest.fixture(scope="session")
def handoffd_bin() -> Path:
    """The binary under test; checked when a test starts it, so a missing binary FAILS that test."""
    return _tool_path("HANDOFFD_BIN", ROOT / ".build" / "debug" / "handoffd", "handoffd")


def require_handoffd(path: Path) -> None:
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"handoffd binary not found at {path}. Build it first (`swift build --product handoffd`) "
            f"or point HANDOFFD_BIN at a built binary.",
            pytrace=False,
        )


# MARK: - broker


class Broker:
    def __init__(self, port: int, process: subprocess.Popen, log_path: Path):
        self.port = port
        self.process = process
        self.log_path = log_path
        self.bootstrap = f"127.0.0.1:{port}"
        self.url = f"tcp://127.0.0.1:{port}"


def _start_tansu(tansu_bin: Path, log_path: Path, say) -> Broker:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE",
                        "SCHEMA_REGISTRY", "OTEL_EXPORTER_OTLP_ENDPOINT")}
    last_error = ""
    for attempt in range(3):  # a free port can be taken between probing and binding: retry a few times
        port = free_loopback_port()
        url = f"tcp://127.0.0.1:{port}"
        log = open(log_path, "ab")
        proc = subprocess.Popen(
            [str(tansu_bin), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            preexec_fn=_die_with_parent,
        )
        log.close()
        deadline = Deadline(30)
        while not deadline.expired() and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=min(1.0, deadline.left() or 0.1)):
                    say(f"tansu pid {proc.pid} listening on {url} (log: {log_path})")
                    return Broker(port, proc, log_path)
            except OSError:
                time.sleep(0.05)  # polling interval of a bounded wait for the listener
        last_error = f"attempt {attempt + 1}: tansu exited with {proc.poll()} or did not listen within 30 s"
        _stop_process(proc, 5)
    pytest.fail(f"could not start tansu: {last_error}\n{_tail(log_path)}", pytrace=False)


def _stop_process(proc: subprocess.Popen, grace_s: float) -> Optional[int]:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode


def create_topics(tansu_bin: Path, broker: Broker, topics: dict, say, configs: Optional[dict] = None) -> None:
    """Creates `topics` ({name: partitions}); `configs` ({name: {key: value}}) adds topic configs."""
    from confluent_kafka.admin import AdminClient

    for name, partitions in topics.items():
        extra = [a for k, v in ((configs or {}).get(name) or {}).items() for a in ("--config", f"{k}={v}")]
        out = subprocess.run(
            [str(tansu_bin), "topic", "create", name, "--partitions", str(partitions), "--broker", broker.url] + extra,
            capture_output=True, text=True, timeout=30,
        )
        if out.returncode != 0:
            pytest.fail(f"tansu topic create {name} failed ({out.returncode}):\n{out.stdout}{out.stderr}",
                        pytrace=False)
    # Check through the Kafka protocol that every topic exists with its partition count.
    admin = AdminClient({"bootstrap.servers": broker.bootstrap, "broker.address.family": "v4"})
    deadline = Deadline(30)
    found: dict = {}
    while not deadline.expired():
        md = admin.list_topics(timeout=max(1.0, min(5.0, deadline.left())))
        found = {t: len(md.topics[t].partitions) for t in topics if t in md.topics and md.topics[t].error is None}
        if found == topics:
            say("topics: " + ", ".join(f"{t}({n})" for t, n in found.items()))
            return
        time.sleep(0.1)  # polling interval of a bounded wait for metadata
    pytest.fail(f"topics not visible with the right partition counts: want {topics}, got {found}", pytrace=False)


@pytest.fixture
def broker(tansu_bin, test_log_dir, say) -> Iterable[Broker]:
    """A fresh Tansu broker (memory storage) on a free loopback port, with the handoffd topics created."""
    b = _start_tansu(tansu_bin, test_log_dir / "tansu.log", say)
    try:
        create_topics(tansu_bin, b, TOPICS, say)
        yield b
    finally:
        rc = _stop_process(b.process, 10)
        say(f"tansu stopped (exit {rc}); log: {b.log_path}")


# MARK: - handoffd


class Handoffd:
    """One handoffd process. stderr (its log) is read line by line into memory and a log file."""

    def __init__(self, binary: Path, broker: Broker, config: Path, rdkafka_dir: Path, log_path: Path, say,
                 extra_env: Optional[dict] = None):
        self.extra_env = extra_env or {}
        self.binary = binary
        self.broker = broker
        self.config = config
        self.rdkafka_dir = rdkafka_dir
        self.log_path = log_path
        self.say = say
        self.lines: list[str] = []
        self.cond = threading.Condition()
        self.process: Optional[subprocess.Popen] = None
        self._reader: Optional[threading.Thread] = None

    @property
    def argv(self) -> list[str]:
        return [str(self.binary), "serve", "--brokers", self.broker.bootstrap, "--config", str(self.config),
                "--kafka-property", f"session.timeout.ms={SESSION_TIMEOUT_MS}"]

    def start(self) -> "Handoffd":
        env = dict(os.environ)
        env.update(self.extra_env)
        # librdkafka 2.16 for this child only (handoffd links Debian's librdkafka.so.1 = 2.0.2).
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            [str(self.rdkafka_dir)] + ([env["LD_LIBRARY_PATH"]] if env.get("LD_LIBRARY_PATH") else []))
        self._log = open(self.log_path, "w", encoding="utf-8")
        self._log.write("$ LD_LIBRARY_PATH=" + env["LD_LIBRARY_PATH"] + " " + " ".join(self.argv) + "\n")
        self._log.flush()
        self.process = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.PIPE, env=env,
            cwd=str(ROOT), preexec_fn=_die_with_parent,
        )
        self._reader = threading.Thread(target=self._read, name=f"handoffd-{self.process.pid}-stderr", daemon=True)
        self._reader.start()
        self.say(f"handoffd pid {self.process.pid} started (log: {self.log_path})")
        return self

    def _read(self) -> None:
        assert self.process and self.process.stderr
        for raw in iter(self.process.stderr.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            with self.cond:
                self.lines.append(line)
                self._log.write(line + "\n")
                self._log.flush()
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for_line(self, pattern: str, timeout: float = MAX_WAIT_S) -> re.Match:
        """Waits until a stderr line matches `pattern` (regex, case-insensitive); fails if it exits first."""
        rx = re.compile(pattern, re.IGNORECASE)
        deadline = Deadline(timeout)
        seen = 0
        with self.cond:
            while True:
                for line in self.lines[seen:]:
                    m = rx.search(line)
                    if m:
                        return m
                seen = len(self.lines)
                if self.process.poll() is not None and (self._reader is None or not self._reader.is_alive()):
                    pytest.fail(f"handoffd exited ({self.process.returncode}) before logging /{pattern}/;"
                                f" log {self.log_path}:\n{_tail(self.log_path)}", pytrace=False)
                if deadline.expired():
                    pytest.fail(f"handoffd did not log /{pattern}/ within {timeout:.0f} s;"
                                f" log {self.log_path}:\n{_tail(self.log_path)}", pytrace=False)
                self.cond.wait(timeout=min(0.5, deadline.left()) or 0.01)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def require_alive(self, when: str) -> None:
        if not self.alive():
            self._finish()
            pytest.fail(f"handoffd exited with {self.process.returncode} on its own {when};"
                        f" log {self.log_path}:\n{_tail(self.log_path)}", pytrace=False)

    def kill(self) -> int:
        """SIGKILL: a crash, no shutdown work at all."""
        assert self.process
        self.require_alive("before the test killed it")
        self.process.send_signal(signal.SIGKILL)
        rc = self.process.wait(timeout=30)
        self._finish()
        self.say(f"handoffd pid {self.process.pid} SIGKILLed (exit {rc})")
        return rc

    def terminate(self, timeout: float) -> Optional[int]:
        """SIGTERM and wait up to `timeout`; returns the exit code, or None if it is still running."""
        assert self.process
        t0 = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            rc = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.say(f"handoffd pid {self.process.pid} still running {timeout:.0f} s after SIGTERM")
            return None
        self._finish()
        self.say(f"handoffd pid {self.process.pid} exited {rc} {time.monotonic() - t0:.1f} s after SIGTERM")
        return rc

    def _finish(self) -> None:
        if self._reader:
            self._reader.join(timeout=10)
        try:
            self._log.close()
        except Exception:
            pass

    def cleanup(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
            self._finish()
            self.say(f"handoffd pid {self.process.pid} killed at teardown")


@pytest.fixture
def handoffd_config(test_log_dir) -> Path:
    path = test_log_dir / "handoff.yaml"
    path.write_text(HANDOFFD_CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def handoffd_factory(handoffd_bin, broker, handoffd_config, rdkafka_dir, test_log_dir, say, request):
    """`start()` starts one more handoffd against the test's broker; all are killed at teardown."""
    started: list[Handoffd] = []

    def start(env: Optional[dict] = None) -> Handoffd:
        require_handoffd(handoffd_bin)
        h = Handoffd(handoffd_bin, broker, handoffd_config, rdkafka_dir,
                     test_log_dir / f"handoffd-{len(started) + 1}.log", say, extra_env=env)
        started.append(h)
        return h.start()

    yield start
    for h in started:
        h.cleanup()
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for h in started:
            say(f"--- last lines of {h.log_path} ---\n{_tail(h.log_path)}")
    say("handoffd logs: " + (", ".join(str(h.log_path) for h in started) or "(none started)"))


# MARK: - Kafka clients (librdkafka 2.16 from the confluent-kafka wheel)


def client_conf(broker: Broker, **extra) -> dict:
    conf = {"bootstrap.servers": broker.bootstrap, "broker.address.family": "v4"}
    conf.update(extra)
    return conf


class Observer:
    """A consumer in its own group reading topics from the beginning on a background thread."""

    def __init__(self, broker: Broker, topics: list[str], say, isolation: str = "read_committed"):
        from confluent_kafka import Consumer

        self.topics = topics
        self.say = say
        self.records: list[dict] = []
        self.cond = threading.Condition()
        self.idle_positions: dict = {}  # positions at the last poll that returned nothing
        self.assigned = threading.Event()
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._consumer = Consumer(client_conf(
            broker, **{"group.id": f"e2e-observer-{uuid.uuid4().hex[:8]}", "auto.offset.reset": "earliest",
                       "enable.auto.commit": False, "session.timeout.ms": SESSION_TIMEOUT_MS,
                       "isolation.level": isolation}))
        self._metadata = Consumer(client_conf(broker, **{"group.id": "e2e-metadata", "enable.auto.commit": False}))
        self._thread = threading.Thread(target=self._run, name="e2e-observer", daemon=True)

    def start(self) -> "Observer":
        self._thread.start()
        return self

    def _run(self) -> None:
        c = self._consumer
        c.subscribe(self.topics, on_assign=lambda _c, _ps: self.assigned.set())
        while not self._stop.is_set():
            msg = c.poll(0.2)
            if msg is None:
                try:
                    pos = {(tp.topic, tp.partition): tp.offset for tp in c.position(c.assignment())}
                except Exception:
                    pos = {}
                with self.cond:
                    self.idle_positions = pos
                    self.cond.notify_all()
            else:
                if msg.error():
                    if not msg.error().name() == "_PARTITION_EOF":
                        self.errors.append(str(msg.error()))
                else:
                    rec = {"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(),
                           "key": msg.key(), "value": msg.value(), "headers": msg.headers() or [],
                           "timestamp": msg.timestamp()[1]}
                    try:
                        rec["event"] = json.loads(msg.value())
                    except (TypeError, ValueError) as e:
                        rec["event"] = None
                        rec["decode_error"] = str(e)
                    with self.cond:
                        self.records.append(rec)
                        self.cond.notify_all()

    def snapshot(self) -> list[dict]:
        with self.cond:
            return list(self.records)

    def wait_until(self, predicate: Callable[[list[dict]], bool], timeout: float) -> bool:
        deadline = Deadline(timeout)
        with self.cond:
            while not predicate(self.records):
                if deadline.expired():
                    return False
                self.cond.wait(timeout=min(0.5, deadline.left()) or 0.01)
            return True

    def end_offsets(self) -> dict:
        from confluent_kafka import TopicPartition

        ends = {}
        for topic in self.topics:
            md = self._metadata.list_topics(topic, timeout=10)
            for p in md.topics[topic].partitions:
                _lo, hi = self._metadata.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                ends[(topic, p)] = hi
        return ends

    def wait_caught_up(self, timeout: float) -> bool:
        """Waits until this consumer has read, and handed over, every partition up to its end as of now.

        The end is the broker's high watermark. Tansu under-reports it after a multi-record batch (base
        offset of the last batch + 1); since a fetch returns whole batches, "position >= watermark at a
        poll that returned nothing" still means the last batch was read completely.
        """
        ends = self.end_offsets()
        deadline = Deadline(timeout)
        with self.cond:
            while True:
                behind = {tp: end for tp, end in ends.items()
                          if end > 0 and self.idle_positions.get(tp, -1) < end}
                if not behind:
                    return True
                if deadline.expired():
                    self.say(f"observer still behind after {timeout:.0f} s: ends {behind}, "
                             f"positions {self.idle_positions}")
                    return False
                self.cond.wait(timeout=min(0.5, deadline.left()) or 0.01)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        if self.errors:
            self.say(f"observer saw consumer errors: {self.errors[:10]}")
        self._consumer.close()
        self._metadata.close()


@pytest.fixture
def observer_factory(broker, say):
    made: list[Observer] = []

    def make(topics: list[str], isolation: str = "read_committed") -> Observer:
        o = Observer(broker, topics, say, isolation=isolation).start()
        made.append(o)
        return o

    yield make
    for o in made:
        o.close()


class GroupOffsets:
    """Reads a group's committed offsets without joining it (OffsetFetch)."""

    def __init__(self, broker: Broker, group: str, topic: str):
        from confluent_kafka import Consumer

        self.topic = topic
        self._c = Consumer(client_conf(broker, **{"group.id": group, "enable.auto.commit": False}))

    def committed(self) -> dict:
        from confluent_kafka import TopicPartition

        md = self._c.list_topics(self.topic, timeout=10)
        parts = [TopicPartition(self.topic, p) for p in sorted(md.topics[self.topic].partitions)]
        return {tp.partition: tp.offset for tp in self._c.committed(parts, timeout=10)}

    def wait_all_committed(self, end_offsets: dict, timeout: float, say) -> bool:
        """Waits until the group committed `end_offsets` ({(topic, partition): next offset}) of our topic."""
        ends = {p: o for (t, p), o in end_offsets.items() if t == self.topic}
        deadline = Deadline(timeout)
        while True:
            committed = self.committed()
            lag = {p: end - max(committed.get(p, -1), 0) for p, end in ends.items()}
            if all(v <= 0 for v in lag.values()):
                return True
            if deadline.expired():
                say(f"group has not committed all input after {timeout:.0f} s: lag per partition {lag}")
                return False
            time.sleep(0.25)  # polling interval of a bounded wait on the group's committed offsets

    def close(self) -> None:
        self._c.close()


class EventProducer:
    """An idempotent producer that remembers delivery failures."""

    def __init__(self, broker: Broker):
        from confluent_kafka import Producer

        self.errors: list[str] = []
        self.delivered = 0
        # (topic, partition) -> next offset, from delivery reports. Tansu's ListOffsets under-reports the
        # high watermark after a multi-record batch (it answers base offset of the last batch + 1), so the
        # exact end of what we produced is taken from here instead.
        self.end_offsets: dict = {}
        self._p = Producer(client_conf(broker, **{"enable.idempotence": True, "linger.ms": 0}))

    def _on_delivery(self, err, msg) -> None:
        if err is not None:
            self.errors.append(f"{msg.topic()} key={msg.key()!r}: {err}")
        else:
            self.delivered += 1
            tp = (msg.topic(), msg.partition())
            self.end_offsets[tp] = max(self.end_offsets.get(tp, 0), msg.offset() + 1)

    def send(self, topic: str, key: Optional[bytes], value: bytes, partition: Optional[int] = None) -> None:
        """Produces one record; `partition` pins it (default: the partitioner picks one from the key)."""
        if partition is None:
            self._p.produce(topic, key=key, value=value, on_delivery=self._on_delivery)
        else:
            self._p.produce(topic, key=key, value=value, partition=partition, on_delivery=self._on_delivery)
        self._p.poll(0)

    def close(self) -> None:
        """Drops the librdkafka handle now (a failed test's traceback would otherwise keep it alive)."""
        if self._p is not None:
            self._p.flush(10)
            self._p = None

    def flush(self, timeout: float = 30) -> None:
        left = self._p.flush(timeout)
        assert left == 0, f"{left} messages not delivered within {timeout} s"
        assert not self.errors, "delivery failed: " + "; ".join(self.errors[:5])


@pytest.fixture
def producer(broker) -> Iterable[EventProducer]:
    p = EventProducer(broker)
    yield p
    p.close()
