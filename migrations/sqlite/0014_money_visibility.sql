-- Per role, whether its users see money: an opportunity's value, an account's revenue and the
-- figures summed from them. Every role sees money until an admin chooses otherwise.
alter table role_visibility add column money integer not null default 1 check (money in (0, 1));
