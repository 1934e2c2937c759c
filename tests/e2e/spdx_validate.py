#!/usr/bin/env python3
"""spdx_validate: check SPDX 2.3 JSON documents, for the e2e tests.

Usage: spdx_validate.py [--schema FILE] [--created TIME] DOC...

Each DOC is validated against a JSON Schema with the jsonschema module
(Debian's python3-jsonschema): Draft201909Validator or Draft7Validator,
picked by the schema's "$schema".  The schema is --schema FILE, else
$BUILDERD_SPDX_SCHEMA, else tests/data/spdx/spdx-2.3.schema.json (our
own, see the README.md beside it).  Then the checks a schema cannot
express:

  - every SPDXID (document, packages, files, snippets) is unique;
  - every element a relationship, documentDescribes, hasFiles,
    snippetFromFile or fileDependencies names exists in the document, is
    NONE/NOASSERTION (relationship targets only), or is DocumentRef-X:...
    with DocumentRef-X declared in externalDocumentRefs;
  - the document describes exactly one element (documentDescribes and
    DESCRIBES relationships from SPDXRef-DOCUMENT together): builderd and
    melange write one document per package;
  - documentNamespace is an absolute URI without a '#' part;
  - with --created, creationInfo.created is exactly TIME.

Prints one line per error, "DOC: JSON-PATH: message", and nothing for a
valid document.  Exit 0 if every document is valid, 1 if any is not, 2
on bad usage or an unusable schema.
"""

import argparse
import json
import os
import re
import sys

DEFAULT_SCHEMA = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "data", "spdx", "spdx-2.3.schema.json"
)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
DOCREF = re.compile(r"^(DocumentRef-[a-zA-Z0-9.-]+):(.*)$")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_path(parts):
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += "[%d]" % p
        elif IDENT.match(p):
            out += "." + p
        else:
            out += "[%s]" % json.dumps(p)
    return out


def short(value, limit=80):
    s = json.dumps(value)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def describe(err):
    """jsonschema's message, made shorter where it would quote a lot."""
    kind = err.validator
    if kind == "enum":
        allowed = err.validator_value
        if len(allowed) <= 6:
            return "%s is not one of %s" % (short(err.instance), ", ".join(allowed))
        return "%s is not one of the %d values SPDX 2.3 allows" % (
            short(err.instance),
            len(allowed),
        )
    if kind == "contains":
        return "no item is valid under %s" % short(err.validator_value)
    if kind in ("oneOf", "anyOf"):
        return "%s is not valid under exactly one of its alternatives" % short(err.instance)
    msg = err.message
    return msg if len(msg) <= 300 else msg[:297] + "..."


def pick_validator(schema, jsonschema):
    dialect = schema.get("$schema", "") if isinstance(schema, dict) else ""
    if "2019-09" in dialect:
        return jsonschema.Draft201909Validator
    if "draft-07" in dialect:
        return jsonschema.Draft7Validator
    return jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)


def items(doc, key):
    """(index, object) for each object of a top-level array."""
    v = doc.get(key)
    if not isinstance(v, list):
        return []
    return [(i, o) for i, o in enumerate(v) if isinstance(o, dict)]


