-- A lead's history follows it onto the account, contact and opportunity it became: those
-- pages find their source lead by these (partial: most leads are never converted).
create index leads_converted_account_idx on leads (converted_account_id) where converted_account_id is not null;
create index leads_converted_contact_idx on leads (converted_contact_id) where converted_contact_id is not null;
create index leads_converted_opportunity_idx on leads (converted_opportunity_id) where converted_opportunity_id is not null;
