"""End to end: handoffd as its own process against a real Kafka-compatible broker (Tansu).

    scripts/test-env.sh && .tools/venv/bin/python -m pytest Tests/e2e -v

1. test_examples_survive_a_crash: the example conversations of protocols/examples go through Kafka;
   handoffd is SIGKILLed after its first handoff and restarted; every expected handoff arrives,
   none that is not expected, re-emissions keep their ids, and SIGTERM shuts it down cleanly.
2. test_dead_letters: three kinds of bad input land on support.deadletter with the original bytes,
   and a good conversation next to them is still handed off.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections import OrderedDict, defaultdict
from pathlib import Path
from typing import Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for `from conftest import` in any import mode
from conftest import (HANDOFFD_GROUP, HANDOFFD_SOURCE, MAX_WAIT_S, ROOT, Deadline, GroupOffsets)

# HANDOFFD_E2E_EXAMPLES: another folder of *.jsonl + expected.json (default protocols/examples).
EXAMPLES = Path(os.environ.get("HANDOFFD_E2E_EXAMPLES") or ROOT / "protocols" / "examples")
VALIDATOR = ROOT / "scripts" / "validate_events.py"

CONVERSATIONS = "support.conversations"
AGENTS = "support.agents"
HANDOFFS = "support.handoffs"
DIRECTIVES = "support.directives"
DEADLETTER = "support.deadletter"

CREATED = "support.handoff.created"
UPDATED = "support.handoff.updated"
# Types handoffd emits; example files may show them, but they are never fed back as input.
OUTPUT_TYPES = {CREATED, UPDATED, "support.escalation.offered", "support.handoff.announced",
                "support.bot.paused", "support.bot.resumed", "support.deadletter"}

PUBLISH_PACE_S = 0.005  # a few ms per event, so handoffs start arriving while we still publish
STARTUP_RX = r"librdkafka=([^\s,;\"'\]\)]+)"
ASSIGNED_RX = r"partitions assigned"


# MARK: - the examples


class Example:
    """One line of an example file: the exact bytes to publish, and where they go."""

    def __init__(self, file: str, lineno: int, raw: bytes):
        self.file, self.lineno, self.raw = file, lineno, raw
        try:
            self.event = json.loads(raw)
        except ValueError:
            self.event = None

    @property
    def type(self) -> Optional[str]:
        return self.event.get("type") if isinstance(self.event, dict) else None

    @property
    def data(self) -> dict:
        d = self.event.get("data") if isinstance(self.event, dict) else None
        return d if isinstance(d, dict) else {}

    @property
    def is_agent_event(self) -> bool:
        return (self.type or "").startswith("support.agent.")

    @property
    def key(self) -> Optional[str]:
        if self.is_agent_event:
            return self.data.get("agent_id") or self.event.get("subject")
        if isinstance(self.event, dict):
            return self.data.get("conversation_id") or self.event.get("subject")
        return None

    def where(self) -> str:
        return f"{self.file}:{self.lineno}"


class Examples:
    def __init__(self, directory: Path):
        files = sorted(directory.glob("*.jsonl"))
        if not files:
            pytest.fail(f"no example events: {directory}/*.jsonl is empty or missing", pytrace=False)
        self.files = files
        self.agent_events: list[Example] = []
        self.conversations: "OrderedDict[str, list[Example]]" = OrderedDict()
        self.by_file: dict[str, list[str]] = defaultdict(list)
        self.skipped: list[Example] = []
        for f in files:
            for n, line in enumerate(f.read_bytes().splitlines(), 1):
                if not line.strip():
                    continue
                ex = Example(f.name, n, line)
                if ex.type in OUTPUT_TYPES or ex.key is None:
                    self.skipped.append(ex)
                elif ex.is_agent_event:
                    self.agent_events.append(ex)
                else:
                    self.conversations.setdefault(ex.key, []).append(ex)
                    if ex.key not in self.by_file[f.name]:
                        self.by_file[f.name].append(ex.key)
        if not self.conversations:
            pytest.fail(f"no conversation events found in {[f.name for f in files]}", pytrace=False)
        self.expected = self._load_expected(directory / "expected.json")

    # expected.json is written by someone else; accept the plausible shapes:
    #   {"<conversation id>": {"escalates": true, ...}}  or  {"<file>.jsonl": {...}}
    #   [{"conversation_id": "...", "escalates": true}, ...]  or  {"conversations": <either>}
    def _load_expected(self, path: Path) -> dict[str, dict]:
        if not path.is_file():
            pytest.fail(f"{path} is missing: it says which example conversations escalate", pytrace=False)
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and isinstance(doc.get("conversations"), (dict, list)):
            doc = doc["conversations"]
        entries: list[tuple[Optional[str], dict]] = []
        if isinstance(doc, dict):
            for k, v in doc.items():
                if isinstance(v, bool):
                    v = {"escalates": v}
                if isinstance(v, dict) and "escalates" in v:
                    entries.append((k, v))
        elif isinstance(doc, list):
            entries = [(None, v) for v in doc if isinstance(v, dict) and "escalates" in v]
        expected: dict[str, dict] = {}
        for k, v in entries:
            ids = [v[f] for f in ("conversation_id", "conversation", "subject") if isinstance(v.get(f), str)]
            if not ids and k is not None:
                if k in self.conversations:
                    ids = [k]
                else:
                    fname = v.get("file") or k
                    fname = fname if fname.endswith(".jsonl") else fname + ".jsonl"
                    ids = list(self.by_file.get(Path(fname).name, []))
            elif not ids and isinstance(v.get("file"), str):
                ids = list(self.by_file.get(Path(v["file"]).name, []))
            for cid in ids:
                expected[cid] = v
        if not expected:
            pytest.fail(f"{path}: found no entries with an \"escalates\" field", pytrace=False)
        unknown = sorted(c for c in expected if c not in self.conversations)
        if unknown:
            pytest.fail(f"{path} names conversations that no example file has: {unknown}", pytrace=False)
        return expected

    def escalates(self, cid: str) -> Optional[bool]:
        v = self.expected.get(cid)
        return None if v is None else bool(v["escalates"])

    def explicit_request_conversation(self) -> str:
        """The first example conversation where the customer asks for a human and nothing else happens."""
        agent_side = {"support.handoff.accepted", "support.handoff.requeued", "support.handoff.completed",
                      "support.handoff.abandoned"}

        def reasons(c):
            r = self.expected[c].get("reasons")
            return [x if isinstance(x, str) else (x or {}).get("code") for x in r] if isinstance(r, list) else []

        def plain(c):
            return not any(e.type in agent_side for e in self.conversations[c])

        candidates = [c for c in self.conversations if self.escalates(c)]
        for rule in (lambda c: reasons(c) == ["explicit_request"] and plain(c),
                     lambda c: "explicit_request" in reasons(c) and plain(c),
                     lambda c: "explicit_request" in reasons(c),
                     lambda c: any(e.type == "support.handoff.requested" for e in self.conversations[c])):
            found = [c for c in candidates if rule(c)]
            if found:
                return found[0]
        pytest.fail("no escalating example conversation with reason explicit_request in expected.json",
                    pytrace=False)


def interleave(conversations: "OrderedDict[str, list[Example]]", ids: list[str]) -> list[Example]:
    """Round-robin across conversations, each conversation's own order kept."""
    queues = [list(conversations[c]) for c in ids]
    out: list[Example] = []
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


