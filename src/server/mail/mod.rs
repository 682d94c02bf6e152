//! Mail out: what the CRM sends is written to the outbox in the transaction of the change
//! that causes it ([`enqueue`]), and the worker ([`worker`]) delivers it over SMTP
//! ([`smtp`]). A change that is rolled back sends nothing; a mail that is written is sent,
//! once, however often the server stops in between.

pub mod imap;
pub mod inbound;
pub mod letters;
pub mod smtp;
pub mod worker;

use super::db::{Conn, outbox};
use crate::domain::links::escape_html as escape;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A mail the CRM is to send.
#[derive(Clone, Debug, Default)]
pub struct Outgoing {
    /// What it is for (`portal_invite`, `set_password`, `test`, …), shown on the outbox page.
    pub purpose: &'static str,
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    /// The plain-text part; the HTML part is made from it ([`html_part`]).
    pub text: String,
    /// A link the HTML part shows as a button (it is in the text part too).
    pub action: Option<(String, String)>,
    pub in_reply_to: Option<String>,
    pub references: Option<String>,
    /// Sent by the CRM on its own rather than as a person's reply (`Auto-Submitted`).
    pub automatic: bool,
    /// Where a recipient stops mail of this kind (`List-Unsubscribe`), for mail that is not
    /// transactional.
    pub unsubscribe: Option<String>,
    /// Where replies go, when not to the sender (the support mailbox, for ticket mail).
    pub reply_to: Option<String>,
}

/// A mail written to the outbox.
#[derive(Clone, Debug)]
pub struct Queued {
    pub id: Uuid,
    pub message_id: String,
    pub to: String,
}

/// Writes `mail` to the outbox inside the caller's transaction when this server sends mail
/// (`mailer`, the state's);
/// without a mail server nothing is written (the caller shows a link instead, or the mail
/// simply does not happen: a customer is not sent last month's reply when mail is turned on).
/// Call [`wake`] once the transaction has committed.
pub async fn queue(
    mailer: Option<&smtp::Mailer>,
    c: &mut Conn<'_>,
    mail: &Outgoing,
    now: DateTime<Utc>,
) -> Result<Option<Queued>, sqlx::Error> {
    let Some(mailer) = mailer else {
        return Ok(None);
    };
    let (id, message_id) = enqueue(c, mail, &mailer.domain(), now).await?;
    Ok(Some(Queued {
        id,
        message_id,
        to: mail.to_address.clone(),
    }))
}

/// Tells the mail worker there is mail to send (after the commit that wrote it).
pub fn wake(worker: &tokio::sync::Notify) {
    worker.notify_one();
}

/// Writes `mail` to the outbox inside the caller's transaction, and returns its id and
/// Message-ID. The Message-ID is fixed now, under `domain` (the sender's), so a retry is the
/// same message.
pub async fn enqueue(
    c: &mut Conn<'_>,
    mail: &Outgoing,
    domain: &str,
    now: DateTime<Utc>,
) -> Result<(Uuid, String), sqlx::Error> {
    let id = Uuid::now_v7();
    let message_id = format!("<{}@{}>", id.simple(), domain);
    let html = html_part(&mail.text, mail.action.as_ref());
    outbox::insert(
        c,
        &outbox::NewMail {
            id,
            purpose: mail.purpose,
            to_address: &mail.to_address,
            to_name: mail.to_name.as_deref(),
            subject: &mail.subject,
            text_body: &mail.text,
            html_body: Some(&html),
            message_id: &message_id,
            in_reply_to: mail.in_reply_to.as_deref(),
            references: mail.references.as_deref(),
            automatic: mail.automatic,
            unsubscribe: mail.unsubscribe.as_deref(),
            reply_to: mail.reply_to.as_deref(),
        },
        now,
    )
    .await?;
    Ok((id, message_id))
}

/// The HTML part of a mail: its text, escaped, one paragraph per blank-line-separated block,
/// with the action (label, address) as a link styled as a button.
pub fn html_part(text: &str, action: Option<&(String, String)>) -> String {
    let mut html = String::from(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1f2328\">",
    );
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        html.push_str("<p>");
        html.push_str(&escape(block.trim()).replace('\n', "<br>"));
        html.push_str("</p>");
    }
    if let Some((label, href)) = action {
        html.push_str(&format!(
            "<p><a href=\"{}\" style=\"display:inline-block;padding:10px 16px;background:#0b57d0;color:#fff;border-radius:6px;text-decoration:none\">{}</a></p>",
            escape(href),
            escape(label)
        ));
    }
    html.push_str("</body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_part_escapes_the_text_and_the_link() {
        let action = (
            "Open <portal>".to_string(),
            "https://crm.example/a?x=1&y=\"2\"".to_string(),
        );
        let html = html_part("Hello <b>Ada</b>,\nwelcome.\n\nBye & thanks", Some(&action));
        assert!(html.contains("<p>Hello &lt;b&gt;Ada&lt;/b&gt;,<br>welcome.</p>"));
        assert!(html.contains("<p>Bye &amp; thanks</p>"));
        assert!(html.contains("href=\"https://crm.example/a?x=1&amp;y=&quot;2&quot;\""));
        assert!(html.contains(">Open &lt;portal&gt;</a>"));
        assert!(!html.contains("<b>"));
    }
}
