//! Mail in: one RFC 5322 message read with a real MIME parser (`mail-parser`: charsets,
//! quoted-printable, base64, HTML-only mail turned into text), and the rules that keep
//! machines from talking to each other through the CRM: auto-replies, bounces and mailing
//! lists are recognised and never open tickets or cause replies.

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};

/// Largest message taken (30 MiB with headroom for its encoding); a larger one is refused
/// with this reason, and the reader goes on.
pub const MAX_BYTES: usize = 40 << 20;
/// MIME parts a message may have; a message with more is refused (a parser bomb).
pub const MAX_PARTS: usize = 1_000;
/// Longest text kept as a ticket's description or comment (the whole message is kept too).
pub const MAX_TEXT: usize = 100_000;

/// A message as the CRM uses it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Incoming {
    /// Its Message-ID with angle brackets; one made from the content when it has none.
    pub message_id: String,
    /// The sender's address, lowercased.
    pub from_address: String,
    pub from_name: Option<String>,
    pub subject: String,
    /// The new text, with the quoted history below it trimmed off.
    pub text: String,
    /// Every Message-ID the message answers (`In-Reply-To`, then `References`).
    pub answers: Vec<String>,
    /// The ticket number in the subject (`[#1234]`), if any.
    pub ticket_number: Option<i64>,
    /// Why no ticket may come of it (an auto-reply, a bounce, a list), if so.
    pub noise: Option<&'static str>,
    /// Attachments, decoded (the stored message keeps them as they came).
    pub attachments: Vec<Attachment>,
    /// The addresses in To and Cc, lowercased, in order, once each.
    pub recipients: Vec<String>,
    /// When it was written (its Date header), if that can be read.
    pub date: Option<chrono::DateTime<chrono::Utc>>,
}

/// An attachment of a received message.
#[derive(Clone, PartialEq)]
pub struct Attachment {
    /// Its file name, on one line, without any folder part.
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}, {} bytes)",
            self.name,
            self.content_type,
            self.data.len()
        )
    }
}

/// Reads a raw message, or says why it cannot be taken.
pub fn parse(raw: &[u8]) -> Result<Incoming, String> {
    if raw.len() > MAX_BYTES {
        return Err(format!(
            "the message is {} MB, more than the {} MB taken",
            raw.len() >> 20,
            MAX_BYTES >> 20
        ));
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or("the message could not be read as mail")?;
    if message.parts.len() > MAX_PARTS {
        return Err(format!(
            "the message has {} MIME parts, more than the {MAX_PARTS} taken",
            message.parts.len()
        ));
    }
    let from = message
        .from()
        .and_then(|a| a.first())
        .ok_or("the message names no sender")?;
    let from_address = from
        .address()
        .map(|a| a.trim().to_lowercase())
        .filter(|a| crate::domain::user::email_problem(a).is_none())
        .ok_or("the sender's address cannot be read")?;
    let from_name = from.name().map(|n| one_line(n)).filter(|n| !n.is_empty());
    let subject = one_line(message.subject().unwrap_or_default());
    let message_id = match message.message_id() {
        Some(id) if !id.trim().is_empty() => format!("<{}>", one_line(id)),
        _ => {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(raw);
            let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            format!("<{hex}@no-message-id.invalid>")
        }
    };
    let mut answers = Vec::new();
    for value in [message.in_reply_to(), message.references()] {
        for id in ids(value) {
            if !answers.contains(&id) {
                answers.push(id);
            }
        }
    }
    let body = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let mut text = trim_quoted(&body.replace("\r\n", "\n"));
    if text.chars().count() > MAX_TEXT {
        text = text.chars().take(MAX_TEXT).collect::<String>() + "\n[…]";
    }
    let attachments = message
        .attachments()
        .map(|a| {
            let name = a
                .attachment_name()
                .map(file_name)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "attachment".into());
            let content_type = a
                .content_type()
                .map(|t| match t.subtype() {
                    Some(sub) => format!("{}/{}", t.ctype(), sub),
                    None => t.ctype().to_string(),
                })
                .map(|t| one_line(&t).to_ascii_lowercase())
                .filter(|t| !t.is_empty() && t.len() <= 100)
                .unwrap_or_else(|| "application/octet-stream".into());
            Attachment {
                name,
                content_type,
                data: a.contents().to_vec(),
            }
        })
        .collect();
    let mut recipients: Vec<String> = Vec::new();
    for list in [message.to(), message.cc()].into_iter().flatten() {
        for a in list.iter() {
            if let Some(addr) = a.address().map(|a| a.trim().to_lowercase())
                && crate::domain::user::email_problem(&addr).is_none()
                && !recipients.contains(&addr)
            {
                recipients.push(addr);
            }
        }
    }
    let date = message
        .date()
        .and_then(|d| chrono::DateTime::parse_from_rfc3339(&d.to_rfc3339()).ok())
        .map(|d| d.with_timezone(&chrono::Utc));
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    let noise = noise(&header, &from_address);
    Ok(Incoming {
        message_id,
        ticket_number: ticket_number(&subject),
        from_address,
        from_name,
        subject,
        text,
        answers,
        noise,
        attachments,
        recipients,
        date,
    })
}

/// A file name a sender chose, made safe to show and to offer for download: one line, no
/// folder part, at most 200 characters.
fn file_name(s: &str) -> String {
    let line = one_line(s);
    let base = line.rsplit(['/', '\\']).next().unwrap_or_default();
    base.trim_matches('.').chars().take(200).collect()
}

