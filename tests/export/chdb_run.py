"""Run `ngxray export clickhouse` SQL in chDB over log files.

Usage: chdb_run.py SQL_FILE QUERIES_FILE LOG...

Loads every line of every LOG (split on \\n exactly as ngxray does, a final
line without newline included) into the raw-line table, then prints one JSON
object per line from the view: file index, line number and the event fields,
strings hex-encoded so that the caller compares bytes. The example queries
are run too (they must be valid SQL); their row counts go to stderr.
"""

import json
import sys

import chdb
from chdb import session


def statements(text):
    out, cur = [], []
    for line in text.splitlines():
        if line.startswith("--") and not cur:
            continue
        cur.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(cur).strip().rstrip(";")
            if stmt:
                out.append(stmt)
            cur = []
    if "".join(cur).strip():
        out.append("\n".join(cur))
    return out


def main():
    sql_file, queries_file, logs = sys.argv[1], sys.argv[2], sys.argv[3:]
    s = session.Session()
    s.query("CREATE DATABASE IF NOT EXISTS ngx ENGINE = Atomic")
    s.query("USE ngx")
    for stmt in statements(open(sql_file, encoding="utf-8").read()):
        s.query(stmt)
    for fi, path in enumerate(logs):
        data = open(path, "rb").read()
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        rows = []
        for n, raw in enumerate(lines, 1):
            rows.append("('h%d', %s, %d, unhex('%s'))" % (fi, "'f%d'" % fi, n, raw.hex()))
        for i in range(0, len(rows), 500):
            s.query(
                "INSERT INTO nginx_error_log (host, file, line_no, message) VALUES "
                + ",".join(rows[i : i + 500])
            )
    fields = ["cause", "status", "level", "upstream", "server", "client", "request",
              "time", "text", "action", "errno", "pid", "connection", "request_host"]
    sel = ", ".join(
        "hex(%s) AS %s" % (f, f) if f in ("upstream", "server", "client", "request", "text", "action", "request_host")
        else ("formatDateTime(time, '%Y-%m-%dT%H:%i:%S', 'UTC') AS time" if f == "time" else f)
        for f in fields
    )
    res = s.query(
        "SELECT file, line_no, %s FROM ngxray_events ORDER BY file, line_no" % sel,
        "JSONEachRow",
    )
    sys.stdout.write(res.bytes().decode("utf-8") if hasattr(res, "bytes") else str(res))
    for stmt in statements(open(queries_file, encoding="utf-8").read()):
        r = s.query(stmt, "JSONEachRow")
        text = r.bytes().decode("utf-8", "replace") if hasattr(r, "bytes") else str(r)
        print("query ok: %d rows" % len([l for l in text.splitlines() if l.strip()]), file=sys.stderr)


if __name__ == "__main__":
    main()
