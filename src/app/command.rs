//! Every command of the dashboard, as data: its keys in each context, its name and argument
//! grammar on the `:` command line, whether it changes blocklists, and its help. One rule,
//! [`availability`], says whether it can run now, or why not.
//!
//! The key lookup, the action bar, the help, the command line's parsing and completion, and the
//! "cannot do that now" message all read [`TABLE`] and [`availability`], so they never disagree.
//! Read-only mode is one clause of the rule; `update::gate` stays the last line every effect
//! passes, so that a change can never slip through even if the rule had a gap.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use super::keymap::Keymap;
use super::model::{ListKind, Model, Overlay};
use crate::display::sanitize;
use crate::tim::codes::{self, Class};
use crate::tim::ids::UserId;

/// Where a key is pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// The lookup line has focus (keys are text, except these).
    Lookup,
    /// The lookup line has focus and is empty (`:` opens the command line).
    LookupEmpty,
    /// The blocklist table has focus.
    Table,
    /// The activity pane has focus.
    Activity,
    /// The feed pane has focus.
    Feed,
    /// A batch is running (any pane).
    Running,
    /// The confirmation popup.
    Confirm,
    /// The summary of the last batch.
    Summary,
    /// The help overlay.
    Help,
    /// The filter, the block prompt or the export line is being typed.
    Typing,
    /// The `:` command line is being typed.
    Palette,
    /// Anywhere no popup is open.
    Global,
    /// The relationship inspector.
    Inspector,
    /// An activity or feed line opened whole.
    Entry,
    /// The journal's batch list (`:journal`).
    Journal,
    /// A batch of the journal opened: its items.
    JournalItems,
    /// An account's recorded changes (`H`, `:history`).
    History,
}

/// Everything the dashboard can be asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Yes,
    No,
    /// On a confirmation: type why the change is made.
    Reason,
    /// On a confirmation: name a protected account to let it through.
    NameProtected,
    /// Close the window on top.
    Close,
    /// In the inspector: take B off A's blocklist.
    UnblockAB,
    /// In the inspector: take A off B's blocklist.
    UnblockBA,
    /// Export what is shown.
    Export,
    /// Enter on a line: look up, run the command, apply.
    Submit,
    /// Enter on an activity or feed line: open it whole.
    Open,
    /// Tab on the command line: complete the word at the cursor.
    Complete,
    /// Leave the line being typed.
    CancelLine,
    HistoryPrev,
    HistoryNext,
    /// Cancel the running batch between requests.
    CancelBatch,
    /// Ctrl-C: cancel the running batch, or quit when idle.
    Interrupt,
    FocusNext,
    FocusPrev,
    Down,
    Up,
    Top,
    Bottom,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    NextPage,
    PrevPage,
    Mark,
    MarkRange,
    MarkAll,
    ClearMarks,
    /// Unblock the marked rows, the current one, or the IDs given.
    Unblock,
    /// Block IDs for the looked-up user (a prompt, or the IDs given).
    Block,
    RetryFailed,
    Undo,
    /// Finish a batch the journal holds unfinished (`:resume [ID]`).
    Resume,
    Sort,
    /// The relationship between the looked-up user and a row (or the users given).
    Inspect,
    /// Who blocks the looked-up user.
    FindBlockers,
    Filter,
    Refresh,
    ShowResult,
    Palette,
    Help,
    Quit,
    /// Look a user up (`:user ID`).
    Lookup,
    /// Refresh the list when it changes (`:watch on|off`).
    Watch,
    /// The team's recent batches from the journal (`:journal`).
    Journal,
    /// In the journal: undo the batch at the cursor (the inverse, over the pairs it changed).
    UndoBatch,
    /// The changes the change store recorded about an account (`:history [ID]`).
    ShowHistory,
    /// On the feed: show every change again.
    ClearFilter,
    /// In the history: look up the other account of the line.
    LookUpLine,
    /// Enter on a row: look that account up, keeping the place to come back to.
    OpenRow,
    /// Esc / Backspace on the table: cancel the pending range, clear the filter, or go back.
    Back,
    /// Copy the IDs at hand to the terminal's clipboard (OSC 52).
    Copy,
}

/// A key: its code and modifiers (Shift is ignored for characters, which carry their own case).
pub type Key = (KeyCode, KeyModifiers);

/// Keys of a command in some contexts.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    /// How the keys are written in the bar and the help.
    pub label: &'static str,
    pub contexts: &'static [Context],
    /// Shown in the action bar (the help lists every binding).
    pub in_bar: bool,
}

/// What a command takes on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grammar {
    /// Nothing.
    Nothing,
    /// Exactly one UserID.
    User,
    /// One UserID; none: as the key does.
    OptionalUser,
    /// Any number of UserIDs (none: as the key does).
    Users,
    /// One UserID (compared with the looked-up user) or two; none: as the key does.
    UserOrPair,
    /// `friends`, `listed`, `file PATH` or UserIDs; none: the listed users and the friends.
    Candidates,
    /// `on` or `off`; none: on.
    OnOff,
    /// A file name; none: a default name.
    Path,
    /// Free text; none: empty.
    Text,
    /// A batch ID of the journal (its start is enough); none: the latest unfinished.
    Batch,
}

/// A command's name on the `:` command line.
#[derive(Debug, Clone, Copy)]
pub struct PaletteName {
    pub name: &'static str,
    /// Other names it answers to (not offered by completion).
    pub aliases: &'static [&'static str],
    pub grammar: Grammar,
    /// `inspect [A] B`, for the help and errors.
    pub usage: &'static str,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub command: Command,
    /// A word or two for the action bar.
    pub short: &'static str,
    /// A sentence for the help.
    pub help: &'static str,
    /// Whether it changes blocklists (absent in read-only mode).
    pub mutates: bool,
    pub bindings: &'static [Binding],
    pub palette: Option<PaletteName>,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

const fn ch(c: char) -> Key {
    (KeyCode::Char(c), NONE)
}

const fn key(code: KeyCode) -> Key {
    (code, NONE)
}

const fn bind(
    keys: &'static [Key],
    label: &'static str,
    contexts: &'static [Context],
    in_bar: bool,
) -> Binding {
    Binding {
        keys,
        label,
        contexts,
        in_bar,
    }
}

