-- Mail the CRM sends, written in the same transaction as the change that causes it and
-- delivered by a worker: queued → sending (claimed, until `claimed_until`) → sent, or back to
-- queued with a later `next_attempt_at` after a temporary failure, or failed for good. The
-- Message-ID is fixed when the mail is written, so a retry is the same message. Bodies are
-- cleared once the mail is sent (they may hold one-time links).
create table outbox (
    id uuid primary key not null,
    purpose text not null,
    to_address text not null,
    to_name text,
    subject text not null,
    text_body text not null,
    html_body text,
    message_id text not null unique,
    in_reply_to text,
    refs text,
    automatic boolean not null default false,
    unsubscribe text,
    state text not null default 'queued' check (state in ('queued', 'sending', 'sent', 'failed')),
    attempts bigint not null default 0,
    next_attempt_at timestamptz not null,
    claimed_until timestamptz,
    last_error text,
    server_reply text,
    created_at timestamptz not null,
    sent_at timestamptz
);
create index outbox_due_idx on outbox (state, next_attempt_at);
create index outbox_created_idx on outbox (created_at);
