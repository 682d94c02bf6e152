-- Mirrors migrations/sqlite/0003_pipeline.sql: retired stages, running totals per stage and
-- owner kept by a trigger, monthly targets, indexes in board order.

alter table pipeline_stages add column archived_at timestamptz;

create table pipeline_totals (
    stage text not null,
    owner_id uuid not null,
    currency text not null,
    count bigint not null,
    value_minor bigint not null,
    primary key (stage, owner_id, currency)
);

insert into pipeline_totals (stage, owner_id, currency, count, value_minor)
    select stage, owner_id, currency, count(*), coalesce(sum(value_minor), 0)
    from opportunities group by stage, owner_id, currency;

-- A move takes from one totals row and adds to another. Two moves in opposite directions
-- would lock those rows in opposite orders and deadlock, so the rows are always touched in
-- key order.
create function crm_pipeline_totals() returns trigger language plpgsql as $$
declare
    add_first boolean;
begin
    if tg_op = 'INSERT' then
        add_first := true;
    elsif tg_op = 'DELETE' then
        add_first := false;
    else
        add_first := (new.stage, new.owner_id::text, new.currency) < (old.stage, old.owner_id::text, old.currency);
    end if;
    if add_first and tg_op <> 'DELETE' then
        insert into pipeline_totals (stage, owner_id, currency, count, value_minor)
            values (new.stage, new.owner_id, new.currency, 1, coalesce(new.value_minor, 0))
            on conflict (stage, owner_id, currency) do update
                set count = pipeline_totals.count + 1,
                    value_minor = pipeline_totals.value_minor + excluded.value_minor;
    end if;
    if tg_op <> 'INSERT' then
        update pipeline_totals set count = count - 1, value_minor = value_minor - coalesce(old.value_minor, 0)
            where stage = old.stage and owner_id = old.owner_id and currency = old.currency;
    end if;
    if not add_first and tg_op <> 'DELETE' then
        insert into pipeline_totals (stage, owner_id, currency, count, value_minor)
            values (new.stage, new.owner_id, new.currency, 1, coalesce(new.value_minor, 0))
            on conflict (stage, owner_id, currency) do update
                set count = pipeline_totals.count + 1,
                    value_minor = pipeline_totals.value_minor + excluded.value_minor;
    end if;
    return null;
end $$;

create trigger opportunities_totals after insert or delete or update of stage, owner_id, currency, value_minor
    on opportunities for each row execute function crm_pipeline_totals();

create table pipeline_closed_totals (
    month text not null,
    stage text not null,
    owner_id uuid not null,
    currency text not null,
    lost_reason text not null,
    count bigint not null,
    value_minor bigint not null,
    primary key (month, stage, owner_id, currency, lost_reason)
);

insert into pipeline_closed_totals (month, stage, owner_id, currency, lost_reason, count, value_minor)
    select to_char(closed_at at time zone 'UTC', 'YYYY-MM'), stage, owner_id, currency, coalesce(lost_reason, ''),
           count(*), coalesce(sum(value_minor), 0)
    from opportunities where closed_at is not null
    group by 1, stage, owner_id, currency, coalesce(lost_reason, '');

-- Closed deals per close month, kept the same way (rows touched in key order).
create function crm_pipeline_closed_totals() returns trigger language plpgsql as $$
declare
    old_key text;
    new_key text;
begin
    if tg_op <> 'INSERT' and old.closed_at is not null then
        old_key := concat_ws('|', to_char(old.closed_at at time zone 'UTC', 'YYYY-MM'), old.stage,
                             old.owner_id::text, old.currency, coalesce(old.lost_reason, ''));
    end if;
    if tg_op <> 'DELETE' and new.closed_at is not null then
        new_key := concat_ws('|', to_char(new.closed_at at time zone 'UTC', 'YYYY-MM'), new.stage,
                             new.owner_id::text, new.currency, coalesce(new.lost_reason, ''));
    end if;
    if new_key is not null and (old_key is null or new_key < old_key) then
        insert into pipeline_closed_totals (month, stage, owner_id, currency, lost_reason, count, value_minor)
            values (to_char(new.closed_at at time zone 'UTC', 'YYYY-MM'), new.stage, new.owner_id, new.currency,
                    coalesce(new.lost_reason, ''), 1, coalesce(new.value_minor, 0))
            on conflict (month, stage, owner_id, currency, lost_reason) do update
                set count = pipeline_closed_totals.count + 1,
                    value_minor = pipeline_closed_totals.value_minor + excluded.value_minor;
    end if;
    if old_key is not null then
        update pipeline_closed_totals set count = count - 1, value_minor = value_minor - coalesce(old.value_minor, 0)
            where month = to_char(old.closed_at at time zone 'UTC', 'YYYY-MM') and stage = old.stage
              and owner_id = old.owner_id and currency = old.currency and lost_reason = coalesce(old.lost_reason, '');
    end if;
    if new_key is not null and old_key is not null and new_key >= old_key then
        insert into pipeline_closed_totals (month, stage, owner_id, currency, lost_reason, count, value_minor)
            values (to_char(new.closed_at at time zone 'UTC', 'YYYY-MM'), new.stage, new.owner_id, new.currency,
                    coalesce(new.lost_reason, ''), 1, coalesce(new.value_minor, 0))
            on conflict (month, stage, owner_id, currency, lost_reason) do update
                set count = pipeline_closed_totals.count + 1,
                    value_minor = pipeline_closed_totals.value_minor + excluded.value_minor;
    end if;
    return null;
end $$;

create trigger opportunities_closed_totals
    after insert or delete or update of stage, owner_id, currency, value_minor, closed_at, lost_reason
    on opportunities for each row execute function crm_pipeline_closed_totals();

create table sales_targets (
    month date primary key,
    target_minor bigint not null check (target_minor >= 0),
    currency text not null,
    set_by uuid references users (id),
    updated_at timestamptz not null
);

drop index opportunities_stage_close_idx;
drop index opportunities_owner_stage_idx;
create index opportunities_board_idx on opportunities (stage, coalesce(expected_close, '9999-12-31'::date), id);
create index opportunities_owner_board_idx on opportunities (owner_id, stage, coalesce(expected_close, '9999-12-31'::date), id);
create index opportunities_stage_closed_idx on opportunities (stage, closed_at, id);

-- Stale cards stand out from day one (seed 002's aging alerts); admins change or clear these.
update pipeline_stages set aging_days = case key
        when 'lead' then 14 when 'qualified' then 21 when 'proposal' then 14 when 'negotiation' then 21 end
    where key in ('lead', 'qualified', 'proposal', 'negotiation') and aging_days is null;
