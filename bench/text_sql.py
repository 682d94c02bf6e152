"""The bare SQL behind bench/text-filter.sh: for each list and word, the page read each way
the database can answer it, timed on the database itself (SQLite through Python's sqlite3,
PostgreSQL through EXPLAIN ANALYZE's execution time), with how many rows match.

    python3 bench/text_sql.py sqlite|postgres DATABASE_URL WORD…

Prints one JSON line per (list, word): median ms of each way, and the match count.
"""
import json, statistics, subprocess, sys, time

TABLES = {"leads": "leads", "contacts": "contacts", "accounts": "accounts", "opportunities": "opportunities"}


def sqlite(path, words):
    import sqlite3
    db = sqlite3.connect(path)
    for kind, table in TABLES.items():
        fts = f"{table}_fts"
        head = f"select t.* from {table} t where "
        tail = " order by t.created_at desc, t.id desc limit 51"
        forms = {
            "matches": head + f"t.seq in (select rowid from {fts} where {fts} match ?)" + tail,
            "walk": head + f"+t.seq in (select rowid from {fts} where {fts} match ?)" + tail,
            "probe": head + f"exists (select 1 from {fts} where {fts}.rowid = t.seq and {fts} match ?)" + tail,
        }
        for w in words:
            m = f'"{w}"*'
            out = {"kind": kind, "q": w,
                   "count": db.execute(f"select count(*) from {fts} where {fts} match ?", (m,)).fetchone()[0]}
            for name, sql in forms.items():
                # Walking and probing are slow exactly where they are not chosen: fewer runs.
                if name == "probe" and out["count"] < 100_000:
                    out[name] = None
                    continue
                runs = 3 if name in ("walk", "probe") and out["count"] < 1000 else 9
                times = []
                for _ in range(runs):
                    t = time.perf_counter()
                    db.execute(sql, (m,)).fetchall()
                    times.append((time.perf_counter() - t) * 1000)
                out[name] = statistics.median(times)
            print(json.dumps(out))


def postgres(url, words):
    def execution_ms(sql):
        text = subprocess.run(["psql", url, "-qAt", "-c", f"explain (analyze, format json) {sql}"],
                              check=True, capture_output=True, text=True).stdout
        return json.loads(text)[0]["Execution Time"]

    def scalar(sql):
        return int(subprocess.run(["psql", url, "-qAt", "-c", sql], check=True, capture_output=True, text=True).stdout)

    for kind, table in TABLES.items():
        for w in words:
            q = f"to_tsquery('simple', '{w}:*')"
            head = f"select t.* from {table} t where "
            tail = " order by t.created_at desc, t.id desc limit 51"
            out = {"kind": kind, "q": w, "count": scalar(f"select count(*) from {table} where search @@ {q}")}
            out["matches"] = statistics.median(
                execution_ms(head + f"t.id = any(array(select id from {table} where search @@ {q}))" + tail) for _ in range(3))
            out["walk"] = statistics.median(execution_ms(head + f"t.search @@ {q}" + tail) for _ in range(3))
            print(json.dumps(out))


if __name__ == "__main__":
    backend, url, *words = sys.argv[1:]
    if backend == "sqlite":
        sqlite(url.removeprefix("sqlite://"), words)
    else:
        postgres(url, words)
