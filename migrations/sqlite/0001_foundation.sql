-- Foundation: staff users, sign-in sessions, API tokens, one-time links, login throttling and
-- the append-only audit log. Ids are UUIDs (16-byte blobs here, `uuid` on PostgreSQL); times
-- are RFC 3339 text written by the application, so comparisons stay lexicographic.

create table users (
    id blob primary key not null,
    email text not null,                -- stored trimmed and lower-cased
    name text not null,
    role text not null check (role in ('super_admin', 'admin', 'manager', 'sales', 'support')),
    password_hash text,                 -- argon2id PHC string; null until a password is set
    active integer not null default 1 check (active in (0, 1)),
    created_at text not null,
    updated_at text not null,
    last_login_at text
);
create unique index users_email_key on users (email);

-- One row per sign-in. The tower-sessions cookie session carries this row's id; the row is
-- what the server checks (idle and absolute lifetime, sign-out, deactivation).
create table auth_sessions (
    id blob primary key not null,
    user_id blob not null references users (id) on delete cascade,
    created_at text not null,
    last_seen_at text not null,
    expires_at text not null,           -- absolute end of this sign-in
    ended_at text,
    end_reason text,
    ip text,
    user_agent text
);
create index auth_sessions_user_idx on auth_sessions (user_id, ended_at);

create table api_tokens (
    id blob primary key not null,
    user_id blob not null references users (id) on delete cascade,
    label text not null,
    token_hash text not null,           -- SHA-256 of the token; the token itself is never stored
    created_at text not null,
    last_used_at text,
    revoked_at text
);
create unique index api_tokens_hash_key on api_tokens (token_hash);

-- Links that work once: first-run setup, set-password for new users.
create table one_time_tokens (
    token_hash text primary key not null,
    purpose text not null check (purpose in ('setup', 'set_password')),
    user_id blob references users (id) on delete cascade,
    created_at text not null,
    expires_at text not null,
    used_at text
);

create table login_failures (
    id integer primary key autoincrement,
    throttle_key text not null,         -- 'email:<address>' or 'ip:<address>'
    at text not null
);
create index login_failures_key_at_idx on login_failures (throttle_key, at);

create table audit_log (
    seq integer primary key autoincrement,
    id blob not null unique,
    at text not null,
    actor_id blob,                      -- the staff user who acted, null for anonymous/system
    actor_label text,                   -- what identifies an anonymous actor (e.g. the email tried)
    subject_id blob,                    -- the user acted as, when impersonating
    action text not null,
    target_type text,
    target_id text,
    ip text,
    user_agent text,
    details text not null default '{}'
);
create index audit_log_target_idx on audit_log (target_type, target_id, seq);
create index audit_log_actor_idx on audit_log (actor_id, seq);

create trigger audit_log_no_update before update on audit_log
begin
    select raise(abort, 'audit_log is append-only');
end;
create trigger audit_log_no_delete before delete on audit_log
begin
    select raise(abort, 'audit_log is append-only');
end;
