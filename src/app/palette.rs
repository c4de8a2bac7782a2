//! The `:` command line: its words (shell quoting: `"we ird"` and `'we ird'` are one word), its
//! parsing into an [`Invocation`] by the grammar of the command table, and Tab completion of
//! command names and of the UserIDs on screen. Pure functions of the text and the model.

use std::ops::Range;

use super::command::{self, Args, CandidateArgs, Grammar, Invocation, PaletteName};
use super::model::Model;
use crate::display::sanitize;
use crate::tim::ids::UserId;

/// A word of a line: its text with the quoting removed, and where it stands in the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// Bytes of the line, from the first character (an opening quote included) to the last.
    pub span: Range<usize>,
}

/// How a line is cut into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// At unquoted spaces, tabs and new lines.
    Words,
    /// Also at unquoted commas: lists of IDs, as pasted from a spreadsheet.
    Ids,
}

/// Why a line cannot be cut into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteError {
    /// A quote was opened and never closed.
    Unclosed(char),
    /// The line ends in a backslash that escapes nothing.
    TrailingBackslash,
}

impl std::fmt::Display for QuoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QuoteError::Unclosed(q) => write!(
                f,
                "a {q} quote is not closed: close it, or write a literal {q} as \\{q}"
            ),
            QuoteError::TrailingBackslash => {
                f.write_str("the line ends in a backslash: remove it, or write \\\\")
            }
        }
    }
}

/// The words of `line`, by the shell's quoting rules: `'…'` keeps everything as it is, `"…"`
/// keeps everything but `\"`, `\\`, `\$` and `` \` ``, and a backslash outside quotes makes the
/// next character literal. With `lenient`, a quote left open at the end closes there (what Tab
/// completes while a quoted word is being typed).
pub fn split(line: &str, cut: Cut, lenient: bool) -> Result<Vec<Word>, QuoteError> {
    let mut words = Vec::new();
    let mut chars = line.char_indices().peekable();
    let separator = |c: char| matches!(c, ' ' | '\t' | '\n') || (cut == Cut::Ids && c == ',');
    while let Some(&(start, c)) = chars.peek() {
        if separator(c) {
            chars.next();
            continue;
        }
        let mut text = String::new();
        let mut end = start;
        while let Some(&(at, c)) = chars.peek() {
            if separator(c) {
                break;
            }
            chars.next();
            end = at + c.len_utf8();
            match c {
                '\\' => match chars.next() {
                    Some((at, '\n')) => end = at + 1,
                    Some((at, next)) => {
                        text.push(next);
                        end = at + next.len_utf8();
                    }
                    None if lenient => {}
                    None => return Err(QuoteError::TrailingBackslash),
                },
                '\'' | '"' => {
                    let closed = quoted(c, &mut chars, &mut text, &mut end);
                    if !closed && !lenient {
                        return Err(QuoteError::Unclosed(c));
                    }
                }
                c => text.push(c),
            }
        }
        words.push(Word {
            text,
            span: start..end,
        });
    }
    Ok(words)
}

/// Reads a quoted part after its opening `quote`; false when the line ends first.
fn quoted(
    quote: char,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    text: &mut String,
    end: &mut usize,
) -> bool {
    while let Some((at, c)) = chars.next() {
        *end = at + c.len_utf8();
        match c {
            c if c == quote => return true,
            '\\' if quote == '"' => match chars.next() {
                Some((at, next)) => {
                    *end = at + next.len_utf8();
                    match next {
                        '$' | '`' | '"' | '\\' => text.push(next),
                        '\n' => {}
                        other => {
                            text.push('\\');
                            text.push(other);
                        }
                    }
                }
                None => return false,
            },
            c => text.push(c),
        }
    }
    false
}

