//! Messages in an operator's own words: template files that replace parts of the standard
//! messages. A file is named `{message}.{part}` (`reset.subject.txt`, `reset.txt`,
//! `reset.html`, …); a part without a file keeps the standard wording. Placeholders are
//! `{{link}}`, `{{lifetime}}` and `{{new_email}}`, each only where the message has it; the HTML
//! part gets them escaped. Every file is checked when the templates are built, so a typo stops
//! the start instead of sending a message without its link.

use super::{StandardMessages, Values, escape_html};
use crate::ports::{Composed, MailComposer, Message};
use std::collections::BTreeMap;

/// Which message a template is for; [`MessageKind::name`] starts its file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MessageKind {
    /// [`Message::Verify`].
    Verify,
    /// [`Message::Reset`].
    Reset,
    /// [`Message::Invite`].
    Invite,
    /// [`Message::ConfirmEmailChange`].
    ConfirmEmailChange,
    /// [`Message::EmailChangeNotice`].
    EmailChangeNotice,
    /// [`Message::AlreadyRegistered`].
    AlreadyRegistered,
    /// [`Message::MfaEnabled`].
    MfaEnabled,
    /// [`Message::MfaDisabled`].
    MfaDisabled,
    /// [`Message::MfaReset`].
    MfaReset,
    /// [`Message::RecoveryCodeUsed`].
    RecoveryCodeUsed,
    /// [`Message::RecoveryCodesRegenerated`].
    RecoveryCodesRegenerated,
    /// [`Message::TokenCreated`].
    TokenCreated,
}

impl MessageKind {
    /// Every kind.
    pub const ALL: [Self; 12] = [
        Self::Verify,
        Self::Reset,
        Self::Invite,
        Self::ConfirmEmailChange,
        Self::EmailChangeNotice,
        Self::AlreadyRegistered,
        Self::MfaEnabled,
        Self::MfaDisabled,
        Self::MfaReset,
        Self::RecoveryCodeUsed,
        Self::RecoveryCodesRegenerated,
        Self::TokenCreated,
    ];

    /// The start of its template files' names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reset => "reset",
            Self::Invite => "invite",
            Self::ConfirmEmailChange => "email-change",
            Self::EmailChangeNotice => "email-change-notice",
            Self::AlreadyRegistered => "already-registered",
            Self::MfaEnabled => "mfa-enabled",
            Self::MfaDisabled => "mfa-disabled",
            Self::MfaReset => "mfa-reset",
            Self::RecoveryCodeUsed => "recovery-code-used",
            Self::RecoveryCodesRegenerated => "recovery-codes-regenerated",
            Self::TokenCreated => "token-created",
        }
    }

    /// The placeholders its messages fill.
    fn placeholders(self) -> &'static [Placeholder] {
        match self {
            Self::Verify | Self::Reset | Self::Invite | Self::ConfirmEmailChange => &[Placeholder::Link, Placeholder::Lifetime],
            Self::EmailChangeNotice => &[Placeholder::NewEmail],
            Self::AlreadyRegistered
            | Self::MfaEnabled
            | Self::MfaDisabled
            | Self::MfaReset
            | Self::RecoveryCodeUsed
            | Self::RecoveryCodesRegenerated
            | Self::TokenCreated => &[],
        }
    }
}

impl Message<'_> {
    /// Its kind.
    pub fn kind(&self) -> MessageKind {
        match self {
            Self::Verify { .. } => MessageKind::Verify,
            Self::Reset { .. } => MessageKind::Reset,
            Self::Invite { .. } => MessageKind::Invite,
            Self::ConfirmEmailChange { .. } => MessageKind::ConfirmEmailChange,
            Self::EmailChangeNotice { .. } => MessageKind::EmailChangeNotice,
            Self::AlreadyRegistered => MessageKind::AlreadyRegistered,
            Self::MfaEnabled => MessageKind::MfaEnabled,
            Self::MfaDisabled => MessageKind::MfaDisabled,
            Self::MfaReset => MessageKind::MfaReset,
            Self::RecoveryCodeUsed => MessageKind::RecoveryCodeUsed,
            Self::RecoveryCodesRegenerated => MessageKind::RecoveryCodesRegenerated,
            Self::TokenCreated => MessageKind::TokenCreated,
        }
    }
}

/// A part of a message; [`Part::suffix`] ends its template file's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// The subject line.
    Subject,
    /// The plain-text part.
    Text,
    /// The HTML part.
    Html,
}

