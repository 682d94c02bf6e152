//! The authorization matrix: every REST route (from the OpenAPI document the router is built
//! from) and every server function (from the server-function registry) is called as nobody,
//! as each staff role and as a prospect and a client of account A, against a record of
//! account A, one of account B and a missing id. The expected answers are the two tables
//! below; an endpoint missing from them fails the test, so none can be forgotten.
//!
//! A cell reads `ok` (the request got past authorization: 2xx, or a 409/422 about the data),
//! `401`, `403` or `404`; for an endpoint that takes a record id it reads `A/B/missing`.

use crate::common::*;
use crate::support_http::{account, contact, portal_user};
use axum::http::{Method, StatusCode};
use crm::domain::user::Role;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[rustfmt::skip]
const REST: &[(&str, &str)] = &[
    // route                                      nobody       super        admin        manager      sales        support      prospect     client
    ("GET /api/account",                          "401          ok           ok           ok           ok           ok           403          403"),
    ("POST /api/account/password",                "401          ok           ok           ok           ok           ok           403          403"),
    ("PUT /api/account/profile",                  "401          ok           ok           ok           ok           ok           403          403"),
    ("DELETE /api/account/sessions",              "401          ok           ok           ok           ok           ok           403          403"),
    ("DELETE /api/account/sessions/{id}",         "401/401/401  404/404/404  404/404/404  404/404/404  404/404/404  404/404/404  403/403/403  403/403/403"),
    ("POST /api/account/tokens",                  "401          ok           ok           ok           ok           ok           403          403"),
    ("DELETE /api/account/tokens/{id}",           "401/401/401  404/404/404  404/404/404  404/404/404  404/404/404  404/404/404  403/403/403  403/403/403"),
    ("GET /api/admin/audit",                      "401          ok           ok           403          403          403          403          403"),
    ("GET /api/admin/forms",                      "401          ok           ok           403          403          403          403          403"),
    ("POST /api/admin/forms",                     "401          ok           ok           403          403          403          403          403"),
    ("GET /api/admin/forms/{id}",                 "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("PUT /api/admin/forms/{id}",                 "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("POST /api/admin/impersonation",             "401          403          403          403          403          403          403          403"),
    ("DELETE /api/admin/impersonation",           "401          ok           ok           ok           ok           ok           ok           ok"),
    ("POST /api/admin/impersonation/stop",        "401          ok           ok           ok           ok           ok           ok           ok"),
    ("GET /api/admin/outbox",                     "401          ok           ok           403          403          403          403          403"),
    ("POST /api/admin/outbox/test",               "401          ok           ok           403          403          403          403          403"),
    ("POST /api/admin/outbox/{id}/retry",         "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("GET /api/admin/teams",                      "401          ok           ok           403          403          403          403          403"),
    ("POST /api/admin/teams",                     "401          ok           ok           403          403          403          403          403"),
    ("DELETE /api/admin/teams/{id}",              "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("PUT /api/admin/teams/{id}",                 "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("GET /api/admin/users",                      "401          ok           ok           403          403          403          403          403"),
    ("POST /api/admin/users",                     "401          ok           ok           403          403          403          403          403"),
    ("PUT /api/admin/users/{id}",                 "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("POST /api/admin/users/{id}/password-reset", "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("DELETE /api/admin/users/{id}/sessions",     "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("GET /api/admin/visibility",                 "401          ok           ok           403          403          403          403          403"),
    ("PUT /api/admin/visibility",                 "401          ok           ok           403          403          403          403          403"),
    ("POST /api/auth/accept-invite",              "ok           ok           ok           ok           ok           ok           ok           ok"),
    ("POST /api/auth/forgot-password",            "ok           ok           ok           ok           ok           ok           ok           ok"),
    ("POST /api/auth/login",                      "401          401          401          401          401          401          401          401"),
    ("POST /api/auth/logout",                     "ok           ok           ok           ok           ok           ok           ok           ok"),
    ("GET /api/auth/me",                          "401          ok           ok           ok           ok           ok           ok           ok"),
    ("POST /api/auth/set-password",               "ok           ok           ok           ok           ok           ok           ok           ok"),
    ("POST /api/auth/setup",                      "ok           ok           ok           ok           ok           ok           ok           ok"),
    ("GET /api/crm/accounts",                     "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/accounts/export.csv",         "401          ok           ok           ok           ok           ok           403          403"),
    ("POST /api/crm/accounts",                    "401          ok           ok           ok           ok           403          403          403"),
    ("GET /api/crm/accounts/{id}",                "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  403/403/403"),
    ("PUT /api/crm/accounts/{id}",                "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/403/403  403/403/403  403/403/403"),
    ("GET /api/crm/activities",                   "401          ok           ok           ok           ok           ok           403          403"),
    ("POST /api/crm/activities",                  "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/contacts",                     "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/contacts/export.csv",         "401          ok           ok           ok           ok           ok           403          403"),
    ("POST /api/crm/contacts",                    "401          ok           ok           ok           ok           403          403          403"),
    ("GET /api/crm/contacts/{id}",                "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  403/403/403"),
    ("PUT /api/crm/contacts/{id}",                "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/403/403  403/403/403  403/403/403"),
    ("GET /api/crm/contacts/{id}/portal",         "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  403/403/403"),
    ("DELETE /api/crm/contacts/{id}/portal",      "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404   ok/ok/404    403/403/403  403/403/403"),
    ("POST /api/crm/contacts/{id}/portal-invite", "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404   ok/ok/404    403/403/403  403/403/403"),
    ("GET /api/crm/count",                        "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/imports",                     "401          ok           ok           ok           ok           ok           403          403"),
    ("POST /api/crm/imports",                    "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/imports/{id}",                "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   404/404/404  403/403/403  403/403/403"),
    ("PUT /api/crm/imports/{id}",                "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   404/404/404  403/403/403  403/403/403"),
    ("POST /api/crm/imports/{id}/cancel",        "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   404/404/404  403/403/403  403/403/403"),
    ("POST /api/crm/imports/{id}/dry-run",       "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   404/404/404  403/403/403  403/403/403"),
    ("GET /api/crm/imports/{id}/rows.csv",       "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   404/404/404  403/403/403  403/403/403"),
    ("POST /api/crm/imports/{id}/start",         "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   404/404/404  403/403/403  403/403/403"),
    ("POST /api/crm/imports/{id}/undo",          "401/401/401  ok/ok/404    ok/ok/404    403/403/404  403/404/404  404/404/404  403/403/403  403/403/403"),
    ("GET /api/crm/leads",                        "401          ok           ok           ok           ok           403          403          403"),
    ("GET /api/crm/leads/export.csv",            "401          ok           ok           ok           ok           403          403          403"),
    ("POST /api/crm/leads",                       "401          ok           ok           ok           ok           403          403          403"),
    ("GET /api/crm/leads/{id}",                   "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403"),
    ("PUT /api/crm/leads/{id}",                   "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/403/403  403/403/403  403/403/403"),
    ("POST /api/crm/leads/{id}/qualify",          "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/403/403  403/403/403  403/403/403"),
    ("GET /api/crm/opportunities",                "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/opportunities/export.csv",    "401          ok           ok           ok           ok           ok           403          403"),
    ("POST /api/crm/opportunities",               "401          ok           ok           ok           ok           403          403          403"),
    ("GET /api/crm/opportunities/{id}",           "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  403/403/403"),
    ("PUT /api/crm/opportunities/{id}",           "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/403/403  403/403/403  403/403/403"),
    ("POST /api/crm/opportunity/{id}/stage",      "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/403/403  403/403/403  403/403/403"),
    ("GET /api/crm/pipeline",                     "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/pipeline/stages",              "401          ok           ok           ok           ok           ok           403          403"),
    ("PUT /api/crm/pipeline/stages",              "401          ok           ok           ok           403          403          403          403"),
    ("GET /api/crm/search",                       "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/sla-policies",                 "401          ok           ok           ok           ok           ok           403          403"),
    ("PUT /api/crm/sla-policies",                 "401          ok           ok           403          403          403          403          403"),
    ("GET /api/crm/stats/coverage",               "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/stats/monthly_won",            "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/stats/stage_duration",         "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/stats/summary",                "401          ok           ok           ok           ok           ok           403          403"),
    ("PUT /api/crm/stats/targets",                "401          ok           ok           ok           403          403          403          403"),
    ("GET /api/crm/stats/win_loss",               "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/tasks",                        "401          ok           ok           ok           ok           ok           403          403"),
    ("POST /api/crm/tasks",                       "401          ok           ok           ok           ok           403          403          403"),
    ("PUT /api/crm/tasks/{id}",                   "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/ok/404   403/403/403  403/403/403"),
    ("GET /api/crm/tickets",                      "401          ok           ok           ok           ok           ok           403          403"),
    ("GET /api/crm/tickets/export.csv",          "401          ok           ok           ok           ok           ok           403          403"),
    ("POST /api/crm/tickets",                     "401          ok           ok           ok           403          ok           403          403"),
    ("GET /api/crm/tickets/{id}",                 "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   ok/ok/404    403/403/403  403/403/403"),
    ("PUT /api/crm/tickets/{id}",                 "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  ok/ok/404    403/403/403  403/403/403"),
    ("GET /api/crm/tickets/{id}/comments",        "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   ok/ok/404    403/403/403  403/403/403"),
    ("POST /api/crm/tickets/{id}/comments",       "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  ok/ok/404    403/403/403  403/403/403"),
    ("GET /api/crm/tickets/{id}/attachments",     "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   ok/ok/404    403/403/403  403/403/403"),
    // `{attachment}` is ticket A's file: asked for through ticket B it is not there.
    ("GET /api/crm/tickets/{id}/attachments/{attachment}", "401/401/401  ok/404/404  ok/404/404  ok/404/404  ok/404/404  ok/404/404  403/403/403  403/403/403"),
    ("GET /api/crm/mail/{id}",                    "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   ok/ok/404    403/403/403  403/403/403"),
    ("POST /api/portal/me/password",              "401          403          403          403          403          403          ok           ok"),
    ("DELETE /api/portal/me/sessions",            "401          403          403          403          403          403          ok           ok"),
    ("GET /api/portal/me",                        "401          403          403          403          403          403          ok           ok"),
    ("PUT /api/portal/me",                        "401          403          403          403          403          403          ok           ok"),
    ("GET /api/portal/tickets",                   "401          403          403          403          403          403          ok           ok"),
    ("POST /api/portal/tickets",                  "401          403          403          403          403          403          ok           ok"),
    ("GET /api/portal/tickets/{id}",              "401/401/401  403/403/403  403/403/403  403/403/403  403/403/403  403/403/403  ok/404/404   ok/404/404"),
    ("PUT /api/portal/tickets/{id}",              "401/401/401  403/403/403  403/403/403  403/403/403  403/403/403  403/403/403  ok/404/404   ok/404/404"),
    ("POST /api/portal/tickets/{id}/comments",    "401/401/401  403/403/403  403/403/403  403/403/403  403/403/403  403/403/403  ok/404/404   ok/404/404"),
];

#[rustfmt::skip]
const SERVER_FNS: &[(&str, &str)] = &[
    // server function        nobody       super        admin        manager      sales        support      prospect     client
    ("cancel_import",         "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   404/404/404  403/403/403  403/403/403"),
    ("check_import",          "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   404/404/404  403/403/403  403/403/403"),
    ("import_status",         "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   404/404/404  403/403/403  403/403/403"),
    ("recent_imports",        "401          ok           ok           ok           ok           ok           403          403"),
    ("run_import",            "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   404/404/404  403/403/403  403/403/403"),
    ("save_import_options",   "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   404/404/404  403/403/403  403/403/403"),
    ("undo_import",           "401/401/401  ok/ok/404    ok/ok/404    403/403/404  403/404/404  404/404/404  403/403/403  403/403/403"),
    ("audit_entries",         "401          ok           ok           403          403          403          403          403"),
    ("outbox_mails",          "401          ok           ok           403          403          403          403          403"),
    ("retry_mail",            "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("send_test_mail",        "401          ok           ok           403          403          403          403          403"),
    ("sends_mail",            "ok           ok           ok           ok           ok           ok           ok           ok"),
    ("change_portal_password","401          403          403          403          403          403          ok           ok"),
    ("end_other_portal_sessions","401       403          403          403          403          403          ok           ok"),
    ("change_my_password",    "401          ok           ok           ok           ok           ok           403          403"),
    ("comment_ticket",        "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  ok/ok/404    403/403/403  403/403/403"),
    ("create_account",        "401          ok           ok           ok           ok           403          403          403"),
    ("create_contact",        "401          ok           ok           ok           ok           403          403          403"),
    ("create_lead",           "401          ok           ok           ok           ok           403          403          403"),
    ("create_my_token",       "401          ok           ok           ok           ok           ok           403          403"),
    ("create_opportunity",    "401          ok           ok           ok           ok           403          403          403"),
    ("create_staff_user",     "401          ok           ok           403          403          403          403          403"),
    ("delete_team",           "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("create_task",           "401          ok           ok           ok           ok           403          403          403"),
    ("create_ticket",         "401          ok           ok           ok           403          ok           403          403"),
    ("current_user",          "401          ok           ok           ok           ok           ok           ok           ok"),
    ("disable_portal",        "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404   ok/ok/404    403/403/403  403/403/403"),
    ("end_my_other_sessions", "401          ok           ok           ok           ok           ok           403          403"),
    ("end_my_session",        "401/401/401  404/404/404  404/404/404  404/404/404  404/404/404  404/404/404  403/403/403  403/403/403"),
    ("end_staff_sessions",    "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("get_account",           "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  403/403/403"),
    ("get_contact",           "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  403/403/403"),
    ("get_lead",              "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403"),
    ("get_opportunity",       "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  403/403/403"),
    ("get_portal_access",     "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  403/403/403"),
    ("get_portal_profile",    "401          403          403          403          403          403          ok           ok"),
    ("get_portal_ticket",     "401/401/401  403/403/403  403/403/403  403/403/403  403/403/403  403/403/403  ok/404/404   ok/404/404"),
    ("get_ticket",            "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/404/404   ok/ok/404    403/403/403  403/403/403"),
    ("invite_to_portal",      "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404   ok/ok/404    403/403/403  403/403/403"),
    ("list_teams",            "401          ok           ok           403          403          403          403          403"),
    ("lead_duplicates",       "401          ok           ok           ok           ok           403          403          403"),
    ("link_status",           "ok           ok           ok           ok           ok           ok           ok           ok"),
    ("list_accounts",         "401          ok           ok           ok           ok           ok           403          403"),
    ("list_contacts",         "401          ok           ok           ok           ok           ok           403          403"),
    ("list_forms",            "401          ok           ok           403          403          403          403          403"),
    ("list_leads",            "401          ok           ok           ok           ok           403          403          403"),
    ("list_opportunities",    "401          ok           ok           ok           ok           ok           403          403"),
    ("list_portal_tickets",   "401          403          403          403          403          403          ok           ok"),
    ("list_tickets",          "401          ok           ok           ok           ok           ok           403          403"),
    ("log_activity",          "401          ok           ok           ok           ok           ok           403          403"),
    ("move_opportunity",      "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/403/403  403/403/403  403/403/403"),
    ("my_account",            "401          ok           ok           ok           ok           ok           403          403"),
    ("record_visibility",     "401          ok           ok           403          403          403          403          403"),
    ("regional_options",      "401          ok           ok           ok           ok           ok           ok           ok"),
    ("my_tasks",              "401          ok           ok           ok           ok           ok           403          403"),
    ("open_portal_ticket",    "401          403          403          403          403          403          ok           ok"),
    ("password_reset_link",   "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("pipeline_board",        "401          ok           ok           ok           ok           ok           403          403"),
    ("pipeline_metrics",      "401          ok           ok           ok           ok           ok           403          403"),
    ("pipeline_stages",       "401          ok           ok           ok           ok           ok           403          403"),
    ("pipeline_summary",      "401          ok           ok           ok           ok           ok           403          403"),
    ("qualify_lead",          "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/403/403  403/403/403  403/403/403"),
    ("record_tasks",          "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  403/403/403"),
    ("record_timeline",       "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  403/403/403"),
    ("reply_portal_ticket",   "401/401/401  403/403/403  403/403/403  403/403/403  403/403/403  403/403/403  ok/404/404   ok/404/404"),
    ("resolve_portal_ticket", "401/401/401  403/403/403  403/403/403  403/403/403  403/403/403  403/403/403  ok/404/404   ok/404/404"),
    ("revoke_my_token",       "401/401/401  404/404/404  404/404/404  404/404/404  404/404/404  404/404/404  403/403/403  403/403/403"),
    ("save_form",             "401          ok           ok           403          403          403          403          403"),
    ("save_pipeline_stages",  "401          ok           ok           ok           403          403          403          403"),
    ("save_portal_profile",   "401          403          403          403          403          403          ok           ok"),
    ("save_record_visibility","401          ok           ok           403          403          403          403          403"),
    ("save_team",             "401          ok           ok           403          403          403          403          403"),
    ("save_sla_policies",     "401          ok           ok           403          403          403          403          403"),
    ("search_records",        "401          ok           ok           ok           ok           ok           403          403"),
    ("set_pipeline_target",   "401          ok           ok           ok           403          403          403          403"),
    ("sla_policies",          "401          ok           ok           ok           ok           ok           403          403"),
    ("staff_options",         "401          ok           ok           ok           ok           ok           403          403"),
    ("staff_users",           "401          ok           ok           403          403          403          403          403"),
    ("start_impersonation",   "401          403          403          403          403          403          403          403"),
    ("team_options",          "401          ok           ok           ok           ok           ok           403          403"),
    ("update_account",        "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/403/403  403/403/403  403/403/403"),
    ("update_contact",        "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/403/403  403/403/403  403/403/403"),
    ("update_lead",           "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/403/403  403/403/403  403/403/403"),
    ("update_my_profile",     "401          ok           ok           ok           ok           ok           403          403"),
    ("update_opportunity",    "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/403/403  403/403/403  403/403/403"),
    ("update_staff_user",     "401/401/401  ok/ok/404    ok/ok/404    403/403/403  403/403/403  403/403/403  403/403/403  403/403/403"),
    ("update_task",           "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    ok/403/404    403/ok/404   403/403/403  403/403/403"),
    ("update_ticket",         "401/401/401  ok/ok/404    ok/ok/404    ok/ok/404    403/403/403  ok/ok/404    403/403/403  403/403/403"),
];

/// Records reached through another: the notes, tasks and timeline of a ticket, and notes or
/// tasks attached to one. `{id}` is ticket A (of an account the sales user owns), ticket B
/// (of the manager's account) and a missing id. Besides the statuses, a 2xx answer that shows
/// ticket B's note or task reads `B`, so a listing that leaks it cannot pass as `ok`; a `422`
/// (no such record to attach to) is its own cell.
#[rustfmt::skip]
const RELATED: &[(&str, &str)] = &[
    // call                                                        nobody       super        admin        manager      sales        support      prospect     client
    ("GET /api/crm/activities?related_type=ticket&related_id={id}", "401/401/401  ok/B/404     ok/B/404     ok/B/404     ok/404/404   ok/B/404     403/403/403  403/403/403"),
    ("GET /api/crm/activities?related_id={id}",                     "401/401/401  ok/B/ok      ok/B/ok      ok/B/ok      ok/ok/ok     ok/B/ok      403/403/403  403/403/403"),
    ("GET /api/crm/activities?related_type=ticket",                 "401          B            B            B            ok           B            403          403"),
    ("GET /api/crm/activities",                                     "401          B            B            B            ok           B            403          403"),
    ("GET /api/crm/tasks?related_type=ticket&related_id={id}",      "401/401/401  ok/B/404     ok/B/404     ok/B/404     ok/404/404   ok/ok/404    403/403/403  403/403/403"),
    ("GET /api/crm/tasks",                                          "401          B            B            B            ok           ok           403          403"),
    ("POST /api/crm/activities on {id}",                            "401/401/401  ok/ok/422    ok/ok/422    ok/ok/422    ok/422/422   ok/ok/422    403/403/403  403/403/403"),
    ("POST /api/crm/tasks on {id}",                                 "401/401/401  ok/ok/422    ok/ok/422    ok/ok/422    ok/422/422   403/403/403  403/403/403  403/403/403"),
    ("fn record_timeline {id}",                                     "401/401/401  ok/B/404     ok/B/404     ok/B/404     ok/404/404   ok/B/404     403/403/403  403/403/403"),
    ("fn record_tasks {id}",                                        "401/401/401  ok/B/404     ok/B/404     ok/B/404     ok/404/404   ok/B/404     403/403/403  403/403/403"),
    ("fn log_activity {id}",                                        "401/401/401  ok/ok/422    ok/ok/422    ok/ok/422    ok/422/422   ok/ok/422    403/403/403  403/403/403"),
    ("fn create_task {id}",                                         "401/401/401  ok/ok/422    ok/ok/422    ok/ok/422    ok/422/422   403/403/403  403/403/403  403/403/403"),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Nobody,
    Staff(Role),
    Prospect,
    Client,
}

const EVERYONE: [Who; 8] = [
    Who::Nobody,
    Who::Staff(Role::SuperAdmin),
    Who::Staff(Role::Admin),
    Who::Staff(Role::Manager),
    Who::Staff(Role::Sales),
    Who::Staff(Role::Support),
    Who::Prospect,
    Who::Client,
];

/// Records of account A and of account B, by kind.
struct Fixture {
    ids: BTreeMap<&'static str, (String, String)>,
    clients: Vec<Client>,
    opportunity_a: String,
    /// A file that came with a mail on ticket A.
    attachment_a: String,
    form_seq: std::cell::Cell<u32>,
}

async fn fixture(app: &TestApp) -> Fixture {
    let (mut root, _) = app.api("root@example.com", Role::SuperAdmin).await;
    let (admin, _) = app.api("admin@example.com", Role::Admin).await;
    let (manager, manager_id) = app.api("manager@example.com", Role::Manager).await;
    let (mut sales, sales_id) = app.api("sales@example.com", Role::Sales).await;
    let (support, support_id) = app.api("support@example.com", Role::Support).await;
    let id = |r: Resp| -> String {
        assert!(r.status.is_success(), "fixture: {}", r.text());
        r.json()["id"].as_str().expect("id").to_string()
    };
    let acc_a = account(&mut root, "Alpha").await;
    let acc_b = account(&mut root, "Beta").await;
    root.put_json(
        &format!("/api/crm/accounts/{acc_a}"),
        json!({"version": 1, "owner_id": sales_id}),
    )
    .await;
    root.put_json(
        &format!("/api/crm/accounts/{acc_b}"),
        json!({"version": 1, "owner_id": manager_id}),
    )
    .await;
    let con_a = contact(
        &mut root,
        "Ann",
        "ann@alpha.example",
        Some(&acc_a),
        "client",
    )
    .await;
    let con_b = contact(&mut root, "Ben", "ben@beta.example", Some(&acc_b), "client").await;
    let pia = contact(
        &mut root,
        "Pia",
        "pia@alpha.example",
        Some(&acc_a),
        "prospect",
    )
    .await;
    let cleo = contact(
        &mut root,
        "Cleo",
        "cleo@alpha.example",
        Some(&acc_a),
        "client",
    )
    .await;
    let lead_a = id(root
        .post_json(
            "/api/crm/leads",
            json!({"name": "Lead A", "owner_id": sales_id}),
        )
        .await);
    let lead_b = id(root
        .post_json("/api/crm/leads", json!({"name": "Lead B"}))
        .await);
    let opp_a = id(root
        .post_json(
            "/api/crm/opportunities",
            json!({"name": "Opp A", "account_id": acc_a, "owner_id": sales_id}),
        )
        .await);
    let opp_b = id(root
        .post_json(
            "/api/crm/opportunities",
            json!({"name": "Opp B", "account_id": acc_b}),
        )
        .await);
    let task_a = id(root.post_json("/api/crm/tasks", json!({"title": "Task A", "assignee_id": sales_id, "related_type": "opportunity", "related_id": opp_a})).await);
    let task_b = id(root.post_json("/api/crm/tasks", json!({"title": "Task B", "assignee_id": support_id, "related_type": "opportunity", "related_id": opp_b})).await);
    let prospect = portal_user(app, &mut root, &pia).await;
    let client = portal_user(app, &mut root, &cleo).await;
    let mut p = prospect.clone();
    let ticket_a = id(p
        .post_json("/api/portal/tickets", json!({"subject": "Ticket A"}))
        .await);
    let ticket_b = id(root
        .post_json(
            "/api/crm/tickets",
            json!({"subject": "Ticket B", "contact_id": con_b}),
        )
        .await);
    let form = |slug: &str| json!({"slug": slug, "title": slug, "standard_fields": ["name"], "creates": "lead"});
    let team_a = id(root
        .post_json(
            "/api/admin/teams",
            json!({"name": "Team A", "member_ids": [sales_id]}),
        )
        .await);
    let team_b = id(root
        .post_json(
            "/api/admin/teams",
            json!({"name": "Team B", "manager_id": manager_id}),
        )
        .await);
    let mail = |to: &str| json!({ "to": to });
    let mail_a = id(root
        .post_json("/api/admin/outbox/test", mail("a@alpha.example"))
        .await);
    let mail_b = id(root
        .post_json("/api/admin/outbox/test", mail("b@beta.example"))
        .await);
    // Received mail: the contact of each ticket answers it by mail, A's with a file.
    let (received_a, attachment_a) =
        answer_by_mail(app, &mut root, &ticket_a, "pia@alpha.example", true).await;
    let (received_b, _) =
        answer_by_mail(app, &mut root, &ticket_b, "ben@beta.example", false).await;
    let form_a = id(root.post_json("/api/admin/forms", form("form-a")).await);
    let form_b = id(root.post_json("/api/admin/forms", form("form-b")).await);
    // Imports: A started by the sales user, B by the super admin (uploaded, not yet run).
    let file = b"First Name,Email\nMatrix,matrix@example.com\n";
    let fields = [("kind", "contacts"), ("action", "upload")];
    let import_a = id(sales
        .upload("/api/crm/imports", &fields, "a.csv", file)
        .await);
    let import_b = id(root
        .upload("/api/crm/imports", &fields, "b.csv", file)
        .await);
    let ids = BTreeMap::from([
        ("lead", (lead_a, lead_b)),
        ("import", (import_a, import_b)),
        ("account", (acc_a, acc_b)),
        ("contact", (con_a, con_b)),
        ("opportunity", (opp_a.clone(), opp_b)),
        ("task", (task_a, task_b)),
        ("ticket", (ticket_a, ticket_b)),
        ("form", (form_a, form_b)),
        ("team", (team_a, team_b)),
        ("mail", (mail_a, mail_b)),
        ("received", (received_a, received_b)),
        // Users are not of an account: two real ones. Sessions and tokens of others: ids
        // that are nobody's (ending real ones would sign the matrix's own clients out).
        ("user", (support_id.to_string(), manager_id.to_string())),
        (
            "session",
            (
                uuid::Uuid::now_v7().to_string(),
                uuid::Uuid::now_v7().to_string(),
            ),
        ),
        (
            "api_token",
            (
                uuid::Uuid::now_v7().to_string(),
                uuid::Uuid::now_v7().to_string(),
            ),
        ),
    ]);
    // What the related-record table looks for: a note and a task on each ticket (B's task is
    // the manager's, so neither the sales user nor support does it).
    let (ticket_a, ticket_b) = ids["ticket"].clone();
    for (ticket, label, assignee) in [(&ticket_a, "A", sales_id), (&ticket_b, "B", manager_id)] {
        id(root.post_json("/api/crm/activities", json!({"kind": "note", "subject": format!("Ticket-{label} note"), "related_type": "ticket", "related_id": ticket})).await);
        id(root.post_json("/api/crm/tasks", json!({"title": format!("Ticket-{label} task"), "assignee_id": assignee, "related_type": "ticket", "related_id": ticket})).await);
    }
    Fixture {
        ids,
        clients: vec![
            app.client(),
            root,
            admin,
            manager,
            sales,
            support,
            prospect,
            client,
        ],
        opportunity_a: opp_a,
        attachment_a,
        form_seq: std::cell::Cell::new(0),
    }
}

/// The ticket's contact answers it by mail (with a file when `file`): the stored message's id
/// and the file's.
async fn answer_by_mail(
    app: &TestApp,
    root: &mut Client,
    ticket: &str,
    from: &str,
    file: bool,
) -> (String, String) {
    let number = root.get(&format!("/api/crm/tickets/{ticket}")).await.json()["number"].clone();
    let id = uuid::Uuid::now_v7();
    let boundary = "matrix-boundary";
    let raw = if file {
        format!(
            "From: {from}\r\nTo: help@acme.example\r\nSubject: Re: [#{number}] matrix\r\nMessage-ID: <{id}@matrix.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary={boundary}\r\n\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\nHere it is.\r\n--{boundary}\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"quote.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--{boundary}--\r\n"
        )
    } else {
        format!(
            "From: {from}\r\nTo: help@acme.example\r\nSubject: Re: [#{number}] matrix\r\nMessage-ID: <{id}@matrix.example>\r\n\r\nThanks.\r\n"
        )
    };
    let got = crm::server::support::inbound::receive(&app.state, raw.as_bytes())
        .await
        .expect("received");
    assert!(
        matches!(got, crm::server::support::inbound::Received::Replied { .. }),
        "{got:?}"
    );
    let mut h = app.state.db.handle().await.expect("handle");
    let key = format!("<{id}@matrix.example>");
    let mail: uuid::Uuid = crm::on!(&mut h.c(), c => sqlx::query_scalar("select id from inbound_mail where message_id = $1").bind(&key).fetch_one(c).await).expect("stored mail");
    let file: Option<uuid::Uuid> = crm::on!(&mut h.c(), c => sqlx::query_scalar("select id from mail_attachments where mail_id = $1").bind(mail).fetch_optional(c).await).expect("file");
    (
        mail.to_string(),
        file.map(|f| f.to_string()).unwrap_or_default(),
    )
}

/// The kind of record a REST path's `{id}` names.
fn kind_of_path(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    let i = segments.iter().position(|s| *s == "{id}")?;
    Some(match segments[i - 1] {
        "leads" => "lead",
        "accounts" => "account",
        "contacts" => "contact",
        "opportunities" | "opportunity" => "opportunity",
        "tasks" => "task",
        "tickets" => "ticket",
        "forms" => "form",
        "imports" => "import",
        "teams" => "team",
        "outbox" => "mail",
        "mail" => "received",
        "users" => "user",
        "sessions" => "session",
        "tokens" => "api_token",
        other => panic!("no fixture for records under `{other}` ({path}): add one"),
    })
}

fn cell(status: StatusCode, what: &str, body: &str) -> &'static str {
    match status.as_u16() {
        401 => "401",
        403 => "403",
        404 => "404",
        200..=299 | 303 | 409 | 422 => "ok",
        s => panic!("{what}: unexpected {s}: {body}"),
    }
}

impl Fixture {
    fn form_input(&self) -> Value {
        let n = self.form_seq.get() + 1;
        self.form_seq.set(n);
        json!({"slug": format!("matrix-{n}"), "title": "Matrix", "standard_fields": ["name"], "creates": "lead"})
    }

    /// Deleting a team is tried on a team made for the call (team A and B are for the rest),
    /// so each principal's answer is about them, not about a team an earlier one deleted.
    async fn unless_deleting(&self, call: &str, target: Option<String>) -> Option<String> {
        let deletes = call == "delete_team" || call == "DELETE /api/admin/teams/{id}";
        let (a, b) = &self.ids["team"];
        match target {
            Some(id) if deletes && (&id == a || &id == b) => {
                let mut root = self.clients[1].clone();
                let r = root.post_json("/api/admin/teams", self.new_team()).await;
                assert!(r.status.is_success(), "throwaway team: {}", r.text());
                r.json()["id"].as_str().map(str::to_string)
            }
            other => other,
        }
    }

    fn new_team(&self) -> Value {
        let n = self.form_seq.get() + 1;
        self.form_seq.set(n);
        json!({"name": format!("Matrix team {n}")})
    }

    fn new_user(&self) -> Value {
        let n = self.form_seq.get() + 1;
        self.form_seq.set(n);
        json!({"email": format!("matrix-{n}@example.com"), "name": "Matrix", "role": "support"})
    }

    /// A body for a REST call that is valid enough to reach the authorization decision.
    fn rest_body(&self, method: &Method, path: &str) -> Value {
        let stale = json!({"version": 999_999});
        match (method.as_str(), path) {
            ("POST", "/api/crm/leads") => json!({"name": "Matrix lead"}),
            ("POST", "/api/crm/accounts") => json!({"name": "Matrix account"}),
            ("POST", "/api/crm/contacts") => json!({"first_name": "Matrix"}),
            ("POST", "/api/crm/opportunities") => json!({"name": "Matrix deal"}),
            ("POST", "/api/crm/activities") => {
                json!({"kind": "note", "subject": "m", "related_type": "opportunity", "related_id": self.opportunity_a})
            }
            ("POST", "/api/crm/tasks") => json!({"title": "Matrix task"}),
            ("POST", "/api/crm/tickets") => json!({"subject": "Matrix ticket"}),
            ("POST", "/api/crm/tickets/{id}/comments") => json!({"body": "Matrix note"}),
            ("POST", "/api/crm/opportunity/{id}/stage") => {
                json!({"version": 999_999, "stage": "proposal"})
            }
            ("POST", "/api/crm/leads/{id}/qualify") => json!({}),
            ("PUT", "/api/crm/sla-policies") => json!([]),
            ("PUT", "/api/crm/pipeline/stages") => json!({"stages": []}),
            ("PUT", "/api/crm/stats/targets") => json!({"month": "2026-01-01", "target": null}),
            ("POST", "/api/admin/forms") => self.form_input(),
            ("POST", "/api/admin/users") => self.new_user(),
            ("POST", "/api/admin/teams") | ("PUT", "/api/admin/teams/{id}") => self.new_team(),
            ("POST", "/api/admin/outbox/test") => json!({"to": "matrix@example.com"}),
            // No role named: nothing changes, but the request is decided like any other.
            ("PUT", "/api/admin/visibility") => json!({}),
            ("POST", "/api/admin/impersonation") => {
                json!({"user_id": self.ids["user"].0, "reason": "matrix", "password": "wrong password"})
            }
            ("POST", "/api/account/password") => {
                json!({"current_password": "wrong password", "new_password": "long enough password"})
            }
            ("POST", "/api/account/tokens") => json!({"label": "matrix"}),
            ("PUT", "/api/account/profile") => json!({"name": ""}),
            ("PUT", "/api/admin/users/{id}") => json!({}),
            ("PUT", "/api/crm/imports/{id}") => json!({"mapping": [], "dedup": "skip"}),
            ("PUT", "/api/admin/forms/{id}") => {
                let mut f = self.form_input();
                f["version"] = json!(999_999);
                f
            }
            ("POST", "/api/portal/tickets") => json!({"subject": "Matrix ticket"}),
            ("PUT", "/api/portal/tickets/{id}") => json!({"status": "resolved"}),
            ("POST", "/api/portal/tickets/{id}/comments") => json!({"body": "Matrix reply"}),
            ("PUT", "/api/portal/me") => json!({"first_name": "Matrix"}),
            ("POST", "/api/auth/forgot-password") => json!({"email": "nobody@example.com"}),
            ("POST", "/api/auth/login") => {
                json!({"email": "nobody@example.com", "password": "wrong password"})
            }
            ("POST", "/api/auth/setup" | "/api/auth/set-password" | "/api/auth/accept-invite") => {
                json!({"token": "bad", "password": "long enough password", "name": "x", "email": "x@example.com"})
            }
            ("PUT", _) => stale,
            _ => json!({}),
        }
    }

    /// Arguments for a server function; `$kind` stands for the record of that kind.
    fn fn_args(&self, name: &str) -> Value {
        let stale = json!({"version": 999_999});
        match name {
            "current_user"
            | "get_portal_profile"
            | "list_portal_tickets"
            | "pipeline_stages"
            | "my_tasks"
            | "staff_options"
            | "sla_policies"
            | "list_forms"
            | "recent_imports"
            | "list_teams"
            | "team_options"
            | "record_visibility"
            | "regional_options"
            | "sends_mail" => json!({}),
            "save_team" => json!({"id": null, "input": self.new_team()}),
            "outbox_mails" => json!({"state": null}),
            "retry_mail" => json!({"id": "$mail"}),
            "send_test_mail" => json!({"input": {"to": "matrix@example.com"}}),
            "delete_team" => json!({"id": "$team"}),
            "save_record_visibility" => json!({"change": {}}),
            // A blank name: refused on its field (422), so the matrix renames nobody.
            "update_my_profile" => json!({"input": {"name": ""}}),
            "import_status" | "cancel_import" | "undo_import" => json!({"id": "$import"}),
            "save_import_options" | "check_import" | "run_import" => {
                json!({"id": "$import", "options": {"mapping": [], "dedup": "skip"}})
            }
            "link_status" => json!({"token": "bad", "purpose": "set_password"}),
            "pipeline_board" => json!({"query": {}}),
            "pipeline_summary" | "pipeline_metrics" => json!({"query": {}}),
            "move_opportunity" => {
                json!({"id": "$opportunity", "patch": {"version": 999_999, "stage": "proposal"}})
            }
            "save_pipeline_stages" => json!({"update": {"stages": []}}),
            "set_pipeline_target" => json!({"input": {"month": "2026-01-01", "target": null}}),
            "save_portal_profile" => json!({"patch": {"first_name": "Matrix"}}),
            "get_portal_ticket" => json!({"id": "$ticket"}),
            "open_portal_ticket" => json!({"input": {"subject": "Matrix"}}),
            "reply_portal_ticket" => json!({"id": "$ticket", "input": {"body": "Matrix"}}),
            "resolve_portal_ticket" => json!({"id": "$ticket", "patch": {"status": "resolved"}}),
            "list_leads" | "list_accounts" | "list_contacts" | "list_opportunities" => {
                json!({"query": {}})
            }
            "get_lead" => json!({"id": "$lead"}),
            "get_account" => json!({"id": "$account"}),
            "get_contact" => json!({"id": "$contact"}),
            "get_opportunity" => json!({"id": "$opportunity"}),
            "create_lead" => {
                json!({"input": {"name": "Matrix"}, "key": uuid::Uuid::now_v7().to_string()})
            }
            "create_account" => {
                json!({"input": {"name": "Matrix"}, "key": uuid::Uuid::now_v7().to_string()})
            }
            "create_contact" => {
                json!({"input": {"first_name": "Matrix"}, "key": uuid::Uuid::now_v7().to_string()})
            }
            "create_opportunity" => {
                json!({"input": {"name": "Matrix"}, "key": uuid::Uuid::now_v7().to_string()})
            }
            "update_lead" => json!({"id": "$lead", "patch": stale}),
            "update_account" => json!({"id": "$account", "patch": stale}),
            "update_contact" => json!({"id": "$contact", "patch": stale}),
            "update_opportunity" => json!({"id": "$opportunity", "patch": stale}),
            "qualify_lead" => json!({"id": "$lead", "input": {}}),
            "lead_duplicates" => json!({"email": "x@example.com"}),
            "record_timeline" | "record_tasks" => {
                json!({"kind": "opportunity", "id": "$opportunity"})
            }
            "log_activity" => {
                json!({"input": {"kind": "note", "subject": "m", "related_type": "opportunity", "related_id": self.opportunity_a}, "key": uuid::Uuid::now_v7().to_string()})
            }
            "create_task" => {
                json!({"input": {"title": "Matrix"}, "key": uuid::Uuid::now_v7().to_string()})
            }
            "update_task" => json!({"id": "$task", "patch": stale}),
            "search_records" => json!({"q": "alpha"}),
            "list_tickets" => json!({"query": {}}),
            "get_ticket" => json!({"id": "$ticket"}),
            "create_ticket" => json!({"input": {"subject": "Matrix"}}),
            "update_ticket" => json!({"id": "$ticket", "patch": stale}),
            "comment_ticket" => json!({"id": "$ticket", "input": {"body": "Matrix"}}),
            "save_sla_policies" => json!({"policies": []}),
            "get_portal_access" | "invite_to_portal" | "disable_portal" => {
                json!({"contact_id": "$contact"})
            }
            "save_form" => json!({"id": null, "version": 0, "input": self.form_input()}),
            "staff_users" | "my_account" | "end_my_other_sessions" => json!({}),
            "create_staff_user" => json!({"input": self.new_user()}),
            "update_staff_user" => json!({"id": "$user", "change": {}}),
            "end_staff_sessions" | "password_reset_link" => json!({"id": "$user"}),
            "start_impersonation" => {
                json!({"input": {"user_id": self.ids["user"].0, "reason": "matrix", "password": "wrong password"}})
            }
            "audit_entries" => json!({"filter": {}}),
            "change_portal_password" => {
                json!({"input": {"current_password": "wrong password", "new_password": "long enough password"}})
            }
            "end_other_portal_sessions" => json!({}),
            "change_my_password" => {
                json!({"input": {"current_password": "wrong password", "new_password": "long enough password"}})
            }
            "end_my_session" => json!({"id": "$session"}),
            "create_my_token" => json!({"label": "matrix"}),
            "revoke_my_token" => json!({"id": "$api_token"}),
            other => {
                panic!("no arguments known for server function `{other}`: add them to fn_args")
            }
        }
    }

    /// The ids to try: A, B and a missing one for a record kind; one call otherwise.
    fn targets(&self, kind: Option<&str>) -> Vec<Option<String>> {
        match kind {
            None => vec![None],
            Some(k) => {
                let (a, b) = &self.ids[k];
                vec![
                    Some(a.clone()),
                    Some(b.clone()),
                    Some(uuid::Uuid::now_v7().to_string()),
                ]
            }
        }
    }
}

/// One call of the related-record table, for ticket `id` (when the call names one).
async fn related_call(c: &mut Client, call: &str, id: Option<&str>) -> Resp {
    let ticket = id.unwrap_or_default();
    let key = || uuid::Uuid::now_v7().to_string();
    let note = json!({"kind": "note", "subject": "Matrix note", "related_type": "ticket", "related_id": ticket});
    let task = json!({"title": "Matrix task", "related_type": "ticket", "related_id": ticket});
    let on_ticket = json!({"kind": "ticket", "id": ticket});
    match call {
        "POST /api/crm/activities on {id}" => c.post_json("/api/crm/activities", note).await,
        "POST /api/crm/tasks on {id}" => c.post_json("/api/crm/tasks", task).await,
        "fn record_timeline {id}" => {
            c.post_json(&server_fn_path("record_timeline"), on_ticket)
                .await
        }
        "fn record_tasks {id}" => {
            c.post_json(&server_fn_path("record_tasks"), on_ticket)
                .await
        }
        "fn log_activity {id}" => {
            let args = json!({"input": note, "key": key()});
            c.post_json(&server_fn_path("log_activity"), args).await
        }
        "fn create_task {id}" => {
            let args = json!({"input": task, "key": key()});
            c.post_json(&server_fn_path("create_task"), args).await
        }
        get => {
            let path = get.trim_start_matches("GET ").replace("{id}", ticket);
            c.get(&path).await
        }
    }
}

#[tokio::test]
async fn records_reached_through_a_ticket_answer_as_the_ticket_does() {
    on_every_backend(async |app| {
        let f = fixture(&app).await;
        let mut problems = Vec::new();
        for (call, expected) in RELATED {
            let targets = if call.contains("{id}") {
                f.targets(Some("ticket"))
            } else {
                vec![None]
            };
            let mut cells = Vec::new();
            for (who, client) in EVERYONE.iter().zip(&f.clients) {
                let mut answers = Vec::new();
                for target in &targets {
                    let mut c = client.clone();
                    let r = related_call(&mut c, call, target.as_deref()).await;
                    let what = format!("{call} as {who:?}");
                    answers.push(match r.status.as_u16() {
                        422 => "422",
                        200..=299 if r.text().contains("Ticket-B") => "B",
                        _ => cell(r.status, &what, &r.text()),
                    });
                }
                cells.push(answers);
            }
            check(
                &mut problems,
                "RELATED",
                call,
                &row(cells),
                Some(&normalize(expected)),
            );
        }
        report(&problems);
    })
    .await;
}

/// A server function called by `client` with the JSON `body`.
async fn call_fn(client: &Client, path: &str, body: &str) -> Resp {
    let mut c = client.clone();
    c.json(
        Method::POST,
        path,
        serde_json::from_str(body).expect("json"),
    )
    .await
}

/// Every registered server function, in order, with its name (`/api/fn/get_lead12` → `get_lead`).
fn server_fns() -> Vec<(String, String)> {
    let mut fns: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    fns.sort();
    fns.into_iter()
        .map(|path| {
            let name = path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .to_string();
            (path, name)
        })
        .collect()
}

/// Fails with every problem found, one per line.
fn report(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn row(cells: Vec<Vec<&'static str>>) -> String {
    cells
        .iter()
        .map(|c| c.join("/"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn normalize(expected: &str) -> String {
    expected.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every registered REST route, as `METHOD /path`, from the OpenAPI document.
fn rest_routes() -> Vec<(Method, String)> {
    let api = crm::rest::openapi();
    let mut out = Vec::new();
    for (path, item) in api.paths.paths.iter() {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
        ] {
            if op.is_some() {
                out.push((
                    Method::from_bytes(method.as_bytes()).expect("method"),
                    path.clone(),
                ));
            }
        }
    }
    // Signing out ends the session the portal users' cells run on: last.
    out.sort_by_key(|(m, p)| (p == "/api/auth/logout", p.clone(), m.to_string()));
    out
}

#[tokio::test]
async fn every_endpoint_answers_every_principal_as_the_tables_say() {
    on_every_backend(async |app| {
        let f = fixture(&app).await;
        let expected_rest: BTreeMap<String, String> = REST
            .iter()
            .map(|(k, v)| (k.to_string(), normalize(v)))
            .collect();
        let expected_fns: BTreeMap<String, String> = SERVER_FNS
            .iter()
            .map(|(k, v)| (k.to_string(), normalize(v)))
            .collect();
        let mut problems = Vec::new();
        let mut seen = Vec::new();

        // Server functions first: the REST half ends with signing out.
        let mut fns: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, method)| (path.to_string(), method.to_string()))
            .collect();
        fns.sort();
        assert!(
            fns.len() > 30,
            "the server-function registry looks empty: {fns:?}"
        );
        for (path, _method) in fns {
            let name = path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .to_string();
            let args = f.fn_args(&name);
            let kind = [
                "lead",
                "account",
                "contact",
                "opportunity",
                "task",
                "ticket",
                "user",
                "session",
                "api_token",
                "import",
                "team",
                "mail",
            ]
            .into_iter()
            .find(|k| args.to_string().contains(&format!("\"${k}\"")));
            let mut cells = Vec::new();
            for (who, client) in EVERYONE.iter().zip(&f.clients) {
                let mut answers = Vec::new();
                for target in f.targets(kind) {
                    let target = f.unless_deleting(&name, target).await;
                    let mut body = f.fn_args(&name).to_string();
                    if let (Some(k), Some(id)) = (kind, &target) {
                        body = body.replace(&format!("\"${k}\""), &format!("\"{id}\""));
                    }
                    let r = call_fn(client, &path, &body).await;
                    answers.push(cell(r.status, &format!("fn {name} as {who:?}"), &r.text()));
                }
                cells.push(answers);
            }
            let actual = row(cells);
            check(
                &mut problems,
                "SERVER_FNS",
                &name,
                &actual,
                expected_fns.get(&name),
            );
            seen.push(name);
        }

        for (method, path) in rest_routes() {
            let name = format!("{method} {path}");
            let targets = f.targets(kind_of_path(&path));
            let mut cells = Vec::new();
            for (who, client) in EVERYONE.iter().zip(&f.clients) {
                let mut answers = Vec::new();
                for target in &targets {
                    let target = &f.unless_deleting(&name, target.clone()).await;
                    let url = match target {
                        Some(id) => path.replace("{id}", id),
                        None => path.clone(),
                    }
                    .replace("{attachment}", &f.attachment_a);
                    let mut c = client.clone();
                    let r = c
                        .json(method.clone(), &url, f.rest_body(&method, &path))
                        .await;
                    answers.push(cell(r.status, &format!("{name} as {who:?}"), &r.text()));
                }
                cells.push(answers);
            }
            let actual = row(cells);
            check(
                &mut problems,
                "REST",
                &name,
                &actual,
                expected_rest.get(&name),
            );
            seen.push(name);
        }

        for name in expected_rest.keys().chain(expected_fns.keys()) {
            if !seen.contains(name) {
                problems.push(format!(
                    "`{name}` is in a table but no longer registered: remove it"
                ));
            }
        }
        report(&problems);
    })
    .await;
}

fn check(
    problems: &mut Vec<String>,
    table: &str,
    name: &str,
    actual: &str,
    expected: Option<&String>,
) {
    match expected {
        None => problems.push(format!(
            "{table} has no row for a registered endpoint: (\"{name}\", \"{actual}\"),"
        )),
        Some(e) if e != actual => problems.push(format!(
            "{table} `{name}`:\n    expected {e}\n    actual   {actual}"
        )),
        Some(_) => {}
    }
}

/// The visibility dimension: sales set to see their teams' records and edit their own. A sales
/// user in a team with a second rep calls every endpoint that names a record with their own
/// record, their teammate's and one of another team (`own/team/other`): reading the team's is
/// allowed, editing it forbidden, and the other team's is not found either way. Every listing,
/// search and figure (every route and server function without an id) must not show a word of
/// the other team's records.
#[rustfmt::skip]
const VISIBILITY: &[(&str, &str)] = &[
    // endpoint                                   own/team/other
    ("GET /api/crm/accounts/{id}",                "ok/ok/404"),
    ("PUT /api/crm/accounts/{id}",                "ok/403/404"),
    ("GET /api/crm/contacts/{id}",                "ok/ok/404"),
    ("PUT /api/crm/contacts/{id}",                "ok/403/404"),
    ("GET /api/crm/contacts/{id}/portal",         "ok/ok/404"),
    ("DELETE /api/crm/contacts/{id}/portal",      "ok/403/404"),
    ("POST /api/crm/contacts/{id}/portal-invite", "ok/403/404"),
    ("GET /api/crm/leads/{id}",                   "ok/ok/404"),
    ("PUT /api/crm/leads/{id}",                   "ok/403/404"),
    ("POST /api/crm/leads/{id}/qualify",          "ok/403/404"),
    ("GET /api/crm/opportunities/{id}",           "ok/ok/404"),
    ("PUT /api/crm/opportunities/{id}",           "ok/403/404"),
    ("POST /api/crm/opportunity/{id}/stage",      "ok/403/404"),
    ("PUT /api/crm/tasks/{id}",                   "ok/403/404"),
    // Sales read the tickets of the accounts they own, whatever their sight (the security
    // issue's rule): their team's account's ticket is not theirs.
    ("GET /api/crm/tickets/{id}",                 "ok/404/404"),
    ("PUT /api/crm/tickets/{id}",                 "403/403/403"),
    ("GET /api/crm/tickets/{id}/comments",        "ok/404/404"),
    ("GET /api/crm/tickets/{id}/attachments",     "ok/404/404"),
    // No mail reaches this fixture's tickets: no file of theirs is there for anyone (the main
    // matrix downloads a real one).
    ("GET /api/crm/tickets/{id}/attachments/{attachment}", "404/404/404"),
    ("POST /api/crm/tickets/{id}/comments",       "403/403/403"),
    ("GET /api/portal/tickets/{id}",              "403/403/403"),
    ("PUT /api/portal/tickets/{id}",              "403/403/403"),
    ("POST /api/portal/tickets/{id}/comments",    "403/403/403"),
    ("fn disable_portal",                         "ok/403/404"),
    ("fn get_account",                            "ok/ok/404"),
    ("fn get_contact",                            "ok/ok/404"),
    ("fn get_lead",                               "ok/ok/404"),
    ("fn get_opportunity",                        "ok/ok/404"),
    ("fn get_portal_access",                      "ok/ok/404"),
    ("fn get_portal_ticket",                      "403/403/403"),
    ("fn get_ticket",                             "ok/404/404"),
    ("fn invite_to_portal",                       "ok/403/404"),
    ("fn move_opportunity",                       "ok/403/404"),
    ("fn qualify_lead",                           "ok/403/404"),
    ("fn record_tasks",                           "ok/ok/404"),
    ("fn reply_portal_ticket",                    "403/403/403"),
    ("fn resolve_portal_ticket",                  "403/403/403"),
    ("fn record_timeline",                        "ok/ok/404"),
    ("fn update_account",                         "ok/403/404"),
    ("fn update_contact",                         "ok/403/404"),
    ("fn update_lead",                            "ok/403/404"),
    ("fn update_opportunity",                     "ok/403/404"),
    ("fn update_task",                            "ok/403/404"),
    ("fn update_ticket",                          "403/403/403"),
    ("fn comment_ticket",                         "403/403/403"),
];

/// What the visibility table's records are called: each owner's word is in every name.
const OTHER_WORD: &str = "Vizother";

async fn visibility_fixture(app: &TestApp) -> (Fixture, BTreeMap<&'static str, String>) {
    let (mut root, _) = app.api("root@example.com", Role::SuperAdmin).await;
    let (rep, rep_id) = app.api("rep@example.com", Role::Sales).await;
    let (_, mate_id) = app.api("mate@example.com", Role::Sales).await;
    let (_, other_id) = app.api("other@example.com", Role::Sales).await;
    let r = root
        .post_json(
            "/api/admin/teams",
            json!({"name": "East", "member_ids": [rep_id, mate_id]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = root
        .put_json(
            "/api/admin/visibility",
            json!({"sales": {"see": "team", "edit": "own"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let id = |r: Resp| -> String {
        assert!(r.status.is_success(), "fixture: {}", r.text());
        r.json()["id"].as_str().expect("id").to_string()
    };
    let mut sets: Vec<BTreeMap<&'static str, String>> = Vec::new();
    for (word, owner) in [
        ("Vizown", rep_id),
        ("Vizteam", mate_id),
        (OTHER_WORD, other_id),
    ] {
        let acc = id(root
            .post_json(
                "/api/crm/accounts",
                json!({"name": format!("{word} Inc"), "owner_id": owner}),
            )
            .await);
        let con = id(root
            .post_json("/api/crm/contacts", json!({"first_name": word, "last_name": "Person", "email": format!("{}@example.com", word.to_lowercase()), "account_id": acc, "owner_id": owner}))
            .await);
        let lead = id(root
            .post_json(
                "/api/crm/leads",
                json!({"name": format!("{word} Lead"), "owner_id": owner}),
            )
            .await);
        let opp = id(root
            .post_json(
                "/api/crm/opportunities",
                json!({"name": format!("{word} Deal"), "account_id": acc, "owner_id": owner}),
            )
            .await);
        let task = id(root
            .post_json("/api/crm/tasks", json!({"title": format!("{word} task"), "assignee_id": owner, "related_type": "opportunity", "related_id": opp}))
            .await);
        let ticket = id(root
            .post_json(
                "/api/crm/tickets",
                json!({"subject": format!("{word} ticket"), "contact_id": con}),
            )
            .await);
        id(root
            .post_json("/api/crm/activities", json!({"kind": "note", "subject": format!("{word} note"), "related_type": "opportunity", "related_id": opp}))
            .await);
        sets.push(BTreeMap::from([
            ("account", acc),
            ("contact", con),
            ("lead", lead),
            ("opportunity", opp),
            ("task", task),
            ("ticket", ticket),
        ]));
    }
    let other = sets.pop().expect("other");
    let team = sets.pop().expect("team");
    let own = sets.pop().expect("own");
    let mut ids: BTreeMap<&'static str, (String, String)> = own
        .iter()
        .map(|(k, v)| (*k, (v.clone(), team[k].clone())))
        .collect();
    ids.insert("user", (mate_id.to_string(), other_id.to_string()));
    let f = Fixture {
        ids,
        clients: vec![rep],
        opportunity_a: own["opportunity"].clone(),
        // No mail comes in here: these fixtures check lists and records, not the mail routes.
        attachment_a: String::new(),
        form_seq: std::cell::Cell::new(0),
    };
    (f, other)
}

#[tokio::test]
async fn a_team_sees_its_records_edits_its_own_and_never_shows_another_teams() {
    on_every_backend(async |app| {
        let (f, other) = visibility_fixture(&app).await;
        let expected: BTreeMap<String, String> = VISIBILITY
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let targets = |kind: &str| -> Vec<String> {
            let (own, team) = &f.ids[kind];
            vec![own.clone(), team.clone(), other[kind].clone()]
        };
        let rep = f.clients[0].clone();
        let mut problems = Vec::new();
        let mut seen = Vec::new();
        let kinds = [
            "lead",
            "account",
            "contact",
            "opportunity",
            "task",
            "ticket",
        ];
        for (path, name) in server_fns() {
            let args = f.fn_args(&name).to_string();
            let kind = kinds
                .into_iter()
                .find(|k| args.contains(&format!("\"${k}\"")));
            match kind {
                Some(k) => {
                    let mut answers = Vec::new();
                    for id in targets(k) {
                        let body = f
                            .fn_args(&name)
                            .to_string()
                            .replace(&format!("\"${k}\""), &format!("\"{id}\""));
                        let r = call_fn(&rep, &path, &body).await;
                        answers.push(cell(r.status, &format!("fn {name}"), &r.text()));
                    }
                    let key = format!("fn {name}");
                    check(
                        &mut problems,
                        "VISIBILITY",
                        &key,
                        &answers.join("/"),
                        expected.get(&key),
                    );
                    seen.push(key);
                }
                None if args.contains("\"$") => {}
                None => {
                    let mut c = rep.clone();
                    let r = c
                        .json(
                            Method::POST,
                            &path,
                            serde_json::from_str(&args).expect("json"),
                        )
                        .await;
                    if r.text().contains(OTHER_WORD) {
                        problems.push(format!(
                            "fn {name} shows another team's record: {}",
                            r.text()
                        ));
                    }
                }
            }
        }
        for (method, path) in rest_routes() {
            let name = format!("{method} {path}");
            match kind_of_path(&path).filter(|k| kinds.contains(k)) {
                Some(k) => {
                    let mut answers = Vec::new();
                    for id in targets(k) {
                        let mut c = rep.clone();
                        let r = c
                            .json(
                                method.clone(),
                                &path.replace("{id}", &id),
                                f.rest_body(&method, &path),
                            )
                            .await;
                        answers.push(cell(r.status, &name, &r.text()));
                    }
                    check(
                        &mut problems,
                        "VISIBILITY",
                        &name,
                        &answers.join("/"),
                        expected.get(&name),
                    );
                    seen.push(name);
                }
                None if method == Method::GET && !path.contains("{id}") => {
                    let mut c = rep.clone();
                    let r = c.get(&path).await;
                    if r.text().contains(OTHER_WORD) {
                        problems.push(format!("{name} shows another team's record: {}", r.text()));
                    }
                }
                None => {}
            }
        }
        // The listings do show the team's records (so "nothing shown" cannot pass).
        for list in [
            "/api/crm/leads",
            "/api/crm/accounts",
            "/api/crm/contacts",
            "/api/crm/opportunities",
            // (Not tickets: sales read their own accounts' only, as above.)
            "/api/crm/tasks",
            "/api/crm/activities",
            "/api/crm/search?q=vizteam",
        ] {
            let mut c = rep.clone();
            let r = c.get(list).await;
            if !(r.text().contains("Vizteam") && r.text().contains("Vizown")
                || list.contains("search") && r.text().contains("Vizteam"))
            {
                problems.push(format!(
                    "{list} lacks the rep's or the team's records: {}",
                    r.text()
                ));
            }
            let r = c
                .get(&format!(
                    "{list}{}q={OTHER_WORD}",
                    if list.contains('?') { "&" } else { "?" }
                ))
                .await;
            if r.text().contains(OTHER_WORD) {
                problems.push(format!("{list} finds another team's record by its name"));
            }
        }
        // A duplicate outside sight is still reported, without its name.
        let mut c = rep.clone();
        let args = json!({"email": format!("{}@example.com", OTHER_WORD.to_lowercase())});
        let r = c.post_json(&server_fn_path("lead_duplicates"), args).await;
        if !r.text().contains("outside the records you see") || r.text().contains(OTHER_WORD) {
            problems.push(format!(
                "lead_duplicates of another team's contact: {}",
                r.text()
            ));
        }
        for name in expected.keys() {
            if !seen.contains(name) {
                problems.push(format!(
                    "`{name}` is in VISIBILITY but not registered: remove it"
                ));
            }
        }
        report(&problems);
    })
    .await;
}

/// The amounts of the money fixture, in every form they are sent or shown in (JSON decimals,
/// grouped display, compact figures): an opportunity's value before and after an edit, a won
/// deal's, an account's revenue and this month's target.
const AMOUNTS: &[&str] = &[
    "654321",
    "654,321",
    "654329",
    "654,329",
    "654.3",
    "765432",
    "765,432",
    "765.4",
    "7777123",
    "7,777,123",
    "876543",
    "876,543",
    "876.5",
];

/// A sales rep whose role does not see money, with their own account (revenue), an open deal
/// whose value was edited, a won deal, and a target for the month, all made by a super admin.
async fn money_fixture(app: &TestApp) -> (Client, Client, Fixture) {
    let (mut root, _) = app.api("root@example.com", Role::SuperAdmin).await;
    let (rep, rep_id) = app.api("rep@example.com", Role::Sales).await;
    let r = root
        .put_json(
            "/api/admin/visibility",
            json!({"sales": {"see": "all", "edit": "team", "money": false}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["sales"]["money"], json!(false));
    let id = |r: Resp| -> String {
        assert!(r.status.is_success(), "fixture: {}", r.text());
        r.json()["id"].as_str().expect("id").to_string()
    };
    let acc = id(root
        .post_json(
            "/api/crm/accounts",
            json!({"name": "Moneyco", "annual_revenue": 7777123, "owner_id": rep_id}),
        )
        .await);
    let con = id(root
        .post_json("/api/crm/contacts", json!({"first_name": "Mona", "last_name": "Ey", "email": "mona@moneyco.example", "account_id": acc, "owner_id": rep_id}))
        .await);
    let lead = id(root
        .post_json(
            "/api/crm/leads",
            json!({"name": "Money Lead", "owner_id": rep_id}),
        )
        .await);
    let opp = id(root
        .post_json("/api/crm/opportunities", json!({"name": "Moneydeal", "account_id": acc, "owner_id": rep_id, "value": "654321.87", "expected_close": "2026-12-20"}))
        .await);
    let r = root
        .put_json(
            &format!("/api/crm/opportunities/{opp}"),
            json!({"version": 1, "value": "654329.87"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    id(root
        .post_json("/api/crm/opportunities", json!({"name": "Wondeal", "account_id": acc, "owner_id": rep_id, "value": "765432.10", "stage": "won"}))
        .await);
    let month = chrono::Utc::now().format("%Y-%m-01").to_string();
    let r = root
        .put_json(
            "/api/crm/stats/targets",
            json!({"month": month, "target": "876543"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let task = id(root
        .post_json("/api/crm/tasks", json!({"title": "Money task", "assignee_id": rep_id, "related_type": "opportunity", "related_id": opp}))
        .await);
    let ticket = id(root
        .post_json(
            "/api/crm/tickets",
            json!({"subject": "Money ticket", "contact_id": con}),
        )
        .await);
    let ids: BTreeMap<&'static str, (String, String)> = [
        ("account", acc),
        ("contact", con),
        ("lead", lead),
        ("opportunity", opp.clone()),
        ("task", task),
        ("ticket", ticket),
        ("user", rep_id.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k, (v.clone(), v)))
    .collect();
    let f = Fixture {
        ids,
        clients: vec![rep.clone()],
        opportunity_a: opp,
        attachment_a: String::new(),
        form_seq: std::cell::Cell::new(0),
    };
    (root, rep, f)
}

fn amounts_in(text: &str) -> Vec<&'static str> {
    AMOUNTS
        .iter()
        .copied()
        .filter(|a| text.contains(a))
        .collect()
}

#[tokio::test]
async fn money_never_reaches_a_role_that_does_not_see_it_by_any_entry_point() {
    on_every_backend(async |app| {
        let (mut root, rep, f) = money_fixture(&app).await;
        let mut problems = Vec::new();
        let with_ids = |mut text: String| {
            for (kind, (own, _)) in &f.ids {
                text = text.replace(&format!("\"${kind}\""), &format!("\"{own}\""));
            }
            text
        };
        // Every server function, with the matrix's arguments on the rep's own records (writes
        // are stale or invalid, so their refusals are read too: a stale edit answers with the
        // record as it stands).
        for (path, name) in server_fns() {
            let body = with_ids(f.fn_args(&name).to_string());
            if body.contains("\"$") {
                continue;
            }
            let r = call_fn(&rep, &path, &body).await;
            let found = amounts_in(&r.text());
            if !found.is_empty() {
                problems.push(format!("fn {name} shows {found:?}: {}", r.text()));
            }
        }
        // Every REST route that reads, on the rep's records, and every export.
        for (method, path) in rest_routes() {
            if method != Method::GET {
                continue;
            }
            let url = match kind_of_path(&path) {
                Some(kind) => match f.ids.get(kind) {
                    Some((own, _)) => path.replace("{id}", own),
                    None => continue,
                },
                None => path.clone(),
            };
            let mut c = rep.clone();
            let r = c.get(&url).await;
            let found = amounts_in(&r.text());
            if !found.is_empty() {
                problems.push(format!("GET {path} shows {found:?}: {}", r.text()));
            }
        }
        let mut c = rep.clone();
        let opp = &f.ids["opportunity"].0;
        let acc = &f.ids["account"].0;
        // The rep does read the records (so "nothing shown" cannot pass), without the money.
        let r = c.get(&format!("/api/crm/opportunities/{opp}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        if r.json()["value"] != Value::Null {
            problems.push(format!("the opportunity has a value: {}", r.text()));
        }
        let r = c.get(&format!("/api/crm/accounts/{acc}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        if r.json()["annual_revenue"] != Value::Null {
            problems.push(format!("the account has a revenue: {}", r.text()));
        }
        let r = c.get("/api/auth/me").await;
        assert_eq!(r.json()["can"]["money"], json!(false), "{}", r.text());
        for export in [
            "/api/crm/opportunities/export.csv",
            "/api/crm/accounts/export.csv",
        ] {
            let r = c.get(export).await;
            assert_eq!(r.status, StatusCode::OK, "{export}: {}", r.text());
            let head = r.text().lines().next().unwrap_or_default().to_string();
            if head
                .split(',')
                .any(|h| h == "value" || h == "annual_revenue")
            {
                problems.push(format!("{export} has a money column: {head}"));
            }
        }
        // Those who see money see the same places with it: the scan would notice a leak.
        for url in [
            format!("/api/crm/opportunities/{opp}"),
            format!("/api/crm/accounts/{acc}"),
            "/api/crm/stats/summary".to_string(),
        ] {
            let r = root.get(&url).await;
            if amounts_in(&r.text()).is_empty() {
                problems.push(format!("{url} shows a super admin no amount: {}", r.text()));
            }
        }

        // Writes: a money field cannot be set by someone who cannot see it; anything else can.
        let refused = [
            (
                Method::PUT,
                format!("/api/crm/opportunities/{opp}"),
                json!({"version": 2, "value": "1.00"}),
            ),
            (
                Method::PUT,
                format!("/api/crm/opportunities/{opp}"),
                json!({"version": 2, "value": null}),
            ),
            (
                Method::POST,
                "/api/crm/opportunities".to_string(),
                json!({"name": "Priced", "value": "10.00"}),
            ),
            (
                Method::PUT,
                format!("/api/crm/accounts/{acc}"),
                json!({"version": 1, "annual_revenue": 5}),
            ),
            (
                Method::POST,
                "/api/crm/accounts".to_string(),
                json!({"name": "Rich", "annual_revenue": 5}),
            ),
            (
                Method::POST,
                format!("/api/crm/leads/{}/qualify", f.ids["lead"].0),
                json!({"value": "5.00"}),
            ),
        ];
        for (method, url, body) in refused {
            let mut c = rep.clone();
            let r = c.json(method.clone(), &url, body.clone()).await;
            if r.status != StatusCode::FORBIDDEN || !r.text().contains("money") {
                problems.push(format!(
                    "{method} {url} {body} by a rep without money: {} {}",
                    r.status,
                    r.text()
                ));
            }
        }
        let r = c.get("/api/crm/opportunities?sort=-value").await;
        if r.status != StatusCode::FORBIDDEN {
            problems.push(format!("sorting by value: {} {}", r.status, r.text()));
        }
        let r = c
            .put_json(
                &format!("/api/crm/opportunities/{opp}"),
                json!({"version": 2, "name": "Moneydeal renamed"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        if r.json()["value"] != Value::Null {
            problems.push(format!("a rename answers with the value: {}", r.text()));
        }
        let r = root.get(&format!("/api/crm/opportunities/{opp}")).await;
        assert_eq!(r.json()["name"], json!("Moneydeal renamed"));
        assert_eq!(
            r.json()["value"],
            json!(654329.87),
            "the value stays: {}",
            r.text()
        );
        report(&problems);
    })
    .await;
}
