//! UserIDs: validation, the [`UserId`] type, and parsing of ID lists typed, pasted or read from
//! files.
//!
//! A UserID is 1 to [`MAX_ID_BYTES`] bytes of printable ASCII (0x20–0x7E), the widest of the
//! rules the service documents; spaces inside an ID are allowed and chatbot accounts start with
//! `@RBT#`. Invalid input is never dropped silently: list parsing reports every rejected line
//! with its number and the reason.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::Hash;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The longest UserID the service accepts, in bytes.
pub const MAX_ID_BYTES: usize = 32;

/// Rejected-line text is shortened to about this many characters for display.
const MAX_SHOWN_CHARS: usize = 60;

/// Why a string is not a valid UserID. The messages never contain the offending text itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// Nothing at all.
    Empty,
    /// Longer than [`MAX_ID_BYTES`].
    TooLong {
        /// The length found.
        bytes: usize,
    },
    /// A control character (below 0x20, or DEL).
    Control {
        /// Byte offset of the first one.
        offset: usize,
        /// The byte itself.
        byte: u8,
    },
    /// A byte outside ASCII.
    NonAscii {
        /// Byte offset of the first one.
        offset: usize,
    },
}

impl IdError {
    /// The problem without a subject, e.g. `is 40 bytes; UserIDs are at most 32 bytes`, to be
    /// put after a description of the ID (`UserID`, `FROM UserID`, ...).
    pub fn problem(&self) -> String {
        match *self {
            IdError::Empty => "is empty; a UserID needs 1 to 32 printable ASCII characters".into(),
            IdError::TooLong { bytes } => {
                format!("is {bytes} bytes; UserIDs are at most {MAX_ID_BYTES} bytes")
            }
            IdError::Control { offset, byte } => {
                let what = match byte {
                    b'\t' => " (tab)".to_owned(),
                    b'\r' => " (carriage return)".to_owned(),
                    0x1b => " (escape)".to_owned(),
                    _ => String::new(),
                };
                format!(
                    "contains control character 0x{byte:02x}{what} at byte {offset}; \
                     UserIDs are printable ASCII"
                )
            }
            IdError::NonAscii { offset } => format!(
                "contains a non-ASCII character at byte {offset}; UserIDs are printable ASCII"
            ),
        }
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserID {}", self.problem())
    }
}

impl std::error::Error for IdError {}

/// Checks that `id` is a valid UserID. Character problems are reported before length, because
/// they usually reveal what was pasted by mistake (a tab from a table, an escape sequence).
pub fn validate(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    for (offset, byte) in id.bytes().enumerate() {
        match byte {
            0x20..=0x7e => {}
            0x00..=0x1f | 0x7f => return Err(IdError::Control { offset, byte }),
            _ => return Err(IdError::NonAscii { offset }),
        }
    }
    if id.len() > MAX_ID_BYTES {
        return Err(IdError::TooLong { bytes: id.len() });
    }
    Ok(())
}

/// A validated UserID. Being printable ASCII, it is safe to show on a terminal as-is.
///
/// Shared, not copied: a clone is a reference count, so a batch of a million pairs over a thousand
/// accounts holds a thousand strings (see [`Interner`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct UserId(Arc<str>);

impl Serialize for UserId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl UserId {
    /// Validates and wraps `id`.
    pub fn parse(id: &str) -> Result<UserId, IdError> {
        validate(id)?;
        Ok(UserId(Arc::from(id)))
    }

    /// Whether the two are the same shared string (so equal without comparing the text).
    pub fn same(&self, other: &UserId) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The shared string's address: equal for IDs from one [`Interner`] exactly when the IDs
    /// are equal.
    pub fn key(&self) -> usize {
        Arc::as_ptr(&self.0) as *const u8 as usize
    }

    /// The ID as sent to the service.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Hands out one shared [`UserId`] per distinct ID, so that IDs repeated over many pairs are
/// stored once and compare by address.
#[derive(Debug, Default)]
pub struct Interner {
    ids: foldhash::HashSet<UserId>,
}

impl Interner {
    pub fn new() -> Interner {
        Interner::default()
    }