const fn name(
    name: &'static str,
    aliases: &'static [&'static str],
    grammar: Grammar,
    usage: &'static str,
) -> Option<PaletteName> {
    Some(PaletteName {
        name,
        aliases,
        grammar,
        usage,
    })
}

use Context::*;

/// Where the moving keys work.
const MOVING: &[Context] = &[
    Table,
    Activity,
    Feed,
    Help,
    Entry,
    Inspector,
    Journal,
    JournalItems,
    History,
];
/// The journal view, the list and an opened batch.
const JOURNAL: &[Context] = &[Journal, JournalItems];
/// The panes.
const PANES: &[Context] = &[Table, Activity, Feed];

/// Every command. Order matters: in a context, the first binding that matches a key wins, and
/// the action bar lists bindings in this order.
#[rustfmt::skip]
pub static TABLE: &[Spec] = &[
    // Popups first: they own the keyboard.
    Spec { command: Command::Yes, short: "confirm", help: "carry out the action shown",
        mutates: false, palette: None,
        bindings: &[bind(&[ch('y')], "y", &[Confirm], true)] },
    Spec { command: Command::No, short: "cancel", help: "cancel: nothing is sent",
        mutates: false, palette: None,
        bindings: &[bind(&[ch('n'), key(KeyCode::Esc)], "n/Esc", &[Confirm], true)] },
    Spec { command: Command::Reason, short: "reason",
        help: "type the change's reason (journaled)",
        mutates: false, palette: None,
        bindings: &[bind(&[ch('r')], "r", &[Confirm], true)] },
    Spec { command: Command::NameProtected, short: "include protected",
        help: "let a protected account through",
        mutates: false, palette: None,
        bindings: &[bind(&[ch('p')], "p", &[Confirm], false)] },
    Spec { command: Command::Close, short: "close", help: "close this window",
        mutates: false, palette: None,
        bindings: &[
            bind(&[key(KeyCode::Esc), key(KeyCode::Enter), ch('q')], "Esc",
                &[Summary, Help, Inspector, Entry], true),
            bind(&[key(KeyCode::Esc), ch('q')], "Esc", &[Journal, JournalItems, History], true),
        ] },
    Spec { command: Command::UndoBatch, short: "undo batch",
        help: "undo this batch: its inverse, over the pairs it changed",
        mutates: true, palette: None,
        bindings: &[bind(&[(KeyCode::Char('U'), SHIFT)], "U", JOURNAL, true)] },
    Spec { command: Command::UnblockAB, short: "unblock A→B",
        help: "remove B from A's blocklist (confirmed)", mutates: true, palette: None,
        bindings: &[bind(&[ch('x')], "x", &[Inspector], true)] },
    Spec { command: Command::UnblockBA, short: "unblock B→A",
        help: "remove A from B's blocklist (confirmed)", mutates: true, palette: None,
        bindings: &[bind(&[(KeyCode::Char('X'), SHIFT)], "X", &[Inspector], true)] },
    Spec { command: Command::Export, short: "export",
        help: "export what is shown to CSV or JSON",
        mutates: false, palette: name("export", &["e"], Grammar::Path, "export [PATH]"),
        bindings: &[bind(&[ch('e')], "e", &[Summary, Table, Activity, Feed], true)] },
    Spec { command: Command::Copy, short: "copy",
        help: "copy to the clipboard (OSC 52): the marked IDs, else the row's (feed, inspector: \
            both accounts)",
        mutates: false, palette: name("copy", &[], Grammar::Nothing, "copy"),
        bindings: &[bind(&[ch('c')], "c",
            &[Table, Feed, Inspector, History, Journal, JournalItems], false)] },
    Spec { command: Command::Submit, short: "submit",
        help: "look up the user / run the command / apply", mutates: false, palette: None,
        bindings: &[bind(&[key(KeyCode::Enter)], "Enter", &[Palette, Typing, Lookup], true)] },
    Spec { command: Command::Open, short: "open",
        help: "open the line whole (the journal: the batch's items)",
        mutates: false, palette: None,
        bindings: &[bind(&[key(KeyCode::Enter)], "Enter", &[Activity, Feed, Journal], true)] },
    Spec { command: Command::LookUpLine, short: "look up",
        help: "look up the other account of the line", mutates: false, palette: None,
        bindings: &[bind(&[key(KeyCode::Enter)], "Enter", &[History], true)] },
    Spec { command: Command::Complete, short: "complete",
        help: "complete the command or the UserID at the cursor (again: the next choice)",
        mutates: false, palette: None,
        bindings: &[bind(&[key(KeyCode::Tab)], "Tab", &[Palette], true)] },
    Spec { command: Command::CancelLine, short: "cancel",
        help: "leave the line (the filter is cleared)", mutates: false, palette: None,
        bindings: &[bind(&[key(KeyCode::Esc)], "Esc", &[Palette, Typing], true)] },
    Spec { command: Command::HistoryPrev, short: "history", help: "earlier lookups (the filter line: the filter kept before)",
        mutates: false, palette: None,
        bindings: &[
            bind(&[key(KeyCode::Up)], "↑/↓", &[Lookup], true),
            bind(&[key(KeyCode::Up)], "↑", &[Typing], false),
        ] },
    Spec { command: Command::HistoryNext, short: "", help: "later lookups",
        mutates: false, palette: None,
        bindings: &[bind(&[key(KeyCode::Down)], "↓", &[Lookup], false)] },
    // While a batch runs.
    Spec { command: Command::CancelBatch, short: "cancel batch",
        help: "cancel the running batch between requests", mutates: false,
        palette: name("cancel", &[], Grammar::Nothing, "cancel"),
        bindings: &[bind(&[(KeyCode::Char('c'), CTRL), key(KeyCode::Esc)], "Ctrl-C/Esc",
            &[Running], true)] },
    // On the lookup line letters are text: the bar shows how to quit from there.
    Spec { command: Command::Interrupt, short: "quit",
        help: "quit (cancels a running batch first, asking)", mutates: false, palette: None,
        bindings: &[
            bind(&[(KeyCode::Char('c'), CTRL)], "Ctrl-C", &[Lookup], true),
            bind(&[(KeyCode::Char('c'), CTRL)], "Ctrl-C", &[Global, Table, Activity, Feed], false),
        ] },
    // Moving around.
    Spec { command: Command::FocusNext, short: "pane", help: "next pane", mutates: false,
        palette: None,
        bindings: &[bind(&[key(KeyCode::Tab)], "Tab", &[Global, Lookup, Table, Activity, Feed], false)] },
    Spec { command: Command::FocusPrev, short: "", help: "previous pane", mutates: false,
        palette: None,
        bindings: &[bind(&[(KeyCode::BackTab, SHIFT), key(KeyCode::BackTab)], "S-Tab",
            &[Global, Lookup, Table, Activity, Feed], false)] },
    Spec { command: Command::Down, short: "move", help: "down", mutates: false, palette: None,
        bindings: &[bind(&[ch('j'), key(KeyCode::Down)], "j/k", MOVING, false)] },
    Spec { command: Command::Up, short: "", help: "up", mutates: false, palette: None,
        bindings: &[bind(&[ch('k'), key(KeyCode::Up)], "k", MOVING, false)] },
    Spec { command: Command::Top, short: "", help: "first row", mutates: false, palette: None,
        bindings: &[bind(&[ch('g'), key(KeyCode::Home)], "g", MOVING, false)] },
    Spec { command: Command::Bottom, short: "", help: "last row", mutates: false, palette: None,
        bindings: &[bind(&[(KeyCode::Char('G'), SHIFT), key(KeyCode::End)], "G", MOVING, false)] },
    Spec { command: Command::PageUp, short: "", help: "one screen up", mutates: false,
        palette: None,
        bindings: &[bind(&[key(KeyCode::PageUp)], "PgUp", MOVING, false)] },
    Spec { command: Command::PageDown, short: "", help: "one screen down", mutates: false,
        palette: None,
        bindings: &[bind(&[key(KeyCode::PageDown)], "PgDn", MOVING, false)] },
    Spec { command: Command::HalfPageDown, short: "", help: "half a screen down", mutates: false,
        palette: None,
        bindings: &[bind(&[(KeyCode::Char('d'), CTRL)], "Ctrl-D", MOVING, false)] },
    Spec { command: Command::HalfPageUp, short: "", help: "half a screen up", mutates: false,
        palette: None,
        bindings: &[bind(&[(KeyCode::Char('u'), CTRL)], "Ctrl-U", MOVING, false)] },
    Spec { command: Command::NextPage, short: "page", help: "next page of 100", mutates: false,
        palette: None,
        bindings: &[bind(&[ch('n')], "n/p", &[Table], true)] },
    Spec { command: Command::PrevPage, short: "", help: "previous page of 100", mutates: false,
        palette: None,
        bindings: &[bind(&[ch('p')], "p", &[Table], false)] },
    // Marking and acting.
    Spec { command: Command::Mark, short: "mark", help: "mark or unmark the row",
        mutates: false, palette: None,
        bindings: &[bind(&[ch(' ')], "space", &[Table], true)] },
    Spec { command: Command::MarkRange, short: "range",
        help: "mark a range: press at one end, then at the other ({back} cancels)", mutates: false,
        palette: None,
        bindings: &[bind(&[ch('v')], "v", &[Table], true)] },
    Spec { command: Command::MarkAll, short: "all", help: "mark every row that passes the filter",
        mutates: false, palette: name("mark-all", &[], Grammar::Nothing, "mark-all"),
        bindings: &[bind(&[ch('*')], "*", &[Table], true)] },
    Spec { command: Command::ClearMarks, short: "clear", help: "clear the marks",
        mutates: false, palette: name("clear-marks", &[], Grammar::Nothing, "clear-marks"),
        bindings: &[bind(&[ch('u')], "u", &[Table], true)] },
    Spec { command: Command::Unblock, short: "unblock",
        help: "unblock the marked rows (or the current one; or the IDs given); on a table of who \
            blocks X: take X off the marked users' lists", mutates: true,
        palette: name("unblock", &["x"], Grammar::Users, "unblock [ID…]"),
        bindings: &[bind(&[ch('x')], "x", &[Table], true)] },
    Spec { command: Command::Block, short: "block",
        help: "block IDs typed or pasted for the looked-up user", mutates: true,
        palette: name("block", &["b"], Grammar::Users, "block [ID…]"),
        bindings: &[bind(&[ch('b')], "b", &[Table, Activity], true)] },
    Spec { command: Command::RetryFailed, short: "retry",
        help: "retry the failed items of the last batch that a retry can fix", mutates: true,
        palette: name("retry", &["R"], Grammar::Nothing, "retry"),
        bindings: &[bind(&[(KeyCode::Char('R'), SHIFT)], "R", &[Table, Activity], false)] },
    Spec { command: Command::Undo, short: "undo",
        help: "undo the last batch (re-block what was unblocked, or the reverse)", mutates: true,
        palette: name("undo", &["U"], Grammar::Nothing, "undo"),
        bindings: &[bind(&[(KeyCode::Char('U'), SHIFT)], "U", &[Table, Activity], false)] },
    Spec { command: Command::Resume, short: "resume",
        help: "finish a batch left unfinished", mutates: true,
        palette: name("resume", &[], Grammar::Batch, "resume [BATCH]"), bindings: &[] },
    Spec { command: Command::Sort, short: "sort",
        help: "sort: oldest first, newest first, by ID, by nickname (the journal: by time, by moderator)",
        mutates: false, palette: name("sort", &["s"], Grammar::Nothing, "sort"),
        bindings: &[bind(&[ch('s')], "s", &[Table, Journal], false)] },
    Spec { command: Command::Inspect, short: "inspect",
        help: "the relationship between the looked-up user and this row (or the users given)",
        mutates: false, palette: name("inspect", &["i"], Grammar::UserOrPair, "inspect [A] B"),
        bindings: &[bind(&[ch('i')], "i", &[Table], true)] },
    Spec { command: Command::FindBlockers, short: "who blocks",
        help: "who blocks the looked-up user? (checks the listed users and their friends)",
        mutates: false,
        palette: name("blockers", &["who", "w"], Grammar::Candidates,
            "blockers [friends|listed|file PATH|ID…]"),
        bindings: &[bind(&[ch('w')], "w", &[Table, Activity, Feed], false)] },
    Spec { command: Command::Filter, short: "filter",
        help: "filter the table as you type (the feed: by account); {cancel-line} clears",
        mutates: false,
        palette: name("filter", &["f"], Grammar::Text, "filter [TEXT]"),
        bindings: &[bind(&[ch('/')], "/", &[Table, Journal, Feed], true)] },
    Spec { command: Command::ClearFilter, short: "clear filter",
        help: "show every change again (clears the feed's filter)", mutates: false,
        palette: None,
        bindings: &[bind(&[key(KeyCode::Esc)], "Esc", &[Feed], true)] },
    Spec { command: Command::Refresh, short: "refresh",
        help: "refresh what is shown",
        mutates: false, palette: name("refresh", &["r"], Grammar::Nothing, "refresh"),
        bindings: &[bind(&[ch('r'), (KeyCode::Char('r'), CTRL)], "r",
            &[Table, Activity, Journal, JournalItems, History], false)] },
    Spec { command: Command::ShowResult, short: "summary",
        help: "show the summary of the last batch", mutates: false,
        palette: name("summary", &["="], Grammar::Nothing, "summary"),
        bindings: &[bind(&[ch('=')], "=", &[Table, Activity], false)] },
    Spec { command: Command::Palette, short: "cmd",
        help: "command line: every command below, with {complete} to complete", mutates: false,
        palette: None,
        bindings: &[bind(&[ch(':')], ":", &[LookupEmpty, Table, Activity, Feed, Journal,
            JournalItems], true)] },
    Spec { command: Command::Help, short: "help", help: "this help", mutates: false,
        palette: name("help", &["h", "?"], Grammar::Nothing, "help"),
        bindings: &[bind(&[ch('?')], "?", &[Table, Activity, Feed, Journal, JournalItems], true)] },
    Spec { command: Command::OpenRow, short: "open",
        help: "open the row's account: its lookup and blocklist ({back} comes back)",
        mutates: false, palette: None,
        bindings: &[bind(&[key(KeyCode::Enter)], "Enter", &[Table], true)] },
    Spec { command: Command::Back, short: "back",
        help: "cancel the range begun, clear the filter, or go back to where {open-row} or \
            {find-blockers} came from",
        mutates: false, palette: name("back", &[], Grammar::Nothing, "back"),
        bindings: &[bind(&[key(KeyCode::Esc), key(KeyCode::Backspace)], "Esc", &[Table], true)] },
    Spec { command: Command::Quit, short: "quit", help: "quit (asks first while a batch runs)",
        mutates: false, palette: name("quit", &["q", "q!", "exit"], Grammar::Nothing, "quit"),
        bindings: &[bind(&[ch('q')], "q", PANES, true)] },
    Spec { command: Command::Journal, short: "journal",
        help: "the team's recent batches from the journal",
        mutates: false, palette: name("journal", &["J"], Grammar::Nothing, "journal"),
        bindings: &[bind(&[(KeyCode::Char('J'), SHIFT)], "J", PANES, false)] },
    Spec { command: Command::ShowHistory, short: "history",
        help: "the changes recorded about the account at the cursor, both ways (or the ID given)",
        mutates: false,
        palette: name("history", &["H"], Grammar::OptionalUser, "history [ID]"),
        bindings: &[
            bind(&[(KeyCode::Char('H'), SHIFT)], "H", PANES, false),
            bind(&[(KeyCode::Char('H'), SHIFT)], "H", &[Inspector, History], true),
        ] },
    // Only on the command line.
    Spec { command: Command::Lookup, short: "user", help: "look a user up", mutates: false,
        palette: name("user", &["u"], Grammar::User, "user ID"), bindings: &[] },
    Spec { command: Command::Watch, short: "watch",
        help: "refresh the list when it changes (polls its sequence)", mutates: false,
        palette: name("watch", &[], Grammar::OnOff, "watch [on|off]"), bindings: &[] },
];