def semantic_errors(doc, created):
    errs = []
    if not isinstance(doc, dict):
        return errs

    # SPDXIDs: unique across the document
    seen = {}
    if isinstance(doc.get("SPDXID"), str):
        seen[doc["SPDXID"]] = "$.SPDXID"
    for key in ("packages", "files", "snippets"):
        for i, o in items(doc, key):
            sid = o.get("SPDXID")
            if not isinstance(sid, str):
                continue
            where = json_path([key, i, "SPDXID"])
            if sid in seen:
                errs.append((where, "%s is already the SPDXID of %s" % (short(sid), seen[sid])))
            else:
                seen[sid] = where

    docrefs = set()
    for _, o in items(doc, "externalDocumentRefs"):
        if isinstance(o.get("externalDocumentId"), str):
            docrefs.add(o["externalDocumentId"])

    def check_ref(parts, ref, none_ok=False):
        if not isinstance(ref, str):
            return
        if none_ok and ref in ("NONE", "NOASSERTION"):
            return
        m = DOCREF.match(ref)
        if m:
            if m.group(1) not in docrefs:
                errs.append(
                    (json_path(parts), "%s is not declared in externalDocumentRefs" % m.group(1))
                )
            return
        if ref not in seen:
            errs.append((json_path(parts), "%s is not an element of this document" % short(ref)))

    for i, r in items(doc, "relationships"):
        check_ref(["relationships", i, "spdxElementId"], r.get("spdxElementId"))
        check_ref(
            ["relationships", i, "relatedSpdxElement"], r.get("relatedSpdxElement"), none_ok=True
        )
    if isinstance(doc.get("documentDescribes"), list):
        for i, ref in enumerate(doc["documentDescribes"]):
            check_ref(["documentDescribes", i], ref)
    for i, p in items(doc, "packages"):
        if isinstance(p.get("hasFiles"), list):
            for j, ref in enumerate(p["hasFiles"]):
                check_ref(["packages", i, "hasFiles", j], ref)
    for i, f in items(doc, "files"):
        if isinstance(f.get("fileDependencies"), list):
            for j, ref in enumerate(f["fileDependencies"]):
                check_ref(["files", i, "fileDependencies", j], ref)
    for i, s in items(doc, "snippets"):
        check_ref(["snippets", i, "snippetFromFile"], s.get("snippetFromFile"))

    # what the document describes: exactly one element
    described = []
    if isinstance(doc.get("documentDescribes"), list):
        described += [d for d in doc["documentDescribes"] if isinstance(d, str)]
    for _, r in items(doc, "relationships"):
        a, t, b = r.get("spdxElementId"), r.get("relationshipType"), r.get("relatedSpdxElement")
        if t == "DESCRIBES" and a == "SPDXRef-DOCUMENT":
            described.append(b)
        elif t == "DESCRIBED_BY" and b == "SPDXRef-DOCUMENT":
            described.append(a)
    described = sorted(set(d for d in described if isinstance(d, str)))
    if not described:
        errs.append(
            (
                "$",
                "the document describes nothing (no documentDescribes and no DESCRIBES "
                "relationship from SPDXRef-DOCUMENT)",
            )
        )
    elif len(described) > 1:
        errs.append(
            (
                "$",
                "the document describes %d elements (%s), expected exactly one"
                % (len(described), ", ".join(described)),
            )
        )

    ns = doc.get("documentNamespace")
    if isinstance(ns, str):
        rest = SCHEME.sub("", ns, count=1)
        if not SCHEME.match(ns) or not rest or "#" in ns or re.search(r"\s", ns):
            errs.append(
                ("$.documentNamespace", "%s is not an absolute URI without '#'" % short(ns))
            )

    if created is not None:
        ci = doc.get("creationInfo")
        got = ci.get("created") if isinstance(ci, dict) else None
        if got != created:
            errs.append(
                ("$.creationInfo.created", "%s is not the expected %s" % (short(got), short(created)))
            )
    return errs


def main():
    ap = argparse.ArgumentParser(
        description="Validate SPDX 2.3 JSON documents (schema and semantic checks)."
    )
    ap.add_argument("--schema", help="JSON Schema file (default: $BUILDERD_SPDX_SCHEMA, else ours)")
    ap.add_argument("--created", help="the exact creationInfo.created every document must have")
    ap.add_argument("docs", nargs="+", metavar="DOC")
    args = ap.parse_args()

    try:
        import jsonschema
    except ImportError:
        print("spdx_validate: the jsonschema module is missing (python3-jsonschema)", file=sys.stderr)
        return 2

    schema_path = args.schema or os.environ.get("BUILDERD_SPDX_SCHEMA") or DEFAULT_SCHEMA
    try:
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
        cls = pick_validator(schema, jsonschema)
        cls.check_schema(schema)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print("spdx_validate: schema %s: %s" % (schema_path, e), file=sys.stderr)
        return 2
    validator = cls(schema)

    bad = 0
    for path in args.docs:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print("%s: $: not a readable JSON document: %s" % (path, e))
            bad += 1
            continue
        errs = [(json_path(e.absolute_path), describe(e)) for e in validator.iter_errors(doc)]
        errs += semantic_errors(doc, args.created)
        for where, msg in sorted(set(errs)):
            print("%s: %s: %s" % (path, where, msg))
        bad += bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
