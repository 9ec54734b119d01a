"""Run `ngxray export clickhouse` SQL in chDB over log files.

Usage: chdb_run.py LINES_SQL RECORDS_SQL QUERIES_FILE SPEC_JSON

SPEC_JSON is {"logs": [PATH, ...], "records": [[[LINE, LINES], ...], ...]}.
Every physical line of every log (split on \\n exactly as ngxray does, a
final line without newline included) goes into the raw-line table of
LINES_SQL with its line number, as a shipper of single lines would send it;
every record (a run of LINES lines from LINE, joined with \\n) goes into the
table of RECORDS_SQL, as Vector with the sample multiline setting sends it.
Prints one JSON object per row of each view: set ("lines" from the by-line
view of LINES_SQL, "records" from the view of RECORDS_SQL), file index,
line number and the event fields, strings hex-encoded so that the caller
compares bytes. The example queries run too (they must be valid SQL);
their row counts go to stderr.
"""

import json
import sys

from chdb import session


def statements(text):
    out, cur = [], []
    for line in text.splitlines():
        if (line.startswith("--") or not line.strip()) and not cur:
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


def view_name(sql, table):
    """The name of the first view created over TABLE in SQL."""
    for stmt in statements(sql):
        if stmt.startswith("CREATE OR REPLACE VIEW ") and ("FROM " + table) in stmt:
            return stmt.split()[4]
    raise SystemExit("no view over %s" % table)


def insert(s, table, rows):
    for i in range(0, len(rows), 500):
        s.query(
            "INSERT INTO %s (host, file, line_no, message) VALUES " % table
            + ",".join(rows[i : i + 500])
        )


HEX = ("upstream", "server", "client", "request", "text", "action", "request_host")
FIELDS = ["cause", "status", "level", "upstream", "server", "client", "request",
          "time", "text", "action", "errno", "pid", "connection", "request_host"]


def select(s, view, extra):
    sel = ", ".join(
        "hex(%s) AS %s" % (f, f) if f in HEX
        else ("formatDateTime(time, '%Y-%m-%dT%H:%i:%S', 'UTC') AS time" if f == "time" else f)
        for f in FIELDS + extra
    )
    res = s.query(
        "SELECT file, line_no, %s FROM %s ORDER BY file, line_no" % (sel, view),
        "JSONEachRow",
    )
    return res.bytes().decode("utf-8") if hasattr(res, "bytes") else str(res)


def main():
    lines_sql_file, records_sql_file, queries_file, spec_file = sys.argv[1:5]
    spec = json.load(open(spec_file, encoding="utf-8"))
    lines_sql = open(lines_sql_file, encoding="utf-8").read()
    records_sql = open(records_sql_file, encoding="utf-8").read()
    s = session.Session()
    s.query("CREATE DATABASE IF NOT EXISTS ngx ENGINE = Atomic")
    s.query("USE ngx")
    for stmt in statements(lines_sql) + statements(records_sql):
        s.query(stmt)
    lines_table = "nginx_error_log"
    records_table = spec.get("records_table", "ngxray_records")
    for fi, path in enumerate(spec["logs"]):
        data = open(path, "rb").read()
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        rows = [
            "('h%d', 'f%d', %d, unhex('%s'))" % (fi, fi, n, raw.hex())
            for n, raw in enumerate(lines, 1)
        ]
        insert(s, lines_table, rows)
        recs = [
            "('h%d', 'f%d', %d, unhex('%s'))"
            % (fi, fi, first, b"\n".join(lines[first - 1 : first - 1 + n]).hex())
            for first, n in spec["records"][fi]
        ]
        insert(s, records_table, recs)
    out = []
    for name, view, extra in (
        ("lines", view_name(lines_sql, lines_table) + "_by_line", ["lines", "continuation_of"]),
        ("records", view_name(records_sql, records_table), []),
    ):
        for row in select(s, view, extra).splitlines():
            if row.strip():
                obj = json.loads(row)
                obj["set"] = name
                out.append(json.dumps(obj))
    sys.stdout.write("\n".join(out) + "\n")
    for stmt in statements(open(queries_file, encoding="utf-8").read()):
        r = s.query(stmt, "JSONEachRow")
        text = r.bytes().decode("utf-8", "replace") if hasattr(r, "bytes") else str(r)
        print("query ok: %d rows" % len([l for l in text.splitlines() if l.strip()]), file=sys.stderr)


if __name__ == "__main__":
    main()