impl Part {
    /// Every part.
    pub const ALL: [Self; 3] = [Self::Subject, Self::Text, Self::Html];

    /// The end of its template file's name.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Subject => "subject.txt",
            Self::Text => "txt",
            Self::Html => "html",
        }
    }
}

/// The file name of the template for `part` of `kind`.
pub fn template_file_name(kind: MessageKind, part: Part) -> String {
    format!("{}.{}", kind.name(), part.suffix())
}

/// What a template may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholder {
    Link,
    Lifetime,
    NewEmail,
}

impl Placeholder {
    const ALL: [Self; 3] = [Self::Link, Self::Lifetime, Self::NewEmail];

    fn name(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Lifetime => "lifetime",
            Self::NewEmail => "new_email",
        }
    }
}

/// Why the template files cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A file whose name is no template's.
    #[error("{file}: not a template's name (expected {{message}}.subject.txt, .txt or .html, with message one of {messages})")]
    UnknownFile {
        /// The file.
        file: String,
        /// The message names.
        messages: String,
    },
    /// A placeholder its message does not fill.
    #[error("{file}: {{{{{name}}}}} is not a placeholder of this message (it has: {known})")]
    UnknownPlaceholder {
        /// The file.
        file: String,
        /// The placeholder's name.
        name: String,
        /// The ones it has.
        known: String,
    },
    /// `{{` without its `}}`.
    #[error("{file}: a {{{{ without its }}}}")]
    Unclosed {
        /// The file.
        file: String,
    },
    /// The text or HTML part of a message with a link, without the link.
    #[error("{file}: has no {{{{link}}}}, and the message is of no use without it")]
    MissingLink {
        /// The file.
        file: String,
    },
    /// A subject of more than one line (it becomes a mail header).
    #[error("{file}: a subject is one line")]
    MultilineSubject {
        /// The file.
        file: String,
    },
}

#[derive(Debug, Clone)]
enum Piece {
    Literal(String),
    Value(Placeholder),
}

/// One parsed template file.
#[derive(Debug, Clone)]
struct Template(Vec<Piece>);

impl Template {
    fn parse(file: &str, kind: MessageKind, part: Part, source: &str) -> Result<Self, TemplateError> {
        let source = if part == Part::Subject { source.trim_end_matches(['\r', '\n']) } else { source };
        if part == Part::Subject && source.contains(['\r', '\n']) {
            return Err(TemplateError::MultilineSubject { file: file.to_owned() });
        }
        let known = kind.placeholders();
        let mut pieces = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Literal(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close = after.find("}}").ok_or_else(|| TemplateError::Unclosed { file: file.to_owned() })?;
            let name = after[..close].trim();
            let placeholder = Placeholder::ALL.into_iter().find(|p| p.name() == name && known.contains(p)).ok_or_else(|| {
                TemplateError::UnknownPlaceholder {
                    file: file.to_owned(),
                    name: name.to_owned(),
                    known: if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.iter().map(|p| format!("{{{{{}}}}}", p.name())).collect::<Vec<_>>().join(", ")
                    },
                }
            })?;
            pieces.push(Piece::Value(placeholder));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Literal(rest.to_owned()));
        }
        let has_link = pieces.iter().any(|p| matches!(p, Piece::Value(Placeholder::Link)));
        if part != Part::Subject && known.contains(&Placeholder::Link) && !has_link {
            return Err(TemplateError::MissingLink { file: file.to_owned() });
        }
        Ok(Self(pieces))
    }

    fn render(&self, values: &Values, html: bool) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Value(placeholder) => {
                    let value = match placeholder {
                        Placeholder::Link => values.link.as_deref(),
                        Placeholder::Lifetime => values.lifetime.as_deref(),
                        Placeholder::NewEmail => values.new_email.as_deref(),
                    }
                    .unwrap_or_default();
                    if html {
                        out.push_str(&escape_html(value));
                    } else {
                        out.push_str(value);
                    }
                }
            }
        }
        out
    }
}

/// The standard messages with some parts replaced by templates.
#[derive(Debug, Clone)]
pub struct TemplatedMessages {
    standard: StandardMessages,
    templates: BTreeMap<(MessageKind, Part), Template>,
}

