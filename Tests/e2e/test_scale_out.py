"""End to end: three handoffd instances in one group; one dies; durable conversation state moves on.

    scripts/test-env.sh && .tools/venv/bin/python -m pytest Tests/e2e/test_scale_out.py -v

Three `handoffd serve` processes share one consumer group over 3 partitions of support.conversations
(and 3 of support.conversation-state). The conversations are made here, each pinned to a partition
(conversation i -> partition i % 3; the Kafka key is the conversation id, as handoffd requires):
started, then twice customer message / bot reply / feedback helpful:false -- two unsuccessful replies,
an escalation offer, no handoff yet. Two more conversations ask for a person at once. After the first
handoff, and once the group has committed all of that input (so a new owner cannot rebuild the counters
by reading the input again), the owner of partition 0 is SIGKILLed. When the two survivors own all
partitions, every conversation gets its third unsuccessful reply (bot reply + helpful:false).

1. test_state_moves_with_its_partition (processing.changelog: true): every conversation is handed off
   with reason repeated_failures and its three failed replies as evidence -- also those whose partition
   moved to another instance: their counters came back from support.conversation-state ("state restored").
2. test_control_without_changelog (processing.changelog: false), smaller: conversations whose partition
   moved are NOT handed off, those whose partition stayed are. This shows that test 1 can fail.

Test 1 also books a callback on partition 0 before the kill (a window opening CALLBACK_AFTER_S after
phase 1, 20-second slots): it must come due exactly once (one support.callback.due), at a slot after the
kill, so from the instance that took partition 0 over with the conversation's state.

Test 1 also reads support.conversation-state itself and checks that the new owner's restore read at least
the records the changelog partition held at the kill ("state restored ... records=N").
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import os
import re
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for `from conftest import` in any import mode
from conftest import HANDOFFD_CONFIG, HANDOFFD_GROUP, MAX_WAIT_S, TOPICS, Deadline, GroupOffsets, create_topics
from test_tansu_e2e import (CONVERSATIONS, CREATED, DEADLETTER, DIRECTIVES, HANDOFFS, PUBLISH_PACE_S, STARTUP_RX,
                            created_by_conversation, envelope_problems, run_validator, write_jsonl)

ALERTS = "support.alerts"
CALLBACKS = "support.callbacks"
CALLBACK_QUEUE = "e2e-callbacks"
DUE = "support.callback.due"
# The customer's window opens this long after phase 1 is published: after the kill and the rebalance.
CALLBACK_AFTER_S = 25
CHANGELOG = "support.conversation-state"
OFFERED = "support.escalation.offered"
PARTITIONS = TOPICS[CONVERSATIONS]  # 3
INSTANCES = 3
INPUT_SOURCE = "urn:e2e:scale-out-frontend"

ASSIGNMENT_RX = re.compile(r"\] partitions (assigned|revoked)\s*$")
PARTITION_RX = re.compile(re.escape(CONVERSATIONS) + r"\[(\d+)\]")
RESTORED_RX = re.compile(r"\] state restored\s*$")
STABLE_S = 1.0  # an assignment counts as settled when no instance's view of it changed for this long
REBALANCE_WAIT_S = 60.0  # SIGKILL -> session timeout (6 s) -> rebalance on Tansu (~3 s per join)
# Seconds between published events; by default each phase is published in one burst. handoffd then writes
# several states per changelog batch, and Tansu reports the end of such a partition as the last batch's
# base offset + 1: a restore that stopped at the reported end lost the rest of that batch (found by this
# test; handoffd now reads on past the reported end). HANDOFFD_E2E_PACE_S=0.005 paces the publishing.
PACE_S = float(os.environ.get("HANDOFFD_E2E_PACE_S", "0"))


def changelog(enabled: bool):
    """The processing.changelog value the test's handoffd configuration gets."""
    def mark(fn):
        fn.changelog = enabled
        return fn
    return mark


