-- Teams (a user may be in several, a team has at most one manager) and, per role, whose
-- records its users see and edit: their own, their teams', or all. A role without a row
-- keeps the defaults the policy names (see all; sales edit own and team).
create table teams (
    id uuid primary key,
    name text not null,
    manager_id uuid references users (id),
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create unique index teams_name_key on teams (lower(name));
create index teams_manager on teams (manager_id);

create table team_members (
    team_id uuid not null references teams (id) on delete cascade,
    user_id uuid not null references users (id),
    primary key (team_id, user_id)
);
create index team_members_user on team_members (user_id, team_id);

create table role_visibility (
    role text primary key check (role in ('super_admin', 'admin', 'manager', 'sales', 'support')),
    see text not null check (see in ('own', 'team', 'all')),
    edit text not null check (edit in ('own', 'team', 'all')),
    updated_at timestamptz not null
);
