//! The built-in wording of every message: plain text and HTML, each with the link, what it is
//! for, how long it works and what to do if it was not you. Pure string work, so library users
//! get it too; [`TemplatedMessages`] replaces parts of it with an operator's files, and another
//! [`MailComposer`] can replace it whole.

mod templates;

pub use templates::{MessageKind, Part, TemplateError, TemplatedMessages, template_file_name};

use crate::model::{EmailPolicy, LinkPurpose, LinkToken};
use crate::ports::{Composed, MailComposer, Message};
use chrono::Duration;

/// The standard messages, with links under `public_url` and the lifetimes of a policy.
#[derive(Debug, Clone)]
pub struct StandardMessages {
    public_url: String,
    policy: EmailPolicy,
}

impl StandardMessages {
    /// Messages whose links start with `public_url` (no trailing slash needed) and say how
    /// long they work by `policy`.
    pub fn new(public_url: &str, policy: &EmailPolicy) -> Self {
        Self { public_url: public_url.trim_end_matches('/').to_owned(), policy: *policy }
    }

    /// The link of a `purpose` that carries `token`.
    pub fn link(&self, purpose: LinkPurpose, token: &LinkToken) -> String {
        format!("{}{}?token={}", self.public_url, purpose.page(), token.expose())
    }
}

/// What a message fills in: its link, how long the link works, the address asked for.
#[derive(Default)]
struct Values {
    link: Option<String>,
    lifetime: Option<String>,
    new_email: Option<String>,
}

impl std::fmt::Debug for Values {
    /// The link carries a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Values").field("lifetime", &self.lifetime).field("new_email", &self.new_email).finish_non_exhaustive()
    }
}

impl StandardMessages {
    /// What `message` fills in.
    fn values(&self, message: &Message<'_>) -> Values {
        let linked = |purpose, token, ttl| Values { link: Some(self.link(purpose, token)), lifetime: Some(lasting(ttl)), new_email: None };
        match *message {
            Message::Verify { token } => linked(LinkPurpose::Verify, token, self.policy.verify_ttl),
            Message::Reset { token } => linked(LinkPurpose::Reset, token, self.policy.reset_ttl),
            Message::Invite { token } => linked(LinkPurpose::Reset, token, self.policy.invite_ttl),
            Message::ConfirmEmailChange { token } => linked(LinkPurpose::EmailChange, token, self.policy.email_change_ttl),
            Message::EmailChangeNotice { new_email } => Values { new_email: Some(new_email.to_string()), ..Values::default() },
            Message::AlreadyRegistered
            | Message::MfaEnabled
            | Message::MfaDisabled
            | Message::MfaReset
            | Message::RecoveryCodeUsed
            | Message::RecoveryCodesRegenerated
            | Message::TokenCreated => Values::default(),
        }
    }
}

/// The words of one message, before they become text and HTML.
struct Wording {
    /// The subject.
    subject: &'static str,
    /// What happened and what the link does.
    lead: String,
    /// The link, if the message has one, and its button's label.
    link: Option<(String, &'static str)>,
    /// What to do if it was not you.
    not_you: &'static str,
}

impl std::fmt::Debug for Wording {
    /// The link carries a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wording").field("subject", &self.subject).finish_non_exhaustive()
    }
}

impl StandardMessages {
    /// The wording of `message`.
    fn wording(&self, message: &Message<'_>) -> Wording {
        let Values { link, lifetime, new_email } = self.values(message);
        let lifetime = lifetime.unwrap_or_default();
        match message.kind() {
            MessageKind::Verify => Wording {
                subject: "Verify your email address",
                lead: format!("Please confirm that this address is yours. The link works for {lifetime}."),
                link: link.map(|l| (l, "Verify this address")),
                not_you: "If you did not create an account, ignore this message: nothing happens without the link.",
            },
            MessageKind::Reset => Wording {
                subject: "Reset your password",
                lead: format!("Someone asked to reset the password of the account with this address. The link works once, for {lifetime}."),
                link: link.map(|l| (l, "Choose a new password")),
                not_you: "If it was not you, ignore this message: your password stays as it is.",
            },
            MessageKind::Invite => Wording {
                subject: "You are invited: set your password",
                lead: format!(
                    "An administrator created an account for this address. Choose its password to start. The link works for {lifetime}."
                ),
                link: link.map(|l| (l, "Set your password")),
                not_you: "If you did not expect this, ignore this message: the account stays unusable without the link.",
            },
            MessageKind::ConfirmEmailChange => Wording {
                subject: "Confirm your new email address",
                lead: format!(
                    "Someone asked to move an account to this address. Confirm it to make the change. The link works for {lifetime}."
                ),
                link: link.map(|l| (l, "Confirm this address")),
                not_you: "If it was not you, ignore this message: nothing changes without the link.",
            },
            MessageKind::EmailChangeNotice => Wording {
                subject: "Your account's email address is about to change",
                lead: format!(
                    "Someone signed in to your account asked to change its address to {}. It changes once that address confirms.",
                    new_email.unwrap_or_default()
                ),
                link: None,
                not_you: "If it was not you, sign in, change your password and sign out every session: the change does not happen until the new address confirms.",
            },
            MessageKind::AlreadyRegistered => Wording {
                subject: "Someone tried to register with your address",
                lead: "Someone tried to create an account with this address, which already has one. No new account was made.".to_owned(),
                link: None,
                not_you: "If it was you, sign in, or reset your password from the sign-in page. If not, you need do nothing.",
            },
            MessageKind::MfaEnabled => notice(
                "Two-step sign-in is on",
                "Two-step sign-in was turned on for your account: signing in now also asks for a code from your authenticator app. Every other session was signed out.",
            ),
            MessageKind::MfaDisabled => notice(
                "Two-step sign-in is off",
                "Two-step sign-in was turned off for your account: its authenticator secret and recovery codes were deleted, and a password alone signs in again.",
            ),
            MessageKind::MfaReset => notice(
                "An administrator removed your second factors",
                "An administrator removed every second factor of your account (authenticator app, recovery codes and passkeys) and signed out every session. Sign in with your password and turn two-step sign-in on again.",
            ),
            MessageKind::RecoveryCodeUsed => notice(
                "A recovery code of your account was used",
                "One of your account's recovery codes was just used. Each works once; make new ones when few are left.",
            ),
            MessageKind::RecoveryCodesRegenerated => {
                notice("New recovery codes for your account", "New recovery codes were made for your account; the old ones no longer work.")
            }
            MessageKind::TokenCreated => notice(
                "A personal access token was created for your account",
                "A personal access token was just created for your account: whoever holds it can use the account within its scopes until it expires or is revoked. You can see and revoke your tokens while signed in.",
            ),
        }
    }
}