impl TemplatedMessages {
    /// `standard` with the parts that `files` (name and content, as read from the folder)
    /// replace.
    ///
    /// # Errors
    /// A [`TemplateError`] for the first file that is no template or does not parse.
    pub fn new(standard: StandardMessages, files: impl IntoIterator<Item = (String, String)>) -> Result<Self, TemplateError> {
        let mut templates = BTreeMap::new();
        for (file, source) in files {
            let (kind, part) = MessageKind::ALL
                .into_iter()
                .flat_map(|kind| Part::ALL.map(|part| (kind, part)))
                .find(|&(kind, part)| template_file_name(kind, part) == file)
                .ok_or_else(|| TemplateError::UnknownFile {
                    file: file.clone(),
                    messages: MessageKind::ALL.map(MessageKind::name).join(", "),
                })?;
            templates.insert((kind, part), Template::parse(&file, kind, part, &source)?);
        }
        Ok(Self { standard, templates })
    }

    /// How many parts templates replace.
    pub fn replaced(&self) -> usize {
        self.templates.len()
    }
}

impl MailComposer for TemplatedMessages {
    fn compose(&self, message: &Message<'_>) -> Composed {
        let mut composed = self.standard.compose(message);
        let kind = message.kind();
        let values = self.standard.values(message);
        for (part, slot) in [(Part::Subject, &mut composed.subject), (Part::Text, &mut composed.text), (Part::Html, &mut composed.html)] {
            if let Some(template) = self.templates.get(&(kind, part)) {
                *slot = template.render(&values, part == Part::Html);
            }
        }
        composed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Email, EmailPolicy, LinkToken};

    fn standard() -> StandardMessages {
        StandardMessages::new("https://id.example.com", &EmailPolicy::DEFAULT)
    }

    fn files(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, s)| ((*n).to_owned(), (*s).to_owned())).collect()
    }

    #[test]
    fn a_template_replaces_its_part_and_the_others_keep_the_standard_wording() {
        let messages = TemplatedMessages::new(
            standard(),
            files(&[
                ("reset.subject.txt", "Acme: new password\n"),
                ("reset.txt", "Hello,\nopen {{ link }} within {{lifetime}}.\n"),
                ("email-change-notice.html", "<p>Changing to {{new_email}}</p>"),
            ]),
        )
        .unwrap();
        assert_eq!(messages.replaced(), 3);
        let token = LinkToken::new("gatehouse_lt_abc".to_owned());
        let reset = messages.compose(&Message::Reset { token: &token });
        assert_eq!(reset.subject, "Acme: new password");
        assert_eq!(reset.text, "Hello,\nopen https://id.example.com/account/reset?token=gatehouse_lt_abc within 1 hour.\n");
        assert_eq!(reset.html, standard().compose(&Message::Reset { token: &token }).html, "no reset.html: the standard part");
        let verify = messages.compose(&Message::Verify { token: &token });
        assert_eq!(verify, standard().compose(&Message::Verify { token: &token }), "no verify templates");
        let odd = Email::parse("a&b@x.io").unwrap();
        assert_eq!(messages.compose(&Message::EmailChangeNotice { new_email: &odd }).html, "<p>Changing to a&amp;b@x.io</p>");
    }

    #[test]
    fn a_file_that_cannot_be_used_stops_the_start_with_its_name() {
        let cases = [
            (("rest.txt", "{{link}}"), "rest.txt: not a template's name"),
            (("reset.txt", "no link here"), "reset.txt: has no {{link}}"),
            (("invite.html", "<a href='x'>{{lifetime}}</a>"), "invite.html: has no {{link}}"),
            (
                ("reset.txt", "{{link}} {{new_email}}"),
                "reset.txt: {{new_email}} is not a placeholder of this message (it has: {{link}}, {{lifetime}})",
            ),
            (("already-registered.txt", "{{link}}"), "it has: none"),
            (("verify.txt", "{{link}} {{lifetime"), "verify.txt: a {{ without its }}"),
            (("verify.subject.txt", "Verify\nBcc: x@y.z"), "verify.subject.txt: a subject is one line"),
        ];
        for ((name, source), expected) in cases {
            let error = TemplatedMessages::new(standard(), files(&[(name, source)])).unwrap_err().to_string();
            assert!(error.contains(expected), "{name}: {error}");
        }
        // A subject needs no link.
        assert!(TemplatedMessages::new(standard(), files(&[("verify.subject.txt", "Verify")])).is_ok());
    }
}
