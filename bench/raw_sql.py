#!/usr/bin/env python3
"""The bare SQL behind each benchmarked endpoint, timed directly on the same SQLite file.

The statements mirror what the server runs (src/server/db/leads.rs, list.rs, search.rs): the
same select list, join, filter, order and limit. Each is run `--runs` times on one connection;
the output is one JSON line per query with p50/p95/p99 in microseconds (rows fetched included,
as the server fetches them).

Also prints, for the benchmark's requests, the deep cursor and ids it needs (`--params`).
"""
import argparse, base64, json, sqlite3, statistics, sys, time, uuid

LEAD_SELECT = """select l.id, l.owner_id, u.name as owner_name, l.status, l.disqualify_reason,
        l.name, l.company, l.email, l.phone, l.source, l.utm_source, l.utm_medium, l.utm_campaign,
        l.converted_account_id, l.converted_contact_id, l.converted_opportunity_id,
        l.created_at, l.updated_at, l.version"""
LEAD_FROM = " from leads l left join users u on u.id = l.owner_id"

LIST = (LEAD_SELECT + ", l.created_at as crm_sort_key" + LEAD_FROM +
        " where 1 = 1 and l.status = ? order by l.created_at desc, l.id desc limit ?")
DEEP = (LEAD_SELECT + ", l.created_at as crm_sort_key" + LEAD_FROM +
        " where 1 = 1 and l.status = ? and (l.created_at, l.id) < (?, ?)"
        " order by l.created_at desc, l.id desc limit ?")
GET = LEAD_SELECT + LEAD_FROM + " where l.id = ?"
SEARCH = [
    """select l.id, l.name as title, coalesce(l.company, l.email) as subtitle from leads l
       where l.seq in (select rowid from leads_fts where leads_fts match ? order by rowid desc limit ?)
       order by l.seq desc""",
    """select c.id, trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) as title,
              coalesce(c.email, c.title) as subtitle from contacts c
       where c.seq in (select rowid from contacts_fts where contacts_fts match ? order by rowid desc limit ?)
       order by c.seq desc""",
    """select a.id, a.name as title, coalesce(a.domain, a.city) as subtitle from accounts a
       where a.seq in (select rowid from accounts_fts where accounts_fts match ? order by rowid desc limit ?)
       order by a.seq desc""",
    """select o.id, o.name as title, o.stage as subtitle from opportunities o
       where o.seq in (select rowid from opportunities_fts where opportunities_fts match ? order by rowid desc limit ?)
       order by o.seq desc""",
]
PAGE = 50
PER_KIND = 6

# The pipeline's figures computed the direct way, over the opportunities themselves: what the
# board's headers and the summary strip would cost without running totals.
BOARD_AGGREGATE = """select o.stage, o.currency, count(*), sum(o.value_minor) from opportunities o
    where o.closed_at is null or o.closed_at >= ? group by o.stage, o.currency"""
BOARD_COLUMN = """select o.id, o.owner_id, u.name, o.name, o.account_id, o.primary_contact_id, o.value_minor,
        o.currency, o.expected_close, o.lost_reason, o.stage, o.probability, a.name,
        case when pc.id is null then null else trim(coalesce(pc.first_name, '') || ' ' || coalesce(pc.last_name, '')) end,
        o.stage_entered_at, o.closed_at, o.lead_id, o.created_at, o.updated_at, o.version,
        coalesce(o.expected_close, '9999-12-31')
    from opportunities o left join users u on u.id = o.owner_id left join accounts a on a.id = o.account_id
        left join contacts pc on pc.id = o.primary_contact_id
    where o.stage = ? order by coalesce(o.expected_close, '9999-12-31'), o.id limit 51"""
# A closed column: this month's closes, latest first.
BOARD_CLOSED_COLUMN = BOARD_COLUMN.replace(
    "where o.stage = ? order by coalesce(o.expected_close, '9999-12-31'), o.id limit 51",
    "where o.stage = ? and o.closed_at >= ? order by o.closed_at desc, o.id desc limit 51")
