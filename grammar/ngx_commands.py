#!/usr/bin/env python3
"""Read a third-party nginx module's directives from its C source.

Usage: python3 grammar/ngx_commands.py ORIGIN COMMIT SRC_DIR [SO_NAME]

ORIGIN is the module's GitHub `owner/repo`, COMMIT the commit SRC_DIR was
checked out at (recorded in the notes column), SO_NAME the `.so` file of a
dynamic build (default: the module name). Prints rows in the columns of
`nginx-directives-thirdparty.tsv` (see grammar/README.md), header first, so
that the output can be appended to grammar/thirdparty-extra.tsv.

What it reads is what nginx reads: the `ngx_command_t` arrays that an
`ngx_module_t` names as its directives (arrays used only by a block
handler for the lines inside its own block are not directives of any
nginx context). For each entry: the name (a string literal or a `#define`d
one), the context flags, the argument mask and `NGX_CONF_BLOCK`. Entries
inside `#if` / `#ifdef` are kept, with the condition in the notes.
`#include`d files inside an array (kaltura's `*_commands.h`) are read in
place, as the C preprocessor does.
"""

import os
import re
import sys

CONTEXTS = [
    ("NGX_MAIN_CONF", "main"),
    ("NGX_EVENT_CONF", "events"),
    ("NGX_HTTP_MAIN_CONF", "http"),
    ("NGX_HTTP_SRV_CONF", "server"),
    ("NGX_HTTP_LOC_CONF", "location"),
    ("NGX_HTTP_UPS_CONF", "upstream"),
    ("NGX_HTTP_SIF_CONF", "if_in_server"),
    ("NGX_HTTP_LIF_CONF", "if_in_location"),
    ("NGX_HTTP_LMT_CONF", "limit_except"),
    ("NGX_STREAM_MAIN_CONF", "stream"),
    ("NGX_STREAM_SRV_CONF", "stream_server"),
    ("NGX_STREAM_UPS_CONF", "stream_upstream"),
    ("NGX_MAIL_MAIN_CONF", "mail"),
    ("NGX_MAIL_SRV_CONF", "mail_server"),
    ("NGX_ANY_CONF", "any"),
]
CONTEXT_OF = dict(CONTEXTS)
TAKES = {
    "NGX_CONF_NOARGS": [0],
    "NGX_CONF_TAKE1": [1],
    "NGX_CONF_TAKE2": [2],
    "NGX_CONF_TAKE3": [3],
    "NGX_CONF_TAKE4": [4],
    "NGX_CONF_TAKE5": [5],
    "NGX_CONF_TAKE6": [6],
    "NGX_CONF_TAKE7": [7],
    "NGX_CONF_TAKE12": [1, 2],
    "NGX_CONF_TAKE13": [1, 3],
    "NGX_CONF_TAKE23": [2, 3],
    "NGX_CONF_TAKE123": [1, 2, 3],
    "NGX_CONF_TAKE1234": [1, 2, 3, 4],
}
OTHER_ARGS = {"NGX_CONF_FLAG": "flag", "NGX_CONF_1MORE": "1more", "NGX_CONF_2MORE": "2more",
              "NGX_CONF_ANY": "any"}
IGNORED = {"NGX_DIRECT_CONF", "NGX_CONF_MULTI", "NGX_HTTP_UPS_CONF_OFFSET", "0"}
HEADER = [
    "name", "module", "source_file", "contexts", "args", "min_args", "max_args", "is_block",
    "opens_context", "since", "history", "origin", "requires", "build", "doc_module",
    "docs_appeared_in", "docs_default", "notes",
]

TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|/\*.*?\*/|//[^\n]*', re.S)


def strip_comments(text):
    """Comments become spaces (newlines kept); string literals stay."""

    def repl(m):
        s = m.group(0)
        if s.startswith("/"):
            return re.sub(r"[^\n]", " ", s)
        return s

    return TOKEN.sub(repl, text)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return strip_comments(f.read())