impl Spec {
    /// The help sentence with each `{action}` in it written as that action's key in `keymap`
    /// (the README's key map uses the defaults), so that the help never names a key remapped.
    pub fn help_in(&self, keymap: &Keymap) -> std::borrow::Cow<'static, str> {
        if !self.help.contains('{') {
            return std::borrow::Cow::Borrowed(self.help);
        }
        let mut out = String::with_capacity(self.help.len());
        let mut rest = self.help;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                rest = "";
                break;
            };
            let name = &after[..close];
            match Command::by_action(name) {
                Some(command) => out.push_str(keymap.key(command)),
                None => out.push_str(&rest[open..open + close + 2]),
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        std::borrow::Cow::Owned(out)
    }
}

/// The row of `command`.
pub fn spec(command: Command) -> &'static Spec {
    TABLE
        .iter()
        .find(|s| s.command == command)
        .expect("every command has a row")
}

impl Command {
    pub fn spec(self) -> &'static Spec {
        spec(self)
    }

    pub fn mutates(self) -> bool {
        spec(self).mutates
    }

    /// The key first written for the command in the table (`R`), if it has one.
    #[deprecated(note = "use model.keymap.label(Command::X): it shows a key the config remapped")]
    pub fn key_label(self) -> Option<&'static str> {
        spec(self).bindings.first().map(|b| b.label)
    }

    /// The command's name in the config file's `[keys]`: its name in kebab-case
    /// (`FindBlockers` is `find-blockers`, `UnblockAB` is `unblock-ab`).
    pub fn action(self) -> &'static str {
        static NAMES: std::sync::OnceLock<Vec<(Command, String)>> = std::sync::OnceLock::new();
        let names = NAMES.get_or_init(|| {
            TABLE
                .iter()
                .map(|s| (s.command, kebab(&format!("{:?}", s.command))))
                .collect()
        });
        names
            .iter()
            .find(|(c, _)| *c == self)
            .map(|(_, n)| n.as_str())
            .expect("every command has a row")
    }

    /// The command called `action` in `[keys]`.
    pub fn by_action(action: &str) -> Option<Command> {
        TABLE
            .iter()
            .map(|s| s.command)
            .find(|c| c.action() == action)
    }
}

