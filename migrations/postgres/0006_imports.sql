-- CSV imports: each import is a background job recorded here, with one outcome row per data
-- row of its file. Imported records remember the import that created them, so they can be
-- found and (by an admin) removed again.

create table imports (
    id uuid primary key,
    kind text not null check (kind in ('leads', 'contacts', 'accounts')),
    status text not null check (status in ('uploaded', 'analysing', 'analysed', 'queued', 'running',
                                           'cancelling', 'cancelled', 'done', 'failed')),
    file_name text not null,
    file_path text not null,
    file_bytes bigint not null,
    encoding text not null,
    delimiter text not null,
    skip_records bigint not null default 0,   -- preamble records before the header
    dedup text not null default 'skip' check (dedup in ('skip', 'fill', 'overwrite')),
    mapping text not null,                     -- JSON: [{header, field}]
    sample text not null default '[]',         -- JSON: the first data rows
    total_rows bigint,
    rows_done bigint not null default 0,      -- data rows committed (the resume point)
    created bigint not null default 0,
    updated bigint not null default 0,
    skipped_duplicate bigint not null default 0,
    duplicate_in_file bigint not null default 0,
    invalid bigint not null default 0,
    dry_run text,                              -- JSON counts of the last dry run
    examples text not null default '[]',       -- JSON: some rows with problems
    error text,
    undone bigint not null default 0,
    created_by uuid not null references users (id),   -- who the import is for (the subject)
    actor_id uuid references users (id),               -- who did it (an admin viewing as them)
    created_at timestamptz not null,
    updated_at timestamptz not null,
    started_at timestamptz,
    finished_at timestamptz
);
create index imports_created_idx on imports (created_at);
create index imports_status_idx on imports (status);

create table import_rows (
    import_id uuid not null references imports (id) on delete cascade,
    row_no bigint not null,
    outcome text not null check (outcome in ('created', 'updated', 'skipped_duplicate',
                                             'duplicate_in_file', 'invalid')),
    record_id uuid,
    message text,
    primary key (import_id, row_no)
);

alter table leads add column import_id uuid;
alter table contacts add column import_id uuid;
alter table accounts add column import_id uuid;
create index leads_import_idx on leads (import_id) where import_id is not null;
create index contacts_import_idx on contacts (import_id) where import_id is not null;
create index accounts_import_idx on accounts (import_id) where import_id is not null;
