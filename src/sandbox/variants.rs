//! Variants of the answers the documentation leaves open, so that the client is tested against
//! each answer the real service may give: `--variant already=31307`, `--variant
//! delete-missing=ok`, `--variant sequence-field=CurrentSequence`, `--variant empty-list=absent`.
//!
//! Field evidence disagrees with the documents here: a real log shows 31307 for an add of an
//! entry already listed (the documents say 30001); a deployed client says deleting an entry that
//! is not listed "does not error"; the sequence field is spelt `CurruentSequence` in the documents
//! and `CurrentSequence` by some SDKs; an empty list may come as `[]`, `null` or no field at all.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::tim::codes::{ADD_ALREADY_EXIST, DELETE_NOT_EXIST};
use crate::tim::wire::{BlackListChangeResponse, ResultItem};

/// How the sandbox answers where the documents leave a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variants {
    /// The code of an add whose entry is already listed: 30001 (documented) or 31307 (seen).
    pub already: u32,
    /// A delete of an entry not listed: an error (30001, documented) or success.
    pub delete_missing_ok: bool,
    /// The sequence field's spelling: the documented `CurruentSequence`, or `CurrentSequence`.
    pub current_sequence: bool,
    /// How an empty blocklist page says so.
    pub empty_list: EmptyList,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmptyList {
    /// `"BlackListItem": []`
    #[default]
    Empty,
    /// `"BlackListItem": null`
    Null,
    /// No `BlackListItem` field.
    Absent,
}

impl Variants {
    /// The documented answers.
    pub fn documented() -> Variants {
        Variants {
            already: 30001,
            delete_missing_ok: false,
            current_sequence: false,
            empty_list: EmptyList::Empty,
        }
    }

    /// Every single departure from the documented answers, for tests to run against each.
    pub fn each() -> Vec<(&'static str, Variants)> {
        let base = Variants::documented();
        vec![
            ("documented", base),
            (
                "already=31307",
                Variants {
                    already: 31307,
                    ..base
                },
            ),
            (
                "delete-missing=ok",
                Variants {
                    delete_missing_ok: true,
                    ..base
                },
            ),
            (
                "sequence-field=CurrentSequence",
                Variants {
                    current_sequence: true,
                    ..base
                },
            ),
            (
                "empty-list=null",
                Variants {
                    empty_list: EmptyList::Null,
                    ..base
                },
            ),
            (
                "empty-list=absent",
                Variants {
                    empty_list: EmptyList::Absent,
                    ..base
                },
            ),
        ]
    }

    /// Applies `KEY=VALUE` (one `--variant`).
    pub fn set(&mut self, spec: &str) -> Result<(), String> {
        let Some((key, value)) = spec.split_once('=') else {
            return Err(format!("--variant {spec:?}: expected KEY=VALUE; {}", HELP));
        };
        match (key.trim(), value.trim()) {
            ("already", "30001") => self.already = 30001,
            ("already", "31307") => self.already = 31307,
            ("delete-missing", "30001") => self.delete_missing_ok = false,
            ("delete-missing", "ok") => self.delete_missing_ok = true,
            ("sequence-field", "CurruentSequence") => self.current_sequence = false,
            ("sequence-field", "CurrentSequence") => self.current_sequence = true,
            ("empty-list", "empty") => self.empty_list = EmptyList::Empty,
            ("empty-list", "null") => self.empty_list = EmptyList::Null,
            ("empty-list", "absent") => self.empty_list = EmptyList::Absent,
            _ => return Err(format!("--variant {spec:?} is not known; {}", HELP)),
        }
        Ok(())
    }

    /// An add's or a delete's answer as this variant gives it.
    pub fn change(&self, add: bool, resp: &mut BlackListChangeResponse) {
        for item in &mut resp.result_item {
            if add && item.result_code == 30001 && item.result_info == ADD_ALREADY_EXIST {
                item.result_code = i64::from(self.already);
            }
            if !add
                && self.delete_missing_ok
                && item.result_code == 30001
                && item.result_info == DELETE_NOT_EXIST
            {
                *item = ResultItem::ok(item.to_account.clone());
            }
        }
    }

    /// A black_list_get answer (as JSON) as this variant gives it.
    pub fn list(&self, body: &mut Value) {
        let Some(obj) = body.as_object_mut() else {
            return;
        };
        if self.current_sequence
            && let Some(seq) = obj.remove("CurruentSequence")
        {
            obj.insert("CurrentSequence".to_owned(), seq);
        }
        let empty = obj
            .get("BlackListItem")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty);
        if empty {
            match self.empty_list {
                EmptyList::Empty => {}
                EmptyList::Null => {
                    obj.insert("BlackListItem".to_owned(), Value::Null);
                }
                EmptyList::Absent => {
                    obj.remove("BlackListItem");
                }
            }
        }
    }
}

impl Default for Variants {
    fn default() -> Variants {
        Variants::documented()
    }
}

const HELP: &str = "known: already=30001|31307, delete-missing=30001|ok, \
                    sequence-field=CurruentSequence|CurrentSequence, empty-list=empty|null|absent";

impl FromStr for Variants {
    type Err = String;

    /// Comma-separated `KEY=VALUE`s over the documented answers.
    fn from_str(text: &str) -> Result<Variants, String> {
        let mut v = Variants::documented();
        for spec in text.split(',').filter(|s| !s.trim().is_empty()) {
            v.set(spec)?;
        }
        Ok(v)
    }
}

impl fmt::Display for Variants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let empty = match self.empty_list {
            EmptyList::Empty => "empty",
            EmptyList::Null => "null",
            EmptyList::Absent => "absent",
        };
        write!(
            f,
            "already={},delete-missing={},sequence-field={},empty-list={empty}",
            self.already,
            if self.delete_missing_ok {
                "ok"
            } else {
                "30001"
            },
            if self.current_sequence {
                "CurrentSequence"
            } else {
                "CurruentSequence"
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_parse_and_show() {
        let v: Variants = "already=31307,empty-list=absent".parse().unwrap();
        assert_eq!(v.already, 31307);
        assert_eq!(v.empty_list, EmptyList::Absent);
        assert!(!v.delete_missing_ok);
        assert_eq!(
            v.to_string(),
            "already=31307,delete-missing=30001,sequence-field=CurruentSequence,empty-list=absent"
        );
        assert!(
            "already=1"
                .parse::<Variants>()
                .unwrap_err()
                .contains("known:")
        );
        assert!("nonsense".parse::<Variants>().is_err());
        assert_eq!("".parse::<Variants>().unwrap(), Variants::documented());
    }
}
