-- Administration: the audit log becomes a hash chain, and impersonations are recorded.
--
-- Each audit row stores the hash of the row before it (`prev_hash`) and the hash of its own
-- content chained to it (`hash`); `crm audit verify` recomputes the chain. Rows written before
-- this migration are sealed once, in order, when the server next migrates (the only update the
-- trigger below lets through: filling a row's hash while it has none).

alter table audit_log add column prev_hash text;
alter table audit_log add column hash text;

-- The entries written before the chain: only these may be sealed after the fact. A row
-- without a hash after them was inserted behind the application's back.
create table audit_chain_start (legacy_through integer not null);
insert into audit_chain_start (legacy_through) select coalesce(max(seq), 0) from audit_log;

drop trigger audit_log_no_update;
create trigger audit_log_no_update before update on audit_log
when old.hash is not null
begin
    select raise(abort, 'audit_log is append-only');
end;

-- An admin viewing the CRM as someone else: a staff user, or a contact in the portal (a
-- company is viewed through its primary contact, kept in `via_account_id`).
create table impersonations (
    id blob primary key not null,
    admin_id blob not null references users (id),
    admin_session_id blob not null references auth_sessions (id),
    subject_user_id blob references users (id),
    subject_contact_id blob references contacts (id),
    via_account_id blob references accounts (id),
    reason text not null,
    started_at text not null,
    expires_at text not null,
    ended_at text,
    end_reason text,
    check ((subject_user_id is null) <> (subject_contact_id is null))
);
create index impersonations_subject_user_idx on impersonations (subject_user_id, started_at);
create index impersonations_admin_idx on impersonations (admin_id, started_at);

create index audit_log_subject_idx on audit_log (subject_id, seq);
create index audit_log_action_idx on audit_log (action, seq);
create index audit_log_at_idx on audit_log (at);
