-- The support mailbox read over IMAP, and what mail in brings besides tickets.
--
-- Where the reader is in each mailbox: UIDs mean the same messages only while the folder's
-- UIDVALIDITY stays the same, so both are kept; a restart asks for what came after.
create table mailbox_cursor (
    mailbox text primary key not null,
    uid_validity integer not null,
    last_uid integer not null,
    updated_at text not null
);

-- Received mail gets an id to link to (a logged mail's activities, its attachments), and two
-- more outcomes: logged to timelines (a staff member's mail with the CRM in BCC) and refused
-- (too large or unreadable: the reason is kept, the reader goes on).
create table inbound_mail_new (
    id blob not null unique,
    message_id text primary key not null,
    from_address text not null,
    subject text not null,
    outcome text not null check (outcome in ('ticket', 'reply', 'ignored', 'logged', 'refused')),
    reason text,
    ticket_id blob references tickets (id) on delete set null,
    size integer not null,
    raw blob not null,
    received_at text not null
);
insert into inbound_mail_new (id, message_id, from_address, subject, outcome, reason, ticket_id,
                              size, raw, received_at)
    select randomblob(16), message_id, from_address, subject, outcome, reason, ticket_id, size,
           raw, received_at
    from inbound_mail;
drop table inbound_mail;
alter table inbound_mail_new rename to inbound_mail;
create index inbound_mail_received_idx on inbound_mail (received_at);
create index inbound_mail_sender_idx on inbound_mail (from_address, received_at);

-- A ticket from someone the CRM did not know waits for support to place it.
alter table tickets add column triage integer not null default 0 check (triage in (0, 1));
create index tickets_triage_idx on tickets (created_at) where triage = 1;

-- The attachments of received mail: stored as files (in the upload folder) up to the
-- configured size, listed otherwise (they stay in the stored message either way).
create table mail_attachments (
    id blob primary key not null,
    mail_id blob not null references inbound_mail (id) on delete cascade,
    ticket_id blob references tickets (id) on delete cascade,
    comment_id blob references ticket_comments (id) on delete set null,
    name text not null,
    content_type text not null,
    size integer not null,
    sha256 text not null,
    stored integer not null check (stored in (0, 1)),
    created_at text not null
);
create index mail_attachments_ticket_idx on mail_attachments (ticket_id, created_at);

-- A mail logged to a timeline links to the message it came from.
alter table activities add column mail_id blob references inbound_mail (id) on delete set null;
