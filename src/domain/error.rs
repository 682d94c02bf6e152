//! The one error type of the CRM, shared by the browser and the server.
//!
//! Server functions and REST handlers both return it; on the wire it always has the shape
//! `{"error":{"code":"validation","message":"…","fields":{"email":["…"]}}}`. An internal error
//! carries only a request id: the text of what went wrong stays in the server log.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Field name → messages, in a stable order so forms and tests see the same thing.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "ErrorBody", from = "ErrorBody")]
pub enum AppError {
    /// Not signed in, or the credentials were wrong (the message never says which).
    Unauthorized { message: String },
    /// Signed in, but this principal may not do this.
    Forbidden { message: String },
    /// Nothing there, or nothing this principal may know about.
    NotFound,
    /// The write clashes with what is stored: a duplicate, or a stale version.
    Conflict {
        message: String,
        existing_id: Option<String>,
        current: Option<serde_json::Value>,
    },
    /// The input breaks a rule; `fields` names each field and what is wrong with it.
    Validation {
        message: String,
        fields: FieldErrors,
    },
    /// Too many attempts; try again after this many seconds.
    RateLimited { retry_after_secs: u64 },
    /// The request body is larger than the server accepts.
    PayloadTooLarge,
    /// The body is not in the format this endpoint takes (JSON, say).
    UnsupportedMedia,
    /// Something failed inside the server; the details are logged under `request_id`.
    Internal { request_id: String },
    /// The browser could not reach the server, or could not read its answer.
    Network { message: String },
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn unauthorized() -> Self {
        AppError::Unauthorized {
            message: "Sign in to continue.".into(),
        }
    }

    /// The one message for every failed sign-in, whether or not the email exists.
    pub fn bad_credentials() -> Self {
        AppError::Unauthorized {
            message: "Email or password is incorrect.".into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden {
            message: message.into(),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict {
            message: message.into(),
            existing_id: None,
            current: None,
        }
    }

    pub fn validation(fields: FieldErrors) -> Self {
        AppError::Validation {
            message: "Please correct the highlighted fields.".into(),
            fields,
        }
    }

    /// Every field problem of several checks, as one answer (Ok when all passed), so a form
    /// shows them all at once. A failure that is not about fields is returned as it is.
    pub fn all_valid(
        checks: impl IntoIterator<Item = Result<(), AppError>>,
    ) -> Result<(), AppError> {
        let mut fields = FieldErrors::new();
        for check in checks {
            match check {
                Ok(()) => {}
                Err(AppError::Validation { fields: f, .. }) => fields.extend(f),
                Err(other) => return Err(other),
            }
        }
        if fields.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(fields))
        }
    }

    /// A validation error about a single field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_string(), vec![message.into()]);
        Self::validation(fields)
    }

    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized { .. } => "unauthorized",
            AppError::Forbidden { .. } => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict { .. } => "conflict",
            AppError::Validation { .. } => "validation",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMedia => "unsupported_media_type",
            AppError::Internal { .. } => "internal",
            AppError::Network { .. } => "network",
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized { .. } => 401,
            AppError::Forbidden { .. } => 403,
            AppError::NotFound => 404,
            AppError::Conflict { .. } => 409,
            AppError::Validation { .. } => 422,
            AppError::RateLimited { .. } => 429,
            AppError::PayloadTooLarge => 413,
            AppError::UnsupportedMedia => 415,
            AppError::Internal { .. } => 500,
            AppError::Network { .. } => 502,
        }
    }

    /// A sentence fit to show a person.
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthorized { message }
            | AppError::Forbidden { message }
            | AppError::Conflict { message, .. }
            | AppError::Validation { message, .. }
            | AppError::Network { message } => message.clone(),
            AppError::NotFound => "Not found.".into(),
            AppError::RateLimited { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60).max(1);
                format!("Too many attempts. Try again in {minutes} minute(s).")
            }
            AppError::PayloadTooLarge => "The request is too large.".into(),
            AppError::UnsupportedMedia => "Send the request body as JSON.".into(),
            AppError::Internal { request_id } => {
                format!("Something went wrong on our side. Reference: {request_id}.")
            }
        }
    }

    /// One line for a form's top: every field's messages, or the message.
    pub fn summary(&self) -> String {
        match self {
            AppError::Validation { fields, .. } if !fields.is_empty() => fields
                .values()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
            other => other.message(),
        }
    }

    /// Messages for one field, if the error names it.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Validation { fields, .. } => fields.get(name).map(|m| m.join(" ")),
            _ => None,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for AppError {}

