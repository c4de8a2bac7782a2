//! What `c` copies where it is pressed: raw IDs (they are pasted into other tools), never a
//! control or invisible character, and never more than a terminal is sure to take through
//! OSC 52.

use super::{FeedEntry, Focus, Model, Overlay};
use crate::display::{is_unsafe, sanitize};

/// The longest OSC 52 payload written, in bytes of base64 (48 KiB of text: over a thousand
/// UserIDs of the longest kind). Terminals and multiplexers cap what they take from one
/// sequence and drop a longer one without a word, so a longer copy would claim a success that
/// never happened.
pub const COPY_MAX_BASE64: usize = 64 * 1024;

/// Text for the clipboard, and how the activity line names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    /// Raw IDs: one per line, or `A B` for a pair.
    pub text: String,
    /// `3 IDs`, `alice`, `alice and bob`, `batch b-…` (sanitized).
    pub said: String,
}

/// How long `text` is in base64.
pub fn base64_len(text: &str) -> usize {
    text.len().div_ceil(3) * 4
}

/// A clip of the IDs `ids`, one per line.
fn of_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> Clip {
    let ids: Vec<&str> = ids.into_iter().collect();
    let said = match ids.as_slice() {
        [one] => sanitize(one).into_owned(),
        many => format!("{} IDs", many.len()),
    };
    Clip {
        text: ids.join("\n"),
        said,
    }
}

/// A pair as `A B` (what `:inspect A B` and `blockdeck inspect A B` take).
fn of_pair(a: &str, b: &str) -> Clip {
    Clip {
        text: format!("{a} {b}"),
        said: format!("{} and {}", sanitize(a), sanitize(b)),
    }
}

impl Model {
    /// What `c` copies here, or why nothing: in the inspector its two accounts (`A B`); in the
    /// history the other account of the line; in the journal the batch's ID; on the feed the
    /// change's two accounts (`FROM TO`) or a teammate's batch ID; on the table the marked IDs
    /// one per line, else the ID at the cursor.
    pub fn clip(&self) -> Result<Clip, String> {
        let clip = match (&self.overlay, &self.journal) {
            (Overlay::Inspector(view), _) => of_pair(view.a.as_str(), view.b.as_str()),
            (Overlay::History(view), _) => match view.current() {
                Some(line) => of_ids([line.other.as_str()]),
                None => return Err("nothing to copy: the history shows no change".to_owned()),
            },
            (_, Some(journal)) => match journal.selected() {
                Some(batch) => Clip {
                    text: batch.state.id().as_str().to_owned(),
                    said: format!("batch {}", batch.id_shown),
                },
                None => return Err("nothing to copy: the journal shows no batch here".to_owned()),
            },
            _ => match self.focus {
                Focus::Feed => match self.feed.selected() {
                    Some(FeedEntry::Change(line)) => of_pair(&line.raw.from, &line.raw.to),
                    Some(FeedEntry::Team(team)) => Clip {
                        text: team.batch.id.as_str().to_owned(),
                        said: format!("batch {}", sanitize(team.batch.id.as_str())),
                    },
                    None => return Err("nothing to copy: the feed has no line yet".to_owned()),
                },
                Focus::Blocklist | Focus::Lookup => {
                    let ids = self.list.targets();
                    if ids.is_empty() {
                        return Err("nothing to copy: the list shows no entry".to_owned());
                    }
                    of_ids(ids.iter().map(|id| id.as_str()))
                }
                Focus::Activity => {
                    return Err(
                        "nothing to copy here: c copies the IDs of the table, the feed, \
                                the history, the journal or the inspector"
                            .to_owned(),
                    );
                }
            },
        };
        // IDs are validated where they come in; a stored change or a webhook's account may
        // still hold anything, and a control character must never reach the clipboard.
        if let Some(bad) = clip
            .text
            .chars()
            .find(|&c| c != '\n' && c != '\\' && is_unsafe(c))
        {
            return Err(format!(
                "{} holds a control or invisible character ({}): it is not copied; type the \
                 ID instead",
                sanitize(&clip.text.replace('\n', " ")),
                sanitize(&bad.to_string())
            ));
        }
        let size = base64_len(&clip.text);
        if size > COPY_MAX_BASE64 {
            return Err(format!(
                "{} make {size} bytes of OSC 52, more than terminals are sure to take \
                 ({COPY_MAX_BASE64}): mark fewer rows, or export them (e)",
                clip.said
            ));
        }
        Ok(clip)
    }
}