@pytest.fixture
def handoffd_config(test_log_dir, request) -> Path:
    """The e2e configuration plus processing.changelog (per test) and the admin endpoint on a port of its
    own choosing: three processes on one host cannot all listen on the default 9464."""
    enabled = getattr(request.function, "changelog")
    path = test_log_dir / "handoff.yaml"
    path.write_text(HANDOFFD_CONFIG + f"processing:\n  changelog: {'true' if enabled else 'false'}\n"
                    "admin:\n  port: 0\n"
                    # Short callback slots, so a callback booked before the kill comes due soon after it.
                    f"callbacks:\n  lead_time: 5s\nqueues:\n  {CALLBACK_QUEUE}:\n    callback_slot: 20s\n    callback_capacity: 10\n",
                    encoding="utf-8")
    return path


# MARK: - conversations


class Conversation:
    """One generated conversation, pinned to a partition; events are (partition, key, bytes)."""

    def __init__(self, cid: str, partition: int, t0: dt.datetime):
        self.cid, self.partition, self.t0 = cid, partition, t0
        self.n = 0
        self.bot_replies: list[str] = []  # message ids of the bot replies, in order
        self.feedback_ids: list[str] = []  # CloudEvents ids of the feedback events, in order

    def _event(self, type_: str, data: dict) -> tuple[int, bytes, bytes]:
        self.n += 1
        ev = {"specversion": "1.0", "id": f"evt-{self.cid}-{self.n}", "source": INPUT_SOURCE, "type": type_,
              "time": (self.t0 + dt.timedelta(seconds=10 * self.n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "subject": self.cid, "datacontenttype": "application/json",
              "data": {"conversation_id": self.cid, **data}}
        self.last_event_id = ev["id"]
        return self.partition, self.cid.encode(), json.dumps(ev, separators=(",", ":")).encode()

    def started(self):
        return self._event("support.conversation.started", {"customer_id": f"cust-{self.cid}", "channel": "web",
                                                             "locale": "en-US", "customer_tier": "standard"})

    def customer(self, text: str):
        return self._event("support.message.customer", {"message_id": f"{self.cid}-c{self.n + 1}", "text": text})

    def bot(self, text: str, source: str, confidence: float):
        mid = f"{self.cid}-b{len(self.bot_replies) + 1}"
        self.bot_replies.append(mid)
        return self._event("support.message.bot", {"message_id": mid, "text": text, "sources": [source],
                                                   "confidence": confidence, "faithfulness": 0.9})

    def wants_callback(self, earliest: dt.datetime):
        window = {"start": earliest.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "end": (earliest + dt.timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        return self._event("support.callback.requested", {"contact_ref": "crm:e2e-1", "time_zone": "UTC",
                                                          "queue": CALLBACK_QUEUE, "windows": [window]})

    def unhelpful(self):
        ev = self._event("support.feedback", {"message_id": self.bot_replies[-1], "helpful": False})
        self.feedback_ids.append(self.last_event_id)
        return ev


# Three grounded, confident, mutually different replies (no dead end, no low confidence), judged unhelpful.
REPLIES = [
    ("Yes! You can choose your preferred delivery day under Account > Delivery settings. The change applies "
     "from your next box that hasn't shipped yet.", "kb-delivery-days", 0.8),
    ("In the app, tap Profile and then Settings > Delivery to pick a new delivery day.", "kb-app-navigation", 0.74),
    ("On Android the delivery day is changed per box: open Orders, tap your next box and choose \"Change delivery "
     "day\". The new day is kept for all following boxes.", "kb-app-delivery-day-android", 0.86),
]


def two_failures(c: Conversation) -> list:
    """Phase 1 of a conversation: two unsuccessful replies (an offer, no handoff)."""
    return [c.started(),
            c.customer("can i change the delivery day for my weekly box?"),
            c.bot(*REPLIES[0]), c.unhelpful(),
            c.customer("there is no delivery settings in my account, I'm on the app"),
            c.bot(*REPLIES[1]), c.unhelpful()]


def third_failure(c: Conversation) -> list:
    return [c.bot(*REPLIES[2]), c.unhelpful()]


def asks_for_person(c: Conversation) -> list:
    return [c.started(), c.customer("can I talk to a human please")]


def round_robin(lists: list[list]) -> list:
    out, queues = [], [list(x) for x in lists]
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


def publish(producer, events: list, say, label: str) -> None:
    for partition, key, value in events:
        producer.send(CONVERSATIONS, key, value, partition=partition)
        time.sleep(PACE_S)  # pacing only (not synchronisation)
    producer.flush(30)
    say(f"{label}: published {len(events)} events")


# MARK: - who owns what (from the instances' logs)


def log_lines(h) -> list[str]:
    with h.cond:
        return list(h.lines)


def assignment(h) -> tuple[frozenset, int]:
    """The partitions an instance owns now (its 'partitions assigned'/'revoked' lines replayed, assigned
    lines adding as handoffd does) and the index of its last 'partitions assigned' line (-1: none)."""
    owned: set[int] = set()
    last = -1
    for i, line in enumerate(log_lines(h)):
        m = ASSIGNMENT_RX.search(line)
        if not m:
            continue
        parts = {int(p) for p in PARTITION_RX.findall(line)}
        if m.group(1) == "assigned":
            owned |= parts
            last = i
        else:
            owned -= parts
    return frozenset(owned), last


def wait_for_owners(instances: list, since: dict, names: dict, say, what: str) -> dict:
    """Waits until every instance logged 'partitions assigned' at or after line `since[h]` and together they
    own each partition exactly once, unchanged for STABLE_S; returns {partition: instance}."""
    deadline = Deadline(REBALANCE_WAIT_S)
    t0 = time.monotonic()
    settled, since_t = None, 0.0
    while True:
        for h in instances:
            h.require_alive(what)
        views = {h: assignment(h) for h in instances}
        owners: dict[int, list] = defaultdict(list)
        for h, (owned, _last) in views.items():
            for p in owned:
                owners[p].append(h)
        fresh = all(last >= since.get(h, 0) for h, (_owned, last) in views.items())
        ok = fresh and set(owners) == set(range(PARTITIONS)) and all(len(v) == 1 for v in owners.values())
        current = {p: hs[0] for p, hs in owners.items()} if ok else None
        if current != settled:
            settled, since_t = current, time.monotonic()
        elif current is not None and time.monotonic() - since_t >= STABLE_S:
            say(f"{what}: assignment settled after {time.monotonic() - t0:.1f} s: "
                + ", ".join(f"p{p} -> {names[h]}" for p, h in sorted(current.items())))
            return current
        if deadline.expired():
            pytest.fail(f"{what}: no settled assignment of {PARTITIONS} partitions within {REBALANCE_WAIT_S:.0f} s; "
                        "views: " + "; ".join(f"{names[h]} owns {sorted(o)} (last assigned line {last})"
                                              for h, (o, last) in views.items()), pytrace=False)
        time.sleep(0.1)  # polling interval of a bounded wait on several processes' logs


def restored_lines(h, since: int = 0) -> list[str]:
    return [line for line in log_lines(h)[since:] if RESTORED_RX.search(line)]


# MARK: - the scenario


def handoffs_with_three_failures(records: list[dict], c: Conversation) -> list[dict]:
    """support.handoff.created events of `c` with reason repeated_failures whose evidence is exactly its
    three bot replies."""
    assert len(c.bot_replies) == 3, f"{c.cid}: the third reply was not published yet"
    want = sorted(c.bot_replies)
    return [r for r in created_by_conversation(records).get(c.cid, [])
            if any(x.get("code") == "repeated_failures" and sorted(x.get("evidence") or []) == want
                   for x in r["event"]["data"].get("reasons") or [])]


class Run:
    """Steps 1-5: topics, three instances, phase 1, SIGKILL, the settled rebalance, the third replies."""

    def __init__(self, tansu_bin, broker, handoffd_factory, observer_factory, producer, say, count: int,
                 with_changelog: bool):
        self.say = say
        self.producer = producer
        tag = uuid.uuid4().hex[:6]
        t0 = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(minutes=5)
        self.conversations = [Conversation(f"conv-scale-{tag}-{i:02d}", i % PARTITIONS, t0) for i in range(count)]
        self.persons = [Conversation(f"conv-person-{tag}-{i}", i % PARTITIONS, t0) for i in range(2)]
        # A callback on partition 0 (the victim's), booked before the kill, due after it.
        self.callback = Conversation(f"conv-callback-{tag}", 0, t0)
        self.by_id = {c.cid: c for c in self.conversations + self.persons + [self.callback]}

        # support.alerts is among the fixture's topics already; the changelog is this test's own.
        create_topics(tansu_bin, broker, {CHANGELOG: PARTITIONS}, say,
                      configs={CHANGELOG: {"cleanup.policy": "compact"}})
        self.observer = observer_factory([HANDOFFS, DIRECTIVES, DEADLETTER, ALERTS, CALLBACKS])
        # The changelog's records are conversation states, not CloudEvents: read apart from the outputs.
        self.changelog = observer_factory([CHANGELOG]) if with_changelog else None

        # 2. Three instances, one group.
        self.instances = [handoffd_factory() for _ in range(INSTANCES)]
        self.names = {h: f"handoffd-{i + 1}(pid {h.process.pid})" for i, h in enumerate(self.instances)}
        for h in self.instances:
            version = h.wait_for_line(STARTUP_RX, timeout=60).group(1)
            assert version.startswith("2.16"), f"{self.names[h]} loaded librdkafka {version}, not 2.16"
        for h in self.instances:
            h.wait_for_line(r"\] partitions assigned", timeout=MAX_WAIT_S)
        self.before = wait_for_owners(self.instances, {}, self.names, say, "start")

        # 3. Two unsuccessful replies for each conversation; the requests for a person come last.
        publish(producer, round_robin([two_failures(c) for c in self.conversations])
                + round_robin([asks_for_person(c) for c in self.persons])
                + [self.callback.started(),
                   self.callback.wants_callback(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=CALLBACK_AFTER_S))], say,
                f"phase 1 ({len(self.conversations)} conversations x 2 unsuccessful replies, "
                f"{len(self.persons)} asking for a person)")
        obs = self.observer
        if not obs.wait_until(lambda rs: bool(created_by_conversation(rs)), timeout=MAX_WAIT_S):
            pytest.fail(f"no {CREATED} within {MAX_WAIT_S:.0f} s of phase 1", pytrace=False)
        first = sorted(created_by_conversation(obs.snapshot()))
        say(f"first handoff(s): {first}")
        # The kill must find the counters only in handoffd's state: every offer made, and all phase-1
        # input committed (auto-commit every second), so that the next owner does not simply re-read it.
        offered = lambda rs: {(r["event"] or {}).get("subject") for r in rs
                              if r["topic"] == DIRECTIVES and (r["event"] or {}).get("type") == OFFERED}
        if not obs.wait_until(lambda rs: {c.cid for c in self.conversations} <= offered(rs), timeout=MAX_WAIT_S):
            missing = sorted({c.cid for c in self.conversations} - offered(obs.snapshot()))
            pytest.fail(f"no {OFFERED} after two unsuccessful replies for {missing}", pytrace=False)
        offsets = GroupOffsets(broker, HANDOFFD_GROUP, CONVERSATIONS)
        try:
            assert offsets.wait_all_committed(producer.end_offsets, timeout=30, say=say), \
                "the group did not commit phase 1 within 30 s"
        finally:
            offsets.close()
        say(f"{OFFERED} for all {len(self.conversations)} conversations; phase 1 committed")
        # Committed offsets imply acknowledged state writes: this is what the changelog holds at the kill.
        self.changelog_at_kill: dict[int, int] = {}
        self.short_restores = []
        if self.changelog is not None:
            if not self.changelog.wait_caught_up(timeout=30):
                pytest.fail(f"could not read {CHANGELOG} to its end within 30 s", pytrace=False)
            for r in self.changelog.snapshot():
                self.changelog_at_kill[r["partition"]] = self.changelog_at_kill.get(r["partition"], 0) + 1
            say(f"{CHANGELOG} records per partition at the kill: {dict(sorted(self.changelog_at_kill.items()))}")

        # 4. SIGKILL the owner of partition 0.
        self.victim = self.before[0]
        self.survivors = [h for h in self.instances if h is not self.victim]
        self.kill_marks = {h: len(log_lines(h)) for h in self.survivors}
        say(f"SIGKILL {self.names[self.victim]}, owner of partition(s) "
            f"{sorted(p for p, h in self.before.items() if h is self.victim)}")
        self.kill_time = dt.datetime.now(dt.timezone.utc)
        self.victim.kill()
        self.after = wait_for_owners(self.survivors, self.kill_marks, self.names, say, "after the kill")
        self.moved = {p for p in range(PARTITIONS) if self.after[p] is not self.before[p]}
        self.gained = {h: {p for p in self.moved if self.after[p] is h} for h in self.survivors}
        say(f"partitions that moved: {sorted(self.moved)}; "
            + ", ".join(f"{self.names[h]} gained {sorted(g)}" for h, g in self.gained.items()))

        if self.changelog is not None:
            self._await_restores()

        # 5. The third unsuccessful reply of every conversation.
        publish(producer, round_robin([third_failure(c) for c in self.conversations]), say, "phase 3 (third replies)")

    def _await_restores(self) -> None:
        """Waits (bounded) for the new owners' 'state restored' lines of the partitions they gained, and
        says what they read against what the changelog held; the test judges them at the end."""
        deadline = Deadline(30)
        self.short_restores: list[str] = []
        for h, gained in self.gained.items():
            while gained:
                lines = [line for line in restored_lines(h, self.kill_marks[h])
                         if gained <= {int(p) for p in PARTITION_RX.findall(line)}]
                if lines:
                    held = sum(self.changelog_at_kill.get(p, 0) for p in gained)
                    self.say(f"{self.names[h]} restored {sorted(gained)} ({held} changelog records at the kill): "
                             f"{lines[-1].split(' handoffd: ', 1)[-1]}")
                    read = re.search(r"\brecords=(\d+)", lines[-1])
                    if read and int(read.group(1)) < held:
                        self.short_restores.append(f"{self.names[h]} read {read.group(1)} of {held} records")
                    break
                if deadline.expired():
                    self.say(f"{self.names[h]} logged no 'state restored' for {sorted(gained)} within 30 s of the "
                             "settled rebalance")
                    break
                h.require_alive("while restoring")
                time.sleep(0.1)  # polling interval of a bounded wait on a log line after a mark

    def callback_events(self, records: list[dict], type_: str) -> list[dict]:
        return [r for r in records if r["topic"] == CALLBACKS and (r["event"] or {}).get("type") == type_
                and (r["event"].get("data") or {}).get("conversation_id") == self.callback.cid]

    def moved_conversations(self) -> list[Conversation]:
        return [c for c in self.conversations if c.partition in self.moved]

    def stayed_conversations(self) -> list[Conversation]:
        return [c for c in self.conversations if c.partition not in self.moved]

    def settle(self, broker, timeout: float) -> bool:
        """Waits until the group committed all input and the observer read everything emitted so far:
        after that, the outputs of every published record are in the observer's records."""
        offsets = GroupOffsets(broker, HANDOFFD_GROUP, CONVERSATIONS)
        try:
            committed = offsets.wait_all_committed(self.producer.end_offsets, timeout=timeout, say=self.say)
        finally:
            offsets.close()
        caught_up = self.observer.wait_caught_up(timeout=30)
        self.say(f"all input committed: {committed}; observer caught up: {caught_up}")
        return committed and caught_up

    def report(self, records: list[dict]) -> None:
        got = created_by_conversation(records)
        for c in self.conversations + self.persons:
            evs = [r["event"]["data"] for r in got.get(c.cid, [])]
            where = "moved" if c.partition in self.moved else "stayed"
            self.say(f"  {c.cid} p{c.partition} ({where}): {len(evs)} created "
                     + " ".join(f"[{d.get('handoff_id')} trigger={d.get('trigger_event_id')} reasons="
                                f"{[(x.get('code'), len(x.get('evidence') or [])) for x in d.get('reasons') or []]}]"
                                for d in evs))
        by_type = defaultdict(int)
        for r in records:
            by_type[(r["topic"], (r.get("event") or {}).get("type"))] += 1
        self.say("emitted: " + ", ".join(f"{t}/{ty}: {n}" for (t, ty), n in sorted(by_type.items(), key=str)))
        for h in self.instances:
            for line in restored_lines(h):
                self.say(f"  {self.names[h]}: {line}")

    def write_and_validate(self, records: list[dict], test_log_dir: Path) -> None:
        files = []
        for topic in (HANDOFFS, DIRECTIVES, ALERTS, DEADLETTER):
            path = test_log_dir / (topic.replace("support.", "") + ".jsonl")
            write_jsonl(path, [r for r in records if r["topic"] == topic])
            files.append(path)
        if self.changelog is not None:
            with open(test_log_dir / "conversation-state.txt", "w", encoding="utf-8") as f:
                for r in self.changelog.snapshot():
                    state = r.get("event") if isinstance(r.get("event"), dict) else {}
                    f.write(f"p{r['partition']}@{r['offset']} key={r['key']!r} last_offset={state.get('last_offset')} "
                            f"bytes={len(r['value'] or b'')}\n")
        problems = [p for r in records for p in envelope_problems(r)]
        assert not problems, "emitted events break the contract:\n" + "\n".join(problems[:20])
        run_validator(files, self.say)

    def stop_survivors(self) -> dict:
        """SIGTERM to both survivors at once; {instance: exit code or None}."""
        with concurrent.futures.ThreadPoolExecutor(len(self.survivors)) as pool:
            futures = {h: pool.submit(h.terminate, 30) for h in self.survivors}
            return {h: f.result() for h, f in futures.items()}


def check_common(run: Run, records: list[dict]) -> None:
    dead = [r for r in records if r["topic"] == DEADLETTER]
    assert not dead, f"{len(dead)} dead letters, first: {dead[0]['value'][:400]!r}"
    got = created_by_conversation(records)
    strays = sorted(set(got) - set(run.by_id))
    assert not strays, f"{CREATED} for conversations the test never published: {strays}"
    for cid, rs in got.items():
        hids = {r["event"]["data"].get("handoff_id") for r in rs}
        assert len(hids) == 1, f"{cid}: {CREATED} with {len(hids)} different handoff_ids {sorted(hids)}"
    for c in run.persons:
        reasons = [x.get("code") for r in got.get(c.cid, []) for x in r["event"]["data"].get("reasons") or []]
        assert "explicit_request" in reasons, f"{c.cid} asked for a person: no {CREATED} with explicit_request"


# MARK: - tests


@changelog(True)
def test_state_moves_with_its_partition(tansu_bin, broker, handoffd_factory, observer_factory, producer,
                                        test_log_dir, say):
    run = Run(tansu_bin, broker, handoffd_factory, observer_factory, producer, say, count=12, with_changelog=True)

    # 5. Every conversation is handed off for its three failed replies, the moved ones too.
    def all_handed_off(rs):
        return all(handoffs_with_three_failures(rs, c) for c in run.conversations) or \
            not all(h.alive() for h in run.survivors)

    t0 = time.monotonic()
    # A restore already seen to be short fails below anyway: wait only long enough to show its effect.
    wait_s = 20.0 if run.short_restores else MAX_WAIT_S
    if run.short_restores:
        say(f"restore read less than the changelog held ({'; '.join(run.short_restores)}): waiting {wait_s:.0f} s only")
    ok = run.observer.wait_until(all_handed_off, timeout=wait_s)
    say(f"all {len(run.conversations)} handed off with repeated_failures: {ok} "
        f"({time.monotonic() - t0:.1f} s after the third replies)")
    for h in run.survivors:
        h.require_alive("after the third replies")
    # The victim's pending callback comes due: its new owner restored it with the conversation.
    due_ok = run.observer.wait_until(lambda rs: bool(run.callback_events(rs, DUE)), timeout=CALLBACK_AFTER_S + 120)
    say(f"{DUE} for {run.callback.cid}: {due_ok}")
    run.settle(broker, timeout=30)
    records = run.observer.snapshot()
    run.report(records)
    restored = {h: restored_lines(h, run.kill_marks[h]) for h in run.survivors}
    codes = run.stop_survivors()  # first, so the exit codes are checked even if an assertion below fails
    run.write_and_validate(records, test_log_dir)

    # The survivors restored state; the new owner of a moved partition read all of its changelog.
    for h in run.survivors:
        assert restored_lines(h), f"{run.names[h]} never logged 'state restored' (log {h.log_path})"
    for h, gained in run.gained.items():
        if not gained:
            continue
        lines = [line for line in restored[h] if gained <= {int(p) for p in PARTITION_RX.findall(line)}]
        assert lines, (f"{run.names[h]} took over partition(s) {sorted(gained)} but logged no 'state restored' "
                       f"for them after the kill: {restored[h]}")
        line = lines[-1]
        read = re.search(r"\brecords=(\d+)", line)
        held = sum(run.changelog_at_kill.get(p, 0) for p in gained)
        assert read and int(read.group(1)) >= held, (
            f"{run.names[h]}'s restore of {sorted(gained)} read fewer records than the {held} that "
            f"{CHANGELOG} held at the kill (see conversation-state.txt): {line}")
        restored_n = re.search(r"\bconversations=(\d+)", line)
        live = sum(1 for c in run.conversations + run.persons if c.partition in gained)
        assert restored_n and int(restored_n.group(1)) >= live, \
            f"{run.names[h]} restored fewer than the {live} conversations living on {sorted(gained)}: {line}"

    missing = [f"{c.cid} (p{c.partition}, {'moved' if c.partition in run.moved else 'stayed'})"
               for c in run.conversations if not handoffs_with_three_failures(records, c)]
    assert not missing, (f"no {CREATED} with repeated_failures and the 3 failed replies as evidence for "
                         f"{missing}; partitions that moved: {sorted(run.moved)}")
    for c in run.conversations:
        for r in handoffs_with_three_failures(records, c):
            trigger = r["event"]["data"].get("trigger_event_id")
            assert trigger == c.feedback_ids[-1], \
                f"{c.cid}: handed off on {trigger}, want the third helpful:false ({c.feedback_ids[-1]})"
    check_common(run, records)

    # The callback was booked by the victim and fired once, by its new owner, after the kill.
    scheduled = run.callback_events(records, "support.callback.scheduled")
    assert scheduled, f"{run.callback.cid}: no support.callback.scheduled before the kill"
    dues = run.callback_events(records, DUE)
    assert len(dues) == 1, f"{run.callback.cid}: {len(dues)} {DUE} events, want exactly one: {[r['event']['id'] for r in dues]}"
    slot = dt.datetime.strptime(dues[0]["event"]["data"]["slot_start"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    assert slot > run.kill_time, f"the slot ({slot}) began before the kill ({run.kill_time}): nothing moved with it"

    for h, rc in codes.items():
        assert rc is not None, f"{run.names[h]} did not exit within 30 s of SIGTERM"
        assert rc == 0, f"{run.names[h]} exited {rc} after SIGTERM, want 0 (log: {h.log_path})"


@changelog(False)
def test_control_without_changelog(tansu_bin, broker, handoffd_factory, observer_factory, producer,
                                   test_log_dir, say):
    """The same without the changelog: a moved partition's counters are gone, so the third failure is the
    first the new owner knows of. If this failed, test 1 would prove nothing."""
    run = Run(tansu_bin, broker, handoffd_factory, observer_factory, producer, say, count=2 * PARTITIONS,
              with_changelog=False)
    stayed, moved = run.stayed_conversations(), run.moved_conversations()
    assert moved, "no partition moved (the victim's must have)"

    # Conversations whose partition stayed still escalate (the instance kept their state in memory) ...
    ok = run.observer.wait_until(lambda rs: all(handoffs_with_three_failures(rs, c) for c in stayed)
                                 or not all(h.alive() for h in run.survivors), timeout=30)
    say(f"conversations on partitions that stayed ({len(stayed)}) handed off: {ok}")
    for h in run.survivors:
        h.require_alive("after the third replies")
    # ... and once every third reply has been processed and its outputs acknowledged (the group committed
    # all input; bounded at 20 s), the moved ones have not.
    settled = run.settle(broker, timeout=20)
    records = run.observer.snapshot()
    run.report(records)
    codes = run.stop_survivors()
    run.write_and_validate(records, test_log_dir)

    assert settled, "the survivors did not process and commit all input within 20 s of the third replies"
    missing = [c.cid for c in stayed if not handoffs_with_three_failures(records, c)]
    assert not missing, f"conversations whose partition stayed were not handed off: {missing}"
    got = created_by_conversation(records)
    handed = [f"{c.cid} (p{c.partition})" for c in moved if c.cid in got]
    assert not handed, (f"without the changelog, conversations on moved partitions {sorted(run.moved)} were "
                        f"still handed off: {handed} -- then the changelog test proves nothing")
    check_common(run, records)
    for h, rc in codes.items():
        assert rc == 0, f"{run.names[h]} exited {rc} after SIGTERM, want 0 (log: {h.log_path})"
