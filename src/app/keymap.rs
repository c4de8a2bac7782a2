//! The keys in use: the command table's defaults with the config file's `[keys]` laid over them.
//!
//! A command remapped in `[keys]` answers to the keys given instead of its default keys, in every
//! context where its bindings work (the contexts stay as in [`TABLE`]). The key lookup, the
//! action bar, the help, the popups' key lines and every message that names a key read the
//! [`Keymap`], so a remapped key shows wherever a key is named.
//!
//! A keymap is made once per run; the bindings of the remapped commands then live as long as the
//! program (they are a few bytes each), so that the bindings handed out are `'static` like the
//! table's.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::command::{Binding, Command, Context, Key, Spec, TABLE, key_words};

/// One action's keys in `[keys]`: a key, or a list of keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<KeyList, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = KeyList;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key in quotes (\"d\", \"ctrl-d\") or a list of them")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<KeyList, E> {
                Ok(KeyList::One(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<KeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = seq.next_element::<String>()? {
                    keys.push(key);
                }
                Ok(KeyList::Many(keys))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

impl KeyList {
    fn keys(&self) -> &[String] {
        match self {
            KeyList::One(key) => std::slice::from_ref(key),
            KeyList::Many(keys) => keys,
        }
    }
}

/// The `[keys]` table as read: action name → keys, each value with where it is in the file.
pub type KeysTable = BTreeMap<String, Spanned<KeyList>>;

/// A problem with the `[keys]` or `[theme]` table: where it is in the file (bytes), and what to
/// do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub span: std::ops::Range<usize>,
    pub message: String,
}

/// What a command is called in `[keys]`.
struct Row {
    spec: &'static Spec,
    /// The key first written for it, as the screen writes it (`r`, `Ctrl-C`), or its command
    /// line name (`:watch`) when it has no key.
    first: Option<&'static str>,
}

/// The keys in use. `Default` is the command table's keys.
#[derive(Clone, Copy)]
pub struct Keymap {
    bindings: &'static [(&'static Spec, Binding)],
    rows: &'static [Row],
    remapped: usize,
}

impl std::fmt::Debug for Keymap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keymap({} remapped)", self.remapped)
    }
}

/// Two keymaps are equal when every command has the same keys and labels.
impl PartialEq for Keymap {
    fn eq(&self, other: &Keymap) -> bool {
        self.bindings.len() == other.bindings.len()
            && self
                .bindings
                .iter()
                .zip(other.bindings)
                .all(|((s, b), (t, c))| {
                    s.command == t.command && b.keys == c.keys && b.label == c.label
                })
    }
}

impl Eq for Keymap {}

