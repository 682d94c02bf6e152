"""Writes N audit entries into a migrated CRM SQLite file, hash-chained the way
src/server/db/audit.rs chains them (SHA-256 over the previous hash and a JSON array of the
entry's columns), for bench/audit.sh."""
import hashlib, json, sqlite3, sys, uuid
from datetime import datetime, timedelta, timezone

path, n = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(path)
prev = db.execute("select hash from audit_log order by seq desc limit 1").fetchone()
prev = prev[0] if prev and prev[0] else "0" * 64
start = datetime(2026, 1, 1, tzinfo=timezone.utc)
rows = []
for i in range(n):
    id_ = uuid.uuid4()
    at = start + timedelta(seconds=i)
    at_text = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    actor = str(uuid.UUID(int=i + 1))
    details = {"changes": {"status": {"new": "working", "old": "new"}}}
    parts = [prev, str(id_), at_text, actor, None, None, "lead.updated", "lead", str(i),
             "10.0.0.1", "bench", details]
    text = json.dumps(parts, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    h = hashlib.sha256(text.encode()).hexdigest()
    rows.append((id_.bytes, at.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"), uuid.UUID(actor).bytes,
                 "lead.updated", "lead", str(i), "10.0.0.1", "bench",
                 json.dumps(details, separators=(",", ":")), prev, h))
    prev = h
    if len(rows) == 50_000 or i == n - 1:
        db.executemany("insert into audit_log (id, at, actor_id, action, target_type, target_id, ip,"
                       " user_agent, details, prev_hash, hash) values (?,?,?,?,?,?,?,?,?,?,?)", rows)
        db.commit()
        rows = []
