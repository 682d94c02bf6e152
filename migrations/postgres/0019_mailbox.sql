-- The support mailbox read over IMAP, and what mail in brings besides tickets.
--
-- Where the reader is in each mailbox: UIDs mean the same messages only while the folder's
-- UIDVALIDITY stays the same, so both are kept; a restart asks for what came after.
create table mailbox_cursor (
    mailbox text primary key not null,
    uid_validity bigint not null,
    last_uid bigint not null,
    updated_at timestamptz not null
);

-- Received mail gets an id to link to (a logged mail's activities, its attachments), and two
-- more outcomes: logged to timelines (a staff member's mail with the CRM in BCC) and refused
-- (too large or unreadable: the reason is kept, the reader goes on).
alter table inbound_mail add column id uuid not null unique default gen_random_uuid();
alter table inbound_mail alter column id drop default;
alter table inbound_mail drop constraint inbound_mail_outcome_check;
alter table inbound_mail add constraint inbound_mail_outcome_check
    check (outcome in ('ticket', 'reply', 'ignored', 'logged', 'refused'));

-- A ticket from someone the CRM did not know waits for support to place it.
alter table tickets add column triage boolean not null default false;
create index tickets_triage_idx on tickets (created_at) where triage;

-- The attachments of received mail: stored as files (in the upload folder) up to the
-- configured size, listed otherwise (they stay in the stored message either way).
create table mail_attachments (
    id uuid primary key,
    mail_id uuid not null references inbound_mail (id) on delete cascade,
    ticket_id uuid references tickets (id) on delete cascade,
    comment_id uuid references ticket_comments (id) on delete set null,
    name text not null,
    content_type text not null,
    size bigint not null,
    sha256 text not null,
    stored boolean not null,
    created_at timestamptz not null
);
create index mail_attachments_ticket_idx on mail_attachments (ticket_id, created_at);

-- A mail logged to a timeline links to the message it came from.
alter table activities add column mail_id uuid references inbound_mail (id) on delete set null;
