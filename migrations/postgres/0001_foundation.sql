-- Foundation: staff users, sign-in sessions, API tokens, one-time links, login throttling and
-- the append-only audit log. Mirrors migrations/sqlite/0001_foundation.sql.

create table users (
    id uuid primary key,
    email text not null,
    name text not null,
    role text not null check (role in ('super_admin', 'admin', 'manager', 'sales', 'support')),
    password_hash text,
    active boolean not null default true,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    last_login_at timestamptz
);
create unique index users_email_key on users (email);

create table auth_sessions (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null,
    last_seen_at timestamptz not null,
    expires_at timestamptz not null,
    ended_at timestamptz,
    end_reason text,
    ip text,
    user_agent text
);
create index auth_sessions_user_idx on auth_sessions (user_id, ended_at);

create table api_tokens (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    label text not null,
    token_hash text not null,
    created_at timestamptz not null,
    last_used_at timestamptz,
    revoked_at timestamptz
);
create unique index api_tokens_hash_key on api_tokens (token_hash);

create table one_time_tokens (
    token_hash text primary key,
    purpose text not null check (purpose in ('setup', 'set_password')),
    user_id uuid references users (id) on delete cascade,
    created_at timestamptz not null,
    expires_at timestamptz not null,
    used_at timestamptz
);

create table login_failures (
    id bigint generated always as identity primary key,
    throttle_key text not null,
    at timestamptz not null
);
create index login_failures_key_at_idx on login_failures (throttle_key, at);

create table audit_log (
    seq bigint generated always as identity primary key,
    id uuid not null unique,
    at timestamptz not null,
    actor_id uuid,
    actor_label text,
    subject_id uuid,
    action text not null,
    target_type text,
    target_id text,
    ip text,
    user_agent text,
    details jsonb not null default '{}'
);
create index audit_log_target_idx on audit_log (target_type, target_id, seq);
create index audit_log_actor_idx on audit_log (actor_id, seq);

create function audit_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only';
end;
$$;
create trigger audit_log_no_update before update or delete on audit_log
    for each row execute function audit_log_append_only();
