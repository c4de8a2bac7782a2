//! The `:` command line: opening it, Tab completion, and Enter, which runs the line like the
//! key it names or keeps the line open with what is wrong.

use super::super::command;
use super::super::model::{Completion, Level, Model, Overlay, PaletteLine};
use super::super::msg::Effect;
use super::super::palette;

/// Opens the command line with `text` typed.
pub(super) fn open(model: &mut Model, text: &str) -> Vec<Effect> {
    model.overlay = Overlay::Palette(PaletteLine::new(text));
    Vec::new()
}

/// Opens the command line with `line` and why it did not run, to be fixed.
pub(super) fn reopen(model: &mut Model, line: &str, error: String) -> Vec<Effect> {
    let mut palette = PaletteLine::new(line);
    palette.error = Some(error);
    model.overlay = Overlay::Palette(palette);
    Vec::new()
}

/// Enter: parses the line and runs it, or keeps it open with the problem shown on it.
pub(super) fn submit(model: &mut Model, line: PaletteLine) -> Vec<Effect> {
    let text = line.input.value().to_owned();
    if text.trim().is_empty() {
        return Vec::new();
    }
    let inv = match palette::parse_with(&text, &model.keymap) {
        Ok(inv) => inv,
        Err(error) => return reopen_as(model, line, error),
    };
    match command::availability(model, &inv) {
        Ok(()) => super::dispatch(model, inv),
        Err(why) => {
            model.log(Level::Warning, why.clone());
            reopen_as(model, line, why)
        }
    }
}

fn reopen_as(model: &mut Model, mut line: PaletteLine, error: String) -> Vec<Effect> {
    line.error = Some(error);
    line.completion = None;
    model.overlay = Overlay::Palette(line);
    Vec::new()
}

/// Tab: completes the word at the cursor. One choice is put in with a space after it; several
/// put in what they share and are listed; Tab again cycles through them.
pub(super) fn complete(model: &mut Model) -> Vec<Effect> {
    let Overlay::Palette(line) = &model.overlay else {
        return Vec::new();
    };
    let (text, cursor) = (line.input.value().to_owned(), line.input.cursor());
    let byte_cursor = text
        .char_indices()
        .nth(cursor)
        .map_or(text.len(), |(i, _)| i);
    let cycling = line.completion.clone().filter(|c| c.choices.len() > 1);
    let (replacement, completion) = match cycling {
        Some(mut c) => {
            let next = c.shown.map_or(0, |i| (i + 1) % c.choices.len());
            c.shown = Some(next);
            let word = c.word.clone();
            c.word = word.start..word.start + c.choices[next].len();
            ((word, c.choices[next].clone()), Some(c))
        }
        None => {
            let (choices, word) = palette::choices(model, &text, byte_cursor);
            match choices.len() {
                0 => {
                    set_error(model, "nothing to complete here".to_owned());
                    return Vec::new();
                }
                1 => ((word, format!("{} ", choices[0])), None),
                _ => {
                    let shared = palette::common_prefix(&choices);
                    let shared = if shared.len() > word.len() {
                        shared
                    } else {
                        text[word.clone()].to_owned()
                    };
                    let span = word.start..word.start + shared.len();
                    let c = Completion {
                        choices,
                        shown: None,
                        word: span,
                    };
                    ((word, shared), Some(c))
                }
            }
        }
    };
    let ((word, with), completion) = (replacement, completion);
    let mut new_text = text.clone();
    new_text.replace_range(word.clone(), &with);
    let cursor_chars = new_text[..word.start + with.len()].chars().count();
    if let Overlay::Palette(line) = &mut model.overlay {
        line.input = tui_input::Input::new(new_text).with_cursor(cursor_chars);
        line.error = None;
        line.completion = completion;
    }
    Vec::new()
}

fn set_error(model: &mut Model, error: String) {
    if let Overlay::Palette(line) = &mut model.overlay {
        line.error = Some(error);
    }
}
