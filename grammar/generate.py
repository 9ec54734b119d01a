#!/usr/bin/env python3
"""Regenerate grammar/directives.tsv from the nginx fact tables.

Usage: python3 grammar/generate.py DATA_DIR > grammar/directives.tsv

DATA_DIR holds nginx-directives.tsv, nginx-directives-external.tsv,
nginx-directives-removed.tsv and (optionally) nginx-directives-thirdparty.tsv;
grammar/thirdparty-extra.tsv (beside this script) adds third-party modules
the shared tables lack. See grammar/README.md for the columns.
"""

import csv
import os
import re
import sys

COLUMNS = [
    "name",
    "module",
    "kind",
    "contexts",
    "args",
    "is_block",
    "opens",
    "since",
    "removed_in",
    "history",
    "load",
    "origin",
    "value",
    "unit",
]


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


# nginx-directive-defaults.tsv units that map to a value parser.
UNITS = {
    "size (bytes)": "size",
    "offset (bytes)": "offset",
    "time (ms precision)": "msec",
    "time (s precision)": "sec",
    "number": "number",
    "number size": "number size",
}


def value_rule(notes):
    return "on|off" if "value must be on|off" in (notes or "") else ""


def so_file(build, module):
    m = re.search(r"load_module modules/(\S+?\.so)", build or "")
    return m.group(1) if m else module + ".so"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    data = sys.argv[1]
    units = {}
    for r in rows(os.path.join(data, "nginx-directive-defaults.tsv")):
        u = UNITS.get(r["unit"])
        if u and not r["name"].startswith("server:"):
            units[(r["name"], r["module"])] = u
    out = []
    for r in rows(os.path.join(data, "nginx-directives.tsv")):
        kind = "plus" if r["origin"] == "plus" else "oss"
        since = r["since"]
        if since.startswith("unreleased"):
            since = "unreleased"
        out.append(
            {
                "name": r["name"],
                "module": r["module"],
                "kind": kind,
                "contexts": r["contexts"],
                "args": r["args"],
                "is_block": r["is_block"],
                "opens": r["opens_context"],
                "since": since if kind == "oss" else "",
                "removed_in": "",
                "history": r["history"],
                "load": "",
                "origin": "nginx" if kind == "oss" else "NGINX Plus",
                "value": value_rule(r["notes"]),
            }
        )
    for r in rows(os.path.join(data, "nginx-directives-external.tsv")):
        out.append(
            {
                "name": r["name"],
                "module": r["module"],
                "kind": "external",
                "contexts": r["contexts"],
                "args": r["args"],
                "is_block": r["is_block"],
                "opens": r["opens_context"],
                "since": "",
                "removed_in": "",
                "history": "",
                "load": r["module"] + ".so",
                "origin": {
                    "ngx_http_js_module": "njs",
                    "ngx_stream_js_module": "njs",
                    "ngx_otel_module": "nginx-otel",
                    "ngx_http_acme_module": "nginx-acme",
                }.get(r["module"], r["module"]),
                "value": value_rule(r["notes"]),
            }
        )
    for r in rows(os.path.join(data, "nginx-directives-removed.tsv")):
        out.append(
            {
                "name": r["name"],
                "module": r["module"],
                "kind": "removed",
                "contexts": r["contexts"],
                "args": r["args"],
                "is_block": r["is_block"],
                "opens": "",
                "since": r["since"],
                "removed_in": r["removed_in"],
                "history": "",
                "load": "",
                "origin": "nginx",
                "value": "on|off" if r["args"] == "flag" else "",
            }
        )
    # The shared third-party table, then this folder's own additions
    # (thirdparty-extra.tsv, same columns, written by ngx_commands.py); a
    # (name, module) the shared table already has is not added twice.
    shared = rows(os.path.join(data, "nginx-directives-thirdparty.tsv"))
    have = {(r["name"], r["module"]) for r in shared}
    extra = [
        r
        for r in rows(os.path.join(os.path.dirname(os.path.abspath(__file__)), "thirdparty-extra.tsv"))
        if (r["name"], r["module"]) not in have
    ]
    for r in shared + extra:
        out.append(
            {
                "name": r["name"],
                "module": r["module"],
                "kind": "thirdparty",
                "contexts": r["contexts"],
                "args": r["args"],
                "is_block": r["is_block"],
                "opens": r["opens_context"],
                "since": "",
                "removed_in": "",
                "history": "",
                "load": so_file(r["build"], r["module"]),
                "origin": r["origin"],
                "value": value_rule(r["notes"]),
            }
        )
    for r in out:
        r["unit"] = units.get((r["name"], r["module"]), "") if r["kind"] == "oss" else ""
    w = sys.stdout
    w.write("\t".join(COLUMNS) + "\n")
    for r in out:
        for c in COLUMNS:
            if "\t" in r[c] or "\n" in r[c]:
                sys.exit("field with TAB or newline: %r" % r)
        w.write("\t".join(r[c] for c in COLUMNS) + "\n")


if __name__ == "__main__":
    main()
