-- Support and the portal: tickets with SLAs and comments, portal access for contacts
-- (invites, their own sign-in rows), kickoff forms and their submissions, and free-form
-- custom answers on leads and contacts.

alter table contacts add column portal_enabled boolean not null default false;
alter table contacts add column portal_password_hash text;   -- argon2id; null until an invite is accepted
alter table contacts add column portal_last_login_at timestamptz;
alter table contacts add column custom text;                  -- JSON object of custom answers
alter table leads add column custom text;

-- A portal sign-in: like auth_sessions, for a contact.
create table portal_sessions (
    id uuid primary key not null,
    contact_id uuid not null references contacts (id) on delete cascade,
    created_at timestamptz not null,
    last_seen_at timestamptz not null,
    expires_at timestamptz not null,
    ended_at timestamptz,
    end_reason text,
    ip text,
    user_agent text
);
create index portal_sessions_contact_idx on portal_sessions (contact_id, ended_at);

-- One-time invite links: the contact sets a portal password through one.
create table portal_invites (
    token_hash text primary key not null,
    contact_id uuid not null references contacts (id) on delete cascade,
    created_by uuid references users (id),
    created_at timestamptz not null,
    expires_at timestamptz not null,
    used_at timestamptz
);
create index portal_invites_contact_idx on portal_invites (contact_id);

-- Named counters handed out inside a write transaction (ticket numbers).
create table counters (
    name text primary key not null,
    value bigint not null
);
insert into counters (name, value) values ('ticket', 1000);

create table sla_policies (
    priority text primary key not null check (priority in ('low', 'normal', 'high', 'urgent')),
    first_response_hours bigint not null check (first_response_hours > 0),
    resolution_hours bigint not null check (resolution_hours > 0),
    updated_at timestamptz not null
);
insert into sla_policies (priority, first_response_hours, resolution_hours, updated_at) values
    ('urgent', 1, 8, '2026-01-01T00:00:00+00:00'),
    ('high', 4, 24, '2026-01-01T00:00:00+00:00'),
    ('normal', 8, 72, '2026-01-01T00:00:00+00:00'),
    ('low', 24, 120, '2026-01-01T00:00:00+00:00');

create table tickets (
    id uuid primary key,
    number bigint not null unique,
    subject text not null,
    description text not null default '',
    account_id uuid references accounts (id),
    contact_id uuid references contacts (id),
    opportunity_id uuid references opportunities (id),
    priority text not null default 'normal' check (priority in ('low', 'normal', 'high', 'urgent')),
    status text not null default 'new' check (status in ('new', 'open', 'pending', 'resolved', 'closed')),
    assignee_id uuid references users (id),
    channel text not null check (channel in ('portal', 'email', 'phone', 'web')),
    created_by_user_id uuid references users (id),
    created_by_contact_id uuid references contacts (id),
    first_response_due_at timestamptz not null,
    resolution_due_at timestamptz not null,
    first_response_at timestamptz,
    resolved_at timestamptz,
    closed_at timestamptz,
    -- When a target was missed; set once by the breach sweep and never cleared.
    first_response_breached_at timestamptz,
    resolution_breached_at timestamptz,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    version bigint not null default 1
);
create index tickets_queue_idx on tickets (status, resolution_due_at, id);
create index tickets_assignee_idx on tickets (assignee_id, status, resolution_due_at);
create index tickets_account_idx on tickets (account_id, created_at);
create index tickets_contact_idx on tickets (contact_id, created_at);
create index tickets_first_due_idx on tickets (first_response_due_at) where first_response_at is null;

create table ticket_comments (
    id uuid primary key not null,
    ticket_id uuid not null references tickets (id) on delete cascade,
    author_user_id uuid references users (id),
    author_contact_id uuid references contacts (id),
    body text not null,
    public boolean not null,
    created_at timestamptz not null
);
create index ticket_comments_ticket_idx on ticket_comments (ticket_id, created_at);

create table forms (
    id uuid primary key not null,
    slug text not null unique,
    title text not null,
    intro text not null default '',
    standard_fields text not null default '[]',  -- JSON: which of name, email, company, phone
    custom_fields text not null default '[]',    -- JSON: [{key,label,kind,required,choices}]
    creates text not null check (creates in ('lead', 'contact')),
    owner_id uuid not null references users (id), -- who owns what the form creates
    active boolean not null default true,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    version bigint not null default 1
);

-- One row per accepted submission; the key (made when the page was served) stops doubles.
create table form_submissions (
    id uuid primary key not null,
    form_id uuid not null references forms (id) on delete cascade,
    submission_key text not null,
    record_type text not null,
    record_id uuid not null,
    ip text,
    created_at timestamptz not null
);
create unique index form_submissions_key on form_submissions (form_id, submission_key);
