-- The pipeline board: stages that can be retired without breaking history, running totals per
-- stage and owner (so the board's headers cost the same at a million opportunities as at ten),
-- monthly targets for pipeline coverage, and indexes in board order.

-- A removed stage is kept, retired, so history rows and old audit entries still name it.
alter table pipeline_stages add column archived_at text;

-- Count and value of the opportunities in each stage, per owner and currency, kept by the
-- triggers below in the same transaction as every change.
create table pipeline_totals (
    stage text not null,
    owner_id blob not null,
    currency text not null,
    count integer not null,
    value_minor integer not null,
    primary key (stage, owner_id, currency)
) without rowid;

insert into pipeline_totals (stage, owner_id, currency, count, value_minor)
    select stage, owner_id, currency, count(*), coalesce(sum(value_minor), 0)
    from opportunities group by stage, owner_id, currency;

create trigger opportunities_totals_insert after insert on opportunities begin
    insert into pipeline_totals (stage, owner_id, currency, count, value_minor)
        values (new.stage, new.owner_id, new.currency, 1, coalesce(new.value_minor, 0))
        on conflict (stage, owner_id, currency) do update
            set count = count + 1, value_minor = value_minor + excluded.value_minor;
end;
create trigger opportunities_totals_delete after delete on opportunities begin
    update pipeline_totals set count = count - 1, value_minor = value_minor - coalesce(old.value_minor, 0)
        where stage = old.stage and owner_id = old.owner_id and currency = old.currency;
end;
create trigger opportunities_totals_update after update of stage, owner_id, currency, value_minor on opportunities begin
    update pipeline_totals set count = count - 1, value_minor = value_minor - coalesce(old.value_minor, 0)
        where stage = old.stage and owner_id = old.owner_id and currency = old.currency;
    insert into pipeline_totals (stage, owner_id, currency, count, value_minor)
        values (new.stage, new.owner_id, new.currency, 1, coalesce(new.value_minor, 0))
        on conflict (stage, owner_id, currency) do update
            set count = count + 1, value_minor = value_minor + excluded.value_minor;
end;

-- Closed deals per close month (YYYY-MM), stage, owner, currency and lost reason ('' when
-- none): what the closed columns, the summary and the win/loss and monthly charts add up, in
-- constant time. Kept by triggers like the totals above.
create table pipeline_closed_totals (
    month text not null,
    stage text not null,
    owner_id blob not null,
    currency text not null,
    lost_reason text not null,
    count integer not null,
    value_minor integer not null,
    primary key (month, stage, owner_id, currency, lost_reason)
) without rowid;

insert into pipeline_closed_totals (month, stage, owner_id, currency, lost_reason, count, value_minor)
    select substr(closed_at, 1, 7), stage, owner_id, currency, coalesce(lost_reason, ''), count(*),
           coalesce(sum(value_minor), 0)
    from opportunities where closed_at is not null
    group by substr(closed_at, 1, 7), stage, owner_id, currency, coalesce(lost_reason, '');

create trigger opportunities_closed_totals_insert after insert on opportunities
when new.closed_at is not null begin
    insert into pipeline_closed_totals (month, stage, owner_id, currency, lost_reason, count, value_minor)
        values (substr(new.closed_at, 1, 7), new.stage, new.owner_id, new.currency,
                coalesce(new.lost_reason, ''), 1, coalesce(new.value_minor, 0))
        on conflict (month, stage, owner_id, currency, lost_reason) do update
            set count = count + 1, value_minor = value_minor + excluded.value_minor;
end;
create trigger opportunities_closed_totals_delete after delete on opportunities
when old.closed_at is not null begin
    update pipeline_closed_totals set count = count - 1, value_minor = value_minor - coalesce(old.value_minor, 0)
        where month = substr(old.closed_at, 1, 7) and stage = old.stage and owner_id = old.owner_id
          and currency = old.currency and lost_reason = coalesce(old.lost_reason, '');
end;
create trigger opportunities_closed_totals_update_old
after update of stage, owner_id, currency, value_minor, closed_at, lost_reason on opportunities
when old.closed_at is not null begin
    update pipeline_closed_totals set count = count - 1, value_minor = value_minor - coalesce(old.value_minor, 0)
        where month = substr(old.closed_at, 1, 7) and stage = old.stage and owner_id = old.owner_id
          and currency = old.currency and lost_reason = coalesce(old.lost_reason, '');
end;
create trigger opportunities_closed_totals_update_new
after update of stage, owner_id, currency, value_minor, closed_at, lost_reason on opportunities
when new.closed_at is not null begin
    insert into pipeline_closed_totals (month, stage, owner_id, currency, lost_reason, count, value_minor)
        values (substr(new.closed_at, 1, 7), new.stage, new.owner_id, new.currency,
                coalesce(new.lost_reason, ''), 1, coalesce(new.value_minor, 0))
        on conflict (month, stage, owner_id, currency, lost_reason) do update
            set count = count + 1, value_minor = value_minor + excluded.value_minor;
end;

-- A manager's revenue target per month (first day of the month), for pipeline coverage.
create table sales_targets (
    month text primary key not null,    -- YYYY-MM-01
    target_minor integer not null check (target_minor >= 0),
    currency text not null,
    set_by blob references users (id),
    updated_at text not null
);

-- Columns in board order: by expected close, undated last; closed columns by close time.
drop index opportunities_stage_close_idx;
drop index opportunities_owner_stage_idx;
create index opportunities_board_idx on opportunities (stage, coalesce(expected_close, '9999-12-31'), id);
create index opportunities_owner_board_idx on opportunities (owner_id, stage, coalesce(expected_close, '9999-12-31'), id);
create index opportunities_stage_closed_idx on opportunities (stage, closed_at, id);

-- Stale cards stand out from day one (seed 002's aging alerts); admins change or clear these.
update pipeline_stages set aging_days = case key
        when 'lead' then 14 when 'qualified' then 21 when 'proposal' then 14 when 'negotiation' then 21 end
    where key in ('lead', 'qualified', 'proposal', 'negotiation') and aging_days is null;
