-- Sign-in failures name the account they were for, so the per-address limit counts distinct
-- accounts (password spraying) instead of every failure (one person mistyping behind a NAT).
alter table login_failures add column account text;