    /// The shared ID for `text`, validated the first time it is seen.
    pub fn parse(&mut self, text: &str) -> Result<UserId, IdError> {
        if let Some(id) = self.ids.get(text) {
            return Ok(id.clone());
        }
        let id = UserId::parse(text)?;
        self.ids.insert(id.clone());
        Ok(id)
    }

    /// The shared ID equal to `id` (`id` itself the first time).
    pub fn intern(&mut self, id: &UserId) -> UserId {
        if let Some(shared) = self.ids.get(id.as_str()) {
            return shared.clone();
        }
        self.ids.insert(id.clone());
        id.clone()
    }

    /// Distinct IDs seen.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl TryFrom<String> for UserId {
    type Error = IdError;

    fn try_from(id: String) -> Result<Self, IdError> {
        validate(&id)?;
        Ok(UserId(Arc::from(id)))
    }
}

impl From<UserId> for String {
    fn from(id: UserId) -> String {
        id.0.to_string()
    }
}

impl FromStr for UserId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, IdError> {
        UserId::parse(s)
    }
}

impl AsRef<str> for UserId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for UserId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The shape of a list file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// One UserID per line.
    Ids,
    /// One `FROM,TO` pair per line: FROM blocks (or unblocks) TO.
    Pairs,
}

impl ListKind {
    /// The expected line format, for messages.
    pub fn line_format(self) -> &'static str {
        match self {
            ListKind::Ids => "one UserID per line",
            ListKind::Pairs => "one FROM,TO pair per line",
        }
    }
}

/// An accepted entry and the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<T> {
    /// 1-based line number.
    pub line: usize,
    /// The parsed value.
    pub value: T,
}

/// A line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line number.
    pub line: usize,
    /// The line's text, escaped for display and shortened.
    pub text: String,
    /// Why it was rejected.
    pub reason: String,
}

/// A line that repeats an earlier entry; it is left out of the items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// 1-based line number of the repetition.
    pub line: usize,
    /// Line number of the first occurrence.
    pub first_line: usize,
    /// The repeated entry (valid IDs, hence printable ASCII).
    pub text: String,
}

/// The result of parsing a list: accepted entries in file order, rejected lines, and repeated
/// entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    /// The format that was parsed.
    pub kind: ListKind,
    /// Accepted entries, first occurrences only, in file order.
    pub items: Vec<Line<T>>,
    /// Lines that were refused, in file order.
    pub rejected: Vec<Rejected>,
    /// Lines that repeated an earlier entry, in file order.
    pub duplicates: Vec<Duplicate>,
}

impl<T> Parsed<T> {
    fn new(kind: ListKind) -> Self {
        Parsed {
            kind,
            items: Vec::new(),
            rejected: Vec::new(),
            duplicates: Vec::new(),
        }
    }

    /// True when no line was rejected. Duplicates do not count: they are dropped harmlessly and
    /// only reported.
    pub fn is_clean(&self) -> bool {
        self.rejected.is_empty()
    }

