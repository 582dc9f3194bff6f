#!/usr/bin/env bash
# Checks the monitoring files: docker/prometheus (config, alerting rules and their unit tests),
# docker/grafana (dashboard JSON) and docker/docker-compose.yml; and that every metric the PromQL
# uses is one docs/metrics.md documents (name, histogram suffix, labels, label values).
#
#   scripts/check-monitoring.sh        (called by `make test`)
#
# Needs promtool: installed from Debian's `prometheus` package when missing (apt-get, sudo when not
# root). Note that the package also installs the Prometheus server as a system service.
# Prints one line per check; exits 1 if any check failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PROM=docker/prometheus
DASHBOARD=docker/grafana/dashboards/handoffd.json
COMPOSE=docker/docker-compose.yml
PYTHON="${PYTHON:-python3}"

failures=0
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# run NAME COMMAND...: one line "ok|FAIL  NAME"; on failure, the command's output indented below.
run() {
    local name="$1"; shift
    if "$@" >"$TMP/out" 2>&1; then
        printf 'ok    %s\n' "$name"
    else
        printf 'FAIL  %s\n' "$name"
        sed 's/^/      /' "$TMP/out"
        failures=$((failures + 1))
    fi
}

if ! command -v promtool >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "promtool missing: installing Debian package prometheus" >&2
    { $SUDO apt-get update -qq \
      && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; } >"$TMP/apt" 2>&1 \
      || { echo "FAIL  install prometheus (promtool)"; sed 's/^/      /' "$TMP/apt"; exit 1; }
    command -v promtool >/dev/null 2>&1 || { echo "FAIL  promtool not on PATH after installing prometheus"; exit 1; }
fi

run "promtool check config $PROM/prometheus.yml" promtool check config "$PROM/prometheus.yml"
run "promtool check rules $PROM/alerts.yml" promtool check rules "$PROM/alerts.yml"
run "promtool test rules $PROM/alerts_test.yml" promtool test rules "$PROM/alerts_test.yml"

if docker compose version >/dev/null 2>&1; then
    run "docker compose config -q" docker compose -f "$COMPOSE" config -q
elif command -v docker-compose >/dev/null 2>&1; then
    run "docker-compose config -q" docker-compose -f "$COMPOSE" config -q
else
    echo "skip  compose config (no docker compose / docker-compose on this machine)"
fi

# Dashboard JSON parses, and every metric, label and label value used by its PromQL and by the
# alerting rules is documented in docs/metrics.md. Also writes the dashboard's queries as recording
# rules to $TMP/dashboard_rules.yml, so that promtool parses them below.
check_metrics() {
    "$PYTHON" - "$DASHBOARD" "$PROM/alerts.yml" docs/metrics.md "$TMP/dashboard_rules.yml" <<'PY'
import json, re, sys

dashboard_path, alerts_path, docs_path, rules_out = sys.argv[1:5]
errors = []

# docs/metrics.md table: | `name` | type | labels | meaning | fleet |
docs = {}
for line in open(docs_path, encoding="utf-8"):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    m = re.fullmatch(r"`(handoffd_\w+)`", cells[0]) if len(cells) >= 3 else None
    if not m:
        continue
    labels = set(re.findall(r"`(\w+)`\s*(?=[=,(]|$)", cells[2]))
    values = {k: {v.strip() for v in vs.split(",")} for k, vs in re.findall(r"`(\w+)`\s*=\s*([^`]+)", cells[2])}
    docs[m.group(1)] = {"type": cells[1], "labels": labels, "values": values}
if not docs:
    sys.exit(f"no metrics found in {docs_path}")

# Series names Prometheus stores for each documented metric (histograms: _bucket/_sum/_count only).
series = {"up": (set(), {}, False)}      # Prometheus' own per-target series
for name, d in docs.items():
    if d["type"] == "histogram":
        series[name + "_bucket"] = (d["labels"] | {"le"}, d["values"], True)
        series[name + "_sum"] = (d["labels"], d["values"], True)
        series[name + "_count"] = (d["labels"], d["values"], True)
    else:
        series[name] = (d["labels"], d["values"], False)
TARGET_LABELS = {"instance", "job"}
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
            "offset", "bool", "inf", "nan"}