impl MailComposer for StandardMessages {
    fn compose(&self, message: &Message<'_>) -> Composed {
        let w = self.wording(message);
        let mut text = format!("{}\n\n", w.lead);
        let mut html = format!(
            "<!doctype html><html><body style=\"font-family:sans-serif\"><h1 style=\"font-size:1.2em\">{}</h1><p>{}</p>",
            escape_html(w.subject),
            escape_html(&w.lead)
        );
        if let Some((link, label)) = &w.link {
            text.push_str(&format!("{label}: {link}\n\n"));
            html.push_str(&format!(
                "<p><a href=\"{0}\">{1}</a></p><p>Or open this address: {0}</p>",
                escape_html(link),
                escape_html(label)
            ));
        }
        text.push_str(w.not_you);
        text.push('\n');
        html.push_str(&format!("<p>{}</p></body></html>", escape_html(w.not_you)));
        Composed { subject: w.subject.to_owned(), text, html }
    }
}

/// The wording of a security notice: no link, and the same advice when it was not you.
fn notice(subject: &'static str, lead: &str) -> Wording {
    Wording {
        subject,
        lead: lead.to_owned(),
        link: None,
        not_you: "If it was not you, reset your password now and sign out every session, then check your account's security events.",
    }
}

/// A lifetime in words: whole days, else whole hours, else minutes ("24 hours", "7 days").
fn lasting(ttl: Duration) -> String {
    let plural = |n: i64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    let (days, hours) = (ttl.num_days(), ttl.num_hours());
    if days >= 2 && ttl == Duration::days(days) {
        plural(days, "day")
    } else if hours >= 1 && ttl == Duration::hours(hours) {
        plural(hours, "hour")
    } else {
        plural(ttl.num_minutes().max(1), "minute")
    }
}

/// `s` with the five characters HTML gives meaning to escaped.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Email;

    #[test]
    fn a_message_carries_its_link_in_both_parts_and_escapes_what_it_quotes() {
        let messages = StandardMessages::new("https://id.example.com/", &EmailPolicy::DEFAULT);
        let token = LinkToken::new("gatehouse_lt_abc".to_owned());
        let reset = messages.compose(&Message::Reset { token: &token });
        let link = "https://id.example.com/account/reset?token=gatehouse_lt_abc";
        assert_eq!(reset.subject, "Reset your password");
        assert!(reset.text.contains(link) && reset.html.contains(link));
        assert!(reset.text.contains("If it was not you") && reset.text.contains("works once, for 1 hour."));
        let verify = messages.compose(&Message::Verify { token: &token });
        assert!(verify.text.contains("works for 24 hours."), "{}", verify.text);
        let short = EmailPolicy { reset_ttl: Duration::minutes(15), invite_ttl: Duration::days(7), ..EmailPolicy::DEFAULT };
        let messages = StandardMessages::new("https://id.example.com", &short);
        assert!(messages.compose(&Message::Reset { token: &token }).text.contains("for 15 minutes."));
        assert!(messages.compose(&Message::Invite { token: &token }).html.contains("works for 7 days."));
        let odd = Email::parse("a&b@x.io").unwrap();
        let notice = messages.compose(&Message::EmailChangeNotice { new_email: &odd });
        assert!(notice.html.contains("a&amp;b@x.io") && !notice.html.contains("a&b@x.io"));
        assert!(!notice.text.contains("token="));
    }
}
