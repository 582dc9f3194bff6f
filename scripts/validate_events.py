#!/usr/bin/env python3
"""Validate handoffd CloudEvents against the JSON schemas in protocols/schemas.

Usage:
  validate_events.py [--schemas DIR] FILE.jsonl...
      Every non-blank line must be one CloudEvent in structured JSON mode. The
      envelope is checked against cloudevent.json and `data` against
      <type>.json. An event type without a schema is an error. Prints one line
      per failure (FILE:LINE: ...) and ends with "N events valid, M invalid";
      exits 1 if any event is invalid.

  validate_events.py [--schemas DIR] --self-test
      Every file in DIR/examples-valid/ must be accepted and every file in
      DIR/counterexamples/ rejected by the schema named by its file-name prefix
      (<schema-name>[.<anything>].json; the longest matching schema name wins).
      Also checks each schema against the 2020-12 meta-schema and that every
      schema has at least one valid example and one counterexample.
      Ends with "N passed, M failed"; exits 1 if anything failed.

  validate_events.py [--schemas DIR] --asyncapi FILE.yaml
      Checks that the AsyncAPI document parses (needs PyYAML), that every $ref
      in it (and, transitively, in the schemas it references) resolves, and
      that every event-type schema is used by some message.
      Ends with "N passed, M failed"; exits 1 if anything failed.

Requires the `jsonschema` package (4.18 or newer, for `referencing`).
`format` is checked with jsonschema's FormatChecker; when the optional format
libraries are missing, built-in fallbacks check "date-time", "uri" and
"uri-reference" so that results do not depend on what happens to be installed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import sys
import urllib.parse

try:
    import jsonschema
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
except ImportError as exc:  # pragma: no cover
    sys.stderr.write(
        "validate_events.py needs the 'jsonschema' package (>= 4.18): "
        "pip install jsonschema\n(%s)\n" % exc
    )
    sys.exit(2)

DEFAULT_SCHEMAS = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "protocols", "schemas")
)
ENVELOPE = "cloudevent"
# An event type is dotted, at least two segments; this keeps helper schemas
# such as handoff.json or cloudevent.json from being taken for event types and
# keeps the type from being used as a path.
EVENT_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
MAX_MESSAGE = 300

# --------------------------------------------------------------------------
# formats

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$"
)


def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True
    m = _RFC3339.match(value)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    try:
        _dt.datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    if second > 60:  # 60 = leap second
        return False
    if m.group(9) is not None and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return False
    return True


_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_URI_BAD = re.compile(r"[\x00-\x20\x7f<>\"{}|\\^`]")


def _is_uri_reference(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if _URI_BAD.search(value):
        return False
    try:
        urllib.parse.urlsplit(value)
    except ValueError:
        return False
    return True


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_URI_SCHEME.match(value)) and _is_uri_reference(value)


def make_format_checker() -> FormatChecker:
    checker = FormatChecker()
    fallbacks = {
        "date-time": _is_rfc3339,
        "uri": _is_uri,
        "uri-reference": _is_uri_reference,
    }
    for name, func in fallbacks.items():
        if name not in checker.checkers:
            checker.checks(name)(func)
    return checker


# --------------------------------------------------------------------------
# schemas


class Schemas:
    """All *.json schema files directly in one folder, loaded into a Registry."""

    def __init__(self, directory: str):
        self.directory = directory
        self.by_name: dict[str, dict] = {}
        resources = []
        if not os.path.isdir(directory):
            raise SystemExit("schemas folder not found: %s" % directory)
        for entry in sorted(os.listdir(directory)):
            path = os.path.join(directory, entry)
            if not entry.endswith(".json") or not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8") as f:
                contents = json.load(f)
            name = entry[: -len(".json")]
            self.by_name[name] = contents
            resource = Resource.from_contents(contents, default_specification=DRAFT202012)
            # Register under the $id (how the schemas refer to each other) and
            # under the file URI (for schemas without an $id).
            uris = {"file://" + urllib.parse.quote(os.path.abspath(path))}
            if isinstance(contents, dict) and isinstance(contents.get("$id"), str):
                uris.add(contents["$id"])
            resources.extend((uri, resource) for uri in uris)
        self.registry = Registry().with_resources(resources)
        self.format_checker = make_format_checker()
        self._validators: dict[str, Draft202012Validator] = {}

    def names(self) -> list[str]:
        return sorted(self.by_name)

    def validator(self, name: str) -> Draft202012Validator:
        v = self._validators.get(name)
        if v is None:
            v = Draft202012Validator(
                self.by_name[name], registry=self.registry, format_checker=self.format_checker
            )
            self._validators[name] = v
        return v

    def errors(self, name: str, instance: object) -> list[str]:
        errs = sorted(
            self.validator(name).iter_errors(instance),
            key=lambda e: (list(e.absolute_path), e.message),
        )
        return [describe(e) for e in errs]


def describe(error: jsonschema.ValidationError) -> str:
    path = "/" + "/".join(str(p) for p in error.absolute_path)
    message = error.message
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return "%s: %s" % (path, message)


def schema_for_file(filename: str, names: list[str]) -> str | None:
    """<schema-name>.json or <schema-name>.<anything>.json -> schema-name (longest match)."""
    if not filename.endswith(".json"):
        return None
    stem = filename[: -len(".json")]
    best = None
    for name in names:
        if stem == name or stem.startswith(name + "."):
            if best is None or len(name) > len(best):
                best = name
    return best


# --------------------------------------------------------------------------
# event files


def check_event(schemas: Schemas, event: object) -> list[str]:
    problems = ["envelope " + e for e in schemas.errors(ENVELOPE, event)]
    if not isinstance(event, dict):
        return problems
    etype = event.get("type")
    if not isinstance(etype, str):
        return problems
    if not EVENT_TYPE_RE.match(etype):
        problems.append("unknown event type %r (not an event type name)" % etype)
        return problems
    if etype not in schemas.by_name:
        problems.append("unknown event type %r (no schema %s.json)" % (etype, etype))
        return problems
    if "data" not in event:
        problems.append("data: missing (this contract needs JSON `data`)")
        return problems
    problems.extend("data " + e for e in schemas.errors(etype, event["data"]))
    return problems


def validate_files(schemas: Schemas, files: list[str]) -> int:
    valid = invalid = 0
    for filename in files:
        try:
            f = open(filename, encoding="utf-8")
        except OSError as exc:
            print("%s: cannot read: %s" % (filename, exc))
            invalid += 1
            continue
        with f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except json.JSONDecodeError as exc:
                    problems = ["not JSON: %s" % exc]
                else:
                    problems = check_event(schemas, event)
                if problems:
                    invalid += 1
                    for p in problems:
                        print("%s:%d: %s" % (filename, lineno, p))
                else:
                    valid += 1
    print("%d events valid, %d invalid" % (valid, invalid))
    return 1 if invalid else 0


# --------------------------------------------------------------------------
# self-test


def self_test(schemas: Schemas, verbose: bool) -> int:
    passed = failed = 0
    names = schemas.names()

    def ok(msg: str) -> None:
        nonlocal passed
        passed += 1
        if verbose:
            print("ok   " + msg)

    def fail(msg: str) -> None:
        nonlocal failed
        failed += 1
        print("FAIL " + msg)

    for name in names:
        s = schemas.by_name[name]
        try:
            Draft202012Validator.check_schema(s)
        except jsonschema.SchemaError as exc:
            fail("%s.json is not a valid 2020-12 schema: %s" % (name, describe(exc)))
            continue
        if s.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
            fail("%s.json: $schema is not the 2020-12 meta-schema" % name)
        elif not s.get("$id"):
            fail("%s.json: no $id" % name)
        else:
            ok("%s.json is a valid 2020-12 schema" % name)

    covered = {"examples-valid": set(), "counterexamples": set()}
    for sub, must_pass in (("examples-valid", True), ("counterexamples", False)):
        folder = os.path.join(schemas.directory, sub)
        if not os.path.isdir(folder):
            fail("folder %s missing" % folder)
            continue
        for entry in sorted(os.listdir(folder)):
            if not entry.endswith(".json"):
                continue
            rel = "%s/%s" % (sub, entry)
            name = schema_for_file(entry, names)
            if name is None:
                fail("%s: no schema matches its name" % rel)
                continue
            covered[sub].add(name)
            try:
                with open(os.path.join(folder, entry), encoding="utf-8") as f:
                    instance = json.load(f)
            except (OSError, json.JSONDecodeError) as exc:
                fail("%s: cannot read JSON: %s" % (rel, exc))
                continue
            errors = schemas.errors(name, instance)
            if must_pass and errors:
                fail("%s should be accepted by %s.json but: %s" % (rel, name, "; ".join(errors)))
            elif not must_pass and not errors:
                fail("%s should be rejected by %s.json but was accepted" % (rel, name))
            else:
                ok("%s %s by %s.json%s" % (
                    rel, "accepted" if must_pass else "rejected", name,
                    "" if must_pass else " (" + errors[0] + ")"))

    for name in names:
        for sub in ("examples-valid", "counterexamples"):
            if name in covered[sub]:
                ok("%s.json has %s" % (name, sub))
            else:
                fail("%s.json has no file in %s/" % (name, sub))

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


# --------------------------------------------------------------------------
# AsyncAPI reference check


def _pointer(doc: object, fragment: str) -> object:
    if fragment in ("", "/"):
        return doc
    if not fragment.startswith("/"):
        raise KeyError("not a JSON pointer: #%s" % fragment)
    node = doc
    for raw in fragment[1:].split("/"):
        token = urllib.parse.unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict):
            node = node[token]
        else:
            raise KeyError(token)
    return node


def _walk_refs(node: object):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for key, value in node.items():
            if key in ("examples", "example", "const", "enum", "default"):
                continue
            yield from _walk_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_refs(value)


def check_asyncapi(schemas: Schemas, path: str, verbose: bool) -> int:
    try:
        import yaml  # type: ignore
    except ImportError:
        print("--asyncapi needs PyYAML: pip install pyyaml")
        return 2
    passed = failed = 0

    def ok(msg: str) -> None:
        nonlocal passed
        passed += 1
        if verbose:
            print("ok   " + msg)

    def fail(msg: str) -> None:
        nonlocal failed
        failed += 1
        print("FAIL " + msg)

    def load(file_path: str) -> object:
        with open(file_path, encoding="utf-8") as f:
            if file_path.endswith((".yaml", ".yml")):
                return yaml.safe_load(f)
            return json.load(f)

    root = os.path.abspath(path)
    try:
        doc = load(root)
    except Exception as exc:  # noqa: BLE001 - report any parse error
        fail("%s does not parse: %s" % (path, exc))
        print("%d passed, %d failed" % (passed, failed))
        return 1
    ok("%s parses" % path)
    if isinstance(doc, dict) and str(doc.get("asyncapi", "")).startswith("3."):
        ok("asyncapi version %s" % doc["asyncapi"])
    else:
        fail("%s: `asyncapi` is not 3.x" % path)
    if isinstance(doc, dict) and isinstance(doc.get("info"), dict) and doc["info"].get("version"):
        ok("info.version %s" % doc["info"]["version"])
    else:
        fail("%s: info.version missing" % path)

    cache = {root: doc}
    used_files: set[str] = set()
    todo = [root]
    seen: set[str] = set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for ref in _walk_refs(cache[current]):
            target, _, fragment = ref.partition("#")
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                # Absolute URI: must be a known schema $id.
                matches = [n for n, s in schemas.by_name.items() if s.get("$id") == target]
                if not matches:
                    fail("%s: $ref %s is not a known schema $id" % (os.path.relpath(current), ref))
                    continue
                file_path = os.path.join(schemas.directory, matches[0] + ".json")
            elif target:
                file_path = os.path.normpath(os.path.join(os.path.dirname(current), target))
            else:
                file_path = current
            if file_path not in cache:
                try:
                    cache[file_path] = load(file_path)
                except Exception as exc:  # noqa: BLE001
                    fail("%s: $ref %s: cannot load %s: %s" % (os.path.relpath(current), ref, file_path, exc))
                    continue
            try:
                _pointer(cache[file_path], fragment)
            except (KeyError, IndexError, ValueError) as exc:
                fail("%s: $ref %s: fragment not found (%s)" % (os.path.relpath(current), ref, exc))
                continue
            ok("%s: $ref %s" % (os.path.relpath(current), ref))
            used_files.add(os.path.abspath(file_path))
            todo.append(file_path)

    for name in schemas.names():
        file_path = os.path.abspath(os.path.join(schemas.directory, name + ".json"))
        if file_path in used_files:
            ok("%s.json is used by the AsyncAPI document" % name)
        else:
            fail("%s.json is not referenced from %s" % (name, path))

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


# --------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Validate handoffd CloudEvents (JSON lines) against protocols/schemas."
    )
    parser.add_argument("--schemas", default=DEFAULT_SCHEMAS,
                        help="schema folder (default: %(default)s)")
    parser.add_argument("--self-test", action="store_true",
                        help="check examples-valid/ and counterexamples/ against the schemas")
    parser.add_argument("--asyncapi", metavar="FILE",
                        help="check that an AsyncAPI document parses and its $refs resolve")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print what passed")
    parser.add_argument("files", nargs="*", metavar="FILE.jsonl")
    args = parser.parse_args(argv)

    if not (args.self_test or args.asyncapi or args.files):
        parser.error("give FILE.jsonl..., --self-test or --asyncapi FILE")
    schemas = Schemas(os.path.abspath(args.schemas))
    if ENVELOPE not in schemas.by_name:
        print("no %s.json in %s" % (ENVELOPE, schemas.directory))
        return 2
    rc = 0
    if args.self_test:
        rc = max(rc, self_test(schemas, args.verbose))
    if args.asyncapi:
        rc = max(rc, check_asyncapi(schemas, args.asyncapi, args.verbose))
    if args.files:
        rc = max(rc, validate_files(schemas, args.files))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
