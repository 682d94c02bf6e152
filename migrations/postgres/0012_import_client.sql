-- Where the run of an import was started from (the request's address and user agent): every
-- row it writes is audited with them, like any other write.
alter table imports add column client_ip text;
alter table imports add column client_user_agent text;
