//! What each mail the CRM sends says. Plain words, the business's name, the one link the
//! mail is for; the HTML part is made from the text ([`super::html_part`]).

use super::Outgoing;
use crate::domain::ticket::Ticket;
use chrono::Duration;

/// "72 hours", "1 hour".
fn lasting(d: Duration) -> String {
    match d.num_hours() {
        1 => "1 hour".into(),
        h if h > 0 => format!("{h} hours"),
        _ => format!("{} minutes", d.num_minutes()),
    }
}

fn greeting(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        "Hello,".into()
    } else {
        format!("Hello {name},")
    }
}

/// Why a set-password link is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordLink {
    /// A new staff user chooses their first password.
    NewUser,
    /// An admin sent a reset link.
    Reset,
    /// The person asked for one ("forgot password").
    Forgot,
}

/// Who a link letter goes to, and the link.
pub struct LinkTo<'a> {
    pub business: &'a str,
    pub name: &'a str,
    pub to: &'a str,
    pub url: &'a str,
    pub why: PasswordLink,
    pub valid: Duration,
}

/// A letter around one link: greeting, why it came, the link, how long it works, what to do
/// when it was not expected.
fn link_letter(
    l: &LinkTo<'_>,
    purpose: &'static str,
    subject: String,
    opening: String,
    button: &str,
) -> Outgoing {
    let ignore = if l.why == PasswordLink::Forgot {
        "If you did not ask for it, ignore this mail: your password stays as it is."
    } else {
        "If you were not expecting it, you can ignore this mail."
    };
    Outgoing {
        purpose,
        to_address: l.to.into(),
        to_name: Some(l.name.to_string()).filter(|n| !n.trim().is_empty()),
        subject,
        text: format!(
            "{}\n\n{opening}\n\n{}\n\nThe link works once and for {}. {ignore}\n\n{}",
            greeting(l.name),
            l.url,
            lasting(l.valid),
            l.business
        ),
        action: Some((button.into(), l.url.into())),
        automatic: l.why == PasswordLink::Forgot,
        ..Default::default()
    }
}

/// A staff user's link to choose a password.
pub fn staff_password(l: &LinkTo<'_>) -> Outgoing {
    let business = l.business;
    let (subject, opening) = match l.why {
        PasswordLink::NewUser => (
            format!("Your {business} account"),
            format!(
                "An account has been made for you in {business}. Choose your password to sign in."
            ),
        ),
        PasswordLink::Reset => (
            format!("Choose a new password for {business}"),
            "An administrator has sent you a link to choose a new password. Your other sign-ins end when you use it.".to_string(),
        ),
        PasswordLink::Forgot => (
            format!("Reset your {business} password"),
            "Someone, hopefully you, asked to reset the password of your account. Your other sign-ins end when you use the link.".to_string(),
        ),
    };
    link_letter(l, "set_password", subject, opening, "Choose a password")
}

/// A contact's invitation to the portal, or a link to choose a new portal password.
pub fn portal_invite(l: &LinkTo<'_>) -> Outgoing {
    let business = l.business;
    let (subject, opening, button) = match l.why {
        PasswordLink::NewUser => (
            format!("Your invitation to the {business} customer portal"),
            format!(
                "{business} has invited you to its customer portal, where you can open support tickets, follow them and answer them."
            ),
            "Accept the invitation",
        ),
        PasswordLink::Reset => (
            format!("Choose a new password for the {business} customer portal"),
            format!(
                "{business} has sent you a link to choose a new password for its customer portal. Your other portal sign-ins end when you use it."
            ),
            "Choose a password",
        ),
        PasswordLink::Forgot => (
            format!("Reset your {business} customer portal password"),
            "Someone, hopefully you, asked to reset your customer portal password. Your other portal sign-ins end when you use the link.".to_string(),
            "Choose a password",
        ),
    };
    let purpose = if l.why == PasswordLink::NewUser {
        "portal_invite"
    } else {
        "portal_reset"
    };
    link_letter(l, purpose, subject, opening, button)
}

/// The subject every mail of a ticket carries: the tag `[#1234]` finds the ticket again when
/// a reply has lost its headers.
pub fn ticket_subject(t: &Ticket) -> String {
    format!("[#{}] {}", t.number, t.subject)
}

/// The Message-ID a ticket's thread hangs from: every mail of the ticket names it in
/// `References`, so mail clients keep the thread together and a reply finds its ticket.
pub fn ticket_root(t: &Ticket, domain: &str) -> String {
    format!("<ticket-{}@{domain}>", t.id.simple())
}

/// Where a customer follows a ticket, when they use the portal.
fn follow_line(portal_link: Option<&str>) -> String {
    match portal_link {
        Some(link) => format!("\n\nYou can also follow it in the portal: {link}"),
        None => String::new(),
    }
}

/// What the customer is sent when they open a ticket (by portal or by mail).
pub fn ticket_received(
    business: &str,
    t: &Ticket,
    to: &str,
    name: &str,
    portal_link: Option<&str>,
) -> Outgoing {
    Outgoing {
        purpose: "ticket_received",
        to_address: to.into(),
        to_name: Some(name.to_string()).filter(|n| !n.trim().is_empty()),
        subject: ticket_subject(t),
        text: format!(
            "{}\n\nWe have your request and it is ticket #{}: \"{}\". We will answer as soon as we can; reply to this mail to add to it.{}\n\n{business}",
            greeting(name),
            t.number,
            t.subject,
            follow_line(portal_link)
        ),
        automatic: true,
        ..Default::default()
    }
}

/// A public reply of support staff, sent to the ticket's contact.
pub fn ticket_reply(
    business: &str,
    t: &Ticket,
    to: &str,
    name: &str,
    body: &str,
    author: &str,
    portal_link: Option<&str>,
) -> Outgoing {
    Outgoing {
        purpose: "ticket_reply",
        to_address: to.into(),
        to_name: Some(name.to_string()).filter(|n| !n.trim().is_empty()),
        subject: format!("Re: {}", ticket_subject(t)),
        text: format!(
            "{}\n\n— {author}, {business}\n\nReply to this mail to answer; your answer goes to ticket #{}.{}",
            body.trim(),
            t.number,
            follow_line(portal_link)
        ),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forgot_password_mail_says_how_long_and_is_marked_automatic() {
        let m = staff_password(&LinkTo {
            business: "Acme",
            name: "Ada",
            to: "ada@example.com",
            url: "https://crm.example/set-password?token=pw_x",
            why: PasswordLink::Forgot,
            valid: Duration::hours(1),
        });
        assert!(m.automatic);
        assert!(m.text.contains("for 1 hour."), "{}", m.text);
        assert!(
            m.text
                .contains("https://crm.example/set-password?token=pw_x")
        );
        assert!(m.text.starts_with("Hello Ada,"));
        let invite = portal_invite(&LinkTo {
            business: "Acme",
            name: "",
            to: "k@example.com",
            url: "u",
            why: PasswordLink::NewUser,
            valid: Duration::hours(72),
        });
        assert!(!invite.automatic);
        assert_eq!(invite.purpose, "portal_invite");
        assert!(invite.text.starts_with("Hello,"));
        assert!(invite.text.contains("for 72 hours."));
    }
}
