-- Administration: the audit log becomes a hash chain, and impersonations are recorded.
-- Mirrors migrations/sqlite/0005_admin.sql.

alter table audit_log add column prev_hash text;
alter table audit_log add column hash text;

-- The entries written before the chain: only these may be sealed after the fact. A row
-- without a hash after them was inserted behind the application's back.
create table audit_chain_start (legacy_through bigint not null);
insert into audit_chain_start (legacy_through) select coalesce(max(seq), 0) from audit_log;

create or replace function audit_log_append_only() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and old.hash is null then
        return new;
    end if;
    raise exception 'audit_log is append-only';
end;
$$;

create table impersonations (
    id uuid primary key,
    admin_id uuid not null references users (id),
    admin_session_id uuid not null references auth_sessions (id),
    subject_user_id uuid references users (id),
    subject_contact_id uuid references contacts (id),
    via_account_id uuid references accounts (id),
    reason text not null,
    started_at timestamptz not null,
    expires_at timestamptz not null,
    ended_at timestamptz,
    end_reason text,
    check ((subject_user_id is null) <> (subject_contact_id is null))
);
create index impersonations_subject_user_idx on impersonations (subject_user_id, started_at);
create index impersonations_admin_idx on impersonations (admin_id, started_at);

create index audit_log_subject_idx on audit_log (subject_id, seq);
create index audit_log_action_idx on audit_log (action, seq);
create index audit_log_at_idx on audit_log (at);
