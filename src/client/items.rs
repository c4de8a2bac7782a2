//! The pairs of a batch and their outcomes, stored compactly: each distinct UserID once, each pair
//! as two indices, each outcome in 16 bytes with its text shared. A million pairs over a
//! thousand accounts take about 24 MB, where a `Vec<ItemResult>` would take over a hundred.
//! [`ItemResult`]s are made on the way out, one at a time.

use std::collections::hash_map::Entry;
use std::sync::Arc;

use super::engine::ItemResult;
use super::{ItemStatus, Pair};
use crate::tim::ids::UserId;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Outcome {
    code: i64,
    /// Index of the text in [`Items::texts`] (0 = none).
    info: u32,
    attempts: u16,
    status: u8,
}

const UNFINISHED: u8 = 0;
const DONE: u8 = 1;
const ALREADY: u8 = 2;
const FAILED: u8 = 3;
/// `RELATION + a + 2 × b`, with b = 0 (not asked), 1 (no) or 2 (yes).
const RELATION: u8 = 4;

fn encode(status: &ItemStatus) -> u8 {
    match status {
        ItemStatus::Unfinished => UNFINISHED,
        ItemStatus::Done => DONE,
        ItemStatus::Already => ALREADY,
        ItemStatus::Failed { .. } => FAILED,
        ItemStatus::Relation {
            a_blocks_b,
            b_blocks_a,
        } => {
            let b = match b_blocks_a {
                None => 0,
                Some(false) => 1,
                Some(true) => 2,
            };
            RELATION + u8::from(*a_blocks_b) + 2 * b
        }
    }
}

/// The pairs of a batch, in input order without repeats, and what became of each.
#[derive(Debug, Clone, Default)]
pub struct Items {
    ids: Vec<UserId>,
    pairs: Vec<(u32, u32)>,
    outcomes: Vec<Outcome>,
    texts: Vec<Arc<str>>,
    text_index: foldhash::HashMap<Arc<str>, u32>,
}

