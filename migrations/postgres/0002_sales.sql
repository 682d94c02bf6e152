-- Sales records: mirrors migrations/sqlite/0002_sales.sql. Search uses generated tsvector
-- columns with GIN indexes (the 'simple' configuration: names are not English words).

create table pipeline_stages (
    key text primary key,
    label text not null,
    position integer not null,
    probability integer not null check (probability between 0 and 100),
    kind text not null check (kind in ('open', 'won', 'lost')),
    required_fields text not null default '[]',
    aging_days integer,
    created_at timestamptz not null,
    updated_at timestamptz not null
);
insert into pipeline_stages (key, label, position, probability, kind, created_at, updated_at) values
    ('lead', 'Lead', 1, 10, 'open', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('qualified', 'Qualified', 2, 25, 'open', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('proposal', 'Proposal', 3, 50, 'open', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('negotiation', 'Negotiation', 4, 75, 'open', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('won', 'Won', 5, 100, 'won', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('lost', 'Lost', 6, 0, 'lost', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');

-- Splits emails and domains into words so `exa` finds `ada@example.com`.
create function crm_words(text) returns text language sql immutable parallel safe as
    $$ select regexp_replace(coalesce($1, ''), '[^[:alnum:]]+', ' ', 'g') $$;

create table accounts (
    id uuid primary key,
    owner_id uuid not null references users (id),
    name text not null,
    domain text,
    industry text,
    phone text,
    city text,
    annual_revenue bigint,
    primary_contact_id uuid,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    version bigint not null default 1,
    search tsvector generated always as (
        to_tsvector('simple', crm_words(name) || ' ' || crm_words(domain) || ' ' || crm_words(city))) stored
);
create unique index accounts_domain_key on accounts (domain);
create index accounts_name_idx on accounts (name, id);
create index accounts_created_idx on accounts (created_at, id);
create index accounts_owner_idx on accounts (owner_id, created_at, id);
create index accounts_search_idx on accounts using gin (search);

create table contacts (
    id uuid primary key,
    owner_id uuid not null references users (id),
    first_name text,
    last_name text,
    email text,
    phone text,
    title text,
    account_id uuid references accounts (id),
    role text not null default 'lead' check (role in ('lead', 'prospect', 'client')),
    active boolean not null default true,
    is_test boolean not null default false,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    version bigint not null default 1,
    check (first_name is not null or last_name is not null),
    search tsvector generated always as (
        to_tsvector('simple', crm_words(first_name) || ' ' || crm_words(last_name) || ' '
            || crm_words(email) || ' ' || crm_words(title))) stored
);
create unique index contacts_email_key on contacts (email);
create index contacts_account_idx on contacts (account_id);
create index contacts_created_idx on contacts (created_at, id);
create index contacts_owner_idx on contacts (owner_id, created_at, id);
create index contacts_last_name_idx on contacts (last_name, id);
create index contacts_search_idx on contacts using gin (search);

alter table accounts add constraint accounts_primary_contact_fkey
    foreign key (primary_contact_id) references contacts (id);

create table leads (
    id uuid primary key,
    owner_id uuid not null references users (id),
    name text not null,
    company text,
    email text,
    phone text,
    source text not null default 'manual'
        check (source in ('web', 'referral', 'event', 'import', 'manual', 'other')),
    utm_source text,
    utm_medium text,
    utm_campaign text,
    status text not null default 'new' check (status in ('new', 'contacted', 'qualified', 'disqualified')),
    disqualify_reason text,
    converted_account_id uuid references accounts (id),
    converted_contact_id uuid references contacts (id),
    converted_opportunity_id uuid,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    version bigint not null default 1,
    search tsvector generated always as (
        to_tsvector('simple', crm_words(name) || ' ' || crm_words(company) || ' ' || crm_words(email))) stored
);
create index leads_created_idx on leads (created_at, id);
create index leads_status_created_idx on leads (status, created_at, id);
create index leads_owner_created_idx on leads (owner_id, created_at, id);
create index leads_name_idx on leads (name, id);
create index leads_email_idx on leads (email);
create index leads_search_idx on leads using gin (search);

create table opportunities (
    id uuid primary key,
    owner_id uuid not null references users (id),
    name text not null,
    account_id uuid references accounts (id),
    primary_contact_id uuid references contacts (id),
    value_minor bigint check (value_minor >= 0),
    currency text not null default 'USD',
    stage text not null references pipeline_stages (key),
    probability integer not null check (probability between 0 and 100),
    expected_close date,
    lost_reason text check (lost_reason in ('price', 'timing', 'missing_feature', 'competitor',
                                            'no_response', 'internal_change', 'other')),
    stage_entered_at timestamptz not null,
    closed_at timestamptz,
    lead_id uuid references leads (id),
    created_at timestamptz not null,
    updated_at timestamptz not null,
    version bigint not null default 1,
    search tsvector generated always as (to_tsvector('simple', crm_words(name))) stored
);
alter table leads add constraint leads_converted_opportunity_fkey
    foreign key (converted_opportunity_id) references opportunities (id);
create index opportunities_stage_close_idx on opportunities (stage, expected_close, id);
create index opportunities_account_idx on opportunities (account_id);
create index opportunities_owner_stage_idx on opportunities (owner_id, stage, expected_close, id);
create index opportunities_created_idx on opportunities (created_at, id);
create index opportunities_closed_idx on opportunities (closed_at);
create index opportunities_lead_idx on opportunities (lead_id);
create index opportunities_search_idx on opportunities using gin (search);

create table stage_history (
    id uuid primary key,
    opportunity_id uuid not null references opportunities (id) on delete cascade,
    from_stage text,
    to_stage text not null,
    at timestamptz not null,
    by_user_id uuid references users (id)
);
create index stage_history_opportunity_idx on stage_history (opportunity_id, at);
create index stage_history_at_idx on stage_history (at);

create table activities (
    id uuid primary key,
    owner_id uuid not null references users (id),
    kind text not null check (kind in ('call', 'meeting', 'note', 'email')),
    subject text not null,
    body text,
    occurred_at timestamptz not null,
    related_type text not null check (related_type in ('lead', 'account', 'contact', 'opportunity', 'ticket')),
    related_id uuid not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    version bigint not null default 1
);
create index activities_related_idx on activities (related_type, related_id, occurred_at);

create table tasks (
    id uuid primary key,
    owner_id uuid not null references users (id),
    title text not null,
    due_at timestamptz,
    assignee_id uuid not null references users (id),
    done_at timestamptz,
    related_type text check (related_type in ('lead', 'account', 'contact', 'opportunity', 'ticket')),
    related_id uuid,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    version bigint not null default 1
);
create index tasks_assignee_idx on tasks (assignee_id, done_at, due_at);
create index tasks_related_idx on tasks (related_type, related_id);

create table idempotency_keys (
    user_id uuid not null,
    key text not null,
    request_hash text not null,
    status integer not null,
    response text not null,
    created_at timestamptz not null,
    primary key (user_id, key)
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);
