-- Each person's time zone (an IANA name) and locale (en-US, de-DE, …); null follows the
-- installation's default (CRM_TIME_ZONE, CRM_LOCALE), for portal contacts the browser's.
alter table users add column time_zone text;
alter table users add column locale text;
alter table contacts add column time_zone text;
alter table contacts add column locale text;