    /// The accepted values, without line numbers.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.items.iter().map(|l| &l.value)
    }

    /// The accepted values, without line numbers.
    pub fn into_values(self) -> Vec<T> {
        self.items.into_iter().map(|l| l.value).collect()
    }

    /// The values when no line was rejected, else a report naming every bad line (nothing is
    /// used of a list with a bad line: a typo must not shrink a batch silently). `name` says where
    /// the list came from and `what` what its lines should be (`UserIDs`, `FROM,TO pairs`).
    pub fn accept(self, name: &str, what: &str) -> Result<Accepted<T>, String> {
        if !self.is_clean() {
            return Err(format!(
                "{name} has lines that are not {what}; nothing was sent:\n{}",
                self.report()
            ));
        }
        let duplicates = self.duplicates.len();
        Ok(Accepted {
            values: self.into_values(),
            duplicates,
        })
    }

    /// A report for the command line: every rejected line as `line 7: <reason> [<text>]`,
    /// then every duplicate. Empty when there is nothing to report.
    pub fn report(&self) -> String {
        let mut out = String::new();
        if !self.rejected.is_empty() {
            let n = self.rejected.len();
            out.push_str(&format!(
                "{n} {} rejected (expected {}; blank lines and lines starting with # \
                 are skipped):\n",
                if n == 1 { "line" } else { "lines" },
                self.kind.line_format()
            ));
            for r in self.rejected.iter().take(REPORT_REJECTED) {
                out.push_str(&format!("  line {}: {} [{}]\n", r.line, r.reason, r.text));
            }
            if n > REPORT_REJECTED {
                out.push_str(&format!(
                    "  … and {} more rejected line(s)\n",
                    n - REPORT_REJECTED
                ));
            }
        }
        if !self.duplicates.is_empty() {
            let n = self.duplicates.len();
            out.push_str(&format!(
                "{n} duplicate {} skipped:\n",
                if n == 1 { "line" } else { "lines" }
            ));
            for d in self.duplicates.iter().take(REPORT_DUPLICATES) {
                out.push_str(&format!(
                    "  line {}: {} repeats line {}\n",
                    d.line, d.text, d.first_line
                ));
            }
            if n > REPORT_DUPLICATES {
                out.push_str(&format!(
                    "  … and {} more duplicate line(s)\n",
                    n - REPORT_DUPLICATES
                ));
            }
        }
        out
    }
}

/// Rejected lines a report names one by one; the rest are counted.
const REPORT_REJECTED: usize = 50;
/// Duplicate lines a report names one by one; the rest are counted.
const REPORT_DUPLICATES: usize = 10;

/// The values of a list that had no bad line, and how many repeated lines were dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted<T> {
    pub values: Vec<T>,
    pub duplicates: usize,
}

/// Parses a list with one UserID per line.
///
/// Lines are split on `\n` (a trailing `\r` is removed, so Windows files work) and trimmed of
/// spaces and tabs; blank lines and lines starting with `#` are skipped; a UTF-8 byte order mark
/// at the very start is ignored. Consequently an ID cannot start with `#` or with a space in
/// a list.
pub fn parse_ids(text: &str) -> Parsed<UserId> {
    parse_ids_with(text, &mut Interner::new())
}

/// [`parse_ids`] with the IDs shared through `ids`.
pub fn parse_ids_with(text: &str, ids: &mut Interner) -> Parsed<UserId> {
    let mut parsed = Parsed::new(ListKind::Ids);
    let mut seen: foldhash::HashMap<usize, usize> = Default::default();
    for (line, content) in content_lines(text) {
        match ids.parse(content) {
            Ok(id) => push_unique(&mut parsed, &mut seen, line, id.key(), id, |id| {
                id.to_string()
            }),
            Err(e) => {
                parsed
                    .rejected
                    .push(reject(line, content, format!("UserID {}", e.problem())))
            }
        }
    }
    parsed
}

/// Parses a list with one `FROM,TO` pair per line, under the same line rules as [`parse_ids`].
///
/// A line must have exactly one comma (so IDs containing commas cannot be listed this way);
/// spaces and tabs around each side are ignored; both sides must be valid and different.
pub fn parse_pairs(text: &str) -> Parsed<(UserId, UserId)> {
    parse_pairs_with(text, &mut Interner::new())
}

/// [`parse_pairs`] with the IDs shared through `ids`: a file of a million pairs over a thousand
/// accounts allocates a thousand strings, and repeated pairs are found by address.
pub fn parse_pairs_with(text: &str, ids: &mut Interner) -> Parsed<(UserId, UserId)> {
    let mut parsed = Parsed::new(ListKind::Pairs);
    let mut seen: foldhash::HashMap<(usize, usize), usize> = Default::default();
    for (line, content) in content_lines(text) {
        match parse_pair(content, ids) {
            Ok(pair) => push_unique(
                &mut parsed,
                &mut seen,
                line,
                (pair.0.key(), pair.1.key()),
                pair,
                |(a, b)| format!("{a},{b}"),
            ),
            Err(reason) => parsed.rejected.push(reject(line, content, reason)),
        }
    }
    parsed
}