def check(expr, where):
    names = set()
    # Selectors with matchers: name{a="x", b=~"y"}.
    for name, body in re.findall(r"([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}", expr):
        if name not in series:
            continue  # reported below
        allowed, values, _ = series[name]
        for label, op, value in re.findall(r"(\w+)\s*(=~|!~|!=|=)\s*\"([^\"]*)\"", body):
            if label not in allowed | TARGET_LABELS:
                errors.append(f"{where}: {name} has no label '{label}' in docs/metrics.md")
            elif op == "=" and label in values and value not in values[label]:
                errors.append(f"{where}: {name}{{{label}=\"{value}\"}}: docs/metrics.md lists {sorted(values[label])}")
    # Identifiers left once strings, matchers, ranges, offsets, grouping lists and function calls are gone.
    bare = re.sub(r'"[^"]*"', '""', expr)
    bare = re.sub(r"\{[^}]*\}", " ", bare)
    bare = re.sub(r"\[[^\]]*\]", " ", bare)
    bare = re.sub(r"\boffset\s+-?\w+", " ", bare)
    grouping = re.findall(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", bare)
    bare = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", bare)
    for ident in re.findall(r"(?<![\w.$])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()", bare):
        if ident.lower() in KEYWORDS:
            continue
        if ident not in series:
            base = re.sub(r"_(bucket|sum|count)$", "", ident)
            if ident in docs and docs[ident]["type"] == "histogram":
                errors.append(f"{where}: {ident} is a histogram: use {ident}_bucket, _sum or _count")
            elif base in docs:
                errors.append(f"{where}: {ident}: {base} is a {docs[base]['type']}, it has no {ident[len(base):]} series")
            else:
                errors.append(f"{where}: metric {ident} is not in docs/metrics.md")
        names.add(ident)
    known = set(TARGET_LABELS)
    for n in names & series.keys():
        known |= series[n][0]
    for group in grouping:
        for label in filter(None, (l.strip() for l in group.split(","))):
            if label not in known:
                errors.append(f"{where}: grouping label '{label}' belongs to none of {sorted(names)}")
    return names

# The dashboard.
try:
    dashboard = json.load(open(dashboard_path, encoding="utf-8"))
except ValueError as error:
    sys.exit(f"{dashboard_path}: invalid JSON: {error}")
if dashboard.get("uid") != "handoffd":
    errors.append(f"{dashboard_path}: uid is {dashboard.get('uid')!r}, expected 'handoffd'")
queries = []
def walk(panels):
    for panel in panels:
        walk(panel.get("panels", []))
        for target in panel.get("targets", []):
            if target.get("expr"):
                queries.append((f"dashboard panel '{panel.get('title')}' {target.get('refId')}", target["expr"]))
walk(dashboard.get("panels", []))
if not queries:
    errors.append(f"{dashboard_path}: no PromQL queries found")
used = set()
for where, expr in queries:
    used |= check(expr, where)

# The alerting rules: each `expr:` (inline or a block scalar), read without a YAML library.
lines = open(alerts_path, encoding="utf-8").read().splitlines()
rules = 0
for i, line in enumerate(lines):
    m = re.match(r"^(\s*)(?:- )?expr:\s*(.*)$", line)
    if not m:
        continue
    indent, rest = len(m.group(1)), m.group(2).strip()
    if rest in ("|", "|-", ">", ">-"):
        body = []
        for follow in lines[i + 1:]:
            if follow.strip() and len(follow) - len(follow.lstrip()) <= indent:
                break
            body.append(follow)
        rest = "\n".join(body)
    alert = next((re.sub(r"^\s*- alert:\s*", "", l) for l in reversed(lines[:i]) if "- alert:" in l or "- record:" in l), "?")
    used |= check(rest, f"alerts.yml {alert.strip()}")
    rules += 1
if rules == 0:
    errors.append(f"{alerts_path}: no expr found")

# The dashboard's queries as recording rules, for promtool to parse.
with open(rules_out, "w", encoding="utf-8") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for n, (_, expr) in enumerate(queries):
        expr = expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "1h")
        out.write(f"      - record: dashboard_query_{n}\n        expr: {json.dumps(expr)}\n")

if errors:
    print("\n".join(errors))
    sys.exit(1)
print(f"{len(queries)} dashboard queries, {rules} alert expressions, {len(used)} series names: all documented")
PY
}
run "dashboard JSON parses; metrics, labels and values in docs/metrics.md" check_metrics
if [ -s "$TMP/dashboard_rules.yml" ]; then
    run "promtool parses the dashboard's PromQL" promtool check rules "$TMP/dashboard_rules.yml"
fi

if [ "$failures" -gt 0 ]; then
    echo "check-monitoring: $failures check(s) failed"
    exit 1
fi
echo "check-monitoring: all checks passed"
