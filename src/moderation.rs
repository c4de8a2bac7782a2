//! The moderation team's rules: who makes a change (the moderator's name), why (a reason or a
//! ticket on every batch, required where a profile says so), and which accounts batches leave
//! alone (protected accounts, let through only when named).

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::client::Pair;
use crate::tim::ids::{self, UserId};

/// The longest reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// The longest ticket reference kept, in characters.
pub const MAX_TICKET_CHARS: usize = 100;
/// The longest moderator name, in characters.
pub const MAX_MODERATOR_CHARS: usize = 64;
/// The environment variable that names the moderator (beats the config file's `moderator`).
pub const MODERATOR_ENV: &str = "BLOCKDECK_MODERATOR";

/// Why a batch is made: a reason in words, a ticket reference, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Why {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

impl Why {
    /// A reason and a ticket as typed, each checked by [`check_text`]; blank ones are none.
    pub fn new(reason: Option<&str>, ticket: Option<&str>) -> Result<Why, String> {
        fn given(text: Option<&str>) -> Option<&str> {
            text.filter(|t| !t.trim().is_empty())
        }
        Ok(Why {
            reason: given(reason)
                .map(|t| check_text(t, "the reason", MAX_REASON_CHARS))
                .transpose()?,
            ticket: given(ticket)
                .map(|t| check_text(t, "the ticket", MAX_TICKET_CHARS))
                .transpose()?,
        })
    }

    /// True when a reason or a ticket is given.
    pub fn is_given(&self) -> bool {
        self.reason.is_some() || self.ticket.is_some()
    }

    /// `reason "…", ticket T` for messages (untrusted text: sanitize before showing).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(reason) = &self.reason {
            parts.push(format!("reason \"{reason}\""));
        }
        if let Some(ticket) = &self.ticket {
            parts.push(format!("ticket {ticket}"));
        }
        parts.join(", ")
    }

    /// True when the reason or the ticket holds `needle`, ignoring case.
    pub fn mentions(&self, needle: &str) -> bool {
        let needle = needle.to_lowercase();
        [&self.reason, &self.ticket]
            .into_iter()
            .flatten()
            .any(|t| t.to_lowercase().contains(&needle))
    }
}

/// The team's rules a dashboard applies to its changes (from the profile).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    pub require_reason: bool,
    pub protected: Protected,
    /// The profile that sets them, for messages.
    pub profile: Option<String>,
}

/// What the moderator said with a change: why, and which protected accounts it may touch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Approval {
    pub why: Why,
    /// Protected accounts named to let through.
    pub include_protected: Vec<UserId>,
}

/// A batch the team's rules refuse (no reason where one is required, a protected account not
/// named), carried inside an `io::Error` from the journal's begin.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl Refused {
    pub fn io(message: String) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::PermissionDenied, Refused(message))
    }

    /// True when `e` is such a refusal.
    pub fn is(e: &std::io::Error) -> bool {
        e.get_ref().is_some_and(|inner| inner.is::<Refused>())
    }
}

/// The refusal of a change without a reason where the profile requires one.
pub fn reason_required(profile: Option<&str>) -> String {
    let whose = profile.map_or_else(|| "the settings".to_owned(), |p| format!("profile `{p}`"));
    format!(
        "{whose} requires a reason for every change (require_reason = true): pass --reason TEXT \
         or --ticket ID; nothing was sent"
    )
}

/// Text a moderator typed (a reason, a ticket, a name): trimmed, at most `max` characters, and
/// on one line without control characters, so that it reads the same in the journal, on a
/// terminal and in a CSV export.
pub fn check_text(text: &str, what: &str, max: usize) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if let Some((at, c)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() || crate::display::is_unsafe(*c))
    {
        return Err(format!(
            "{what} holds a control or invisible character (U+{:04X} at character {}): write it \
             on one line in plain text",
            c as u32,
            at + 1
        ));
    }
    let n = text.chars().count();
    if n > max {
        return Err(format!(
            "{what} is {n} characters long; at most {max} are kept: shorten it, or put the \
             details in a ticket and name the ticket"
        ));
    }
    Ok(text.to_owned())
}

/// The moderator's name: `BLOCKDECK_MODERATOR`, else `configured` (the config file's
/// `moderator`), else the OS account the process runs as (from its uid, never from `$USER`).
pub fn moderator(configured: Option<&str>) -> Result<String, String> {
    let from_env = std::env::var(MODERATOR_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty());
    if let Some(name) = from_env {
        return check_text(&name, MODERATOR_ENV, MAX_MODERATOR_CHARS);
    }
    if let Some(name) = configured.filter(|v| !v.trim().is_empty()) {
        return check_text(name, "the config file's moderator", MAX_MODERATOR_CHARS);
    }
    Ok(crate::client::journal::os_account().unwrap_or_else(|| "unknown".to_owned()))
}

/// Accounts that batches leave alone unless the moderator names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protected {
    ids: HashSet<UserId>,
}