/// `FindBlockers` → `find-blockers`; a run of capitals stays one word (`UnblockAB` →
/// `unblock-ab`).
fn kebab(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            out.push('-');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        out.extend(c.to_lowercase());
    }
    out
}

/// Every binding of the table (the default keys) in table order, with its command; what is in
/// use is [`Keymap::bindings`].
pub fn bindings() -> impl Iterator<Item = (&'static Spec, &'static Binding)> {
    TABLE
        .iter()
        .flat_map(|spec| spec.bindings.iter().map(move |b| (spec, b)))
}

/// The command `key` asks for in the first of `contexts` that binds it, with the keys of
/// `keymap`.
pub fn resolve(keymap: &Keymap, contexts: &[Context], key: &KeyEvent) -> Option<Command> {
    keymap.resolve(contexts, key)
}

// ------------------------------------------------------------------------- the command line

/// A command with what the command line gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub command: Command,
    pub args: Args,
}

impl Invocation {
    /// The command as a key asks for it: no arguments.
    pub fn key(command: Command) -> Invocation {
        Invocation {
            command,
            args: Args::None,
        }
    }
}

/// The arguments of an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// None: the command does what its key does.
    None,
    Users(Vec<UserId>),
    Candidates(CandidateArgs),
    On(bool),
    Path(String),
    Text(String),
}