/// `text` written so that [`split`] reads it back as one word (with either cut): as it is when
/// it holds nothing special, else in quotes.
pub fn quote(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.starts_with('#')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@#%+=:./_-^~!".contains(c));
    if plain {
        text.to_owned()
    } else if !text.contains('\'') {
        format!("'{text}'")
    } else {
        let mut out = String::with_capacity(text.len() + 2);
        out.push('"');
        for c in text.chars() {
            if matches!(c, '"' | '\\' | '$' | '`') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    }
}

/// The command line's usage in one sentence, for errors.
fn usage(p: &PaletteName) -> String {
    format!(":{}", p.usage)
}

/// Parses a command line (without its `:`) into an invocation, or says what is wrong with it.
pub fn parse(line: &str) -> Result<Invocation, String> {
    parse_with(line, &command::Keymap::default())
}

/// [`parse`], its messages naming the keys of `keys`.
pub fn parse_with(line: &str, keys: &command::Keymap) -> Result<Invocation, String> {
    let words = split(line, Cut::Words, false).map_err(|e| e.to_string())?;
    let complete = keys.key(command::Command::Complete);
    let Some(first) = words.first() else {
        return Err(format!("type a command ({complete} lists them)"));
    };
    let Some(spec) = command::by_name(&first.text) else {
        return Err(format!(
            "unknown command :{} — {complete} lists the commands",
            sanitize(&first.text)
        ));
    };
    let p = spec.palette.as_ref().expect("found by name");
    let ids_cut = matches!(
        p.grammar,
        Grammar::Users | Grammar::UserOrPair | Grammar::Candidates
    ) && words.get(1).is_none_or(|w| w.text != "file");
    let rest: Vec<String> = if ids_cut {
        let words = split(line, Cut::Ids, false).map_err(|e| e.to_string())?;
        words.into_iter().skip(1).map(|w| w.text).collect()
    } else {
        words.into_iter().skip(1).map(|w| w.text).collect()
    };
    let args = arguments(p, &rest)?;
    Ok(Invocation {
        command: spec.command,
        args,
    })
}

fn user_id(p: &PaletteName, word: &str) -> Result<UserId, String> {
    UserId::parse(word).map_err(|e| format!(":{} {:?}: {e}", p.name, sanitize(word)))
}

fn arguments(p: &PaletteName, rest: &[String]) -> Result<Args, String> {
    let ids = |words: &[String]| -> Result<Vec<UserId>, String> {
        words.iter().map(|w| user_id(p, w)).collect()
    };
    Ok(match (p.grammar, rest) {
        (_, []) if p.grammar != Grammar::User => match p.grammar {
            Grammar::OnOff => Args::On(true),
            _ => Args::None,
        },
        (Grammar::Nothing, _) => return Err(format!(":{} takes nothing", p.name)),
        (Grammar::User, [one]) => Args::Users(vec![user_id(p, one)?]),
        (Grammar::User, _) => {
            return Err(format!("{} — one UserID, e.g. :{} alice", usage(p), p.name));
        }
        (Grammar::OptionalUser, [one]) => Args::Users(vec![user_id(p, one)?]),
        (Grammar::OptionalUser, _) => {
            return Err(format!("{} — one UserID at most", usage(p)));
        }
        (Grammar::Users, words) => Args::Users(ids(words)?),
        (Grammar::UserOrPair, words @ ([_] | [_, _])) => {
            let users = ids(words)?;
            if users.len() == 2 && users[0] == users[1] {
                return Err(format!(":{} needs two different users", p.name));
            }
            Args::Users(users)
        }
        (Grammar::UserOrPair, _) => {
            return Err(format!("{} — one or two UserIDs", usage(p)));
        }
        (Grammar::Candidates, [w]) if w == "friends" => Args::Candidates(CandidateArgs::Friends),
        (Grammar::Candidates, [w]) if w == "listed" => Args::Candidates(CandidateArgs::Listed),
        (Grammar::Candidates, [w, path]) if w == "file" => {
            Args::Candidates(CandidateArgs::File(path.clone()))
        }
        (Grammar::Candidates, [w, ..]) if w == "file" => {
            return Err(format!(":{} file takes one file name", p.name));
        }
        (Grammar::Candidates, words) => Args::Candidates(CandidateArgs::Ids(ids(words)?)),
        (Grammar::OnOff, [w]) if w == "on" => Args::On(true),
        (Grammar::OnOff, [w]) if w == "off" => Args::On(false),
        (Grammar::OnOff, _) => return Err(format!("{} — on or off", usage(p))),
        (Grammar::Path, [path]) => Args::Path(path.clone()),
        (Grammar::Path, _) => {
            return Err(format!(
                ":{} takes one file name (quote a name with spaces)",
                p.name
            ));
        }
        (Grammar::Text, words) => Args::Text(words.join(" ")),
        (Grammar::Batch, [id]) => Args::Text(id.clone()),
        (Grammar::Batch, _) => return Err(format!("{} — one batch ID", usage(p))),
    })
}

// ------------------------------------------------------------------------------ completion

/// What Tab offers for the word at `cursor` of `line`: the choices (written as they would be
/// typed) and where the word stands. Command names for the first word (those read-only mode
/// allows), then by the command's grammar: UserIDs on screen, keywords, `on`/`off`.
pub fn choices(model: &Model, line: &str, cursor: usize) -> (Vec<String>, Range<usize>) {
    let cursor = cursor.min(line.len());
    let words = split(&line[..cursor], Cut::Ids, true).unwrap_or_default();
    // The word being typed ends at the cursor; after a separator a new one starts there.
    let typing = words
        .last()
        .filter(|w| w.span.end == cursor)
        .cloned()
        .unwrap_or(Word {
            text: String::new(),
            span: cursor..cursor,
        });
    let index = words
        .iter()
        .filter(|w| w.span.end <= typing.span.start)
        .count();
    let prefix = typing.text.as_str();
    let mut out: Vec<String> = Vec::new();
    if index == 0 {
        out.extend(
            command::palette_names(model.read_only)
                .map(|(_, p)| p.name)
                .filter(|name| name.starts_with(prefix))
                .map(str::to_owned),
        );
        return (out, typing.span);
    }
    let Some(p) = command::by_name(&words[0].text).and_then(|s| s.palette.as_ref()) else {
        return (out, typing.span);
    };
    if index == 1 {
        let keywords: &[&str] = match p.grammar {
            Grammar::Candidates => &["friends", "listed", "file"],
            Grammar::OnOff => &["on", "off"],
            _ => &[],
        };
        if p.grammar == Grammar::Batch {
            out.extend(
                model
                    .incomplete
                    .iter()
                    .map(|b| b.id.clone())
                    .filter(|id| id.starts_with(prefix)),
            );
        }
        out.extend(
            keywords
                .iter()
                .filter(|k| k.starts_with(prefix))
                .map(|k| (*k).to_owned()),
        );
    }
    let takes_ids = match p.grammar {
        Grammar::User | Grammar::OptionalUser => index == 1,
        Grammar::UserOrPair => index <= 2,
        Grammar::Users => true,
        Grammar::Candidates => words.get(1).is_none_or(|w| w.text != "file"),
        _ => false,
    };
    if takes_ids {
        let typed: Vec<&str> = words.iter().skip(1).map(|w| w.text.as_str()).collect();
        let ids = model.ids_on_screen();
        let matching = |exact: bool| {
            ids.iter()
                .filter(|id| !typed.contains(&id.as_str()) || *id == prefix)
                .filter(move |id| {
                    if exact {
                        id.starts_with(prefix)
                    } else {
                        id.to_lowercase().starts_with(&prefix.to_lowercase())
                    }
                })
                .map(|id| quote(id))
                .collect::<Vec<_>>()
        };
        let exact = matching(true);
        out.extend(if exact.is_empty() {
            matching(false)
        } else {
            exact
        });
    }
    (out, typing.span)
}

/// The longest start that every choice shares.
pub fn common_prefix(choices: &[String]) -> String {
    let Some(first) = choices.first() else {
        return String::new();
    };
    let mut end = first.len();
    for c in &choices[1..] {
        end = end.min(
            first
                .char_indices()
                .zip(c.chars())
                .take_while(|((_, a), b)| a == b)
                .map(|((i, a), _)| i + a.len_utf8())
                .last()
                .unwrap_or(0),
        );
    }
    first[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::command::Command;

    fn texts(line: &str, cut: Cut) -> Vec<String> {
        split(line, cut, false)
            .unwrap()
            .into_iter()
            .map(|w| w.text)
            .collect()
    }

    #[test]
    fn quotes_keep_a_word_whole() {
        assert_eq!(
            texts(r#"unblock "we ird" x"#, Cut::Words),
            ["unblock", "we ird", "x"]
        );
        assert_eq!(texts("unblock 'we ird'", Cut::Words), ["unblock", "we ird"]);
        assert_eq!(texts(r"a\ b c", Cut::Words), ["a b", "c"]);
        assert_eq!(texts(r#""a\"b" 'c\d'"#, Cut::Words), ["a\"b", r"c\d"]);
        assert_eq!(texts(r#""x\y""#, Cut::Words), [r"x\y"]);
        assert_eq!(texts("a,b 'c,d' e", Cut::Ids), ["a", "b", "c,d", "e"]);
        assert_eq!(texts("a,b", Cut::Words), ["a,b"]);
        assert_eq!(texts("  ", Cut::Words), Vec::<String>::new());
        assert_eq!(texts("''", Cut::Words), [""]);
        assert_eq!(
            split("x 'open", Cut::Words, false),
            Err(QuoteError::Unclosed('\''))
        );
        assert_eq!(
            split("x \\", Cut::Words, false),
            Err(QuoteError::TrailingBackslash)
        );
        let lenient = split("x 'op", Cut::Words, true).unwrap();
        assert_eq!(lenient[1].text, "op");
        assert_eq!(lenient[1].span, 2..5);
    }

    #[test]
    fn spans_point_at_the_words() {
        let line = r#"block  "a b",c d"#;
        let words = split(line, Cut::Ids, false).unwrap();
        let spans: Vec<&str> = words.iter().map(|w| &line[w.span.clone()]).collect();
        assert_eq!(spans, ["block", "\"a b\"", "c", "d"]);
    }

    #[test]
    fn quoting_reads_back_as_one_word() {
        for text in [
            "alice",
            "we ird",
            "it's",
            "c,1",
            "a\"b",
            "#x",
            "",
            "$x `y` \\z",
            "@RBT#support",
        ] {
            let q = quote(text);
            for cut in [Cut::Words, Cut::Ids] {
                let words = split(&q, cut, false).unwrap();
                assert_eq!(words.len(), 1, "{text:?} → {q}");
                assert_eq!(words[0].text, text, "{q}");
            }
        }
        assert_eq!(quote("alice"), "alice");
        assert_eq!(quote("we ird"), "'we ird'");
    }

    #[test]
    fn lines_parse_by_the_grammar_of_their_command() {
        let inv = parse(r#"unblock "we ird""#).unwrap();
        assert_eq!(inv.command, Command::Unblock);
        assert_eq!(
            inv.args,
            Args::Users(vec![UserId::parse("we ird").unwrap()])
        );
        assert_eq!(parse("user bob").unwrap().command, Command::Lookup);
        assert_eq!(parse("u bob").unwrap().command, Command::Lookup);
        assert_eq!(parse("q").unwrap(), Invocation::key(Command::Quit));
        assert_eq!(parse("watch").unwrap().args, Args::On(true));
        assert_eq!(parse("watch off").unwrap().args, Args::On(false));
        assert_eq!(
            parse("blockers file 'my, list.txt'").unwrap().args,
            Args::Candidates(CandidateArgs::File("my, list.txt".into()))
        );
        assert_eq!(
            parse("blockers a,b").unwrap().args,
            Args::Candidates(CandidateArgs::Ids(vec![
                UserId::parse("a").unwrap(),
                UserId::parse("b").unwrap()
            ]))
        );
        assert_eq!(
            parse("export 'a b.csv'").unwrap().args,
            Args::Path("a b.csv".into())
        );
        assert_eq!(
            parse("filter spam bot").unwrap().args,
            Args::Text("spam bot".into())
        );
        for (line, words) in [
            ("frobnicate", "unknown command :frobnicate"),
            ("user", "one UserID"),
            ("user a b", "one UserID"),
            ("inspect a b c", "one or two"),
            ("inspect a a", "two different"),
            ("watch maybe", "on or off"),
            ("q now", "takes nothing"),
            ("unblock 'x", "quote is not closed"),
            (
                "block aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "at most 32 bytes",
            ),
            ("", "type a command"),
        ] {
            let e = parse(line).unwrap_err();
            assert!(e.contains(words), "{line:?}: {e}");
        }
    }

    #[test]
    fn common_prefixes() {
        let c = |v: &[&str]| common_prefix(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(c(&["unblock", "undo"]), "un");
        assert_eq!(c(&["inspect"]), "inspect");
        assert_eq!(c(&["a", "b"]), "");
        assert_eq!(c(&[]), "");
    }

    mod against_a_shell {
        use proptest::prelude::*;

        use super::super::{Cut, split};

        proptest! {
            /// Without commas and comments, the words are the ones a POSIX shell would read.
            #[test]
            fn words_are_what_shlex_reads(line in r#"[a-c '"\\ \t\n$`]{0,24}"#) {
                let ours = split(&line, Cut::Words, false)
                    .ok()
                    .map(|w| w.into_iter().map(|w| w.text).collect::<Vec<_>>());
                prop_assert_eq!(ours, shlex::split(&line));
            }

            /// What Tab writes for an ID reads back as that ID.
            #[test]
            fn quoted_ids_read_back(id in "[ -~]{1,32}") {
                let q = super::super::quote(&id);
                for cut in [Cut::Words, Cut::Ids] {
                    let words = split(&q, cut, false).unwrap();
                    prop_assert_eq!(words.len(), 1);
                    prop_assert_eq!(&words[0].text, &id);
                }
            }
        }
    }
}
