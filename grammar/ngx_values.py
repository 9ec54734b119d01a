#!/usr/bin/env python3
"""List the keywords nginx accepts for its keyword-valued directives.

Usage: python3 grammar/ngx_values.py NAME=NGINX_SRC [NAME=NGINX_SRC ...] > grammar/values.tsv

Each NGINX_SRC is the `src/` folder of an nginx checkout, NAME the release
or commit it is at (recorded in the output's first line). Prints `name`,
`module`, `kind` and `values` (comma-separated) of every directive handled
by `ngx_conf_set_enum_slot` (one keyword) or `ngx_conf_set_bitmask_slot`
(one or more keywords), read from the `ngx_conf_enum_t` /
`ngx_conf_bitmask_t` array the command entry points at. nginx compares the
keywords without case.

A keyword any of the given checkouts accepts is listed: a keyword that a
newer nginx dropped is still accepted for configs written for an older one
(ngxray reports what every supported nginx refuses, never more).
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ngx_commands  # noqa: E402

SLOTS = {"ngx_conf_set_enum_slot": "enum", "ngx_conf_set_bitmask_slot": "bitmask"}


def keyword_arrays(files):
    """Array name -> its keywords, for every `ngx_conf_enum_t` and
    `ngx_conf_bitmask_t` array."""
    out = {}
    for text in files.values():
        for m in re.finditer(
                r"ngx_conf_(?:enum|bitmask)_t\s+(\w+)\s*\[\s*\]\s*=\s*\{(.*?)\n\};", text, re.S):
            out[m.group(1)] = re.findall(r'ngx_string\(\s*"([^"]*)"\s*\)', m.group(2))
    return out


def read(root):
    files = ngx_commands.sources(root)
    arrays = keyword_arrays(files)
    found = {}
    for path, module, name, _flags, handler, body, pos in ngx_commands.commands(root):
        kind = SLOTS.get(handler)
        if kind is None:
            continue
        entry = body[pos:body.index("}", body.index("ngx_string", pos) + 1)]
        post = entry.rsplit(",", 1)[1].strip().lstrip("&").strip()
        if post not in arrays:
            sys.exit("%s: %s: no keyword array %s" % (path, name, post))
        found[(name, module)] = (kind, arrays[post])
    return found


def main():
    merged = {}
    names = []
    for name, root in ngx_commands.checkouts(sys.argv[1:], __doc__):
        names.append(name)
        for key, (kind, values) in read(root).items():
            old_kind, old = merged.get(key, (kind, []))
            if old_kind != kind:
                sys.exit("%s changed kind between releases" % (key,))
            merged[key] = (kind, old + [v for v in values if v.lower() not in map(str.lower, old)])
    w = sys.stdout
    w.write("# nginx/nginx %s: keywords of enum and bitmask directives\n" % ", ".join(names))
    w.write("name\tmodule\tkind\tvalues\n")
    for (name, module), (kind, values) in sorted(merged.items()):
        w.write("%s\t%s\t%s\t%s\n" % (name, module, kind, ",".join(values)))


if __name__ == "__main__":
    main()