/// What `:blockers` checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CandidateArgs {
    Friends,
    Listed,
    File(String),
    Ids(Vec<UserId>),
}

/// The commands the command line knows, in the order of their names (read-only mode leaves out
/// the ones that change anything).
pub fn palette_names(
    read_only: bool,
) -> impl Iterator<Item = (&'static Spec, &'static PaletteName)> {
    let mut names: Vec<(&'static Spec, &'static PaletteName)> = TABLE
        .iter()
        .filter(move |s| !(read_only && s.mutates))
        .filter_map(|s| s.palette.as_ref().map(|p| (s, p)))
        .collect();
    names.sort_by_key(|(_, p)| p.name);
    names.into_iter()
}

/// The row whose command line name (or alias) is `word`.
pub fn by_name(word: &str) -> Option<&'static Spec> {
    TABLE.iter().find(|s| {
        s.palette
            .as_ref()
            .is_some_and(|p| p.name == word || p.aliases.contains(&word))
    })
}

// ------------------------------------------------------------------------------ availability

/// Why a command cannot run now, in words that say what to do instead.
pub type Unavailable = String;

/// Whether `inv` can run now, or why not. The first clause is read-only mode; the help and the
/// command line's completion read that clause alone (they list what the mode allows), the keys,
/// the bar and the command line read the whole rule.
pub fn availability(model: &Model, inv: &Invocation) -> Result<(), Unavailable> {
    allowed_in_mode(model, inv.command)?;
    let spec = spec(inv.command);
    if spec.mutates && model.running.is_some() {
        return Err(format!(
            "a batch is running: wait for it to end, or cancel it ({})",
            model.keymap.key(Command::CancelBatch)
        ));
    }
    prerequisites(model, inv)
}

/// The read-only clause: in read-only mode nothing that changes a blocklist is available.
pub fn allowed_in_mode(model: &Model, command: Command) -> Result<(), Unavailable> {
    let spec = spec(command);
    if spec.mutates && model.read_only {
        return Err(crate::config::read_only_refusal(
            &model.read_only_source,
            spec.short,
        ));
    }
    Ok(())
}

/// The list's owner, sanitized for a message.
fn owner_shown(model: &Model) -> String {
    model
        .list
        .owner
        .as_ref()
        .map(|o| sanitize(o.as_str()).into_owned())
        .unwrap_or_default()
}

/// `look a user up first: why`, when nobody is.
fn needs_owner(model: &Model, why: &str) -> Result<(), Unavailable> {
    match &model.list.owner {
        Some(_) => Ok(()),
        None => Err(format!("look a user up first: {why}")),
    }
}

fn prerequisites(model: &Model, inv: &Invocation) -> Result<(), Unavailable> {
    let bare = inv.args == Args::None;
    match inv.command {
        Command::Yes if !model.armed() => Err(format!(
            "the question has just opened: read it, then press {} ({} s after it opens)",
            model.keymap.key(Command::Yes),
            super::model::ARMING_MS as f64 / 1000.0
        )),
        Command::Yes => match &model.overlay {
            Overlay::Confirm(pending) => pending.ready(&model.keymap),
            _ => Ok(()),
        },
        Command::Reason | Command::NameProtected
            if !matches!(model.overlay, Overlay::Confirm(_)) =>
        {
            Err(
                "only the confirmation of a change takes a reason or a protected account"
                    .to_owned(),
            )
        }
        Command::Resume => resume_availability(model, &inv.args),
        Command::Unblock => {
            needs_owner(model, "unblocks take IDs off their list")?;
            if bare && model.list.targets().is_empty() {
                return Err("nothing to unblock: the list shows no entry".to_owned());
            }
            ids_for_owner(model, &inv.args)
        }
        Command::Block if model.list.kind == ListKind::Blockers => Err(format!(
            "this table lists who blocks {}: Enter opens a blocker's list, then b blocks for them",
            owner_shown(model)
        )),
        Command::Watch if model.list.kind == ListKind::Blockers && inv.args != Args::On(false) => {
            Err(
                "this table lists blockers: :watch follows a blocklist (Esc goes back to it)"
                    .to_owned(),
            )
        }
        Command::HistoryPrev if !matches!(model.overlay, Overlay::Filter(_) | Overlay::None) => {
            Err("↑ recalls earlier text on the lookup line and the filter line only".to_owned())
        }
        Command::OpenRow => match model.list.current() {
            Some(_) => Ok(()),
            None => Err("no row to open: the list shows no entry".to_owned()),
        },
        Command::Back => {
            let list = &model.list;
            if list.anchor.is_some() || !list.filter.is_empty() || !model.back.is_empty() {
                Ok(())
            } else {
                Err(
                    "nothing to go back to: Enter on a row opens its account, Esc comes back"
                        .to_owned(),
                )
            }
        }
        Command::Block => {
            needs_owner(model, "blocks are added to their list")?;
            ids_for_owner(model, &inv.args)
        }
        Command::Inspect if bare => {
            needs_owner(model, "the inspector compares them with a row")?;
            match model.list.current() {
                Some(_) => Ok(()),
                None => Err("no row to inspect: the list shows no entry".to_owned()),
            }
        }
        Command::Inspect => match &inv.args {
            Args::Users(ids) if ids.len() == 1 => {
                needs_owner(
                    model,
                    "one ID is compared with them (or name both: :inspect A B)",
                )?;
                if model.list.owner.as_ref() == Some(&ids[0]) {
                    return Err("name another user than the one looked up".to_owned());
                }
                Ok(())
            }
            _ => Ok(()),
        },
        Command::FindBlockers => needs_owner(model, "the reverse lookup asks who blocks them"),
        Command::ShowHistory if bare => model.history_subject().map(|_| ()),
        Command::LookUpLine => model.history_subject().map(|_| ()),
        Command::ClearFilter if model.feed.filter.is_empty() => {
            Err("the feed has no filter: it shows every change".to_owned())
        }
        Command::Open if model.journal.is_some() => match &model.journal {
            Some(j) if j.current().is_some() => Ok(()),
            _ => Err("no batch to open: the journal shows none here".to_owned()),
        },
        Command::Open => {
            let empty = match model.focus {
                super::model::Focus::Feed if !model.feed.filter.is_empty() => {
                    if model.feed.shown_len() == 0 {
                        return Err("no change on the feed passes the filter".to_owned());
                    }
                    false
                }
                super::model::Focus::Feed => model.feed.lines.is_empty(),
                _ => model.activity.lines.is_empty(),
            };
            if empty {
                Err("nothing to open: the pane has no line yet".to_owned())
            } else {
                Ok(())
            }
        }
        Command::Refresh if model.journal.is_some() => Ok(()),
        Command::Refresh => needs_owner(
            model,
            &format!("{} looks them up again", model.keymap.key(Command::Refresh)),
        ),
        Command::UndoBatch => undo_batch_availability(model),
        Command::Watch if inv.args != Args::On(false) => {
            needs_owner(model, ":watch follows their list")
        }
        Command::RetryFailed => retry_availability(model),
        Command::Undo => undo_availability(model),
        Command::ShowResult if model.last.is_none() => Err("no batch has run yet".to_owned()),
        Command::Mark | Command::MarkRange | Command::MarkAll if model.list.view.is_empty() => {
            Err("nothing to mark: the list shows no entry".to_owned())
        }
        Command::Export => match (&model.overlay, &inv.args) {
            _ if model.export_what() == super::model::ExportWhat::Blockers
                && model.reverse.as_ref().is_some_and(|r| !r.done) =>
            {
                Err("the reverse lookup is still running: export when it is done".to_owned())
            }
            _ if model.export_what() == super::model::ExportWhat::List
                && let Some(f) = &model.list.failure =>
            {
                let what = if f.pages == 0 {
                    "the lookup failed".to_owned()
                } else {
                    format!("the list stopped at page {}", f.pages + 1)
                };
                Err(format!(
                    "{what}: an export would miss entries; {} reads it again, then export",
                    model.keymap.key(Command::Refresh)
                ))
            }
            (_, Args::Path(path)) => crate::export::Format::for_path(path).map(|_| ()),
            _ => Ok(()),
        },
        Command::UnblockAB | Command::UnblockBA => inspector_unblock(model, inv.command),
        Command::Copy if !model.osc52 => Err(
            "copying is off (osc52 = false in the config file): set osc52 = true to copy through \
             the terminal (OSC 52)"
                .to_owned(),
        ),
        Command::Copy => model.clip().map(|_| ()),
        _ => Ok(()),
    }
}

