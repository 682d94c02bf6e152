-- A counter every change to teams, memberships or role visibility moves on, in the change's
-- own transaction. Each request reads it with its sign-in row, so a server can keep whose
-- records a user reaches between requests and still never use a reach that has changed.
create table reach_generation (
    id integer primary key check (id = 1),
    n bigint not null
);
insert into reach_generation (id, n) values (1, 0);