/// Why a message is machine mail that must not open a ticket or cause a reply (RFC 3834
/// `Auto-Submitted`, `Precedence`, the common auto-responder headers, an empty
/// `Return-Path`, a mailing list, a mailer daemon).
fn noise(header: &dyn Fn(&str) -> Option<String>, from: &str) -> Option<&'static str> {
    if header("Auto-Submitted").is_some_and(|v| !v.starts_with("no")) {
        return Some("an automatic mail (Auto-Submitted)");
    }
    if header("Precedence")
        .is_some_and(|v| ["bulk", "junk", "list", "auto_reply"].contains(&v.as_str()))
    {
        return Some("bulk or automatic mail (Precedence)");
    }
    if header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("X-Auto-Response-Suppress").is_some_and(|v| v.contains("all"))
    {
        return Some("an auto-reply");
    }
    if header("Return-Path").is_some_and(|v| v == "<>") {
        return Some("a bounce (empty Return-Path)");
    }
    let local = from.split('@').next().unwrap_or_default();
    if ["mailer-daemon", "postmaster", "noreply", "no-reply"].contains(&local) {
        return Some("a bounce or a no-reply sender");
    }
    if header("List-Id").is_some() || header("List-Unsubscribe").is_some() {
        return Some("mailing-list mail");
    }
    None
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    value
        .as_text_list()
        .map(|l| {
            l.iter()
                .map(|id| format!("<{}>", one_line(id)))
                .filter(|id| id.len() > 2)
                .collect()
        })
        .unwrap_or_default()
}

/// A header value on one line, without control characters (no header injection through a
/// value the CRM writes again, as a subject in a reply).
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The number in a `[#1234]` tag of a subject.
pub fn ticket_number(subject: &str) -> Option<i64> {
    let at = subject.find("[#")?;
    let rest = &subject[at + 2..];
    let end = rest.find(']')?;
    rest[..end].trim().parse().ok().filter(|n| *n > 0)
}

/// The new part of a reply: the text above the quoted history (`> ` lines, and the
/// "On … wrote:" / "-----Original Message-----" line that starts it).
pub fn trim_quoted(text: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let starts_history = t.starts_with('>')
            || (t.starts_with("On ") && t.ends_with("wrote:"))
            || t.starts_with("-----Original Message-----")
            || t == "________________________________";
        if starts_history && !kept.iter().all(|l| l.trim().is_empty()) {
            break;
        }
        kept.push(line);
    }
    let kept = kept.join("\n");
    let trimmed = kept.trim();
    if trimmed.is_empty() {
        text.trim().to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(headers: &str, body: &str) -> Vec<u8> {
        format!("From: Kim Lee <Kim@Umbrella.example>\r\nTo: help@acme.example\r\nSubject: Door [#42] stuck\r\nMessage-ID: <m1@umbrella.example>\r\n{headers}\r\n{body}")
            .into_bytes()
    }

    #[test]
    fn a_plain_reply_is_read_with_its_thread_and_without_its_history() {
        let raw = mail(
            "In-Reply-To: <out1@acme.example>\r\nReferences: <ticket-1@acme.example> <out1@acme.example>\r\n",
            "Still stuck.\r\n\r\nOn Mon, 1 Dec 2026, Acme wrote:\r\n> A technician comes tomorrow.\r\n",
        );
        let m = parse(&raw).expect("parsed");
        assert_eq!(m.from_address, "kim@umbrella.example");
        assert_eq!(m.from_name.as_deref(), Some("Kim Lee"));
        assert_eq!(m.message_id, "<m1@umbrella.example>");
        assert_eq!(m.ticket_number, Some(42));
        assert_eq!(m.text, "Still stuck.");
        assert_eq!(
            m.answers,
            vec!["<out1@acme.example>", "<ticket-1@acme.example>"]
        );
        assert_eq!(m.noise, None);
    }

    #[test]
    fn charsets_encodings_and_html_only_mail_become_text() {
        let raw = mail(
            "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n",
            "Gr=FC=DFe aus M=FCnchen\r\n",
        );
        assert_eq!(parse(&raw).unwrap().text, "Grüße aus München");
        let raw = mail(
            "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
            "PHA+SGVsbG8gPGI+d29ybGQ8L2I+PC9wPg==\r\n",
        );
        let text = parse(&raw).unwrap().text;
        assert!(text.contains("Hello") && text.contains("world"), "{text}");
        assert!(!text.contains("<b>"), "{text}");
    }

    #[test]
    fn machines_are_recognised_and_nothing_hostile_gets_through() {
        for h in [
            "Auto-Submitted: auto-replied\r\n",
            "Precedence: bulk\r\n",
            "X-Autoreply: yes\r\n",
            "Return-Path: <>\r\n",
            "List-Id: <announce.example>\r\n",
        ] {
            assert!(
                parse(&mail(h, "Out of office")).unwrap().noise.is_some(),
                "{h}"
            );
        }
        assert_eq!(
            parse(&mail("Auto-Submitted: no\r\n", "hi")).unwrap().noise,
            None
        );
        // An encoded subject that tries to add a header stays one line of text.
        let raw = mail("", "x").to_vec();
        let raw = String::from_utf8(raw).unwrap().replace(
            "Subject: Door [#42] stuck",
            "Subject: =?utf-8?q?Hi=0D=0ABcc:_evil@example.com?=",
        );
        let m = parse(raw.as_bytes()).unwrap();
        assert!(
            !m.subject.contains('\n') && !m.subject.contains('\r'),
            "{:?}",
            m.subject
        );
        assert!(parse(b"no headers at all").is_err());
        let huge = vec![b'a'; MAX_BYTES + 1];
        assert!(parse(&huge).unwrap_err().contains("MB"));
        let mut bomb = String::from(
            "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n",
        );
        for _ in 0..10_000 {
            bomb.push_str("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        }
        bomb.push_str("--b--\r\n");
        assert!(parse(bomb.as_bytes()).unwrap_err().contains("MIME parts"));
    }
}