/// IDs given to a change of the looked-up user's list: at least one, and never that user.
fn ids_for_owner(model: &Model, args: &Args) -> Result<(), Unavailable> {
    let Args::Users(ids) = args else {
        return Ok(());
    };
    if ids.is_empty() {
        return Err("type or paste at least one UserID".to_owned());
    }
    let owner = model.list.owner.as_ref();
    match ids.iter().position(|id| Some(id) == owner) {
        Some(n) => Err(format!(
            "#{} {}: that is the user themself (a user cannot block themselves)",
            n + 1,
            crate::display::sanitize(ids[n].as_str())
        )),
        None => Ok(()),
    }
}

/// Whether an item that failed with `code` may succeed if sent again: a temporary failure, a
/// rate limit, or a refusal of the credentials (which may have been fixed); never a permanent
/// refusal such as a full list (30013) or an unknown account (30003).
pub fn retry_can_fix(code: i64) -> bool {
    !matches!(
        codes::lookup(code).class,
        Class::Permanent | Class::Ambiguous
    )
}

fn retry_availability(model: &Model) -> Result<(), Unavailable> {
    let Some(last) = &model.last else {
        return Err("no batch to retry yet".to_owned());
    };
    if last.failed_count() + last.unfinished.len() == 0 {
        return Err("the last batch has no failed items".to_owned());
    }
    if last.retryable_pairs().is_empty() {
        let codes: Vec<String> = last
            .failures
            .iter()
            .map(|g| format!("{} {}", g.code, codes::lookup(g.code).name))
            .collect();
        return Err(format!(
            "nothing to retry: its failures are permanent ({}); no retry fixes them ({} shows why)",
            codes.join(", "),
            model.keymap.key(Command::ShowResult)
        ));
    }
    Ok(())
}

fn resume_availability(model: &Model, args: &Args) -> Result<(), Unavailable> {
    if model.incomplete.is_empty() {
        return Err("the journal holds no unfinished batch of this app".to_owned());
    }
    let Args::Text(wanted) = args else {
        return Ok(());
    };
    let found: Vec<&str> = model
        .incomplete
        .iter()
        .map(|b| b.id.as_str())
        .filter(|id| id.starts_with(wanted.as_str()))
        .collect();
    match found.len() {
        1 => Ok(()),
        0 => Err(format!(
            "no unfinished batch {}: {} offers the ones the journal holds ({} of them)",
            crate::display::sanitize(wanted),
            model.keymap.key(Command::Complete),
            model.incomplete.len()
        )),
        n => Err(format!(
            "{n} unfinished batches start with {}: type more of the ID",
            crate::display::sanitize(wanted)
        )),
    }
}

fn undo_availability(model: &Model) -> Result<(), Unavailable> {
    let Some(last) = &model.last else {
        return Err("no batch to undo yet".to_owned());
    };
    if last.op.inverse().is_none() {
        return Err("the last batch was a check: it changed nothing".to_owned());
    }
    if last.done.is_empty() {
        return Err("the last batch changed nothing to undo".to_owned());
    }
    Ok(())
}

