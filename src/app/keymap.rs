//! The key map: one table from which key handling, the action bar and the help overlay are all made,
//! so that they can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a key is pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// The lookup line has focus (keys are text, except these).
    Lookup,
    /// The blocklist table has focus.
    Table,
    /// The activity pane has focus.
    Activity,
    /// A batch is running (any pane).
    Running,
    /// The confirmation popup.
    Confirm,
    /// The result summary popup.
    Result,
    /// The help overlay.
    Help,
    /// The filter, palette or block prompt is being typed.
    Typing,
    /// Anywhere no popup is open.
    Global,
    /// The feed pane has focus.
    Feed,
    /// The relationship inspector.
    Inspector,
    /// The reverse lookup's window.
    Blockers,
}

/// Everything a key can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    /// Ctrl-C: cancel the running batch, or quit when idle.
    Interrupt,
    FocusNext,
    FocusPrev,
    Help,
    Palette,
    Filter,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    NextPage,
    PrevPage,
    Mark,
    MarkRange,
    MarkAll,
    ClearMarks,
    Unblock,
    Block,
    Refresh,
    RetryFailed,
    Undo,
    Sort,
    ShowResult,
    Submit,
    HistoryPrev,
    HistoryNext,
    Yes,
    No,
    Close,
    CancelBatch,
    /// Inspect the looked-up user and the current row.
    Inspect,
    /// Who blocks the looked-up user (candidates: the listed users and their friends).
    FindBlockers,
    /// Export what is on screen.
    Export,
    /// In the inspector: unblock the first user's block of the second.
    UnblockAB,
    /// In the inspector: unblock the second user's block of the first.
    UnblockBA,
}

impl Action {
    /// Actions that change blocklists: absent in read-only mode.
    pub fn mutates(self) -> bool {
        matches!(
            self,
            Action::Unblock
                | Action::Block
                | Action::RetryFailed
                | Action::Undo
                | Action::UnblockAB
                | Action::UnblockBA
        )
    }
}

/// One entry of the key map.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the key is written in the bar and the help.
    pub label: &'static str,
    pub action: Action,
    pub contexts: &'static [Context],
    /// Short text for the action bar.
    pub short: &'static str,
    /// Longer text for the help overlay.
    pub help: &'static str,
    /// Shown in the action bar (the help lists everything).
    pub in_bar: bool,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

const fn ch(c: char) -> (KeyCode, KeyModifiers) {
    (KeyCode::Char(c), NONE)
}

use Context::*;

