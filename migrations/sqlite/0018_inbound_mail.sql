-- Mail the CRM received (the support mailbox, or `crm mail receive`): every message is kept
-- whole, once, by its Message-ID, with what became of it: a new ticket, a reply on one, or
-- nothing, and why (an auto-reply, a bounce, a mailing list, a sender sending too much).
create table inbound_mail (
    message_id text primary key not null,
    from_address text not null,
    subject text not null,
    outcome text not null check (outcome in ('ticket', 'reply', 'ignored')),
    reason text,
    ticket_id blob references tickets (id) on delete set null,
    size integer not null,
    raw blob not null,
    received_at text not null
);
create index inbound_mail_received_idx on inbound_mail (received_at);
create index inbound_mail_sender_idx on inbound_mail (from_address, received_at);
