-- Sales records: leads, accounts, contacts, opportunities (with the pipeline stages and their
-- history), activities and tasks; full-text search; idempotency keys for creates.
-- Searchable tables carry an integer `seq` (the rowid) that their FTS5 index points at.

create table pipeline_stages (
    key text primary key not null,
    label text not null,
    position integer not null,
    probability integer not null check (probability between 0 and 100),
    kind text not null check (kind in ('open', 'won', 'lost')),
    required_fields text not null default '[]',   -- JSON array of field names
    aging_days integer,
    created_at text not null,
    updated_at text not null
);
insert into pipeline_stages (key, label, position, probability, kind, created_at, updated_at) values
    ('lead', 'Lead', 1, 10, 'open', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    ('qualified', 'Qualified', 2, 25, 'open', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    ('proposal', 'Proposal', 3, 50, 'open', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    ('negotiation', 'Negotiation', 4, 75, 'open', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    ('won', 'Won', 5, 100, 'won', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    ('lost', 'Lost', 6, 0, 'lost', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00');

create table accounts (
    seq integer primary key,
    id blob not null unique,
    owner_id blob not null references users (id),
    name text not null,
    domain text,                        -- lower-case, unique when set
    industry text,
    phone text,
    city text,
    annual_revenue integer,
    primary_contact_id blob references contacts (id),
    created_at text not null,
    updated_at text not null,
    version integer not null default 1
);
create unique index accounts_domain_key on accounts (domain);
create index accounts_name_idx on accounts (name, id);
create index accounts_created_idx on accounts (created_at, id);
create index accounts_owner_idx on accounts (owner_id, created_at, id);

create table contacts (
    seq integer primary key,
    id blob not null unique,
    owner_id blob not null references users (id),
    first_name text,
    last_name text,
    email text,                         -- lower-case, unique among contacts when set
    phone text,
    title text,
    account_id blob references accounts (id),
    role text not null default 'lead' check (role in ('lead', 'prospect', 'client')),
    active integer not null default 1 check (active in (0, 1)),
    is_test integer not null default 0 check (is_test in (0, 1)),
    created_at text not null,
    updated_at text not null,
    version integer not null default 1,
    check (first_name is not null or last_name is not null)
);
create unique index contacts_email_key on contacts (email);
create index contacts_account_idx on contacts (account_id);
create index contacts_created_idx on contacts (created_at, id);
create index contacts_owner_idx on contacts (owner_id, created_at, id);
create index contacts_last_name_idx on contacts (last_name, id);

create table leads (
    seq integer primary key,
    id blob not null unique,
    owner_id blob not null references users (id),
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
    converted_account_id blob references accounts (id),
    converted_contact_id blob references contacts (id),
    converted_opportunity_id blob references opportunities (id),
    created_at text not null,
    updated_at text not null,
    version integer not null default 1
);
create index leads_created_idx on leads (created_at, id);
create index leads_status_created_idx on leads (status, created_at, id);
create index leads_owner_created_idx on leads (owner_id, created_at, id);
create index leads_name_idx on leads (name, id);
create index leads_email_idx on leads (email);

create table opportunities (
    seq integer primary key,
    id blob not null unique,
    owner_id blob not null references users (id),
    name text not null,
    account_id blob references accounts (id),
    primary_contact_id blob references contacts (id),
    value_minor integer check (value_minor >= 0),
    currency text not null default 'USD',
    stage text not null references pipeline_stages (key),
    probability integer not null check (probability between 0 and 100),
    expected_close text,                -- YYYY-MM-DD
    lost_reason text check (lost_reason in ('price', 'timing', 'missing_feature', 'competitor',
                                            'no_response', 'internal_change', 'other')),
    stage_entered_at text not null,
    closed_at text,
    lead_id blob references leads (id),
    created_at text not null,
    updated_at text not null,
    version integer not null default 1
);
create index opportunities_stage_close_idx on opportunities (stage, expected_close, id);
create index opportunities_account_idx on opportunities (account_id);
create index opportunities_owner_stage_idx on opportunities (owner_id, stage, expected_close, id);
create index opportunities_created_idx on opportunities (created_at, id);
create index opportunities_closed_idx on opportunities (closed_at);
create index opportunities_lead_idx on opportunities (lead_id);

create table stage_history (
    id blob primary key not null,
    opportunity_id blob not null references opportunities (id) on delete cascade,
    from_stage text,
    to_stage text not null,
    at text not null,
    by_user_id blob references users (id)
);
create index stage_history_opportunity_idx on stage_history (opportunity_id, at);
create index stage_history_at_idx on stage_history (at);

create table activities (
    id blob primary key not null,
    owner_id blob not null references users (id),
    kind text not null check (kind in ('call', 'meeting', 'note', 'email')),
    subject text not null,
    body text,
    occurred_at text not null,
    related_type text not null check (related_type in ('lead', 'account', 'contact', 'opportunity', 'ticket')),
    related_id blob not null,
    created_at text not null,
    updated_at text not null,
    version integer not null default 1
);
create index activities_related_idx on activities (related_type, related_id, occurred_at);

create table tasks (
    id blob primary key not null,
    owner_id blob not null references users (id),
    title text not null,
    due_at text,
    assignee_id blob not null references users (id),
    done_at text,
    related_type text check (related_type in ('lead', 'account', 'contact', 'opportunity', 'ticket')),
    related_id blob,
    created_at text not null,
    updated_at text not null,
    version integer not null default 1
);
create index tasks_assignee_idx on tasks (assignee_id, done_at, due_at);
create index tasks_related_idx on tasks (related_type, related_id);

-- A create retried with the same key answers with the first response.
create table idempotency_keys (
    user_id blob not null,
    key text not null,
    request_hash text not null,
    status integer not null,
    response text not null,
    created_at text not null,
    primary key (user_id, key)
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);

-- Full-text search (FTS5, external content): names, emails, companies, by word or prefix.
create virtual table leads_fts using fts5(name, company, email, content = 'leads', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2');
create trigger leads_fts_insert after insert on leads begin
    insert into leads_fts (rowid, name, company, email) values (new.seq, new.name, new.company, new.email);
end;
create trigger leads_fts_delete after delete on leads begin
    insert into leads_fts (leads_fts, rowid, name, company, email) values ('delete', old.seq, old.name, old.company, old.email);
end;
create trigger leads_fts_update after update of name, company, email on leads begin
    insert into leads_fts (leads_fts, rowid, name, company, email) values ('delete', old.seq, old.name, old.company, old.email);
    insert into leads_fts (rowid, name, company, email) values (new.seq, new.name, new.company, new.email);
end;

create virtual table accounts_fts using fts5(name, domain, city, content = 'accounts', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2');
create trigger accounts_fts_insert after insert on accounts begin
    insert into accounts_fts (rowid, name, domain, city) values (new.seq, new.name, new.domain, new.city);
end;
create trigger accounts_fts_delete after delete on accounts begin
    insert into accounts_fts (accounts_fts, rowid, name, domain, city) values ('delete', old.seq, old.name, old.domain, old.city);
end;
create trigger accounts_fts_update after update of name, domain, city on accounts begin
    insert into accounts_fts (accounts_fts, rowid, name, domain, city) values ('delete', old.seq, old.name, old.domain, old.city);
    insert into accounts_fts (rowid, name, domain, city) values (new.seq, new.name, new.domain, new.city);
end;

create virtual table contacts_fts using fts5(first_name, last_name, email, title, content = 'contacts',
    content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2');
create trigger contacts_fts_insert after insert on contacts begin
    insert into contacts_fts (rowid, first_name, last_name, email, title)
        values (new.seq, new.first_name, new.last_name, new.email, new.title);
end;
create trigger contacts_fts_delete after delete on contacts begin
    insert into contacts_fts (contacts_fts, rowid, first_name, last_name, email, title)
        values ('delete', old.seq, old.first_name, old.last_name, old.email, old.title);
end;
create trigger contacts_fts_update after update of first_name, last_name, email, title on contacts begin
    insert into contacts_fts (contacts_fts, rowid, first_name, last_name, email, title)
        values ('delete', old.seq, old.first_name, old.last_name, old.email, old.title);
    insert into contacts_fts (rowid, first_name, last_name, email, title)
        values (new.seq, new.first_name, new.last_name, new.email, new.title);
end;

create virtual table opportunities_fts using fts5(name, content = 'opportunities', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2');
create trigger opportunities_fts_insert after insert on opportunities begin
    insert into opportunities_fts (rowid, name) values (new.seq, new.name);
end;
create trigger opportunities_fts_delete after delete on opportunities begin
    insert into opportunities_fts (opportunities_fts, rowid, name) values ('delete', old.seq, old.name);
end;
create trigger opportunities_fts_update after update of name on opportunities begin
    insert into opportunities_fts (opportunities_fts, rowid, name) values ('delete', old.seq, old.name);
    insert into opportunities_fts (rowid, name) values (new.seq, new.name);
end;