/// The key map. Order matters: the first binding that matches a key in a context wins, and the
/// action bar lists bindings in this order.
pub static KEYMAP: &[Binding] = &[
    // Popups first: they own the keyboard.
    Binding {
        keys: &[ch('y')],
        label: "y",
        action: Action::Yes,
        contexts: &[Confirm],
        short: "confirm",
        help: "carry out the action shown",
        in_bar: true,
    },
    Binding {
        keys: &[ch('n'), (KeyCode::Esc, NONE)],
        label: "n/Esc",
        action: Action::No,
        contexts: &[Confirm],
        short: "cancel",
        help: "cancel: nothing is sent",
        in_bar: true,
    },
    Binding {
        keys: &[(KeyCode::Esc, NONE), (KeyCode::Enter, NONE), ch('q')],
        label: "Esc",
        action: Action::Close,
        contexts: &[Result, Help, Inspector, Blockers],
        short: "close",
        help: "close this window",
        in_bar: true,
    },
    Binding {
        keys: &[ch('x')],
        label: "x",
        action: Action::UnblockAB,
        contexts: &[Inspector],
        short: "unblock A→B",
        help: "remove B from A's blocklist (confirmed)",
        in_bar: true,
    },
    Binding {
        keys: &[(KeyCode::Char('X'), SHIFT), (KeyCode::Char('X'), NONE)],
        label: "X",
        action: Action::UnblockBA,
        contexts: &[Inspector],
        short: "unblock B→A",
        help: "remove A from B's blocklist (confirmed)",
        in_bar: true,
    },
    Binding {
        keys: &[ch('e')],
        label: "e",
        action: Action::Export,
        contexts: &[Blockers, Result, Table, Activity, Feed],
        short: "export",
        help: "export what is shown (the list, the last batch, the feed, the blockers) to CSV or JSON",
        in_bar: true,
    },
    Binding {
        keys: &[(KeyCode::Enter, NONE)],
        label: "Enter",
        action: Action::Submit,
        contexts: &[Typing, Lookup],
        short: "submit",
        help: "look up the user / run the command / apply",
        in_bar: true,
    },
    Binding {
        keys: &[(KeyCode::Esc, NONE)],
        label: "Esc",
        action: Action::Close,
        contexts: &[Typing],
        short: "cancel",
        help: "leave the line (the filter is cleared)",
        in_bar: true,
    },
    Binding {
        keys: &[(KeyCode::Up, NONE)],
        label: "↑/↓",
        action: Action::HistoryPrev,
        contexts: &[Lookup],
        short: "history",
        help: "earlier lookups",
        in_bar: true,
    },
    Binding {
        keys: &[(KeyCode::Down, NONE)],
        label: "↓",
        action: Action::HistoryNext,
        contexts: &[Lookup],
        short: "",
        help: "later lookups",
        in_bar: false,
    },
    // While a batch runs.
    Binding {
        keys: &[(KeyCode::Char('c'), CTRL), (KeyCode::Esc, NONE)],
        label: "Ctrl-C/Esc",
        action: Action::CancelBatch,
        contexts: &[Running],
        short: "cancel batch",
        help: "cancel the running batch between requests",
        in_bar: true,
    },
    // On the lookup line, letters are text: the bar shows how to quit from there.
    Binding {
        keys: &[(KeyCode::Char('c'), CTRL)],
        label: "Ctrl-C",
        action: Action::Interrupt,
        contexts: &[Lookup],
        short: "quit",
        help: "quit (asks first while a batch runs)",
        in_bar: true,
    },
    Binding {
        keys: &[(KeyCode::Char('c'), CTRL)],
        label: "Ctrl-C",
        action: Action::Interrupt,
        contexts: &[Global, Table, Activity, Feed],
        short: "",
        help: "quit (cancels a running batch first)",
        in_bar: false,
    },
    // Moving around.
    Binding {
        keys: &[(KeyCode::Tab, NONE)],
        label: "Tab",
        action: Action::FocusNext,
        contexts: &[Global, Lookup, Table, Activity, Feed],
        short: "pane",
        help: "next pane",
        in_bar: false,
    },
    Binding {
        keys: &[(KeyCode::BackTab, SHIFT), (KeyCode::BackTab, NONE)],
        label: "S-Tab",
        action: Action::FocusPrev,
        contexts: &[Global, Lookup, Table, Activity, Feed],
        short: "",
        help: "previous pane",
        in_bar: false,
    },
    Binding {
        keys: &[ch('j'), (KeyCode::Down, NONE)],
        label: "j/k",
        action: Action::Down,
        contexts: &[Table, Activity, Feed],
        short: "move",
        help: "down",
        in_bar: false,
    },
    Binding {
        keys: &[ch('k'), (KeyCode::Up, NONE)],
        label: "k",
        action: Action::Up,
        contexts: &[Table, Activity, Feed],
        short: "",
        help: "up",
        in_bar: false,
    },
    Binding {
        keys: &[ch('g'), (KeyCode::Home, NONE)],
        label: "g",
        action: Action::Top,
        contexts: &[Table, Activity, Feed],
        short: "",
        help: "first row",
        in_bar: false,
    },
    Binding {
        keys: &[
            (KeyCode::Char('G'), SHIFT),
            (KeyCode::Char('G'), NONE),
            (KeyCode::End, NONE),
        ],
        label: "G",
        action: Action::Bottom,
        contexts: &[Table, Activity, Feed],
        short: "",
        help: "last row",
        in_bar: false,
    },
    Binding {
        keys: &[(KeyCode::PageUp, NONE)],
        label: "PgUp",
        action: Action::PageUp,
        contexts: &[Table, Activity, Feed],
        short: "",
        help: "one screen up",
        in_bar: false,
    },
    Binding {
        keys: &[(KeyCode::PageDown, NONE)],
        label: "PgDn",
        action: Action::PageDown,
        contexts: &[Table, Activity, Feed],
        short: "",
        help: "one screen down",
        in_bar: false,
    },
    Binding {
        keys: &[ch('n')],
        label: "n/p",
        action: Action::NextPage,
        contexts: &[Table],
        short: "page",
        help: "next page of 100",
        in_bar: true,
    },
    Binding {
        keys: &[ch('p')],
        label: "p",
        action: Action::PrevPage,
        contexts: &[Table],
        short: "",
        help: "previous page of 100",
        in_bar: false,
    },
    // Marking and acting.
    Binding {
        keys: &[ch(' ')],
        label: "space",
        action: Action::Mark,
        contexts: &[Table],
        short: "mark",
        help: "mark or unmark the row",
        in_bar: true,
    },
    Binding {
        keys: &[ch('v')],
        label: "v",
        action: Action::MarkRange,
        contexts: &[Table],
        short: "range",
        help: "mark a range: press at one end, then at the other",
        in_bar: true,
    },
    Binding {
        keys: &[ch('*')],
        label: "*",
        action: Action::MarkAll,
        contexts: &[Table],
        short: "all",
        help: "mark every row that passes the filter",
        in_bar: true,
    },
    Binding {
        keys: &[ch('u')],
        label: "u",
        action: Action::ClearMarks,
        contexts: &[Table],
        short: "clear",
        help: "clear the marks",
        in_bar: true,
    },
    Binding {
        keys: &[ch('x')],
        label: "x",
        action: Action::Unblock,
        contexts: &[Table],
        short: "unblock",
        help: "unblock the marked rows (or the current one)",
        in_bar: true,
    },
    Binding {
        keys: &[ch('b')],
        label: "b",
        action: Action::Block,
        contexts: &[Table, Activity],
        short: "block",
        help: "block IDs typed or pasted (many at once)",
        in_bar: true,
    },
    Binding {
        keys: &[(KeyCode::Char('R'), SHIFT), (KeyCode::Char('R'), NONE)],
        label: "R",
        action: Action::RetryFailed,
        contexts: &[Table, Activity],
        short: "retry",
        help: "retry the failed items of the last batch",
        in_bar: false,
    },
    Binding {
        keys: &[(KeyCode::Char('U'), SHIFT), (KeyCode::Char('U'), NONE)],
        label: "U",
        action: Action::Undo,
        contexts: &[Table, Activity],
        short: "undo",
        help: "undo the last batch (re-block what was unblocked, or the reverse)",
        in_bar: false,
    },
    Binding {
        keys: &[ch('s')],
        label: "s",
        action: Action::Sort,
        contexts: &[Table],
        short: "sort",
        help: "sort: oldest first, newest first, by ID",
        in_bar: false,
    },
    Binding {
        keys: &[ch('i')],
        label: "i",
        action: Action::Inspect,
        contexts: &[Table],
        short: "inspect",
        help: "the relationship between the looked-up user and this row",
        in_bar: true,
    },
    Binding {
        keys: &[ch('w')],
        label: "w",
        action: Action::FindBlockers,
        contexts: &[Table, Activity, Feed],
        short: "who blocks",
        help: "who blocks the looked-up user? (checks the listed users and their friends)",
        in_bar: false,
    },
    Binding {
        keys: &[ch('/')],
        label: "/",
        action: Action::Filter,
        contexts: &[Table],
        short: "filter",
        help: "filter the table as you type; Esc clears",
        in_bar: true,
    },
    Binding {
        keys: &[ch('r')],
        label: "r",
        action: Action::Refresh,
        contexts: &[Table, Activity],
        short: "refresh",
        help: "look the user up again",
        in_bar: false,
    },
    Binding {
        keys: &[ch('=')],
        label: "=",
        action: Action::ShowResult,
        contexts: &[Table, Activity],
        short: "",
        help: "show the summary of the last batch",
        in_bar: false,
    },
    Binding {
        keys: &[ch(':')],
        label: ":",
        action: Action::Palette,
        contexts: &[Table, Activity, Feed],
        short: "cmd",
        help: "command: :user ID, :block ID…, :unblock ID…, :q",
        in_bar: true,
    },
    Binding {
        keys: &[ch('?')],
        label: "?",
        action: Action::Help,
        contexts: &[Table, Activity, Feed],
        short: "help",
        help: "this help",
        in_bar: true,
    },
    Binding {
        keys: &[ch('q')],
        label: "q",
        action: Action::Quit,
        contexts: &[Table, Activity, Feed],
        short: "quit",
        help: "quit (asks first while a batch runs)",
        in_bar: true,
    },
];

