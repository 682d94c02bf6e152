//! The first check of every API request: which part of the HTTP API it belongs to, and
//! whether the principal may enter it at all.

use super::*;

/// The parts of the HTTP API, by who they serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// Signing in and out, `me`, one-time links, public forms: anyone.
    Public,
    /// The CRM itself: staff only.
    Staff,
    /// `/api/portal/*` and the portal's server functions: prospects and clients only.
    Portal,
}

/// Which surface a request path belongs to. Server functions live under `/api/fn/`; the
/// portal's under `/api/fn/portal/`.
pub fn surface(method: &http::Method, path: &str) -> Surface {
    const PUBLIC: [&str; 6] = [
        "/api/auth/",
        "/api/openapi.json",
        "/api/fn/current_user",
        "/api/fn/link_status",
        // Whether mail is sent: the "forgot password" page asks before anyone signs in.
        "/api/fn/sends_mail",
        // Staff and portal users alike (it refuses visitors itself).
        "/api/fn/regional_options",
    ];
    // Stopping an impersonation must work while viewing the portal as a customer; its
    // handlers decide for themselves (start: an admin; stop: someone impersonating).
    // Starting one is for staff (an admin), like the rest of `/api/admin`.
    let impersonation = (path == "/api/admin/impersonation" && method != http::Method::POST)
        || path == "/api/admin/impersonation/stop";
    if impersonation || PUBLIC.iter().any(|p| path.starts_with(p)) || !path.starts_with("/api/") {
        Surface::Public
    } else if path.starts_with("/api/portal/") || path.starts_with("/api/fn/portal/") {
        Surface::Portal
    } else {
        Surface::Staff
    }
}

/// The first check of every API request, before its body is read: nobody signed in gets 401
/// outside the public surface, and staff and portal users each get 403 on the other's.
/// The per-record decisions follow in [`decide`].
pub fn enter(principal: &Principal, surface: Surface) -> Result<(), AppError> {
    match (surface, principal) {
        (Surface::Public, _) => Ok(()),
        (_, Principal::Anonymous) => Err(AppError::unauthorized()),
        (Surface::Staff, Principal::Staff(_)) | (Surface::Portal, Principal::Portal(_)) => Ok(()),
        (Surface::Staff, Principal::Portal(_)) => Err(AppError::forbidden(
            "This part of the CRM is for staff. Your tickets are in the portal.",
        )),
        (Surface::Portal, Principal::Staff(_)) => Err(AppError::forbidden(
            "The portal is for customers; staff work tickets in the support queue.",
        )),
    }
}
