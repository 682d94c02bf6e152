"""A real SMTP server for the tests (aiosmtpd): every message it accepts is written to
<dir>/<n>.eml as it arrived (DATA bytes, envelope sender and recipients in X-Envelope-*
headers added on top), and beside it <n>.json with what a reader sees: the recipients, the
decoded subject, and the decoded text and HTML parts (Python's own MIME parser, so the tests
read the mail as a mail client would). Prints the port it listens on, then runs until its
stdin closes.

  python mail_sink.py --dir DIR [--port 0] [--refuse N] [--reject]

--refuse N answers the first N messages with 451 (try again later); --reject answers every
message with 550 (never deliverable).
"""
import argparse
import email
import email.policy
import json
import os
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, refuse, reject):
        self.directory = directory
        self.refuse = refuse
        self.reject = reject
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):
        if self.reject:
            return "550 5.1.1 mailbox unavailable (test sink)"
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 try again later (test sink)"
        self.seen += 1
        name = os.path.join(self.directory, f"{self.seen:06d}.eml")
        head = (
            f"X-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        with open(name + ".part", "wb") as f:
            f.write(head + envelope.original_content)
        read = decoded(envelope.original_content, envelope.rcpt_tos)
        with open(name[:-4] + ".json.part", "w") as f:
            json.dump(read, f)
        os.replace(name[:-4] + ".json.part", name[:-4] + ".json")
        os.replace(name + ".part", name)
        return f"250 2.0.0 Ok: queued as sink{self.seen}"


def decoded(raw, rcpt_tos):
    msg = email.message_from_bytes(raw, policy=email.policy.default)

    def part(kind):
        body = msg.get_body(preferencelist=(kind,))
        return body.get_content() if body is not None else None

    return {
        "to": rcpt_tos,
        "subject": str(msg.get("Subject", "")),
        "text": part("plain"),
        "html": part("html"),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--refuse", type=int, default=0)
    p.add_argument("--reject", action="store_true")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    port = a.port
    if port == 0:
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    c = Controller(Sink(a.dir, a.refuse, a.reject), hostname="127.0.0.1", port=port)
    c.start()
    print(port, flush=True)
    try:
        sys.stdin.read()
    finally:
        c.stop()


if __name__ == "__main__":
    main()