impl PartialEq for Items {
    fn eq(&self, other: &Items) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Items {
    /// The pairs, each distinct one once (the first kept), all unfinished.
    ///
    /// IDs shared through one [`crate::tim::ids::Interner`] (as the CLI's and the dashboard's
    /// are) are found by address; others by their text.
    pub fn with_pairs(pairs: impl IntoIterator<Item = Pair>) -> Items {
        let mut items = Items::default();
        let mut index: foldhash::HashMap<UserId, u32> = Default::default();
        // Addresses of the IDs kept in `items.ids`, which stay alive while this runs: an ID
        // dropped after its pair could free its address for another.
        let mut by_address: foldhash::HashMap<usize, u32> = Default::default();
        let mut seen: foldhash::HashSet<(u32, u32)> = Default::default();
        let mut id_of = |items: &mut Items, id: UserId| -> u32 {
            if let Some(&n) = by_address.get(&id.key()) {
                return n;
            }
            match index.entry(id) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => {
                    let n = items.ids.len() as u32;
                    by_address.insert(e.key().key(), n);
                    items.ids.push(e.key().clone());
                    e.insert(n);
                    n
                }
            }
        };
        for pair in pairs {
            let from = id_of(&mut items, pair.from);
            let to = id_of(&mut items, pair.to);
            if seen.insert((from, to)) {
                items.pairs.push((from, to));
            }
        }
        items.outcomes = vec![Outcome::default(); items.pairs.len()];
        items.pairs.shrink_to_fit();
        items
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The distinct accounts, in first-seen order; [`Self::ids_of`] gives a pair's indices.
    pub fn accounts(&self) -> &[UserId] {
        &self.ids
    }

    /// The indices in [`Self::accounts`] of pair `i`'s From and To.
    pub fn ids_of(&self, i: usize) -> (u32, u32) {
        self.pairs[i]
    }

    pub fn from(&self, i: usize) -> &UserId {
        &self.ids[self.pairs[i].0 as usize]
    }

    pub fn to(&self, i: usize) -> &UserId {
        &self.ids[self.pairs[i].1 as usize]
    }

    pub fn pair(&self, i: usize) -> Pair {
        Pair::new(self.from(i).clone(), self.to(i).clone())
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> impl ExactSizeIterator<Item = Pair> + '_ {
        (0..self.len()).map(|i| self.pair(i))
    }

    /// Whether pair `i` has a final status.
    pub fn is_settled(&self, i: usize) -> bool {
        self.outcomes[i].status != UNFINISHED
    }

    fn text(&mut self, info: &str) -> u32 {
        if info.is_empty() {
            return 0;
        }
        if let Some(&n) = self.text_index.get(info) {
            return n;
        }
        if self.texts.is_empty() {
            self.texts.push(Arc::from(""));
        }
        let text: Arc<str> = Arc::from(info);
        let n = self.texts.len() as u32;
        self.texts.push(text.clone());
        self.text_index.insert(text, n);
        n
    }

    /// Records pair `i`'s outcome. A failure's code and words are its own.
    pub fn set(&mut self, i: usize, status: &ItemStatus, code: i64, info: &str, attempts: u32) {
        let (code, info) = match status {
            ItemStatus::Failed { code, info } => (*code, info.as_str()),
            _ => (code, info),
        };
        let info = self.text(info);
        self.outcomes[i] = Outcome {
            code,
            info,
            attempts: attempts.min(u32::from(u16::MAX)) as u16,
            status: encode(status),
        };
    }

    /// Pair `i` with its outcome.
    pub fn get(&self, i: usize) -> ItemResult {
        let o = self.outcomes[i];
        let info = if o.info == 0 {
            String::new()
        } else {
            self.texts[o.info as usize].to_string()
        };
        let status = match o.status {
            UNFINISHED => ItemStatus::Unfinished,
            DONE => ItemStatus::Done,
            ALREADY => ItemStatus::Already,
            FAILED => ItemStatus::Failed {
                code: o.code,
                info: info.clone(),
            },
            r => {
                let r = r - RELATION;
                ItemStatus::Relation {
                    a_blocks_b: r % 2 == 1,
                    b_blocks_a: match r / 2 {
                        0 => None,
                        1 => Some(false),
                        _ => Some(true),
                    },
                }
            }
        };
        ItemResult {
            pair: self.pair(i),
            status,
            code: o.code,
            info,
            attempts: u32::from(o.attempts),
        }
    }

    /// Every pair with its outcome, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = ItemResult> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl From<Vec<ItemResult>> for Items {
    fn from(items: Vec<ItemResult>) -> Items {
        items.into_iter().collect()
    }
}

impl FromIterator<ItemResult> for Items {
    /// Items as given (repeats kept); for results made elsewhere, such as a journal's or a
    /// test's.
    fn from_iter<I: IntoIterator<Item = ItemResult>>(iter: I) -> Items {
        let mut items = Items::default();
        let mut index: foldhash::HashMap<UserId, u32> = Default::default();
        for item in iter {
            for id in [&item.pair.from, &item.pair.to] {
                if !index.contains_key(id) {
                    index.insert(id.clone(), items.ids.len() as u32);
                    items.ids.push(id.clone());
                }
            }
            items
                .pairs
                .push((index[&item.pair.from], index[&item.pair.to]));
            items.outcomes.push(Outcome::default());
            let i = items.len() - 1;
            items.set(i, &item.status, item.code, &item.info, item.attempts);
        }
        items
    }
}

impl<'a> IntoIterator for &'a Items {
    type Item = ItemResult;
    type IntoIter = Box<dyn Iterator<Item = ItemResult> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> UserId {
        UserId::parse(s).unwrap()
    }

    fn pair(a: &str, b: &str) -> Pair {
        Pair::new(id(a), id(b))
    }

    #[test]
    fn pairs_are_kept_once_in_order_and_outcomes_round_trip() {
        let mut items = Items::with_pairs([
            pair("a", "b"),
            pair("a", "c"),
            pair("a", "b"),
            pair("c", "a"),
        ]);
        assert_eq!(items.len(), 3);
        assert_eq!(items.accounts().len(), 3);
        assert_eq!(items.pair(2), pair("c", "a"));
        assert!(items.iter().all(|i| i.status == ItemStatus::Unfinished));
        let statuses = [
            ItemStatus::Done,
            ItemStatus::Failed {
                code: 30013,
                info: "full".into(),
            },
            ItemStatus::Relation {
                a_blocks_b: true,
                b_blocks_a: Some(false),
            },
        ];
        for (i, status) in statuses.iter().enumerate() {
            items.set(i, status, 0, "", 2);
        }
        let got: Vec<ItemResult> = items.iter().collect();
        assert_eq!(got[0].status, ItemStatus::Done);
        assert_eq!(got[1].status, statuses[1]);
        assert_eq!((got[1].code, got[1].info.as_str()), (30013, "full"));
        assert_eq!(got[2].status, statuses[2]);
        assert_eq!(got[2].attempts, 2);
        // Every relation survives the encoding.
        for a in [false, true] {
            for b in [None, Some(false), Some(true)] {
                let status = ItemStatus::Relation {
                    a_blocks_b: a,
                    b_blocks_a: b,
                };
                items.set(0, &status, 0, "x", 1);
                assert_eq!(items.get(0).status, status);
                assert_eq!(items.get(0).info, "x");
            }
        }
        let copy: Items = got.clone().into();
        assert_eq!(copy.iter().collect::<Vec<_>>(), got);
    }
}
