//! Exports: `e` (or `:export [PATH]`) writes what is shown — the list as filtered and sorted,
//! the last batch, the feed, the blockers found — to CSV or JSON Lines, with the same columns as
//! the CLI's for the same data.

use tui_input::Input;

use super::super::command::Args;
use super::super::model::{ExportWhat, Level, Model, Overlay};
use super::super::msg::Effect;
use crate::client::failure::Failure;
use crate::display::sanitize;
use crate::export::{self, Format};
use crate::tim::ids::UserId;

/// `e`: the export line with a default name; `:export PATH`: written at once.
pub(super) fn open(model: &mut Model, args: Args) -> Vec<Effect> {
    let what = model.export_what();
    match args {
        Args::Path(path) => match contents(model, what, &path) {
            Ok((contents, rows)) => vec![Effect::Export {
                path,
                contents,
                rows,
            }],
            Err(e) => {
                model.log(Level::Error, format!(":export: {e}"));
                Vec::new()
            }
        },
        _ => {
            model.overlay = Overlay::Export {
                input: Input::new(default_name(model, what)),
                what,
                error: None,
            };
            Vec::new()
        }
    }
}

/// Enter on the export line: written, or the line stays open with what is wrong.
pub(super) fn submit(model: &mut Model, input: Input, what: ExportWhat) -> Vec<Effect> {
    let path = input.value().trim().to_owned();
    match contents(model, what, &path) {
        Ok((contents, rows)) => vec![Effect::Export {
            path,
            contents,
            rows,
        }],
        Err(error) => {
            model.overlay = Overlay::Export {
                input,
                what,
                error: Some(error),
            };
            Vec::new()
        }
    }
}

pub(super) fn on_result(
    model: &mut Model,
    path: &str,
    result: Result<usize, Failure>,
) -> Vec<Effect> {
    match result {
        Ok(n) => model.log(
            Level::Success,
            format!("exported {n} row(s) to {}", sanitize(path)),
        ),
        Err(e) => model.log(
            Level::Error,
            format!("export to {} failed: {}", sanitize(path), sanitize(&e.text)),
        ),
    }
    Vec::new()
}

/// A file name for an export: whose, what, when.
fn default_name(model: &Model, what: ExportWhat) -> String {
    let stamp = crate::display::utc(model.now)
        .replace([' ', ':', '-'], "")
        .trim_end_matches('Z')
        .to_owned();
    let safe = |c: char| {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
            c
        } else {
            '_'
        }
    };
    let whose = model.list.owner.as_ref().map_or_else(
        || "blockdeck".to_owned(),
        |o| o.as_str().chars().map(safe).collect(),
    );
    format!("{whose}-{}-{stamp}.csv", what.file_word())
}

/// The export as CSV or JSON Lines (by the file's extension) and its row count: the columns of
/// [`crate::export`], values raw.
fn contents(model: &Model, what: ExportWhat, path: &str) -> Result<(String, usize), String> {
    let format = Format::for_path(path)?;
    Ok(match what {
        ExportWhat::List => {
            let owner = model
                .list
                .owner
                .as_ref()
                .map(UserId::as_str)
                .unwrap_or_default();
            let rows = model.list.view.iter().map(|&i| {
                let r = &model.list.rows[i];
                export::list_row(owner, r.to.as_str(), r.nick_raw.as_deref(), r.added)
            });
            export::render(format, export::LIST, rows)
        }
        ExportWhat::Batch => {
            let last = model.last.as_ref().ok_or("no batch has run yet")?;
            let batch = last.journal_batch.as_deref();
            let rows = last.items.iter().map(|item| export::item_row(&item, batch));
            export::render(format, export::ITEMS, rows)
        }
        ExportWhat::Feed => {
            let rows = model.feed.changes_shown().map(|l| {
                let e = &l.raw;
                export::feed_row(e.received, l.verb, &e.from, &e.to, &e.platform)
            });
            export::render(format, export::FEED, rows)
        }
        ExportWhat::Blockers => {
            // The table of blockers as shown (filtered and sorted), else the last one finished.
            let shown = model
                .reverse
                .as_ref()
                .filter(|_| model.list.kind == super::super::model::ListKind::Blockers);
            let view = shown
                .or(model.last_blockers.as_ref())
                .ok_or("no reverse lookup has finished yet")?;
            let target = view.target.as_str();
            let found: Vec<(&UserId, bool)> = match shown {
                Some(_) => model
                    .list
                    .view
                    .iter()
                    .map(|&i| (&model.list.rows[i].to, model.list.rows[i].mutual))
                    .collect(),
                None => view.found.iter().map(|(b, m)| (b, *m)).collect(),
            };
            let found = found
                .into_iter()
                .map(|(b, m)| export::blocker_row(target, b.as_str(), m));
            let failed = view.failed.iter().map(|(c, code, info)| {
                export::failed_candidate_row(target, c.as_str(), *code, info)
            });
            export::render(format, export::BLOCKERS, found.chain(failed))
        }
    })
}