impl Default for Keymap {
    fn default() -> Keymap {
        static DEFAULTS: OnceLock<Keymap> = OnceLock::new();
        *DEFAULTS.get_or_init(|| {
            let bindings: Vec<(&'static Spec, Binding)> = TABLE
                .iter()
                .flat_map(|spec| spec.bindings.iter().map(move |b| (spec, *b)))
                .collect();
            Keymap::from_bindings(bindings, 0)
        })
    }
}

/// Commands shown under one label in the bar and the help (`j/k`, `n/p`, `↑/↓`): when either is
/// remapped, the first one's label names both keys.
const PAIRS: &[(Command, Command)] = &[
    (Command::Down, Command::Up),
    (Command::NextPage, Command::PrevPage),
    (Command::HistoryPrev, Command::HistoryNext),
];

/// Contexts where letters are text: a printable key there would make typing it impossible.
const TEXT_CONTEXTS: &[Context] = &[Context::Lookup, Context::Typing, Context::Palette];

fn leak<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

/// A key with the Shift flag that terminals may or may not send taken off (characters carry
/// their own case, Shift-Tab is its own key).
fn normal((code, mods): Key) -> Key {
    match code {
        KeyCode::Char(_) | KeyCode::BackTab => (code, mods - KeyModifiers::SHIFT),
        _ => (code, mods),
    }
}

impl Keymap {
    fn from_bindings(bindings: Vec<(&'static Spec, Binding)>, remapped: usize) -> Keymap {
        let bindings = leak(bindings);
        let rows = TABLE
            .iter()
            .map(|spec| Row {
                spec,
                first: bindings
                    .iter()
                    .find(|(s, _)| s.command == spec.command)
                    .and_then(|(_, b)| b.keys.first())
                    .map(key_words)
                    .or_else(|| spec.palette.map(|p| format!(":{}", p.name)))
                    .map(|k| &*Box::leak(k.into_boxed_str())),
            })
            .collect();
        Keymap {
            bindings,
            rows: leak(rows),
            remapped,
        }
    }

    /// The table's keys with the `[keys]` table laid over them; every problem names where it is.
    /// Problems are reported in the order of the file.
    pub fn from_config(table: &KeysTable) -> Result<Keymap, Problem> {
        if table.is_empty() {
            return Ok(Keymap::default());
        }
        let mut entries: Vec<(&String, &Spanned<KeyList>)> = table.iter().collect();
        entries.sort_by_key(|(_, v)| v.span().start);
        let mut wanted: Vec<(Command, Vec<Key>, std::ops::Range<usize>)> = Vec::new();
        for (action, value) in entries {
            let span = value.span();
            let problem = |message: String| Problem {
                span: span.clone(),
                message,
            };
            let Some(command) = Command::by_action(action) else {
                return Err(problem(format!(
                    "[keys]: no action is called `{}`; the actions are listed in the README \
                     (\"Action names\"), e.g. {}",
                    crate::display::sanitize(action),
                    ["unblock", "find-blockers", "down", "help"].join(", ")
                )));
            };
            let spec = command.spec();
            if spec.bindings.is_empty() {
                let palette = spec.palette.map(|p| p.name).unwrap_or(action);
                return Err(problem(format!(
                    "[keys]: {action} has no key to remap: it is a command of the command line \
                     (:{palette}); remove the line"
                )));
            }
            let texts = value.get_ref().keys();
            if texts.is_empty() {
                return Err(problem(format!(
                    "[keys]: {action} = [] would leave it without a key; give at least one key, \
                     or remove the line to keep its default"
                )));
            }
            let mut keys: Vec<Key> = Vec::new();
            for text in texts {
                let key = parse_key(text).map_err(|why| {
                    problem(format!(
                        "[keys]: {action}: {why}; keys are written like x, U, space, enter, \
                         esc, tab, shift-tab, backspace, up, pgdn, home, f1, ctrl-d, alt-x"
                    ))
                })?;
                for (code, mods) in key_variants(key) {
                    if !keys.contains(&(code, mods)) {
                        keys.push((code, mods));
                    }
                }
            }
            wanted.push((command, keys, span));
        }
        let mut bindings: Vec<(&'static Spec, Binding)> = Vec::new();
        for spec in TABLE {
            let over = wanted.iter().find(|(c, _, _)| *c == spec.command);
            for b in spec.bindings {
                let Some((_, keys, _)) = over else {
                    bindings.push((spec, *b));
                    continue;
                };
                let label: Vec<String> = keys
                    .iter()
                    .filter(|k| !matches!(k, (KeyCode::BackTab, m) if m.is_empty()))
                    .map(key_words)
                    .collect();
                bindings.push((
                    spec,
                    Binding {
                        keys: leak(keys.clone()),
                        label: Box::leak(label.join("/").into_boxed_str()),
                        contexts: b.contexts,
                        in_bar: b.in_bar,
                    },
                ));
            }
        }
        // A pair written under one label names both of its keys when either is remapped.
        for &(first, second) in PAIRS {
            if !wanted.iter().any(|(c, _, _)| *c == first || *c == second) {
                continue;
            }
            let key_of = |c: Command| {
                bindings
                    .iter()
                    .find(|(s, _)| s.command == c)
                    .and_then(|(_, b)| b.keys.first())
                    .map(key_words)
            };
            if let (Some(a), Some(b)) = (key_of(first), key_of(second))
                && let Some((_, binding)) = bindings.iter_mut().find(|(s, _)| s.command == first)
            {
                binding.label = Box::leak(format!("{a}/{b}").into_boxed_str());
            }
        }
        for (command, keys, span) in &wanted {
            check_clashes(&bindings, *command, keys).map_err(|message| Problem {
                span: span.clone(),
                message,
            })?;
        }
        Ok(Keymap::from_bindings(bindings, wanted.len()))
    }

    /// Every binding in table order, with its command.
    pub fn bindings(&self) -> impl Iterator<Item = (&'static Spec, &'static Binding)> {
        self.bindings.iter().map(|(s, b)| (*s, b))
    }

    /// The command `key` asks for in the first of `contexts` that binds it.
    pub fn resolve(&self, contexts: &[Context], key: &KeyEvent) -> Option<Command> {
        let pressed = normal((key.code, key.modifiers));
        contexts.iter().find_map(|ctx| {
            self.bindings()
                .filter(|(_, b)| b.contexts.contains(ctx))
                .find(|(_, b)| b.keys.iter().any(|&k| normal(k) == pressed))
                .map(|(spec, _)| spec.command)
        })
    }

    /// The keys of `command`'s first binding as the bar writes them (`n/Esc`, `j/k`), if it
    /// has a key: what `Command::key_label` said before keys could be remapped.
    pub fn label(&self, command: Command) -> Option<&'static str> {
        self.bindings
            .iter()
            .find(|(s, _)| s.command == command)
            .map(|(_, b)| b.label)
    }

    /// The first key of `command`, as a message names it (`r`, `Ctrl-C`, `Esc`); a command
    /// without a key is named by its command line name (`:watch`).
    pub fn key(&self, command: Command) -> &'static str {
        let row = self
            .rows
            .iter()
            .find(|r| r.spec.command == command)
            .expect("every command has a row");
        row.first.unwrap_or(row.spec.short)
    }

