#!/usr/bin/env bash
# Sets up the Python environment of the Kafka comparison (bench/compare.py, bench/peer.py).
#
#   .tools/bench-venv   python venv with the pinned confluent-kafka (librdkafka 2.16 inside, the same
#                       as .tools/venv) and orjson; kept apart from .tools/venv so the test set-up
#                       never depends on the benchmark's packages.
#
# Also needs scripts/test-env.sh (Tansu, .tools/rdkafka216). Idempotent: a stamp of the pins skips pip.
# Only PyPI is contacted. Prints `export KEY=VALUE` lines like scripts/test-env.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.tools/bench-venv"
PYTHON="${PYTHON:-python3}"

# Pinned versions (confluent-kafka as in scripts/test-env.sh).
PINS=(
  "confluent-kafka==2.16.1"
  "orjson==3.13.0"
)

log() { printf '[bench-env] %s\n' "$*" >&2; }

"$ROOT/scripts/test-env.sh" >/dev/null

STAMP="$VENV/.bench-stamp"
WANT="$(printf '%s\n' "${PINS[@]}")"
if ! "$VENV/bin/python" -c '' 2>/dev/null; then
  log "creating venv $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv --clear "$VENV"
fi
if [[ -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$WANT" ]]; then
  log "venv up to date (stamp matches), skipping pip"
else
  log "installing: ${PINS[*]}"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "${PINS[@]}"
  printf '%s\n' "$WANT" >"$STAMP"
fi
"$VENV/bin/python" -c 'import importlib.metadata as m, confluent_kafka; print("# orjson", m.version("orjson"), "confluent-kafka", m.version("confluent-kafka"), "librdkafka", confluent_kafka.libversion()[0])'
echo "export HANDOFFD_BENCH_PYTHON=$VENV/bin/python"