fn parse_pair(content: &str, ids: &mut Interner) -> Result<(UserId, UserId), String> {
    let commas = content.bytes().filter(|&b| b == b',').count();
    if commas == 0 {
        return Err("expected FROM,TO but the line has no comma".into());
    }
    if commas > 1 {
        return Err(format!(
            "expected FROM,TO but the line has {commas} commas; \
             exactly one comma separates the two UserIDs"
        ));
    }
    let (from, to) = content.split_once(',').expect("one comma was counted");
    let (from, to) = (trim_blanks(from), trim_blanks(to));

    let mut side = |name: &str, text: &str| -> Result<UserId, String> {
        if text.is_empty() {
            return Err(format!("{name} is missing"));
        }
        ids.parse(text)
            .map_err(|e| format!("{name} UserID {}", e.problem()))
    };
    let from = side("FROM", from);
    let to = side("TO", to);
    match (from, to) {
        (Ok(from), Ok(to)) if from == to => {
            Err("FROM and TO are the same UserID; a user cannot block themselves".into())
        }
        (Ok(from), Ok(to)) => Ok((from, to)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(a), Err(b)) => Err(format!("{a}; {b}")),
    }
}

fn push_unique<T, K: Eq + Hash, S: std::hash::BuildHasher>(
    parsed: &mut Parsed<T>,
    seen: &mut HashMap<K, usize, S>,
    line: usize,
    key: K,
    value: T,
    show: impl Fn(&T) -> String,
) {
    match seen.entry(key) {
        Entry::Occupied(first) => parsed.duplicates.push(Duplicate {
            line,
            first_line: *first.get(),
            text: show(&value),
        }),
        Entry::Vacant(slot) => {
            slot.insert(line);
            parsed.items.push(Line { line, value });
        }
    }
}

/// The numbered lines that carry content: BOM removed, `\r\n` handled, trimmed, blank and
/// comment lines skipped.
fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split('\n').enumerate().filter_map(|(i, raw)| {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let content = trim_blanks(raw);
        if content.is_empty() || content.starts_with('#') {
            None
        } else {
            Some((i + 1, content))
        }
    })
}

