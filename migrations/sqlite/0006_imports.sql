-- CSV imports: each import is a background job recorded here, with one outcome row per data
-- row of its file. Imported records remember the import that created them, so they can be
-- found and (by an admin) removed again.

create table imports (
    id blob primary key not null,
    kind text not null check (kind in ('leads', 'contacts', 'accounts')),
    status text not null check (status in ('uploaded', 'analysing', 'analysed', 'queued', 'running',
                                           'cancelling', 'cancelled', 'done', 'failed')),
    file_name text not null,
    file_path text not null,
    file_bytes integer not null,
    encoding text not null,
    delimiter text not null,
    skip_records integer not null default 0,   -- preamble records before the header
    dedup text not null default 'skip' check (dedup in ('skip', 'fill', 'overwrite')),
    mapping text not null,                     -- JSON: [{header, field}]
    sample text not null default '[]',         -- JSON: the first data rows
    total_rows integer,
    rows_done integer not null default 0,      -- data rows committed (the resume point)
    created integer not null default 0,
    updated integer not null default 0,
    skipped_duplicate integer not null default 0,
    duplicate_in_file integer not null default 0,
    invalid integer not null default 0,
    dry_run text,                              -- JSON counts of the last dry run
    examples text not null default '[]',       -- JSON: some rows with problems
    error text,
    undone integer not null default 0,
    created_by blob not null references users (id),   -- who the import is for (the subject)
    actor_id blob references users (id),               -- who did it (an admin viewing as them)
    created_at text not null,
    updated_at text not null,
    started_at text,
    finished_at text
);
create index imports_created_idx on imports (created_at);
create index imports_status_idx on imports (status);

create table import_rows (
    import_id blob not null references imports (id) on delete cascade,
    row_no integer not null,
    outcome text not null check (outcome in ('created', 'updated', 'skipped_duplicate',
                                             'duplicate_in_file', 'invalid')),
    record_id blob,
    message text,
    primary key (import_id, row_no)
) without rowid;

alter table leads add column import_id blob;
alter table contacts add column import_id blob;
alter table accounts add column import_id blob;
create index leads_import_idx on leads (import_id) where import_id is not null;
create index contacts_import_idx on contacts (import_id) where import_id is not null;
create index accounts_import_idx on accounts (import_id) where import_id is not null;