/// Whether `key` is one of `keys` (Shift is ignored for characters, which carry their own case).
fn matches(keys: &[(KeyCode, KeyModifiers)], key: &KeyEvent) -> bool {
    keys.iter().any(|&(code, mods)| {
        code == key.code
            && match code {
                KeyCode::Char(_) => (mods & !SHIFT) == (key.modifiers & !SHIFT),
                _ => mods == key.modifiers,
            }
    })
}

/// The action for `key` in the first of `contexts` that binds it.
pub fn lookup(contexts: &[Context], key: &KeyEvent, read_only: bool) -> Option<Action> {
    contexts.iter().find_map(|ctx| {
        KEYMAP
            .iter()
            .filter(|b| b.contexts.contains(ctx))
            .filter(|b| !(read_only && b.action.mutates()))
            .find(|b| matches(b.keys, key))
            .map(|b| b.action)
    })
}

/// The bindings of the action bar for `contexts` (first context first), without duplicates.
pub fn bar(contexts: &[Context], read_only: bool) -> Vec<&'static Binding> {
    let mut out: Vec<&'static Binding> = Vec::new();
    for ctx in contexts {
        for b in KEYMAP
            .iter()
            .filter(|b| b.contexts.contains(ctx) && b.in_bar)
        {
            if read_only && b.action.mutates() {
                continue;
            }
            if !out.iter().any(|o| o.action == b.action) {
                out.push(b);
            }
        }
    }
    out
}