fn trim_blanks(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

fn reject(line: usize, content: &str, reason: String) -> Rejected {
    Rejected {
        line,
        text: elide(content),
        reason,
    }
}

/// Makes untrusted text (a line of input, an ID from elsewhere) safe and unambiguous to print: every character outside printable
/// ASCII becomes `\u{...}` (which also exposes look-alike letters, since UserIDs are ASCII), a
/// backslash is doubled, and the result is cut to about [`MAX_SHOWN_CHARS`] characters with
/// an ellipsis, never inside an escape.
pub fn elide(text: &str) -> String {
    let mut out = String::new();
    let mut shown = 0;
    for c in text.chars() {
        let piece = match c {
            '\\' => "\\\\".to_owned(),
            ' '..='~' => c.to_string(),
            _ => format!("\\u{{{:x}}}", u32::from(c)),
        };
        if shown + piece.len() > MAX_SHOWN_CHARS {
            out.push('…');
            break;
        }
        shown += piece.len();
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> UserId {
        UserId::parse(s).unwrap()
    }

    #[test]
    fn thirty_two_bytes_pass_and_thirty_three_fail() {
        assert_eq!(validate(&"a".repeat(32)), Ok(()));
        assert_eq!(
            validate(&"a".repeat(33)),
            Err(IdError::TooLong { bytes: 33 })
        );
        assert_eq!(
            IdError::TooLong { bytes: 40 }.to_string(),
            "UserID is 40 bytes; UserIDs are at most 32 bytes"
        );
    }

    #[test]
    fn printable_ascii_is_accepted() {
        for ok in [
            "a",
            "@RBT#bot",
            "user name",
            "user_01-x",
            "~!\"$%&'()*+,./:;<=>?[\\]^`{|}",
            " ",
        ] {
            assert_eq!(validate(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn empty_control_and_non_ascii_are_refused() {
        assert_eq!(validate(""), Err(IdError::Empty));
        assert_eq!(
            validate("abc\u{1b}x"),
            Err(IdError::Control {
                offset: 3,
                byte: 0x1b
            })
        );
        assert_eq!(
            validate("a\tb"),
            Err(IdError::Control { offset: 1, byte: 9 })
        );
        assert_eq!(
            validate("del\u{7f}"),
            Err(IdError::Control {
                offset: 3,
                byte: 0x7f
            })
        );
        assert_eq!(
            validate("hello\u{e9}"),
            Err(IdError::NonAscii { offset: 5 })
        );
        assert_eq!(
            validate("\u{202e}abc"),
            Err(IdError::NonAscii { offset: 0 })
        );
        // Character problems are named even when the ID is also too long.
        let long_with_tab = format!("{}\t", "a".repeat(40));
        assert_eq!(
            validate(&long_with_tab),
            Err(IdError::Control {
                offset: 40,
                byte: 9
            })
        );
    }

    #[test]
    fn error_messages_name_problem_and_position_without_raw_characters() {
        let msg = IdError::Control {
            offset: 3,
            byte: 0x1b,
        }
        .to_string();
        assert!(msg.contains("control character 0x1b"), "{msg}");
        assert!(msg.contains("at byte 3"), "{msg}");
        assert!(!msg.contains('\u{1b}'));
        let msg = IdError::NonAscii { offset: 5 }.to_string();
        assert_eq!(
            msg,
            "UserID contains a non-ASCII character at byte 5; UserIDs are printable ASCII"
        );
        assert!(IdError::Empty.to_string().contains("is empty"));
        assert!(
            IdError::Control { offset: 0, byte: 9 }
                .to_string()
                .contains("(tab)")
        );
    }

    #[test]
    fn user_id_serde_validates() {
        let ok: UserId = serde_json::from_str("\"@RBT#bot\"").unwrap();
        assert_eq!(ok.as_str(), "@RBT#bot");
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"@RBT#bot\"");
        let err = serde_json::from_str::<UserId>(&format!("\"{}\"", "x".repeat(33))).unwrap_err();
        assert!(err.to_string().contains("at most 32 bytes"), "{err}");
        assert!(serde_json::from_str::<UserId>("\"\"").is_err());
        assert!(serde_json::from_str::<UserId>("\"a\\u0000b\"").is_err());
        assert!(serde_json::from_str::<UserId>("17").is_err());
    }

    #[test]
    fn user_id_traits() {
        let a = id("alice");
        assert_eq!(a.to_string(), "alice");
        assert_eq!("alice".parse::<UserId>().unwrap(), a);
        assert!(id("a") < id("b"));
        let mut map = HashMap::new();
        map.insert(a.clone(), 1);
        assert_eq!(map.get("alice"), Some(&1));
        assert_eq!(String::from(a), "alice");
        assert!(UserId::try_from(String::new()).is_err());
    }

    #[test]
    fn ids_lists_skip_blanks_and_comments_and_keep_order() {
        let text = "# blocked spammers\n\nalice\n  bob\t\n# carol\n@RBT#bot\nuser name\n";
        let p = parse_ids(text);
        assert!(p.is_clean());
        let got: Vec<(usize, &str)> = p.items.iter().map(|l| (l.line, l.value.as_str())).collect();
        assert_eq!(
            got,
            [(3, "alice"), (4, "bob"), (6, "@RBT#bot"), (7, "user name")]
        );
        assert!(p.duplicates.is_empty());
        assert_eq!(p.report(), "");
    }

    #[test]
    fn bom_and_crlf_are_handled() {
        let text = "\u{feff}alice\r\nbob\r\n\r\n# note\r\ncarol";
        let p = parse_ids(text);
        assert!(p.is_clean(), "{}", p.report());
        let got: Vec<(usize, String)> = p
            .items
            .iter()
            .map(|l| (l.line, l.value.to_string()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "alice".to_owned()),
                (2, "bob".to_owned()),
                (5, "carol".to_owned())
            ]
        );
    }

    #[test]
    fn bom_in_the_middle_is_rejected_visibly() {
        let p = parse_ids("alice\n\u{feff}bob\n");
        assert_eq!(p.rejected.len(), 1);
        assert_eq!(p.rejected[0].line, 2);
        assert_eq!(p.rejected[0].text, "\\u{feff}bob");
        assert!(
            p.rejected[0]
                .reason
                .contains("non-ASCII character at byte 0")
        );
    }

    #[test]
    fn invalid_ids_are_rejected_with_their_line_numbers() {
        let long = "x".repeat(33);
        let text = format!("ok1\n{long}\nbad\u{1b}[31m\ncaf\u{e9}\nok2\n");
        let p = parse_ids(&text);
        assert_eq!(p.items.len(), 2);
        let lines: Vec<usize> = p.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert_eq!(
            p.rejected[0].reason,
            "UserID is 33 bytes; UserIDs are at most 32 bytes"
        );
        assert!(p.rejected[1].reason.contains("control character 0x1b"));
        assert!(p.rejected[1].reason.contains("at byte 3"));
        assert_eq!(p.rejected[1].text, "bad\\u{1b}[31m");
        assert_eq!(p.rejected[2].text, "caf\\u{e9}");
        assert!(!p.is_clean());

        let report = p.report();
        assert!(
            report.starts_with("3 lines rejected (expected one UserID per line"),
            "{report}"
        );
        assert!(report.contains("line 2: UserID is 33 bytes"), "{report}");
        assert!(
            report.contains("line 3: UserID contains control character 0x1b"),
            "{report}"
        );
        assert!(
            report.contains("line 4: UserID contains a non-ASCII"),
            "{report}"
        );
        assert!(
            !report.contains('\u{1b}') && !report.contains('\u{e9}'),
            "{report:?}"
        );
    }

    #[test]
    fn tab_inside_a_line_is_rejected_not_split() {
        let p = parse_ids("alice\tbob\n");
        assert_eq!(p.rejected.len(), 1);
        assert!(p.rejected[0].reason.contains("0x09 (tab) at byte 5"));
        assert_eq!(p.rejected[0].text, "alice\\u{9}bob");
    }

    #[test]
    fn lone_carriage_return_inside_a_line_is_rejected() {
        let p = parse_ids("ali\rce\r\n");
        assert_eq!(p.rejected.len(), 1);
        assert!(
            p.rejected[0]
                .reason
                .contains("0x0d (carriage return) at byte 3")
        );
    }

    #[test]
    fn duplicates_are_dropped_and_reported_with_their_first_line() {
        let p = parse_ids("alice\nbob\nalice\n\nbob\nalice\n");
        let got: Vec<&str> = p.values().map(UserId::as_str).collect();
        assert_eq!(got, ["alice", "bob"]);
        let dups: Vec<(usize, usize, &str)> = p
            .duplicates
            .iter()
            .map(|d| (d.line, d.first_line, d.text.as_str()))
            .collect();
        assert_eq!(dups, [(3, 1, "alice"), (5, 2, "bob"), (6, 1, "alice")]);
        assert!(p.is_clean(), "duplicates alone do not make a list unclean");
        assert!(
            p.report().contains("line 3: alice repeats line 1"),
            "{}",
            p.report()
        );
    }

    #[test]
    fn ids_are_case_sensitive() {
        let p = parse_ids("Alice\nalice\n");
        assert_eq!(p.items.len(), 2);
        assert!(p.duplicates.is_empty());
    }

    #[test]
    fn pairs_are_parsed_and_trimmed() {
        let p = parse_pairs("# from,to\nalice,bob\n  carol , dave \t\n@RBT#bot,user name\n");
        assert!(p.is_clean(), "{}", p.report());
        let got: Vec<(usize, &str, &str)> = p
            .items
            .iter()
            .map(|l| (l.line, l.value.0.as_str(), l.value.1.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (2, "alice", "bob"),
                (3, "carol", "dave"),
                (4, "@RBT#bot", "user name")
            ]
        );
    }

    #[test]
    fn every_pair_rejection_reason_has_its_line() {
        let long = "y".repeat(33);
        let text = format!(
            "alice\n,bob\nalice,\na,b,c\nalice,alice\nbad\u{7f},bob\nalice,{long}\nx\u{e9},{long}\n,\nok,fine\n"
        );
        let p = parse_pairs(&text);
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].line, 10);
        let got: Vec<(usize, &str)> = p
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(got.len(), 9);
        assert_eq!(got[0], (1, "expected FROM,TO but the line has no comma"));
        assert_eq!(got[1], (2, "FROM is missing"));
        assert_eq!(got[2], (3, "TO is missing"));
        assert_eq!(got[3].0, 4);
        assert!(got[3].1.contains("2 commas"), "{}", got[3].1);
        assert_eq!(
            got[4],
            (
                5,
                "FROM and TO are the same UserID; a user cannot block themselves"
            )
        );
        assert_eq!(got[5].0, 6);
        assert!(
            got[5]
                .1
                .starts_with("FROM UserID contains control character 0x7f at byte 3")
        );
        assert_eq!(
            got[6],
            (7, "TO UserID is 33 bytes; UserIDs are at most 32 bytes")
        );
        assert_eq!(got[7].0, 8);
        assert!(
            got[7]
                .1
                .starts_with("FROM UserID contains a non-ASCII character at byte 1")
        );
        assert!(got[7].1.contains("; TO UserID is 33 bytes"), "{}", got[7].1);
        assert_eq!(p.rejected.len(), 9, "line 9 (a lone comma) is rejected too");
        assert_eq!(p.rejected[8].reason, "FROM is missing; TO is missing");

        let report = p.report();
        assert!(report.starts_with("9 lines rejected (expected one FROM,TO pair per line"));
        assert!(
            report.contains("line 5: FROM and TO are the same UserID"),
            "{report}"
        );
    }

    #[test]
    fn pair_duplicates_respect_direction() {
        let p = parse_pairs("a,b\nb,a\na , b\n");
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.duplicates.len(), 1);
        assert_eq!(
            p.duplicates[0],
            Duplicate {
                line: 3,
                first_line: 1,
                text: "a,b".into()
            }
        );
    }

    #[test]
    fn rejected_text_is_truncated_and_escaped() {
        let line = format!("{}\u{202e}", "z".repeat(100));
        let p = parse_ids(&line);
        let shown = &p.rejected[0].text;
        assert!(shown.ends_with('…'), "{shown}");
        assert!(shown.chars().count() <= MAX_SHOWN_CHARS + 1, "{shown}");
        assert!(!shown.contains('\u{202e}'));
        // An escape is never cut in half.
        let line = format!("{}\u{1b}", "z".repeat(55));
        let shown = elide(&line);
        assert_eq!(shown, format!("{}…", "z".repeat(55)));
        assert_eq!(elide("a\\b"), "a\\\\b");
    }

    #[test]
    fn empty_input_gives_an_empty_clean_result() {
        for text in ["", "\n\n", "\u{feff}", "# only a comment\r\n"] {
            let p = parse_ids(text);
            assert!(
                p.items.is_empty() && p.rejected.is_empty() && p.is_clean(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn into_values_keeps_file_order() {
        let p = parse_pairs("b,c\na,b\n");
        assert_eq!(
            p.into_values(),
            vec![(id("b"), id("c")), (id("a"), id("b"))]
        );
    }
}
