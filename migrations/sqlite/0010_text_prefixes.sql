-- Text filters: the one-, two- and three-letter prefixes people type first get an index of
-- their own, so "how many rows match `a`" is one read instead of a merge of every word that
-- starts with a (the list chooses how to read a filtered page by that count). The triggers
-- that keep each index name it only, so they carry on unchanged.
drop table leads_fts;
create virtual table leads_fts using fts5(name, company, email, content = 'leads', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3');
insert into leads_fts (leads_fts) values ('rebuild');
drop table accounts_fts;
create virtual table accounts_fts using fts5(name, domain, city, content = 'accounts', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3');
insert into accounts_fts (accounts_fts) values ('rebuild');
drop table contacts_fts;
create virtual table contacts_fts using fts5(first_name, last_name, email, title, content = 'contacts',
    content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3');
insert into contacts_fts (contacts_fts) values ('rebuild');
drop table opportunities_fts;
create virtual table opportunities_fts using fts5(name, content = 'opportunities', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3');
insert into opportunities_fts (opportunities_fts) values ('rebuild');