SUMMARY = [
    """select sum(o.value_minor), count(*) from opportunities o join pipeline_stages s on s.key = o.stage
       where s.kind = 'open' and o.currency = 'USD'""",
    """select count(*), sum(case when exists (select 1 from opportunities o where o.lead_id = l.id
           and o.stage in (select key from pipeline_stages where kind = 'won')) then 1 else 0 end)
       from leads l where l.created_at >= ?""",
    """select count(*), avg(value_minor) from opportunities
       where stage in (select key from pipeline_stages where kind = 'won') and closed_at >= ? and currency = 'USD'""",
    """select sum(value_minor), count(*) from opportunities
       where stage in (select key from pipeline_stages where kind = 'won') and closed_at >= ? and currency = 'USD'""",
]


def fts(q):
    words = ["".join(ch for ch in w if ch.isalnum()).lower() for w in q.split()]
    return " ".join(f'"{w}"*' for w in words if w)


def params(db, status, search):
    """A cursor half-way down the filtered list, the lead there, and the search query."""
    count = db.execute("select count(*) from leads where status = ?", (status,)).fetchone()[0]
    depth = count // 2
    row = db.execute(
        "select created_at, id from leads where status = ? order by created_at desc, id desc"
        " limit 1 offset ?", (status, depth)).fetchone()
    if row is None:
        sys.exit(f"not enough '{status}' leads for a cursor {depth} rows deep")
    created_at, blob = row
    lead_id = str(uuid.UUID(bytes=blob))
    # The server's cursor: URL-safe base64 (no padding) of the JSON [sort value, id].
    value = created_at.replace("+00:00", "Z")
    cursor = base64.urlsafe_b64encode(json.dumps([value, lead_id], separators=(",", ":")).encode()).decode().rstrip("=")
    return {"cursor": cursor, "lead_id": lead_id, "cursor_created_at": created_at,
            "cursor_id_hex": blob.hex(), "search": search, "depth": depth}


def timed(db, runs, run_once):
    run_once()  # warm the page cache, as the server's first requests do
    samples = []
    for _ in range(runs):
        t = time.perf_counter_ns()
        run_once()
        samples.append((time.perf_counter_ns() - t) / 1000)
    samples.sort()
    pick = lambda p: samples[min(len(samples) - 1, int(len(samples) * p / 100))]
    return {"p50": round(pick(50)), "p95": round(pick(95)), "p99": round(pick(99)),
            "mean": round(statistics.fmean(samples))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--status", default="new")
    ap.add_argument("--search", default="ada lov")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--params", action="store_true", help="print the request parameters and exit")
    ap.add_argument("--suite", default="records", choices=["records", "pipeline"])
    args = ap.parse_args()
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    if args.suite == "pipeline":
        return pipeline(db, args.runs)
    p = params(db, args.status, args.search)
    if args.params:
        print(json.dumps(p))
        return
    blob = bytes.fromhex(p["cursor_id_hex"])
    lead = uuid.UUID(p["lead_id"]).bytes
    q = fts(args.search)
    queries = {
        "list": lambda: db.execute(LIST, (args.status, PAGE + 1)).fetchall(),
        "deep": lambda: db.execute(DEEP, (args.status, p["cursor_created_at"], blob, PAGE + 1)).fetchall(),
        "get": lambda: db.execute(GET, (lead,)).fetchall(),
        "search": lambda: [db.execute(s, (q, PER_KIND)).fetchall() for s in SEARCH],
    }
    for name, run_once in queries.items():
        print(json.dumps({"query": name, **timed(db, args.runs, run_once)}))


def pipeline(db, runs):
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).isoformat()
    quarter = (now - datetime.timedelta(days=90)).isoformat()
    stages = list(db.execute(
        "select key, kind from pipeline_stages where archived_at is null order by position"))
    column = lambda key, kind: (db.execute(BOARD_COLUMN, (key,)) if kind == "open"
                                else db.execute(BOARD_CLOSED_COLUMN, (key, month))).fetchall()
    queries = {
        # The board: its headers as one aggregate, plus each column's first page.
        "board": lambda: (db.execute(BOARD_AGGREGATE, (month,)).fetchall(),
                          [column(key, kind) for key, kind in stages]),
        "board_aggregate": lambda: db.execute(BOARD_AGGREGATE, (month,)).fetchall(),
        "summary": lambda: [db.execute(SUMMARY[0]).fetchall(), db.execute(SUMMARY[1], (quarter,)).fetchall(),
                            db.execute(SUMMARY[2], (quarter,)).fetchall(), db.execute(SUMMARY[3], (month,)).fetchall()],
    }
    for name, run_once in queries.items():
        print(json.dumps({"query": name, **timed(db, runs, run_once)}))


if __name__ == "__main__":
    main()
