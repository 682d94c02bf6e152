//! Integration tests: one binary, so the suite links once.

mod admin_http;
mod audit_chain;
mod auth_http;
mod authz_matrix;
mod cli;
mod common;
mod demo;
mod direct_reads;
mod imap_server;
mod imports_http;
mod layers;
mod mail_http;
mod mail_in;
mod mail_links_http;
mod mail_sink;
mod mailbox;
mod pipeline_http;
mod protection;
mod regional_http;
mod sales_http;
mod sales_story;
mod security_http;
mod story;
mod support_http;