def sources(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith((".c", ".h")):
                p = os.path.join(d, f)
                out[os.path.relpath(p, root)] = read(p)
    return out


def defines(files):
    """`#define NAME value` (one line, continuations joined) of all files."""
    out = {}
    for text in files.values():
        text = re.sub(r"\\\n", " ", text)
        for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+(.+)$", text, re.M):
            out.setdefault(m.group(1), m.group(2).strip())
    return out


def expand_includes(body, here, files, depth=0):
    """Inline `#include "x"` lines of an array body (relative to the file)."""
    if depth > 8:
        sys.exit("include loop in %s" % here)

    def repl(m):
        name = m.group(1)
        for cand in (os.path.normpath(os.path.join(os.path.dirname(here), name)), name):
            if cand in files:
                return expand_includes(files[cand], cand, files, depth + 1)
        sys.exit("%s: cannot find included %s" % (here, name))

    return re.sub(r'^[ \t]*#[ \t]*include[ \t]+"([^"]+)"[ \t]*$', repl, body, flags=re.M)


def flag_names(expr, macros, depth=0):
    out = []
    for part in re.split(r"\|", expr):
        part = part.strip().strip("()").strip()
        if not part:
            continue
        if part in CONTEXT_OF or part in TAKES or part in OTHER_ARGS or part in IGNORED \
                or part == "NGX_CONF_BLOCK":
            out.append(part)
        elif part in macros and depth < 8:
            out.extend(flag_names(macros[part], macros, depth + 1))
        else:
            sys.exit("unknown flag %r in %r" % (part, expr))
    return out


def args_of(flags):
    takes = sorted({n for f in flags for n in TAKES.get(f, [])})
    other = [OTHER_ARGS[f] for f in flags if f in OTHER_ARGS]
    parts = []
    if 0 in takes:
        parts.append("noargs")
    if [t for t in takes if t]:
        parts.append("take" + "".join(str(t) for t in takes if t))
    parts.extend(other)
    if not parts:
        sys.exit("no argument mask in %r" % flags)
    lo = min(takes) if takes else (2 if "2more" in other else 1 if ("1more" in other or "flag" in other) else 0)
    hi = "" if ("1more" in other or "2more" in other or "any" in other) else str(max(takes) if takes else 1)
    if "any" in other:
        lo = 0
    return "|".join(parts), str(lo), hi


def conditions(body, pos):
    """The `#if`/`#ifdef` lines open at `pos` of an array body."""
    stack = []
    for m in re.finditer(r"^[ \t]*#[ \t]*(if|ifdef|ifndef|else|elif|endif)\b(.*)$", body[:pos], re.M):
        kw, rest = m.group(1), m.group(2).strip()
        if kw in ("if", "ifdef", "ifndef"):
            stack.append(("#%s %s" % (kw, rest)).strip())
        elif kw == "endif" and stack:
            stack.pop()
        elif kw in ("else", "elif") and stack:
            stack[-1] = stack[-1] + " (#%s%s)" % (kw, " " + rest if rest else "")
    return stack


def commands(root):
    """Every directive entry of the `ngx_command_t` arrays that an
    `ngx_module_t` under `root` names: (path, module, name, flags, handler,
    array body, entry position)."""
    files = sources(root)
    macros = defines(files)
    arrays = {}
    for path, text in sorted(files.items()):
        for m in re.finditer(r"ngx_command_t\s+(\w+)\s*\[\s*\]\s*=\s*\{", text):
            # The array ends at its terminator or, for arrays a block
            # handler walks by count, at the closing `};`.
            ends = [e for e in (text.find("ngx_null_command", m.end()),
                                text.find("};", m.end())) if e >= 0]
            if not ends:
                sys.exit("%s: array %s has no end" % (path, m.group(1)))
            end = min(ends)
            arrays[m.group(1)] = (path, expand_includes(text[m.end():end], path, files))
    modules = []
    for path, text in sorted(files.items()):
        for m in re.finditer(
                r"ngx_module_t\s+(\w+)\s*=\s*\{\s*NGX_MODULE_V1\s*,\s*[^,]+,\s*(\w+)\s*,\s*(\w+)",
                text):
            if m.group(2) in arrays:
                modules.append((m.group(1), m.group(2), m.group(3)))
    if not modules:
        sys.exit("no ngx_module_t with directives under %s" % root)
    entry = re.compile(
        r'\{\s*ngx_string\(\s*(?:"([^"]*)"|(\w+))\s*\)\s*,\s*([^,{}]+?)\s*,', re.S)
    for module, array, _type in modules:
        path, body = arrays[array]
        for m in entry.finditer(body):
            name = m.group(1)
            if name is None:
                lit = macros.get(m.group(2), "")
                if not re.fullmatch(r'"[^"]*"', lit):
                    sys.exit("%s: cannot resolve name %s" % (path, m.group(2)))
                name = lit.strip('"')
            flags = flag_names(m.group(3), macros)
            handler = body[m.end():].split(",", 1)[0].strip()
            yield path, module, name, flags, handler, body, m.start()


def checkouts(args, usage):
    """`NAME=NGINX_SRC` arguments as (name, root) pairs (at least one)."""
    if not args:
        sys.exit(usage)
    return [tuple(a.split("=", 1)) if "=" in a else (a, a) for a in args]


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    origin, commit, root = sys.argv[1:4]
    so = sys.argv[4] if len(sys.argv) == 5 else None
    w = sys.stdout
    w.write("\t".join(HEADER) + "\n")
    for path, module, name, flags, handler, body, pos in commands(root):
        ctx = [c for f, c in CONTEXTS if f in flags]
        if not ctx:
            sys.exit("%s: %s has no context flag" % (path, name))
        args, lo, hi = args_of(flags)
        block = "NGX_CONF_BLOCK" in flags
        notes = []
        if handler == "ngx_conf_set_flag_slot":
            notes.append("value must be on|off")
        notes.extend(conditions(body, pos))
        notes.append("src %s %s" % (origin, commit[:8]))
        row = {
            "name": name,
            "module": module,
            "source_file": path,
            "contexts": ",".join(ctx),
            "args": args,
            "min_args": lo,
            "max_args": hi,
            "is_block": "yes" if block else "no",
            "opens_context": "(custom: %s)" % name if block else "",
            "since": "",
            "history": "",
            "origin": origin,
            "requires": "",
            "build": "--add-[dynamic-]module: load_module modules/%s" % (so or module + ".so"),
            "doc_module": "",
            "docs_appeared_in": "",
            "docs_default": "",
            "notes": "; ".join(notes),
        }
        w.write("\t".join(row[c] for c in HEADER) + "\n")

if __name__ == "__main__":
    main()
