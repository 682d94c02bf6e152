-- Ticket mail. A mail may name where replies go (`reply_to`: the support mailbox, when it is
-- not the sender's address). Every message of a ticket's thread, sent or received, is kept by
-- its Message-ID, so a reply that names any of them (In-Reply-To, References) finds its ticket.
alter table outbox add column reply_to text;

create table ticket_messages (
    message_id text primary key not null,
    ticket_id uuid not null references tickets (id) on delete cascade,
    comment_id uuid,
    direction text not null check (direction in ('in', 'out')),
    created_at timestamptz not null
);
create index ticket_messages_ticket_idx on ticket_messages (ticket_id, created_at);
