//! The one writer of exports, for the CLI's `--csv`/`--json` and the dashboard's `e` alike: the
//! same data gets the same columns in the same order, as CSV with a header row (RFC 4180
//! quoting) or as JSON Lines with one object per row whose keys are the columns (null where a
//! column does not apply). Values are raw: exports are data, not screen text.
//!
//! A row count never includes the CSV header.

use std::io::{self, Write};

use serde_json::{Map, Value};

use crate::client::engine::ItemResult;
use crate::client::{ItemStatus, Pair};
use crate::display::{csv_field, utc};
use crate::tim::codes;
use crate::tim::wire::BlackRelation;

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    /// The format a file name asks for: `.csv`, or `.json`/`.jsonl` for JSON Lines.
    pub fn for_path(path: &str) -> Result<Format, String> {
        if path.is_empty() {
            Err("name a file, ending in .csv or .json".to_owned())
        } else if path.ends_with(".json") || path.ends_with(".jsonl") {
            Ok(Format::JsonLines)
        } else if path.ends_with(".csv") {
            Ok(Format::Csv)
        } else {
            Err("the file name must end in .csv or .json".to_owned())
        }
    }
}

/// Columns of a blocklist: one row per entry.
pub const LIST: &[&str] = &[
    "from",
    "to",
    "nickname",
    "add_black_time_stamp",
    "added_utc",
];
/// Columns of a batch's items (block, unblock, check): one row per pair.
pub const ITEMS: &[&str] = &[
    "batch", "from", "to", "status", "relation", "code", "info", "meaning", "attempts",
];
/// Columns of a reverse lookup: one row per blocker, then one per failed candidate.
pub const BLOCKERS: &[&str] = &[
    "target",
    "candidate",
    "status",
    "mutual",
    "code",
    "info",
    "meaning",
];
/// Columns of the change feed: one row per change.
pub const FEED: &[&str] = &["time", "change", "from", "to", "platform"];

/// One blocklist entry.
pub fn list_row(from: &str, to: &str, nickname: Option<&str>, added: u64) -> Vec<Value> {
    vec![
        from.into(),
        to.into(),
        nickname.map_or(Value::Null, Value::from),
        added.into(),
        utc(added).into(),
    ]
}

/// The relation as the service names it (`BlackCheckResult_Type_BothWay`, ...).
pub fn relation_name(a_blocks_b: bool, b_blocks_a: Option<bool>) -> &'static str {
    match BlackRelation::from_directions(a_blocks_b, b_blocks_a.unwrap_or(false)) {
        BlackRelation::AWithB => "BlackCheckResult_Type_AWithB",
        BlackRelation::BWithA => "BlackCheckResult_Type_BWithA",
        BlackRelation::BothWay => "BlackCheckResult_Type_BothWay",
        _ => "BlackCheckResult_Type_NO",
    }
}

/// The status word of an item: `done`, `already`, `ok` (a check's answer), `failed`, `unfinished`.
pub fn status_word(status: &ItemStatus) -> &'static str {
    match status {
        ItemStatus::Done => "done",
        ItemStatus::Already => "already",
        ItemStatus::Relation { .. } => "ok",
        ItemStatus::Failed { .. } => "failed",
        ItemStatus::Unfinished => "unfinished",
    }
}

/// One item of a batch.
pub fn item_row(item: &ItemResult, batch: Option<&str>) -> Vec<Value> {
    let (relation, code, info, meaning) = match &item.status {
        ItemStatus::Relation {
            a_blocks_b,
            b_blocks_a,
        } => (
            Value::from(relation_name(*a_blocks_b, *b_blocks_a)),
            Value::Null,
            Value::Null,
            Value::Null,
        ),
        ItemStatus::Failed { code, info } => (
            Value::Null,
            Value::from(*code),
            Value::from(info.as_str()),
            Value::from(codes::lookup(*code).meaning),
        ),
        _ => (Value::Null, Value::Null, Value::Null, Value::Null),
    };
    vec![
        batch.map_or(Value::Null, Value::from),
        item.pair.from.as_str().into(),
        item.pair.to.as_str().into(),
        status_word(&item.status).into(),
        relation,
        code,
        info,
        meaning,
        item.attempts.into(),
    ]
}

/// A pair that was not sent (the dashboard keeps these without an item).
pub fn unfinished_row(pair: &Pair, batch: Option<&str>) -> Vec<Value> {
    item_row(
        &ItemResult {
            pair: pair.clone(),
            status: ItemStatus::Unfinished,
            code: 0,
            info: String::new(),
            attempts: 0,
        },
        batch,
    )
}

/// A candidate that blocks the target.
pub fn blocker_row(target: &str, candidate: &str, mutual: bool) -> Vec<Value> {
    vec![
        target.into(),
        candidate.into(),
        "blocker".into(),
        mutual.into(),
        Value::Null,
        Value::Null,
        Value::Null,
    ]
}

/// A candidate whose check failed.
pub fn failed_candidate_row(target: &str, candidate: &str, code: i64, info: &str) -> Vec<Value> {
    vec![
        target.into(),
        candidate.into(),
        "failed".into(),
        Value::Null,
        code.into(),
        info.into(),
        codes::lookup(code).meaning.into(),
    ]
}

/// One change of the feed.
pub fn feed_row(time: u64, change: &str, from: &str, to: &str, platform: &str) -> Vec<Value> {
    vec![
        time.into(),
        change.into(),
        from.into(),
        to.into(),
        platform.into(),
    ]
}