/// `U` in the journal: the batch opened or at the cursor must be of this app and have changed
/// something that its inverse can take back.
fn undo_batch_availability(model: &Model) -> Result<(), Unavailable> {
    let Some(journal) = &model.journal else {
        return Err("open the journal first (:journal)".to_owned());
    };
    match &journal.load {
        super::model::JournalLoad::Loading if journal.batches.is_empty() => {
            return Err("the journal is still being read".to_owned());
        }
        super::model::JournalLoad::Failed(_) => {
            return Err(format!(
                "the journal could not be read: {} reads it again",
                model.keymap.key(Command::Refresh)
            ));
        }
        _ => {}
    }
    let Some(batch) = journal.selected() else {
        return Err("no batch here to undo".to_owned());
    };
    let id = &batch.id_shown;
    let intent = &batch.state.intent;
    if !batch.this_app {
        return Err(format!(
            "batch {id} was made on another app (SDKAppID {} at {}), not this one (SDKAppID {} \
             at {}): undo it from a dashboard connected there; nothing was sent",
            intent.sdkappid,
            sanitize(&intent.base_url),
            model.connection.sdkappid,
            sanitize(&model.connection.base_url)
        ));
    }
    if batch.op().inverse().is_none() {
        return Err(format!("batch {id} was a check: it changed nothing"));
    }
    if batch.changed.is_empty() {
        let c = &batch.counts;
        return Err(format!(
            "batch {id} changed nothing to undo ({} already so, {} failed, {} pending of {})",
            c.already, c.failed, c.pending, c.total
        ));
    }
    Ok(())
}

fn inspector_unblock(model: &Model, command: Command) -> Result<(), Unavailable> {
    let Overlay::Inspector(inspector) = &model.overlay else {
        return Err(format!(
            "open the inspector first ({} on a row)",
            model.keymap.key(Command::Inspect)
        ));
    };
    let seen = match &inspector.result {
        Some(Ok(seen)) => seen,
        Some(Err(_)) => return Err("the inspector could not read the relationship".to_owned()),
        None => return Err("the inspector is still reading the relationship".to_owned()),
    };
    let (from, to, blocks) = if command == Command::UnblockAB {
        (&seen.a_shown, &seen.b_shown, seen.a_blocks_b)
    } else {
        (&seen.b_shown, &seen.a_shown, seen.b_blocks_a)
    };
    if blocks {
        Ok(())
    } else {
        Err(format!("{from} does not block {to}: nothing to unblock"))
    }
}

// ------------------------------------------------------------------------------ bar and help

/// The bindings of the action bar for `contexts` (first context first), without duplicates: only
/// commands available now.
pub fn bar(model: &Model, contexts: &[Context]) -> Vec<(&'static Spec, &'static Binding)> {
    let mut out: Vec<(&'static Spec, &'static Binding)> = Vec::new();
    for ctx in contexts {
        for (spec, b) in model
            .keymap
            .bindings()
            .filter(|(_, b)| b.contexts.contains(ctx) && b.in_bar)
        {
            if out.iter().any(|(s, _)| s.command == spec.command) {
                continue;
            }
            if availability(model, &Invocation::key(spec.command)).is_ok() {
                out.push((spec, b));
            }
        }
    }
    out
}

/// The keys that answer a popup of `context` (`y confirm · n/Esc cancel`), whatever the model.
pub fn popup_keys(keymap: &Keymap, context: Context) -> Vec<(&'static Spec, &'static Binding)> {
    keymap
        .bindings()
        .filter(|(_, b)| b.contexts.contains(&context) && b.in_bar)
        .collect()
}

/// The groups of the help, each with the bindings that work there (read-only mode leaves out the
/// ones that change anything).
pub fn help_groups(
    keymap: &Keymap,
    read_only: bool,
) -> Vec<(&'static str, Vec<(&'static Spec, &'static Binding)>)> {
    const GROUPS: [(&str, Context); 11] = [
        ("Blocklist", Table),
        ("Journal (:journal)", Journal),
        ("Inspector", Inspector),
        ("History (H)", History),
        ("Feed", Feed),
        ("Lookup line", Lookup),
        ("Anywhere", Global),
        ("While a batch runs", Running),
        ("Confirmation", Confirm),
        ("Command line (:)", Palette),
        ("Typing a line", Typing),
    ];
    GROUPS
        .into_iter()
        .map(|(title, ctx)| {
            let items = keymap
                .bindings()
                .filter(|(s, b)| b.contexts.contains(&ctx) && !(read_only && s.mutates))
                .collect();
            (title, items)
        })
        .collect()
}

// ---------------------------------------------------------------------------------- README

impl Context {
    /// Where the context holds, in the README's words.
    pub fn words(self) -> &'static str {
        match self {
            Lookup => "lookup line",
            LookupEmpty => "empty lookup line",
            Table => "table",
            Activity => "activity",
            Feed => "feed",
            Running => "while a batch runs",
            Confirm => "confirmation",
            Summary => "summary",
            Help => "help",
            Typing => "a line being typed",
            Palette => "command line",
            Global => "anywhere",
            Inspector => "inspector",
            Entry => "an opened line",
            Journal => "journal",
            JournalItems => "journal batch",
            History => "history",
        }
    }
}