/// Every binding the help lists, grouped under a heading per context.
pub fn help(read_only: bool) -> Vec<(&'static str, Vec<&'static Binding>)> {
    let groups: [(&str, Context); 8] = [
        ("Blocklist", Table),
        ("Inspector", Inspector),
        ("Feed", Feed),
        ("Lookup line", Lookup),
        ("Anywhere", Global),
        ("While a batch runs", Running),
        ("Confirmation", Confirm),
        ("Typing a line", Typing),
    ];
    groups
        .into_iter()
        .map(|(title, ctx)| {
            let items = KEYMAP
                .iter()
                .filter(|b| b.contexts.contains(&ctx))
                .filter(|b| !(read_only && b.action.mutates()))
                .collect();
            (title, items)
        })
        .collect()
}

/// Palette commands, with whether each changes blocklists.
pub static COMMANDS: &[(&str, &str, bool)] = &[
    ("user ID", "look a user up", false),
    ("block ID…", "block IDs for the looked-up user", true),
    ("unblock ID…", "unblock IDs for the looked-up user", true),
    ("inspect A B", "the relationship between two users", false),
    (
        "blockers [friends|listed|file PATH|ID…]",
        "who blocks the looked-up user, among these candidates",
        false,
    ),
    (
        "watch on|off",
        "refresh the list when it changes (polls its sequence)",
        false,
    ),
    ("export PATH", "export what is shown (.csv or .json)", false),
    ("q", "quit", false),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn letters_are_commands_only_in_tables() {
        let x = key(KeyCode::Char('x'), NONE);
        assert_eq!(lookup(&[Table], &x, false), Some(Action::Unblock));
        assert_eq!(lookup(&[Lookup], &x, false), None);
        assert_eq!(lookup(&[Typing], &x, false), None);
    }

    #[test]
    fn read_only_hides_mutations_everywhere() {
        let x = key(KeyCode::Char('x'), NONE);
        assert_eq!(lookup(&[Table], &x, true), None);
        assert!(bar(&[Table], true).iter().all(|b| !b.action.mutates()));
        assert!(
            help(true)
                .iter()
                .all(|(_, bs)| bs.iter().all(|b| !b.action.mutates()))
        );
        assert!(
            bar(&[Table], false)
                .iter()
                .any(|b| b.action == Action::Unblock)
        );
    }

    #[test]
    fn shifted_letters_match_with_or_without_the_shift_flag() {
        assert_eq!(
            lookup(&[Table], &key(KeyCode::Char('G'), SHIFT), false),
            Some(Action::Bottom)
        );
        assert_eq!(
            lookup(&[Table], &key(KeyCode::Char('G'), NONE), false),
            Some(Action::Bottom)
        );
        assert_eq!(
            lookup(&[Table], &key(KeyCode::Char('U'), SHIFT), false),
            Some(Action::Undo)
        );
    }

    #[test]
    fn the_readme_documents_every_key() {
        let readme = include_str!("../../README.md");
        let section = readme
            .split("### Key map")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("README has a Key map section");
        for b in KEYMAP {
            let keys: Vec<&str> = if b.label == "/" {
                vec!["/"]
            } else {
                b.label.split('/').collect()
            };
            for key in keys {
                assert!(
                    section.contains(&format!("`{key}`")),
                    "README's key map does not mention `{key}` ({:?})",
                    b.action
                );
            }
        }
    }

    #[test]
    fn every_action_bound_in_a_context_is_reachable() {
        // No binding is shadowed entirely by an earlier one in all of its contexts.
        for b in KEYMAP {
            let reachable = b.contexts.iter().any(|ctx| {
                b.keys
                    .iter()
                    .any(|&(code, mods)| lookup(&[*ctx], &key(code, mods), false) == Some(b.action))
            });
            assert!(reachable, "{:?} ({}) is shadowed", b.action, b.label);
        }
    }
}