def split_halves(ex: Examples) -> tuple[list[str], list[str]]:
    """Two halves of the conversations, escalating ones spread over both (each keeps file order)."""
    ids = list(ex.conversations)
    esc = [c for c in ids if ex.escalates(c)]
    rest = [c for c in ids if not ex.escalates(c)]
    first = set(esc[0::2] + rest[0::2])
    return [c for c in ids if c in first], [c for c in ids if c not in first]


# MARK: - reading what handoffd emitted


def created_by_conversation(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        ev = r.get("event")
        if r["topic"] == HANDOFFS and isinstance(ev, dict) and ev.get("type") == CREATED:
            data = ev.get("data") or {}
            out[data.get("conversation_id") or ev.get("subject") or "?"].append(r)
    return out


def envelope_problems(r: dict) -> list[str]:
    """Contract checks on one emitted record (protocols/README.md), independent of the JSON schemas."""
    ev, where = r.get("event"), f"{r['topic']}[{r['partition']}]@{r['offset']}"
    if not isinstance(ev, dict):
        return [f"{where}: value is not a JSON object ({r.get('decode_error')})"]
    p = []
    for attr in ("specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data"):
        if attr not in ev:
            p.append(f"{where}: no `{attr}`")
    if ev.get("specversion") != "1.0":
        p.append(f"{where}: specversion {ev.get('specversion')!r}")
    if r["topic"] != DEADLETTER:
        if ev.get("source") != HANDOFFD_SOURCE:
            p.append(f"{where}: source {ev.get('source')!r}, configured {HANDOFFD_SOURCE!r}")
        data = ev.get("data") if isinstance(ev.get("data"), dict) else {}
        cid = data.get("conversation_id")
        if ev.get("subject") != cid:
            p.append(f"{where}: subject {ev.get('subject')!r} != data.conversation_id {cid!r}")
        if r["key"] != (cid or "").encode():
            p.append(f"{where}: key {r['key']!r} != conversation id {cid!r}")
    if ev.get("datacontenttype") not in (None, "application/json"):
        p.append(f"{where}: datacontenttype {ev.get('datacontenttype')!r}")
    return p


def write_jsonl(path: Path, records: list[dict]) -> None:
    with open(path, "wb") as f:
        for r in records:
            f.write(r["value"].rstrip(b"\n") + b"\n")


def run_validator(paths: list[Path], say) -> None:
    if not VALIDATOR.is_file():
        say(f"schema validation not run: {VALIDATOR.relative_to(ROOT)} does not exist (yet)")
        return
    paths = [p for p in paths if p.stat().st_size > 0]
    if not paths:
        return
    out = subprocess.run([sys.executable, str(VALIDATOR), *map(str, paths)], capture_output=True, text=True,
                         timeout=120, cwd=str(ROOT))
    say(f"{VALIDATOR.relative_to(ROOT)} {' '.join(p.name for p in paths)} -> exit {out.returncode}")
    assert out.returncode == 0, (f"emitted events do not validate against protocols/schemas:\n"
                                 f"{out.stdout[-4000:]}{out.stderr[-4000:]}")


def start_and_check(handoffd_factory, say):
    h = handoffd_factory()
    m = h.wait_for_line(STARTUP_RX, timeout=60)
    version = m.group(1)
    say(f"handoffd runs on librdkafka {version}")
    assert version.startswith("2.16"), (
        f"handoffd loaded librdkafka {version}, not the bundled 2.16 (LD_LIBRARY_PATH={h.rdkafka_dir})")
    t0 = time.monotonic()
    h.wait_for_line(ASSIGNED_RX, timeout=MAX_WAIT_S)
    say(f"handoffd logged 'partitions assigned' after {time.monotonic() - t0:.1f} s")
    return h


def publish(producer, events: list, say, label: str) -> int:
    if not events:
        return 0
    n = 0
    for ex in events:
        topic = AGENTS if ex.is_agent_event else CONVERSATIONS
        producer.send(topic, ex.key.encode() if ex.key else None, ex.raw)
        n += 1
        time.sleep(PUBLISH_PACE_S)  # pacing only (not synchronisation): spread the input over time
    producer.flush(30)
    say(f"{label}: published {n} events")
    return n


# MARK: - tests


def test_examples_survive_a_crash(broker, handoffd_factory, observer_factory, producer, test_log_dir, say):
    ex = Examples(EXAMPLES)
    first, second = split_halves(ex)
    escalating = [c for c in ex.conversations if ex.escalates(c)]
    quiet = [c for c in ex.conversations if ex.escalates(c) is False]
    unlisted = [c for c in ex.conversations if ex.escalates(c) is None]
    say(f"examples: {len(ex.conversations)} conversations in {len(ex.files)} files "
        f"({len(escalating)} escalate, {len(quiet)} do not, {len(unlisted)} not in expected.json: {unlisted}); "
        f"{len(ex.agent_events)} agent events; not published: {[e.where() for e in ex.skipped]}")
    say(f"phase 1 conversations: {first}")
    say(f"phase 2 conversations: {second}")
    assert escalating, "expected.json has no conversation that escalates: nothing to test"

    observer = observer_factory([HANDOFFS, DIRECTIVES])
    h1 = start_and_check(handoffd_factory, say)

    # Phase 1: agents, then the first half of the conversations, interleaved, while handoffd runs.
    publish(producer, ex.agent_events, say, "agents")
    publish(producer, interleave(ex.conversations, first), say, "phase 1")
    # The kill comes after handoffd's first handoff (and never in the middle of a conversation).
    if any(ex.escalates(c) for c in first):
        if not observer.wait_until(lambda rs: bool(created_by_conversation(rs)) or not h1.alive(),
                                   timeout=MAX_WAIT_S):
            say(f"no {CREATED} within {MAX_WAIT_S:.0f} s of phase 1 (see {h1.log_path}); going on to report")
    before = created_by_conversation(observer.snapshot())
    say(f"handoff(s) seen so far: {sorted(before)}; SIGKILL handoffd now")
    h1.kill()

    # Phase 2: the second half while no handoffd runs, then a new handoffd with the same group.
    publish(producer, interleave(ex.conversations, second), say, "phase 2 (handoffd down)")
    h2 = start_and_check(handoffd_factory, say)

    ok = observer.wait_until(lambda rs: set(escalating) <= set(created_by_conversation(rs)) or not h2.alive(),
                             timeout=MAX_WAIT_S)
    h2.require_alive("after the restart")
    got = created_by_conversation(observer.snapshot())
    missing = sorted(set(escalating) - set(got))
    if not ok:
        say(f"after {MAX_WAIT_S:.0f} s still missing handoffs for {missing}")
    # Let handoffd finish the rest of its input, so a handoff that should not exist has had its chance.
    offsets = GroupOffsets(broker, HANDOFFD_GROUP, CONVERSATIONS)
    try:
        settled = offsets.wait_all_committed(producer.end_offsets, timeout=30, say=say)
    finally:
        offsets.close()
    say(f"handoffd committed all of {CONVERSATIONS}: {settled}")
    observer.wait_caught_up(timeout=30)
    records = observer.snapshot()
    got = created_by_conversation(records)

    for cid in ex.conversations:
        evs = [r["event"] for r in got.get(cid, [])]
        want = ex.expected.get(cid, {})
        say(f"  {cid:<22} expected: escalates={str(ex.escalates(cid)):<5} reasons={want.get('reasons')} "
            f"category={want.get('category')}")
        say(f"  {'':<22} got {len(evs)} created "
            + " ".join(f"[{e['data'].get('handoff_id')} trigger={e['data'].get('trigger_event_id')} "
                       f"reasons={[x.get('code') for x in e['data'].get('reasons', [])]} "
                       f"queue={e['data'].get('queue')} prio={e['data'].get('priority')}]" for e in evs))
    by_type = defaultdict(int)
    for r in records:
        by_type[(r["topic"], (r.get("event") or {}).get("type"))] += 1
    say("emitted: " + ", ".join(f"{t}/{ty}: {n}" for (t, ty), n in sorted(by_type.items(), key=str)))

    handoffs_file, directives_file = test_log_dir / "handoffs.jsonl", test_log_dir / "directives.jsonl"
    write_jsonl(handoffs_file, [r for r in records if r["topic"] == HANDOFFS])
    write_jsonl(directives_file, [r for r in records if r["topic"] == DIRECTIVES])
    say(f"consumed events written to {handoffs_file} and {directives_file}")

    # Graceful shutdown first, so its exit code is checked even if an assertion below fails.
    rc = h2.terminate(timeout=30)

    assert not missing, f"no {CREATED} for conversations that escalate: {missing} (logs: {h2.log_path})"
    unexpected = sorted(c for c in got if ex.escalates(c) is False)
    assert not unexpected, f"{CREATED} for conversations that must not escalate: {unexpected}"
    strays = sorted(c for c in got if c not in ex.conversations)
    assert not strays, f"{CREATED} for conversations that no example has: {strays}"

    # Re-emissions after the crash are fine, but must be recognisable: same handoff_id, same CloudEvents id.
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for cid, rs in got.items():
        for r in rs:
            groups[(cid, r["event"]["data"].get("trigger_event_id"))].append(r["event"])
    for (cid, trigger), evs in groups.items():
        assert trigger, f"{cid}: {CREATED} without trigger_event_id"
        hids = {e["data"].get("handoff_id") for e in evs}
        ce_ids = {e.get("id") for e in evs}
        assert len(hids) == 1, f"{cid} trigger {trigger}: re-emitted with different handoff_id {hids}"
        assert len(ce_ids) == 1, f"{cid} trigger {trigger}: re-emitted with different CloudEvents id {ce_ids}"
        assert all(e["data"].get("revision") == 1 for e in evs), f"{cid}: {CREATED} with revision != 1"
    # expected.json's "handoffs": how many distinct handoffs a conversation gets (a crash must not add one).
    for cid in ex.conversations:
        want = ex.expected.get(cid, {}).get("handoffs")
        hids = {r["event"]["data"].get("handoff_id") for r in got.get(cid, [])}
        if isinstance(want, int) and not isinstance(want, bool):
            assert len(hids) == want, f"{cid}: {len(hids)} distinct handoffs {sorted(hids)}, expected.json says {want}"
    reemitted = {k: len(v) for k, v in groups.items() if len(v) > 1}
    say(f"re-emitted after the crash (same ids): {reemitted or 'none'}")

    problems = [p for r in records for p in envelope_problems(r)]
    assert not problems, "emitted events break the contract:\n" + "\n".join(problems[:20])
    run_validator([handoffs_file, directives_file], say)

    assert rc is not None, "handoffd did not exit within 30 s of SIGTERM"
    assert rc == 0, f"handoffd exited {rc} after SIGTERM, want 0 (log: {h2.log_path})"


def fresh_copy(events: list[Example], new_cid: str, tag: str) -> list[tuple[str, bytes]]:
    """The conversation with a new conversation id and new event ids, as (key, value) pairs."""
    out = []
    for ex in events:
        ev = copy.deepcopy(ex.event)
        ev["id"] = f"{ev['id']}-{tag}"
        if "subject" in ev:
            ev["subject"] = new_cid
        if isinstance(ev.get("data"), dict) and "conversation_id" in ev["data"]:
            ev["data"]["conversation_id"] = new_cid
        out.append((new_cid, json.dumps(ev, ensure_ascii=False, separators=(",", ":")).encode()))
    return out


def test_dead_letters(broker, handoffd_factory, observer_factory, producer, test_log_dir, say):
    ex = Examples(EXAMPLES)
    source_cid = ex.explicit_request_conversation()
    tag = "e2e" + uuid.uuid4().hex[:8]
    good_cid = f"{source_cid}-{tag}"
    good = fresh_copy(ex.conversations[source_cid], good_cid, tag)
    say(f"good conversation: copy of {source_cid} as {good_cid} ({len(good)} events)")

    bad_ce = {
        "specversion": "1.0", "id": f"evt-{tag}-missing-text", "source": "urn:e2e:frontend",
        "type": "support.message.customer", "time": "2026-01-15T10:00:00Z", "subject": f"conv-{tag}-bad",
        "datacontenttype": "application/json",
        "data": {"conversation_id": f"conv-{tag}-bad", "message_id": f"msg-{tag}-1"},
    }
    bad = {  # reason_code -> (key, exact bytes)
        "not_json": (f"conv-{tag}-nj", b"this is {not json"),
        "not_cloudevent": (f"conv-{tag}-nce", b'{"hello":"world","conversation_id":"x"}'),
        "missing_field": (bad_ce["subject"], json.dumps(bad_ce, separators=(",", ":")).encode()),
    }

    observer = observer_factory([DEADLETTER, HANDOFFS])
    h = start_and_check(handoffd_factory, say)

    for code, (key, value) in bad.items():
        producer.send(CONVERSATIONS, key.encode(), value)
    for key, value in good:
        producer.send(CONVERSATIONS, key.encode(), value)
        time.sleep(PUBLISH_PACE_S)  # pacing only
    producer.flush(30)
    say(f"published 3 bad records and {len(good)} good events")

    def done(rs):
        dl = [r for r in rs if r["topic"] == DEADLETTER]
        return len(dl) >= 3 and good_cid in created_by_conversation(rs)

    observer.wait_until(lambda rs: done(rs) or not h.alive(), timeout=MAX_WAIT_S)
    h.require_alive("while processing the bad input")
    offsets = GroupOffsets(broker, HANDOFFD_GROUP, CONVERSATIONS)
    try:
        offsets.wait_all_committed(producer.end_offsets, timeout=30, say=say)
    finally:
        offsets.close()
    observer.wait_caught_up(timeout=30)
    records = observer.snapshot()
    dead = [r for r in records if r["topic"] == DEADLETTER]
    for r in dead:
        d = (r.get("event") or {}).get("data") or {}
        say(f"  dead letter key={r['key']!r} reason_code={d.get('reason_code')} reason={d.get('reason')!r}")
    write_jsonl(test_log_dir / "deadletter.jsonl", dead)
    write_jsonl(test_log_dir / "handoffs.jsonl", [r for r in records if r["topic"] == HANDOFFS])
    rc = h.terminate(timeout=30)

    assert len(dead) == 3, f"want 3 records on {DEADLETTER}, got {len(dead)}"
    by_bytes = {}
    for r in dead:
        ev = r.get("event")
        assert isinstance(ev, dict) and ev.get("type") == "support.deadletter", f"not a dead letter: {r['value']!r}"
        d = ev.get("data") or {}
        original = base64.b64decode(d.get("original_base64", ""), validate=True)
        by_bytes[original] = (r, d)
    for code, (key, value) in bad.items():
        assert value in by_bytes, f"no dead letter whose original_base64 decodes to {value!r}"
        r, d = by_bytes[value]
        assert d.get("reason_code") == code, f"{value!r}: reason_code {d.get('reason_code')!r}, want {code!r}"
        assert d.get("source_topic") == CONVERSATIONS, f"{code}: source_topic {d.get('source_topic')!r}"
        assert d.get("original_length") == len(value), f"{code}: original_length {d.get('original_length')}"
        assert d.get("truncated") is False, f"{code}: truncated {d.get('truncated')!r}"
        digest = hashlib.sha256(value).digest()
        assert d.get("original_sha256") in (digest.hex(), base64.b64encode(digest).decode()), \
            f"{code}: original_sha256 {d.get('original_sha256')!r} is not the SHA-256 of the bytes sent"
        assert r["key"] == key.encode(), f"{code}: dead letter key {r['key']!r}, want the original {key!r}"

    got = created_by_conversation(records)
    assert good_cid in got, f"no {CREATED} for the good conversation {good_cid} next to the bad input"
    assert set(got) == {good_cid}, f"{CREATED} for unexpected conversations: {sorted(set(got) - {good_cid})}"
    problems = [p for r in records if r["topic"] == HANDOFFS for p in envelope_problems(r)]
    assert not problems, "emitted events break the contract:\n" + "\n".join(problems[:20])
    run_validator([test_log_dir / "deadletter.jsonl", test_log_dir / "handoffs.jsonl"], say)

    assert rc is not None, "handoffd did not exit within 30 s of SIGTERM"
    assert rc == 0, f"handoffd exited {rc} after SIGTERM, want 0 (log: {h.log_path})"
