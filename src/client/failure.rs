//! Why an operation did not succeed, in the terms a moderator acts on: the service could not be
//! reached, the credentials are wrong, the service is refusing calls for the rate, the account
//! does not exist, the request was refused, or something on this machine (a journal, a file)
//! failed. Errors keep this kind from the client up to the dashboard's model and the CLI's exit
//! code, so that every view can say what happened and what to do about it.

use std::fmt;

use super::http::CallError;
use crate::tim::codes::Class;

/// What kind of thing went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// No usable answer: connection refused or cut, timeout, a gateway error, an unreadable answer.
    Unreachable,
    /// The key, SDKAppID, identifier or admin rights are wrong, or the app is locked out.
    Auth,
    /// The service refused calls for the rate.
    RateLimited,
    /// An account the request names does not exist in the app.
    NotFound,
    /// The service refused the request for another reason no retry fixes.
    Refused,
    /// Something on this machine: the journal, a file.
    Local,
}

impl FailureKind {
    /// What happened, in a few words.
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Unreachable => "could not reach the service",
            FailureKind::Auth => "authentication failed",
            FailureKind::RateLimited => "rate limited by the service",
            FailureKind::NotFound => "no such account",
            FailureKind::Refused => "refused by the service",
            FailureKind::Local => "failed on this machine",
        }
    }

    /// What to do about it.
    pub fn remedy(self) -> &'static str {
        match self {
            FailureKind::Unreachable => {
                "check the network and the profile's base URL or region, then try again"
            }
            FailureKind::Auth => {
                "check the profile's secret key, SDKAppID and admin identifier (`blockdeck config show`)"
            }
            FailureKind::RateLimited => {
                "wait a moment and try again; lower the profile's rate_limit if it persists"
            }
            FailureKind::NotFound => "check the UserID",
            FailureKind::Refused => "the code's meaning above says what to change",
            FailureKind::Local => "fix the file or choose another path",
        }
    }

    /// Whether trying the same thing again later can succeed without changing anything.
    pub fn is_transient(self) -> bool {
        matches!(self, FailureKind::Unreachable | FailureKind::RateLimited)
    }
}

/// Why something failed: its kind, the service's code when there is one, and the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub code: Option<i64>,
    /// Untrusted where it quotes the service: sanitize before showing.
    pub text: String,
}

impl Failure {
    pub fn new(kind: FailureKind, text: impl Into<String>) -> Failure {
        Failure {
            kind,
            code: None,
            text: text.into(),
        }
    }

    /// A failure on this machine (a journal that cannot be written, a file that cannot be read).
    pub fn local(text: impl Into<String>) -> Failure {
        Failure::new(FailureKind::Local, text)
    }
}

impl From<&CallError> for Failure {
    fn from(e: &CallError) -> Failure {
        let kind = match e {
            CallError::Transport { .. } | CallError::Decode(_) | CallError::Http { .. } => {
                match e.class() {
                    Class::RateLimited => FailureKind::RateLimited,
                    Class::Permanent => FailureKind::Refused,
                    _ => FailureKind::Unreachable,
                }
            }
            CallError::Api { code, .. } => match e.class() {
                c if c.stops_batch() => FailureKind::Auth,
                Class::RateLimited => FailureKind::RateLimited,
                Class::Retryable => FailureKind::Unreachable,
                _ if matches!(code, 30003 | 70107) => FailureKind::NotFound,
                _ => FailureKind::Refused,
            },
        };
        Failure {
            kind,
            code: Some(e.code()),
            text: e.to_string(),
        }
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Failure {
        Failure::from(&e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: i64) -> CallError {
        CallError::Api {
            code,
            info: String::new(),
        }
    }

    #[test]
    fn call_errors_keep_their_kind() {
        let transport = CallError::Transport {
            timeout: true,
            detail: "timed out".into(),
        };
        assert_eq!(Failure::from(&transport).kind, FailureKind::Unreachable);
        assert_eq!(
            Failure::from(&CallError::Http { status: 502 }).kind,
            FailureKind::Unreachable
        );
        assert_eq!(
            Failure::from(&CallError::Http { status: 429 }).kind,
            FailureKind::RateLimited
        );
        assert_eq!(
            Failure::from(&CallError::Http { status: 404 }).kind,
            FailureKind::Refused
        );
        assert_eq!(
            Failure::from(&CallError::Decode("x".into())).kind,
            FailureKind::Unreachable
        );
        for code in [70009, 70050, 70001, 60006, 30004] {
            assert_eq!(Failure::from(&api(code)).kind, FailureKind::Auth, "{code}");
        }
        assert_eq!(Failure::from(&api(60007)).kind, FailureKind::RateLimited);
        assert_eq!(Failure::from(&api(30003)).kind, FailureKind::NotFound);
        assert_eq!(Failure::from(&api(70107)).kind, FailureKind::NotFound);
        assert_eq!(Failure::from(&api(30013)).kind, FailureKind::Refused);
        assert_eq!(Failure::from(&api(30006)).kind, FailureKind::Unreachable);
        let f = Failure::from(&api(70009));
        assert_eq!(f.code, Some(70009));
        assert!(f.text.starts_with("error 70009"), "{}", f.text);
    }

    #[test]
    fn every_kind_says_what_and_what_to_do() {
        for kind in [
            FailureKind::Unreachable,
            FailureKind::Auth,
            FailureKind::RateLimited,
            FailureKind::NotFound,
            FailureKind::Refused,
            FailureKind::Local,
        ] {
            assert!(
                !kind.label().is_empty() && kind.remedy().len() > 10,
                "{kind:?}"
            );
        }
        assert!(FailureKind::Unreachable.is_transient());
        assert!(!FailureKind::Auth.is_transient());
    }
}