/// The JSON body every error is sent as.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: FieldErrors,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl From<AppError> for ErrorBody {
    fn from(e: AppError) -> Self {
        let mut detail = ErrorDetail {
            code: e.code().into(),
            message: e.message(),
            ..Default::default()
        };
        match e {
            AppError::Validation { fields, .. } => detail.fields = fields,
            AppError::Conflict {
                existing_id,
                current,
                ..
            } => {
                detail.existing_id = existing_id;
                detail.current = current;
            }
            AppError::RateLimited { retry_after_secs } => {
                detail.retry_after = Some(retry_after_secs)
            }
            AppError::Internal { request_id } => detail.request_id = Some(request_id),
            _ => {}
        }
        ErrorBody { error: detail }
    }
}

impl From<ErrorBody> for AppError {
    fn from(body: ErrorBody) -> Self {
        let d = body.error;
        match d.code.as_str() {
            "unauthorized" => AppError::Unauthorized { message: d.message },
            "forbidden" => AppError::Forbidden { message: d.message },
            "not_found" => AppError::NotFound,
            "conflict" => AppError::Conflict {
                message: d.message,
                existing_id: d.existing_id,
                current: d.current,
            },
            "validation" => AppError::Validation {
                message: d.message,
                fields: d.fields,
            },
            "rate_limited" => AppError::RateLimited {
                retry_after_secs: d.retry_after.unwrap_or(60),
            },
            "payload_too_large" => AppError::PayloadTooLarge,
            "unsupported_media_type" => AppError::UnsupportedMedia,
            "internal" => AppError::Internal {
                request_id: d.request_id.unwrap_or_default(),
            },
            _ => AppError::Network { message: d.message },
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            // The arguments the browser sent did not parse: a client bug or a tampered request.
            E::Args(m) | E::MissingArg(m) => AppError::invalid("request", m),
            // On the server the only thing deserialized is the request's arguments.
            #[cfg(feature = "ssr")]
            E::Deserialization(m) => AppError::invalid("request", m),
            E::Request(_) => AppError::Network {
                message: "Could not reach the server. Check your connection and try again.".into(),
            },
            other => AppError::Network {
                message: format!("Unexpected answer from the server ({other})."),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_problem_is_answered_at_once() {
        assert_eq!(AppError::all_valid([Ok(()), Ok(())]), Ok(()));
        let both = AppError::all_valid([
            Err(AppError::invalid("name", "Enter a name.")),
            Ok(()),
            Err(AppError::invalid(
                "locale",
                "Choose a format from the list.",
            )),
        ])
        .unwrap_err();
        assert_eq!(both.field("name").as_deref(), Some("Enter a name."));
        assert!(both.field("locale").is_some());
        assert_eq!(
            AppError::all_valid([Err(AppError::NotFound), Err(AppError::invalid("a", "b"))]),
            Err(AppError::NotFound)
        );
    }

    #[test]
    fn wire_shape_is_stable() {
        let e = AppError::invalid("email", "Enter a valid email address.");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["error"]["code"], "validation");
        assert_eq!(
            json["error"]["fields"]["email"][0],
            "Enter a valid email address."
        );
        let back: AppError = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn internal_error_shows_only_the_reference() {
        let e = AppError::Internal {
            request_id: "r-123".into(),
        };
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains("r-123"));
        assert_eq!(e.status(), 500);
        assert!(e.message().contains("r-123"));
    }

    #[test]
    fn rate_limited_rounds_up_to_minutes() {
        let e = AppError::RateLimited {
            retry_after_secs: 61,
        };
        assert!(e.message().contains("2 minute"));
        assert_eq!(
            serde_json::to_value(&e).unwrap()["error"]["retry_after"],
            61
        );
    }
}
