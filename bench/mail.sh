#!/usr/bin/env bash
# The mail benchmark, against real servers on this machine: a private Dovecot (IMAP) holding
# N customer messages, and the tests' SMTP server (tests/mail_sink.py, aiosmtpd).
#
#  1. Inbound: `crm mail fetch` takes all N messages (each opens a ticket for a new contact and
#     queues its confirmation mail), next to the bare IMAP fetch of the same messages by
#     Python's imaplib in the same run (the server's and the wire's share of the cost).
#  2. Outbox: `crm serve` sends those N confirmations to the SMTP server, next to Python's
#     smtplib sending N mails of the same size to the same server on one connection.
#
#   bench/mail.sh [--messages N]        (default 2,000)
#
# Needs root (Dovecot's mail is owned by `nobody`), dovecot-imapd and the mail venv
# (`scripts/tools.sh test` installs both), and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
messages=2000
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) messages=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bin=${CARGO_TARGET_DIR:-target}/release/crm
[ -x "$bin" ] || { echo "no release build at $bin: run 'make build' first" >&2; exit 1; }
[ -x /usr/sbin/dovecot ] || { echo "Dovecot is needed: scripts/tools.sh test" >&2; exit 1; }
target_dir=${CARGO_TARGET_DIR:-target}
python=${CRM_TEST_MAIL_PYTHON:-$target_dir/mail-venv/bin/python}
[ -x "$python" ] || { echo "the mail venv is needed: scripts/tools.sh test" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/crm-mail-bench.XXXXXX")
chmod 755 "$dir"
dovecot_pid="" sink_pid="" server_pid=""
cleanup() {
  for pid in $server_pid $sink_pid $dovecot_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Dovecot, private: its own configuration, state and mail under $dir; user support/secret.
imap_port=$(free_port)
mkdir -p "$dir"/{run,state,mail,home}
chown -R 65534:65534 "$dir/mail" "$dir/home"
echo 'support:{PLAIN}secret' > "$dir/passwd"
cat > "$dir/dovecot.conf" <<EOF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$dir/mail/%u
first_valid_uid = 100
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$dir/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
EOF

# N messages from N customers (so no sender reaches the hourly limit), straight into the
# Maildir as a delivery agent puts them.
say "writing $messages messages into the mailbox"
python3 - "$dir/mail/support" "$messages" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for sub in ("new", "cur", "tmp"):
    os.makedirs(os.path.join(root, sub), exist_ok=True)
body = ("Our order arrived damaged; the box was crushed and two parts are missing. " * 12 + "\r\n") * 2
for i in range(n):
    raw = (f"From: Customer {i} <customer{i}@bench.example>\r\nTo: help@acme.example\r\n"
           f"Subject: Damaged order {i}\r\nMessage-ID: <bench{i}@bench.example>\r\n"
           f"Date: Thu, 3 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}")
    with open(os.path.join(root, "new", f"{1700000000 + i}.M{i}P1.bench"), "w", newline="") as f:
        f.write(raw)
EOF
chown -R 65534:65534 "$dir/mail"
/usr/sbin/dovecot -F -c "$dir/dovecot.conf" </dev/null >/dev/null 2>&1 &
dovecot_pid=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$imap_port") 2>/dev/null && break; sleep 0.1; done

# The tests' SMTP server, writing what it takes to $dir/sent.
mkdir -p "$dir/sent"
coproc SINK { exec "$python" tests/mail_sink.py --dir "$dir/sent"; }
sink_pid=$SINK_PID
read -r smtp_port <&"${SINK[0]}"

say "reference: the bare IMAP fetch of every message (imaplib)"
imap_ref_s=$(python3 - "$imap_port" <<'EOF'
import imaplib, sys, time
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login("support", "secret")
m.select("INBOX", readonly=True)
start = time.monotonic()
typ, data = m.uid("search", None, "ALL")
uids = data[0].split()
for uid in uids:
    m.uid("fetch", uid, "(BODY.PEEK[])")
print(f"{time.monotonic() - start:.3f}")
m.logout()
EOF
)

export DATABASE_URL="sqlite://$dir/crm.db" RUST_LOG=warn
export CRM_IMAP_URL="imap://support:secret@127.0.0.1:$imap_port/INBOX?tls=off"
export CRM_SMTP_URL="smtp://127.0.0.1:$smtp_port?tls=off"
export CRM_MAIL_FROM='"Acme Support" <help@acme.example>'
export CRM_UPLOAD_DIR="$dir/uploads"
"$bin" migrate >/dev/null
echo "bench password 0123456789" | "$bin" user create --email bench@example.com --name Bench --role super_admin --password-stdin >/dev/null

say "the CRM: crm mail fetch takes every message"
start=$(date +%s%N)
fetched=$("$bin" mail fetch)
fetch_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$fetched" >&2
case "$fetched" in *"$messages taken"*) ;; *) echo "not every message was taken: $fetched" >&2; exit 1 ;; esac

say "reference: smtplib sends $messages mails of the same size on one connection"
smtp_ref_s=$("$python" - "$smtp_port" "$messages" "$dir/sent" <<'EOF'
import os, smtplib, sys, time
port, n, sent = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
body = (("We have your request. " * 3 + "\r\n") * 20).encode()
start = time.monotonic()
with smtplib.SMTP("127.0.0.1", port) as s:
    for i in range(n):
        s.sendmail("help@acme.example", [f"ref{i}@bench.example"],
                   b"From: help@acme.example\r\nTo: ref@bench.example\r\nSubject: ref\r\n\r\n" + body)
print(f"{time.monotonic() - start:.3f}")
EOF
)
before=$(ls "$dir/sent" | grep -c '\.eml$' || true)

say "the CRM: crm serve sends the $messages confirmations from its outbox"
web_port=$(free_port)
start=$(date +%s%N)
LEPTOS_SITE_ADDR="127.0.0.1:$web_port" "$bin" serve >"$dir/server.log" 2>&1 &
server_pid=$!
want=$((before + messages))
deadline=$(( $(date +%s) + 600 ))
while [ "$(ls "$dir/sent" | grep -c '\.eml$' || true)" -lt "$want" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "the outbox did not empty: $(tail -5 "$dir/server.log")" >&2; exit 1; }
  kill -0 "$server_pid" 2>/dev/null || { echo "the server stopped: $(tail -5 "$dir/server.log")" >&2; exit 1; }
  sleep 0.05
done
send_ms=$(( ($(date +%s%N) - start) / 1000000 ))

python3 - "$messages" "$fetch_ms" "$imap_ref_s" "$send_ms" "$smtp_ref_s" <<'EOF'
import sys
n, fetch_ms, imap_s, send_ms, smtp_s = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
print(f"messages={n} inbound_per_s={n / (fetch_ms / 1000):.0f} bare_imap_fetch_per_s={n / imap_s:.0f} "
      f"outbox_per_s={n / (send_ms / 1000):.0f} bare_smtp_per_s={n / smtp_s:.0f} "
      f"inbound_s={fetch_ms / 1000:.2f} outbox_s={send_ms / 1000:.2f}")
EOF