/// A key as the README and the screen write it: `x`, `space`, `Ctrl-C`, `↑`, `PgDn`, `S-Tab`,
/// `F2`, `Alt-x`.
pub fn key_words(&(code, mods): &Key) -> String {
    let name = match code {
        KeyCode::Char(' ') => "space".to_owned(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".to_owned(),
        KeyCode::Down => "↓".to_owned(),
        KeyCode::Left => "←".to_owned(),
        KeyCode::Right => "→".to_owned(),
        KeyCode::Home => "Home".to_owned(),
        KeyCode::End => "End".to_owned(),
        KeyCode::PageUp => "PgUp".to_owned(),
        KeyCode::PageDown => "PgDn".to_owned(),
        KeyCode::Tab => "Tab".to_owned(),
        KeyCode::BackTab => "S-Tab".to_owned(),
        KeyCode::Enter => "Enter".to_owned(),
        KeyCode::Esc => "Esc".to_owned(),
        KeyCode::Backspace => "Backspace".to_owned(),
        KeyCode::Delete => "Del".to_owned(),
        KeyCode::Insert => "Ins".to_owned(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    let name = if mods.contains(CTRL) {
        format!("Ctrl-{}", name.to_uppercase())
    } else {
        name
    };
    if mods.contains(KeyModifiers::ALT) {
        format!("Alt-{name}")
    } else {
        name
    }
}

/// The README's key map, made from the table: one row per command, in the order a new user
/// meets them (the lookup line, the panes, the windows, the lines), then the commands that only
/// the command line has. The README must hold exactly this (a test checks it).
pub fn key_map_markdown() -> String {
    const ORDER: [Context; 16] = [
        Lookup,
        LookupEmpty,
        Table,
        Activity,
        Feed,
        Global,
        Help,
        Inspector,
        History,
        Summary,
        Journal,
        JournalItems,
        Confirm,
        Running,
        Palette,
        Typing,
    ];
    let rank = |spec: &Spec| {
        spec.bindings
            .first()
            .and_then(|b| b.contexts.first())
            .and_then(|c| ORDER.iter().position(|o| o == c))
            .unwrap_or(ORDER.len())
    };
    let mut specs: Vec<&Spec> = TABLE.iter().collect();
    specs.sort_by_key(|s| rank(s));
    let mut out = String::from("| key | where | `:` command | what it does |\n|---|---|---|---|\n");
    for spec in specs {
        let mut keys: Vec<String> = Vec::new();
        let mut wheres: Vec<Context> = Vec::new();
        for b in spec.bindings {
            for key in b.keys {
                let written = format!("`{}`", key_words(key));
                if !keys.contains(&written) {
                    keys.push(written);
                }
            }
            for c in b.contexts {
                if !wheres.contains(c) {
                    wheres.push(*c);
                }
            }
        }
        if keys.is_empty() {
            keys.push("—".to_owned());
        }
        // A key that works anywhere is said to work anywhere.
        if wheres.contains(&Global) {
            wheres = vec![Global];
        }
        wheres.sort_by_key(|c| ORDER.iter().position(|o| o == c));
        let wheres: Vec<&str> = wheres.iter().map(|c| c.words()).collect();
        let command = spec
            .palette
            .as_ref()
            .map(|p| format!("`:{}`", p.usage.replace('|', "\\|")))
            .unwrap_or_default();
        let mutates = if spec.mutates {
            "; not in read-only mode"
        } else {
            ""
        };
        out.push_str(&format!(
            "| {} | {} | {command} | {}{mutates} |\n",
            keys.join(", "),
            wheres.join(", "),
            spec.help_in(&Keymap::default()).replace('|', "\\|"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn letters_are_commands_only_in_tables() {
        let x = press(KeyCode::Char('x'), NONE);
        assert_eq!(
            resolve(&Keymap::default(), &[Table], &x),
            Some(Command::Unblock)
        );
        assert_eq!(resolve(&Keymap::default(), &[Lookup], &x), None);
        assert_eq!(resolve(&Keymap::default(), &[Typing], &x), None);
        assert_eq!(resolve(&Keymap::default(), &[Palette], &x), None);
        let colon = press(KeyCode::Char(':'), NONE);
        assert_eq!(resolve(&Keymap::default(), &[Lookup], &colon), None);
        assert_eq!(
            resolve(&Keymap::default(), &[LookupEmpty, Lookup], &colon),
            Some(Command::Palette)
        );
    }

    #[test]
    fn shifted_letters_match_with_or_without_the_shift_flag() {
        for mods in [SHIFT, NONE] {
            assert_eq!(
                resolve(
                    &Keymap::default(),
                    &[Table],
                    &press(KeyCode::Char('G'), mods)
                ),
                Some(Command::Bottom)
            );
            assert_eq!(
                resolve(
                    &Keymap::default(),
                    &[Table],
                    &press(KeyCode::Char('U'), mods)
                ),
                Some(Command::Undo)
            );
        }
    }

    #[test]
    fn every_command_has_one_row_and_a_way_to_be_asked_for() {
        for (i, spec) in TABLE.iter().enumerate() {
            assert_eq!(
                TABLE.iter().position(|s| s.command == spec.command),
                Some(i),
                "{:?} has two rows",
                spec.command
            );
            assert!(
                !spec.bindings.is_empty() || spec.palette.is_some(),
                "{:?} cannot be asked for",
                spec.command
            );
            assert!(!spec.help.is_empty(), "{:?} has no help", spec.command);
        }
    }

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (_, p) in palette_names(false) {
            for word in std::iter::once(&p.name).chain(p.aliases) {
                assert!(seen.insert(*word), ":{word} names two commands");
                assert_eq!(
                    by_name(word).and_then(|s| s.palette).map(|p| p.name),
                    Some(p.name)
                );
            }
            assert!(p.usage.starts_with(p.name), "{}", p.usage);
        }
    }

    #[test]
    fn every_binding_is_reachable() {
        // No binding is shadowed entirely by an earlier one in all of its contexts.
        for (spec, b) in bindings() {
            let reachable = b.contexts.iter().any(|ctx| {
                b.keys.iter().any(|&(code, mods)| {
                    resolve(&Keymap::default(), &[*ctx], &press(code, mods)) == Some(spec.command)
                })
            });
            assert!(reachable, "{:?} ({}) is shadowed", spec.command, b.label);
        }
    }

    #[test]
    fn only_permanent_failures_are_beyond_a_retry() {
        for code in [30013, 30003, 30001, 31307, 60003] {
            assert!(!retry_can_fix(code), "{code}");
        }
        for code in [30006, 30008, 60007, 70009, 70050, -1, -3] {
            assert!(retry_can_fix(code), "{code}");
        }
    }

    #[test]
    fn keys_named_in_the_help_follow_the_keymap() {
        // Every `{…}` in a help sentence names an action, so none is left in the text.
        for spec in TABLE {
            let text = spec.help_in(&Keymap::default());
            assert!(!text.contains('{'), "{:?}: {text}", spec.command);
        }
        assert_eq!(
            spec(Command::MarkRange).help_in(&Keymap::default()),
            "mark a range: press at one end, then at the other (Esc cancels)"
        );
        let file: crate::config::ConfigFile =
            toml::from_str("[keys]\nback = \"ctrl-b\"").expect("valid TOML");
        let keymap = file.look().expect("valid keys").keymap;
        assert_eq!(
            spec(Command::MarkRange).help_in(&keymap),
            "mark a range: press at one end, then at the other (Ctrl-B cancels)"
        );
    }

    #[test]
    fn the_readme_key_map_is_the_table() {
        let readme = include_str!("../../README.md");
        let section = readme
            .split("### Key map")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("README has a Key map section");
        let generated = key_map_markdown();
        assert!(
            section.contains(&generated),
            "README's key map is not the command table; put this in its place:\n\n{generated}"
        );
    }
}