/// Writes rows of `columns` as they come: the CSV header first, then one line per row.
pub struct Writer<W: Write> {
    out: W,
    format: Format,
    columns: &'static [&'static str],
    rows: usize,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, format: Format, columns: &'static [&'static str]) -> io::Result<Writer<W>> {
        let mut writer = Writer {
            out,
            format,
            columns,
            rows: 0,
        };
        if format == Format::Csv {
            writeln!(writer.out, "{}", columns.join(","))?;
        }
        Ok(writer)
    }

    /// Writes one row (as many values as columns).
    pub fn row(&mut self, values: Vec<Value>) -> io::Result<()> {
        debug_assert_eq!(values.len(), self.columns.len(), "{:?}", self.columns);
        match self.format {
            Format::Csv => {
                let fields: Vec<String> = values.iter().map(csv_value).collect();
                writeln!(self.out, "{}", fields.join(","))?;
            }
            Format::JsonLines => {
                let object: Map<String, Value> = self
                    .columns
                    .iter()
                    .map(|c| (*c).to_owned())
                    .zip(values)
                    .collect();
                writeln!(self.out, "{}", Value::Object(object))?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far (the header is not one).
    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

fn csv_value(value: &Value) -> String {
    match value {
        Value::String(s) => csv_field(s),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A whole export in memory: its text and its row count.
pub fn render(
    format: Format,
    columns: &'static [&'static str],
    rows: impl IntoIterator<Item = Vec<Value>>,
) -> (String, usize) {
    let mut writer = Writer::new(Vec::new(), format, columns).expect("writing to memory");
    for row in rows {
        writer.row(row).expect("writing to memory");
    }
    let count = writer.rows();
    let text = String::from_utf8(writer.into_inner()).expect("JSON and CSV of strings are UTF-8");
    (text, count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tim::ids::UserId;

    fn id(s: &str) -> UserId {
        UserId::parse(s).unwrap()
    }

    #[test]
    fn formats_follow_the_file_name() {
        assert_eq!(Format::for_path("a.csv"), Ok(Format::Csv));
        assert_eq!(Format::for_path("a.json"), Ok(Format::JsonLines));
        assert_eq!(Format::for_path("a.jsonl"), Ok(Format::JsonLines));
        for bad in ["", "a.txt", "a.csv.bak"] {
            assert!(Format::for_path(bad).unwrap_err().contains(".csv"), "{bad}");
        }
    }

    #[test]
    fn csv_has_a_header_and_quotes_and_counts_rows_only() {
        let rows = vec![
            list_row("alice", "comma,id", Some("Quote \"Q\""), 0),
            list_row("alice", "bob", None, 60),
        ];
        let (text, n) = render(Format::Csv, LIST, rows);
        assert_eq!(n, 2);
        assert_eq!(
            text,
            "from,to,nickname,add_black_time_stamp,added_utc\n\
             alice,\"comma,id\",\"Quote \"\"Q\"\"\",0,1970-01-01 00:00:00Z\n\
             alice,bob,,60,1970-01-01 00:01:00Z\n"
        );
    }

    #[test]
    fn json_lines_have_every_column_as_a_key() {
        let item = ItemResult {
            pair: Pair::new(id("a"), id("b")),
            status: ItemStatus::Failed {
                code: 30003,
                info: "Err_SNS_Account_Not_Exist".into(),
            },
            code: 30003,
            info: String::new(),
            attempts: 2,
        };
        let (text, n) = render(Format::JsonLines, ITEMS, [item_row(&item, Some("B1"))]);
        assert_eq!(n, 1);
        let v: Value = serde_json::from_str(text.trim()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = ITEMS.to_vec();
        want.sort_unstable();
        let mut got = keys.clone();
        got.sort_unstable();
        assert_eq!(got, want);
        assert_eq!(v["status"], "failed");
        assert_eq!(v["code"], 30003);
        assert_eq!(v["relation"], Value::Null);
        assert!(v["meaning"].as_str().unwrap().contains("does not exist"));
        // An empty render has a header only in CSV, nothing in JSON Lines.
        assert_eq!(render(Format::JsonLines, ITEMS, []).0, "");
        assert_eq!(render(Format::Csv, BLOCKERS, []).1, 0);
    }

    #[test]
    fn every_row_builder_fills_its_columns() {
        assert_eq!(list_row("a", "b", None, 1).len(), LIST.len());
        assert_eq!(
            unfinished_row(&Pair::new(id("a"), id("b")), None).len(),
            ITEMS.len()
        );
        assert_eq!(blocker_row("x", "c", true).len(), BLOCKERS.len());
        assert_eq!(
            failed_candidate_row("x", "c", 30003, "").len(),
            BLOCKERS.len()
        );
        assert_eq!(
            feed_row(1, "blocked", "a", "b", "RESTAPI").len(),
            FEED.len()
        );
        assert_eq!(
            relation_name(true, Some(true)),
            "BlackCheckResult_Type_BothWay"
        );
        assert_eq!(relation_name(true, None), "BlackCheckResult_Type_AWithB");
        assert_eq!(
            relation_name(false, Some(true)),
            "BlackCheckResult_Type_BWithA"
        );
        assert_eq!(relation_name(false, None), "BlackCheckResult_Type_NO");
    }
}