    /// How many commands the config file remapped.
    pub fn remapped(&self) -> usize {
        self.remapped
    }
}

/// The keys a parsed key stands for: Shift-Tab comes with or without the Shift flag.
fn key_variants(key: Key) -> Vec<Key> {
    match key {
        (KeyCode::BackTab, mods) => vec![(KeyCode::BackTab, mods | KeyModifiers::SHIFT)],
        other => vec![other],
    }
}

/// The remapped `command`'s keys must be free in each of its contexts, and printable keys must
/// stay text where letters are typed.
fn check_clashes(
    bindings: &[(&'static Spec, Binding)],
    command: Command,
    keys: &[Key],
) -> Result<(), String> {
    let action = command.action();
    let contexts: Vec<Context> = bindings
        .iter()
        .filter(|(s, _)| s.command == command)
        .flat_map(|(_, b)| b.contexts.iter().copied())
        .collect();
    for &key in keys {
        let written = key_words(&key);
        let printable =
            matches!(key, (KeyCode::Char(_), m) if (m - KeyModifiers::SHIFT).is_empty());
        if printable {
            if let Some(ctx) = contexts.iter().find(|c| TEXT_CONTEXTS.contains(c)) {
                return Err(format!(
                    "[keys]: {action} works on the {} where letters are text, so `{written}` \
                     could never be typed there; give it a key with ctrl- or alt-, or a named \
                     key such as f2",
                    ctx.words()
                ));
            }
            if let (Some(ctx), KeyCode::Char(c)) =
                (contexts.iter().find(|c| **c == Context::LookupEmpty), key.0)
                && c.is_alphanumeric()
            {
                return Err(format!(
                    "[keys]: {action} works on the {}, where a UserID's first letter is typed, \
                     so `{written}` would start no lookup; give it a sign such as ; or a key \
                     with ctrl-",
                    ctx.words()
                ));
            }
        }
        for (spec, b) in bindings {
            if spec.command == command || !b.keys.iter().any(|&k| normal(k) == normal(key)) {
                continue;
            }
            if let Some(ctx) = b.contexts.iter().find(|c| contexts.contains(c)) {
                return Err(format!(
                    "[keys]: `{written}` for {action} is already the key of {} on the {}; \
                     choose another key, or remap {} too",
                    spec.command.action(),
                    ctx.words(),
                    spec.command.action()
                ));
            }
        }
    }
    Ok(())
}

/// A key as the config file writes it: `x`, `U` (Shift-u), `space`, `enter`, `esc`, `tab`,
/// `backtab`/`shift-tab`, `backspace`, `up`/`down`/`left`/`right`, `home`/`end`,
/// `pgup`/`pgdn`, `f1`…`f12`, with `ctrl-` and `alt-` in front. Names are read in any case; a
/// single letter keeps its case.
pub fn parse_key(text: &str) -> Result<Key, String> {
    let shown = crate::display::sanitize(text);
    let mut mods = KeyModifiers::NONE;
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let (prefix, flag) = if lower.starts_with("ctrl-") && rest.len() > 5 {
            (5, KeyModifiers::CONTROL)
        } else if lower.starts_with("alt-") && rest.len() > 4 {
            (4, KeyModifiers::ALT)
        } else {
            break;
        };
        if mods.contains(flag) {
            return Err(format!("`{shown}` names the same modifier twice"));
        }
        mods |= flag;
        rest = &rest[prefix..];
    }
    let mut chars = rest.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_control() {
            return Err(format!("`{shown}` is a control character, not a key name"));
        }
        if mods.contains(KeyModifiers::CONTROL) && c.is_uppercase() {
            return Err(format!(
                "`{shown}`: terminals send Ctrl with a capital letter as Ctrl with the small \
                 one; write ctrl-{}",
                c.to_lowercase()
            ));
        }
        return Ok((KeyCode::Char(c), mods));
    }
    let lower = rest.to_ascii_lowercase();
    let code = match lower.as_str() {
        "space" => KeyCode::Char(' '),
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" | "shift-tab" | "s-tab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        f if f.starts_with('f') && f.len() > 1 => match f[1..].parse::<u8>() {
            Ok(n @ 1..=12) => KeyCode::F(n),
            _ => return Err(format!("`{shown}` is no function key (f1 to f12)")),
        },
        "" => return Err("an empty key".to_owned()),
        s if s.starts_with("shift-") => {
            return Err(format!(
                "`{shown}`: write a capital letter for Shift with a letter (U for Shift-u); \
                 shift- goes only with tab"
            ));
        }
        _ => return Err(format!("`{shown}` is not a key")),
    };
    Ok((code, mods))
}

/// The README's list of action names for `[keys]`, made from the table: one row per command
/// that has a key. The README must hold exactly this (a test checks it).
pub fn action_names_markdown() -> String {
    let mut out = String::from("| action | default keys | what it does |\n|---|---|---|\n");
    for spec in TABLE.iter().filter(|s| !s.bindings.is_empty()) {
        let mut keys: Vec<String> = Vec::new();
        for b in spec.bindings {
            for key in b.keys {
                let written = format!("`{}`", key_words(key));
                if !keys.contains(&written) {
                    keys.push(written);
                }
            }
        }
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            spec.command.action(),
            keys.join(", "),
            spec.help_in(&Keymap::default()).replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: KeyModifiers = KeyModifiers::NONE;
    const CTRL: KeyModifiers = KeyModifiers::CONTROL;

    fn keys(text: &str) -> KeysTable {
        #[derive(Deserialize)]
        struct File {
            keys: KeysTable,
        }
        toml::from_str::<File>(&format!("[keys]\n{text}"))
            .expect("valid TOML")
            .keys
    }

    fn line_of(document: &str, problem: &Problem) -> usize {
        document[..problem.span.start].matches('\n').count() + 1
    }

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn the_key_syntax() {
        assert_eq!(parse_key("d"), Ok((KeyCode::Char('d'), NONE)));
        assert_eq!(parse_key("U"), Ok((KeyCode::Char('U'), NONE)));
        assert_eq!(parse_key("space"), Ok((KeyCode::Char(' '), NONE)));
        assert_eq!(parse_key("Enter"), Ok((KeyCode::Enter, NONE)));
        assert_eq!(parse_key("esc"), Ok((KeyCode::Esc, NONE)));
        assert_eq!(parse_key("tab"), Ok((KeyCode::Tab, NONE)));
        assert_eq!(parse_key("shift-tab"), Ok((KeyCode::BackTab, NONE)));
        assert_eq!(parse_key("backtab"), Ok((KeyCode::BackTab, NONE)));
        assert_eq!(parse_key("backspace"), Ok((KeyCode::Backspace, NONE)));
        for (text, code) in [
            ("up", KeyCode::Up),
            ("down", KeyCode::Down),
            ("left", KeyCode::Left),
            ("right", KeyCode::Right),
            ("home", KeyCode::Home),
            ("end", KeyCode::End),
            ("pgup", KeyCode::PageUp),
            ("pgdn", KeyCode::PageDown),
            ("f1", KeyCode::F(1)),
            ("F12", KeyCode::F(12)),
        ] {
            assert_eq!(parse_key(text), Ok((code, NONE)), "{text}");
        }
        assert_eq!(parse_key("ctrl-d"), Ok((KeyCode::Char('d'), CTRL)));
        assert_eq!(
            parse_key("Ctrl-Alt-x"),
            Ok((KeyCode::Char('x'), CTRL | KeyModifiers::ALT))
        );
        assert_eq!(parse_key("ctrl--"), Ok((KeyCode::Char('-'), CTRL)));
        assert_eq!(parse_key("-"), Ok((KeyCode::Char('-'), NONE)));
        assert_eq!(parse_key("alt-f2"), Ok((KeyCode::F(2), KeyModifiers::ALT)));
        for bad in [
            "",
            "f13",
            "f0",
            "ctrl-ctrl-x",
            "shift-u",
            "ctrl-D",
            "wheel",
            "\u{1b}",
        ] {
            let err = parse_key(bad).expect_err(bad);
            assert!(!err.is_empty(), "{bad}");
        }
        assert!(parse_key("ctrl-D").unwrap_err().contains("ctrl-d"));
        assert!(parse_key("shift-u").unwrap_err().contains("U"));
    }

    #[test]
    fn action_names_are_kebab_case_and_unique() {
        assert_eq!(Command::FindBlockers.action(), "find-blockers");
        assert_eq!(Command::UnblockAB.action(), "unblock-ab");
        assert_eq!(Command::PageDown.action(), "page-down");
        let mut seen = std::collections::HashSet::new();
        for spec in TABLE {
            let name = spec.command.action();
            assert!(seen.insert(name), "{name} twice");
            assert_eq!(Command::by_action(name), Some(spec.command));
        }
    }

    #[test]
    fn the_default_keymap_is_the_table() {
        let map = Keymap::default();
        assert_eq!(map.label(Command::No), Some("n/Esc"));
        assert_eq!(map.key(Command::No), "n");
        assert_eq!(map.key(Command::CancelBatch), "Ctrl-C");
        assert_eq!(map.key(Command::Watch), ":watch");
        assert_eq!(
            map.bindings().count(),
            super::super::command::bindings().count()
        );
        assert_eq!(Keymap::from_config(&keys("")).unwrap().remapped(), 0);
    }

    #[test]
    fn a_remapped_key_resolves_and_the_default_no_longer_does() {
        let map = Keymap::from_config(&keys(
            "unblock = \"d\"\nfind-blockers = [\"W\", \"ctrl-w\"]\nfocus-prev = \"f2\"",
        ))
        .unwrap();
        let t = [Context::Table, Context::Global];
        assert_eq!(
            map.resolve(&t, &press(KeyCode::Char('d'), NONE)),
            Some(Command::Unblock)
        );
        assert_eq!(map.resolve(&t, &press(KeyCode::Char('x'), NONE)), None);
        assert_eq!(map.resolve(&t, &press(KeyCode::Char('w'), NONE)), None);
        for (code, mods) in [
            (KeyCode::Char('W'), KeyModifiers::SHIFT),
            (KeyCode::Char('w'), CTRL),
        ] {
            assert_eq!(
                map.resolve(&t, &press(code, mods)),
                Some(Command::FindBlockers)
            );
        }
        assert_eq!(
            map.resolve(&[Context::Feed], &press(KeyCode::Char('W'), NONE)),
            Some(Command::FindBlockers)
        );
        assert_eq!(
            map.resolve(&t, &press(KeyCode::F(2), NONE)),
            Some(Command::FocusPrev)
        );
        assert_eq!(
            map.resolve(&t, &press(KeyCode::BackTab, KeyModifiers::SHIFT)),
            None
        );
        // The inspector's own `x` is another command: it stays.
        assert_eq!(
            map.resolve(&[Context::Inspector], &press(KeyCode::Char('x'), NONE)),
            Some(Command::UnblockAB)
        );
        assert_eq!(map.label(Command::Unblock), Some("d"));
        assert_eq!(map.label(Command::FindBlockers), Some("W/Ctrl-W"));
        assert_eq!(map.key(Command::FindBlockers), "W");
        assert_eq!(map.remapped(), 3);
    }

    #[test]
    fn a_remapped_pair_names_both_keys() {
        let map = Keymap::from_config(&keys("down = \"ctrl-n\"")).unwrap();
        assert_eq!(map.label(Command::Down), Some("Ctrl-N/k"));
        assert_eq!(
            map.resolve(&[Context::Table], &press(KeyCode::Down, NONE)),
            None,
            "the remapped command has only the keys given"
        );
    }

    #[test]
    fn keys_may_be_swapped() {
        let map = Keymap::from_config(&keys("unblock = \"b\"\nblock = \"x\"")).unwrap();
        let t = [Context::Table];
        assert_eq!(
            map.resolve(&t, &press(KeyCode::Char('b'), NONE)),
            Some(Command::Unblock)
        );
        assert_eq!(
            map.resolve(&t, &press(KeyCode::Char('x'), NONE)),
            Some(Command::Block)
        );
    }

    fn problem(text: &str) -> (usize, String) {
        let table = keys(text);
        let p = Keymap::from_config(&table).expect_err(text);
        (line_of(&format!("[keys]\n{text}"), &p), p.message)
    }

    #[test]
    fn every_problem_says_where_and_what_to_do() {
        let (line, msg) = problem("sort = \"o\"\nunblok = \"d\"");
        assert_eq!(line, 3, "{msg}");
        assert!(msg.contains("`unblok`") && msg.contains("README"), "{msg}");

        let (line, msg) = problem("unblock = \"ctrl-\"");
        assert_eq!(line, 2, "{msg}");
        assert!(
            msg.contains("unblock") && msg.contains("keys are written like"),
            "{msg}"
        );

        let (line, msg) = problem("sort = \"o\"\n\nunblock = \"i\"");
        assert_eq!(line, 4, "{msg}");
        assert!(
            msg.contains("already the key of inspect on the table")
                && msg.contains("remap inspect too"),
            "{msg}"
        );

        let (_, msg) = problem("unblock = \"ctrl-c\"");
        assert!(msg.contains("interrupt"), "{msg}");

        let (line, msg) = problem("\nsubmit = \"s\"");
        assert_eq!(line, 3, "{msg}");
        assert!(
            msg.contains("letters are text") && msg.contains("ctrl-"),
            "{msg}"
        );

        let (_, msg) = problem("palette = \"a\"");
        assert!(msg.contains("empty lookup line"), "{msg}");
        assert!(Keymap::from_config(&keys("palette = \";\"")).is_ok());

        let (_, msg) = problem("watch = \"ctrl-w\"");
        assert!(
            msg.contains(":watch") && msg.contains("remove the line"),
            "{msg}"
        );

        let (_, msg) = problem("unblock = []");
        assert!(msg.contains("at least one key"), "{msg}");
    }

    #[test]
    fn the_readme_lists_the_action_names() {
        let readme = include_str!("../../README.md");
        let generated = action_names_markdown();
        assert!(
            readme.contains(&generated),
            "README's list of action names is not the command table; put this in its place:\n\n{generated}"
        );
    }
}