impl Protected {
    /// The accounts `listed` in the profile and those in `file` (one UserID per line, `#`
    /// comments), each checked as a UserID. `origin` names the profile in messages.
    pub fn load(listed: &[String], file: Option<&Path>, origin: &str) -> Result<Protected, String> {
        let mut out = HashSet::new();
        for text in listed {
            let id: UserId = text.parse().map_err(|e: ids::IdError| {
                format!(
                    "{origin}: protected account \"{}\" is not a UserID: {}",
                    ids::elide(text),
                    e.problem()
                )
            })?;
            out.insert(id);
        }
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "{origin}: cannot read protected_file {}: {e}",
                    path.display()
                )
            })?;
            let parsed = ids::parse_ids(&text);
            if !parsed.is_clean() {
                return Err(format!(
                    "{origin}: protected_file {}:\n{}",
                    path.display(),
                    parsed.report()
                ));
            }
            out.extend(parsed.into_values());
        }
        Ok(Protected { ids: out })
    }

    /// A set of `ids` (for tests and the demo).
    pub fn of(ids: impl IntoIterator<Item = UserId>) -> Protected {
        Protected {
            ids: ids.into_iter().collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// The protected accounts, sorted.
    pub fn sorted(&self) -> Vec<&UserId> {
        let mut ids: Vec<&UserId> = self.ids.iter().collect();
        ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        ids
    }

    /// Splits `pairs` into what a batch sends and what it holds out: a pair is held when its
    /// From or its To is protected and not among `included` (the accounts named to let through).
    pub fn hold_out(&self, pairs: Vec<Pair>, included: &[UserId]) -> (Vec<Pair>, Vec<Pair>) {
        if self.ids.is_empty() {
            return (pairs, Vec::new());
        }
        let guarded = |id: &UserId| {
            self.ids.contains(id.as_str()) && !included.iter().any(|i| i.as_str() == id.as_str())
        };
        pairs
            .into_iter()
            .partition(|p| !guarded(&p.from) && !guarded(&p.to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> UserId {
        s.parse().unwrap()
    }

    fn pair(from: &str, to: &str) -> Pair {
        Pair::new(id(from), id(to))
    }

    #[test]
    fn reasons_are_one_plain_line_of_bounded_length() {
        let why = Why::new(Some("  spam wave 12/01  "), Some("OPS-4411")).unwrap();
        assert_eq!(why.reason.as_deref(), Some("spam wave 12/01"));
        assert_eq!(
            why.describe(),
            "reason \"spam wave 12/01\", ticket OPS-4411"
        );
        assert!(why.mentions("WAVE") && why.mentions("ops-44") && !why.mentions("raid"));
        assert!(!Why::new(Some("   "), None).unwrap().is_given());
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        assert!(
            Why::new(Some(&long), None)
                .unwrap_err()
                .contains("501 characters")
        );
        let err = Why::new(Some("two\nlines"), None).unwrap_err();
        assert!(err.contains("U+000A at character 4"), "{err}");
        let err = Why::new(None, Some("OPS\u{202e}1")).unwrap_err();
        assert!(err.contains("U+202E"), "{err}");
        assert!(Why::new(Some("封禁 spam 🛡"), None).is_ok());
    }

    #[test]
    fn protected_accounts_are_held_out_unless_named() {
        let p = Protected::of([id("@RBT#support"), id("staff_1")]);
        let pairs = vec![
            pair("alice", "bob"),
            pair("alice", "@RBT#support"),
            pair("staff_1", "spam"),
            pair("carol", "dave"),
        ];
        let (send, held) = p.hold_out(pairs.clone(), &[]);
        assert_eq!(send, vec![pair("alice", "bob"), pair("carol", "dave")]);
        assert_eq!(
            held,
            vec![pair("alice", "@RBT#support"), pair("staff_1", "spam")]
        );
        let (send, held) = p.hold_out(pairs, &[id("staff_1")]);
        assert_eq!(send.len(), 3);
        assert_eq!(held, vec![pair("alice", "@RBT#support")]);
    }

    #[test]
    fn protected_lists_are_checked_as_user_ids() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("protected.txt");
        std::fs::write(&file, "# staff\nstaff_1\nstaff_2\n").unwrap();
        let p = Protected::load(&["@RBT#support".into()], Some(&file), "profile `prod`").unwrap();
        assert_eq!(p.len(), 3);
        assert!(p.contains("staff_2"));
        let err = Protected::load(&["x".repeat(40)], None, "profile `prod`").unwrap_err();
        assert!(
            err.contains("profile `prod`") && err.contains("not a UserID"),
            "{err}"
        );
        std::fs::write(&file, format!("staff_1\n{}\n", "y".repeat(40))).unwrap();
        let err = Protected::load(&[], Some(&file), "profile `prod`").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        let err = Protected::load(&[], Some(&dir.path().join("none")), "p").unwrap_err();
        assert!(err.contains("cannot read protected_file"), "{err}");
    }
}
