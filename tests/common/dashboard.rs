//! Fixtures for the dashboard's tests: a [`Dash`] that builds a [`Model`] by feeding `Msg`s through
//! `update` in the order the worker and the terminal send them, and the answers the worker would
//! give (pages of realistic and hostile IDs, nicknames, batch items and reports). Everything is
//! deterministic: the clock is [`NOW`] and nothing touches the network.

#![allow(dead_code)]

use std::time::Duration;

use blockdeck::app::model::{
    Blockers, Checks, Connection, ExportWhat, Focus, Inspector, ListKind, Overlay, PendingAction,
};
use blockdeck::app::{Effect, Model, Msg, update};
use blockdeck::client::engine::{BatchEnd, ItemResult, Progress, Report};
use blockdeck::client::failure::{Failure, FailureKind};
use blockdeck::client::ops::{AccountFacts, BlockersEvent, BlockersReport, Preflight};
use blockdeck::client::{ItemStatus, Operation, Pair};
use blockdeck::feed::{Burst, ChangeKind, FeedEvent, Role};
use blockdeck::inspect::Relationship;
use blockdeck::tim::ids::UserId;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// 2026-11-22 01:35:00Z.
pub const NOW: u64 = 1_795_311_300;
/// When the first entry of a roster was added (40 days before [`NOW`]).
pub const FIRST_ADDED: u64 = NOW - 40 * 86_400;
/// Seconds between two consecutive entries of a roster.
pub const ADDED_STEP: u64 = 317;
/// The journal batch ID the worker would report.
pub const JOURNAL: &str = "20261122T013500Z-3f2a";

/// The nickname of `evil_osc`: an OSC sequence that would retitle the terminal.
pub const EVIL_OSC_NICK: &str = "\u{1b}]0;pwned\u{7}x";
/// The nickname of `evil_bidi`: right-to-left override, so that it would read "admin".
pub const EVIL_BIDI_NICK: &str = "\u{202e}nimda\u{202c}";

/// The first entries of every roster, then `user_NNNN` up to the size asked for.
pub const NAMED: &[(&str, Option<&str>)] = &[
    ("bob", Some("Bob")),
    ("carol_91", Some("Carol 李")),
    ("evil_osc", Some(EVIL_OSC_NICK)),
    ("evil_bidi", Some(EVIL_BIDI_NICK)),
    ("@RBT#support", Some("Support bot")),
    ("dave.smith", None),
    ("wx_5f3a9c0e", Some("小明")),
    ("erin-k", Some("Erin K")),
];

pub fn id(s: &str) -> UserId {
    UserId::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

pub fn pair(from: &str, to: &str) -> Pair {
    Pair::new(id(from), id(to))
}

// ---------------------------------------------------------------------------------------------
// Keys

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub fn ch(c: char) -> KeyEvent {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(KeyCode::Char(c), mods)
}

pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

pub fn enter() -> KeyEvent {
    key(KeyCode::Enter)
}

pub fn esc() -> KeyEvent {
    key(KeyCode::Esc)
}

pub fn back_tab() -> KeyEvent {
    KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)
}

// ---------------------------------------------------------------------------------------------
// What the worker answers

/// The `i`-th entry of a roster: its raw ID and raw nickname.
pub fn roster_entry(i: usize) -> (String, Option<String>) {
    match NAMED.get(i) {
        Some((id, nick)) => ((*id).to_owned(), nick.map(str::to_owned)),
        None => {
            let nick = match i % 3 {
                0 => None,
                1 => Some(format!("User {i}")),
                _ => Some(format!("玩家{i}")),
            };
            (format!("user_{i:04}"), nick)
        }
    }
}

/// The blocklist entries of a roster of `n`, as black_list_get returns them (oldest first).
pub fn roster(n: usize) -> Vec<(String, u64)> {
    (0..n).map(|i| (roster_entry(i).0, added_at(i))).collect()
}

/// When the `i`-th entry of a roster was added.
pub fn added_at(i: usize) -> u64 {
    FIRST_ADDED + i as u64 * ADDED_STEP
}

/// The nicknames portrait_get returns for `entries` (accounts without one are left out).
pub fn nicks_for(entries: &[(String, u64)]) -> Vec<(String, String)> {
    entries
        .iter()
        .filter_map(|(to, _)| {
            let i = roster_index(to)?;
            roster_entry(i).1.map(|nick| (to.clone(), nick))
        })
        .collect()
}

/// The position of `to` in a roster.
pub fn roster_index(to: &str) -> Option<usize> {
    NAMED
        .iter()
        .position(|(id, _)| *id == to)
        .or_else(|| to.strip_prefix("user_")?.parse().ok())
}

pub fn account(nick: &str, friends: u64) -> AccountFacts {
    AccountFacts {
        exists: true,
        nick: Some(nick.to_owned()),
        forbid_send: false,
        friends: Some(friends),
    }
}

pub fn item(pair: Pair, status: ItemStatus) -> ItemResult {
    let (code, info) = match &status {
        ItemStatus::Failed { code, info } => (*code, info.clone()),
        _ => (0, String::new()),
    };
    ItemResult {
        pair,
        status,
        code,
        info,
        attempts: 1,
    }
}

pub fn done(pair: Pair) -> ItemResult {
    item(pair, ItemStatus::Done)
}

pub fn already(pair: Pair) -> ItemResult {
    item(pair, ItemStatus::Already)
}

pub fn failed(pair: Pair, code: i64, info: &str) -> ItemResult {
    let mut it = item(
        pair,
        ItemStatus::Failed {
            code,
            info: info.to_owned(),
        },
    );
    it.attempts = 3;
    it
}

pub fn unfinished(pair: Pair) -> ItemResult {
    item(pair, ItemStatus::Unfinished)
}

/// A report as the engine builds it: every pair in input order.
pub fn report(op: Operation, items: Vec<ItemResult>, end: BatchEnd) -> Report {
    let calls = items.len().div_ceil(50) as u64 + 2;
    Report {
        operation: op,
        calls,
        retries: 2,
        elapsed: Duration::from_millis(3_400),
        end,
        items: items.into(),
        pace: None,
    }
}

/// The engine's progress after the first `finished` of `total` items, `failed` of them failed.
pub fn progress(total: usize, finished: usize, failed: usize) -> Progress {
    Progress {
        total,
        finished,
        succeeded: finished - failed,
        failed,
        retries: 12,
        calls: (finished as u64).div_ceil(50) * 4,
        answered: (finished as u64).div_ceil(50) * 4,
        calls_per_sec: 198.4,
        elapsed: Duration::from_millis(2_060),
        codes: [(30006, 12), (30003, failed as u64)]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect(),
        waiting: None,
        pace: None,
    }
}

/// A blocklist change as the webhook listener reports it (`RESTAPI`, no client IP).
pub fn feed_event(kind: ChangeKind, from: &str, to: &str, received: u64) -> FeedEvent {
    FeedEvent {
        received,
        kind,
        from: from.to_owned(),
        to: to.to_owned(),
        platform: "RESTAPI".to_owned(),
        client_ip: None,
        sdkappid: Some(1_400_000_000),
    }
}

/// What the burst detector reports when `account` reaches `count` changes in a minute.
pub fn burst_of(account: &str, role: Role, kind: ChangeKind, count: usize) -> Burst {
    Burst {
        account: account.to_owned(),
        role,
        kind,
        count,
        window_secs: 60,
    }
}

/// Two existing users without nicknames, friendships or bars, with the blocks given.
pub fn relationship(a: &str, b: &str, a_blocks_b: bool, b_blocks_a: bool) -> Relationship {
    Relationship {
        a_blocks_b,
        b_blocks_a,
        ..Relationship::unrelated(id(a), id(b))
    }
}

/// The reverse lookup's progress after `checked` of `total` candidates, `found` blockers so far.
pub fn blockers_progress(checked: usize, total: usize, found: usize) -> BlockersEvent {
    BlockersEvent::Progress {
        checked,
        total,
        found,
        calls: checked.div_ceil(1000) as u64,
        calls_per_sec: 4.5,
    }
}

/// A failure the service could not be reached for (what most answers that fail look like).
pub fn fail(text: &str) -> Failure {
    Failure::new(FailureKind::Unreachable, text)
}

/// The end of a reverse lookup of `alice`: `checked` candidates, the last `failed` of them
/// `ghost_N` accounts that do not exist (30003); the blockers came as events.
pub fn blockers_done(checked: usize, failed: usize) -> BlockersReport {
    BlockersReport {
        target: id("alice"),
        total: checked,
        checked,
        blockers: Vec::new(),
        failed: (0..failed)
            .map(|i| {
                let info = "Err_SNS_Account_Not_Exist".to_owned();
                (id(&format!("ghost_{i}")), 30003, info)
            })
            .collect(),
        calls: checked.div_ceil(1000) as u64,
        cancelled: false,
        elapsed: Duration::from_millis(4_400),
        history: None,
    }
}

/// A candidate found to block the target.
pub fn blocker_found(blocker: &str, mutual: bool) -> BlockersEvent {
    BlockersEvent::Found {
        blocker: id(blocker),
        mutual,
    }
}

// ---------------------------------------------------------------------------------------------
// The model

pub fn connection() -> Connection {
    Connection {
        label: "demo".into(),
        base_url: "http://127.0.0.1:5080".into(),
        sdkappid: 1_400_000_000,
        admin: "administrator".into(),
    }
}

/// A model being driven through `update`, with the effects of every step kept.
#[derive(Debug, Clone)]
pub struct Dash {
    pub model: Model,
    /// Every effect `update` returned so far, in order.
    pub effects: Vec<Effect>,
}

/// How far apart a person's keys are, in the model's milliseconds.
pub const KEY_PACE_MS: u64 = 500;

impl Default for Dash {
    fn default() -> Self {
        Dash::new()
    }
}

impl Dash {
    /// A fresh 80×24 dashboard: colour, read-write.
    pub fn new() -> Dash {
        Dash::with(false, false)
    }

    pub fn with(read_only: bool, monochrome: bool) -> Dash {
        let mut dash = Dash {
            model: Model::new(connection(), read_only, monochrome, NOW),
            effects: Vec::new(),
        };
        dash.send(Msg::Resize(80, 24));
        dash
    }

    pub fn read_only() -> Dash {
        Dash::with(true, false)
    }

    /// The terminal's size, as the runtime reports it.
    pub fn size(mut self, width: u16, height: u16) -> Dash {
        self.send(Msg::Resize(width, height));
        self
    }

    pub fn send(&mut self, msg: Msg) -> Vec<Effect> {
        let fx = update(&mut self.model, msg);
        self.effects.extend(fx.iter().cloned());
        fx
    }

    /// A key pressed by a person: some time after the last one, alone.
    pub fn press(&mut self, key: KeyEvent) -> Vec<Effect> {
        self.wait(KEY_PACE_MS);
        self.send(Msg::Key(key))
    }

    /// Lets `ms` milliseconds pass on the model's clock.
    pub fn wait(&mut self, ms: u64) {
        let now = self.model.ms + ms;
        self.send(Msg::Clock(now));
    }

    /// Keys that arrive together, faster than anyone types (a paste without bracketed paste).
    pub fn burst(&mut self, keys: &[KeyEvent]) -> Vec<Effect> {
        self.wait(KEY_PACE_MS);
        self.send(Msg::KeyBurst(keys.to_vec()))
    }

    /// `text` arriving at once, a new line for each `\n`.
    pub fn burst_text(&mut self, text: &str) -> Vec<Effect> {
        let keys: Vec<KeyEvent> = text
            .chars()
            .map(|c| if c == '\n' { enter() } else { ch(c) })
            .collect();
        self.burst(&keys)
    }

    pub fn press_n(&mut self, key: KeyEvent, n: usize) -> Vec<Effect> {
        (0..n).flat_map(|_| self.press(key)).collect()
    }

    /// Types `text` key by key.
    pub fn type_text(&mut self, text: &str) -> Vec<Effect> {
        text.chars().flat_map(|c| self.press(ch(c))).collect()
    }

    pub fn paste(&mut self, text: &str) -> Vec<Effect> {
        self.send(Msg::Paste(text.to_owned()))
    }

    /// Moves the keyboard to `focus` with Tab, as a user would.
    pub fn focus(&mut self, focus: Focus) {
        for _ in 0..4 {
            if self.model.focus == focus {
                return;
            }
            self.press(key(KeyCode::Tab));
        }
        assert_eq!(self.model.focus, focus);
    }

    /// Types `user` into the lookup line and presses Enter; returns the lookup's request number.
    pub fn look_up(&mut self, user: &str) -> u64 {
        self.focus(Focus::Lookup);
        self.type_text(user);
        let fx = self.press(enter());
        match fx.as_slice() {
            [Effect::Lookup { req, user: u }] if u.as_str() == user => *req,
            other => panic!("looking up {user:?} gave {other:?}"),
        }
    }

    /// Answers lookup `req` like the worker: the account, then `pages` of 100 of `entries` (the
    /// last one flagged when every entry has been sent), then the nicknames of what was sent.
    pub fn answer(&mut self, req: u64, entries: &[(String, u64)], pages: usize) {
        self.send(Msg::Account {
            req,
            info: AccountFacts {
                exists: true,
                nick: Some("Alice 李".into()),
                forbid_send: false,
                friends: Some(12),
            },
        });
        self.pages(req, entries, pages);
        let sent = entries.len().min(pages.saturating_mul(100));
        self.send(Msg::Nicks {
            req,
            nicks: nicks_for(&entries[..sent]),
        });
    }

    /// Sends the first `pages` pages of 100 of `entries` for lookup `req`.
    pub fn pages(&mut self, req: u64, entries: &[(String, u64)], pages: usize) {
        let chunks: Vec<&[(String, u64)]> = entries.chunks(100).collect();
        if chunks.is_empty() {
            self.send(Msg::Page {
                req,
                entries: Vec::new(),
                last: true,
                sequence: 7,
            });
        }
        for (n, chunk) in chunks.iter().enumerate().take(pages) {
            self.send(Msg::Page {
                req,
                entries: chunk.to_vec(),
                last: n + 1 == chunks.len(),
                sequence: 7,
            });
        }
    }

    /// Looks `user` up and loads a roster of `n` entries completely; returns the request number.
    pub fn load(&mut self, user: &str, n: usize) -> u64 {
        let req = self.look_up(user);
        self.answer(req, &roster(n), usize::MAX);
        req
    }

    /// `alice` with a complete roster of `n`, the blocklist focused; `effects` starts empty
    /// again (the lookup's effect is not kept).
    pub fn alice(n: usize) -> Dash {
        let mut dash = Dash::new();
        dash.load("alice", n);
        dash.effects.clear();
        dash
    }

    /// Marks `n` rows from the cursor down with space.
    pub fn mark(&mut self, n: usize) {
        self.press_n(ch(' '), n);
    }

    /// The confirmation shown, if any.
    pub fn pending(&self) -> Option<&PendingAction> {
        match &self.model.overlay {
            Overlay::Confirm(p) => Some(p),
            _ => None,
        }
    }

    /// Answers the checks the open confirmation is waiting for with `found` (the worker's
    /// answer); false when it waits for none.
    pub fn checked(&mut self, found: Preflight) -> bool {
        let req = match self.pending().map(|p| &p.checks) {
            Some(Checks::Running { req }) => *req,
            _ => return false,
        };
        self.send(Msg::Checked {
            req,
            result: Ok(found),
        });
        true
    }

    /// Confirms the open confirmation with `y` (its checks, if they are still running, found
    /// nothing to hold out); returns the batch's id, operation and pairs.
    pub fn confirm(&mut self) -> (u64, Operation, Vec<Pair>) {
        self.checked(Preflight::default());
        let (id, op, pairs, _) = self.confirm_resuming();
        (id, op, pairs)
    }

    /// Like [`Dash::confirm`], with the journal batch the run finishes (a retry, a resume).
    pub fn confirm_resuming(&mut self) -> (u64, Operation, Vec<Pair>, Option<String>) {
        self.checked(Preflight::default());
        let fx = self.press(ch('y'));
        match fx.as_slice() {
            [
                Effect::RunBatch {
                    id,
                    op,
                    pairs,
                    resume,
                    ..
                },
            ] => (*id, *op, pairs.clone(), resume.clone()),
            other => panic!("y gave {other:?}"),
        }
    }

    /// Reports `items` of batch `id` like the worker: each item, a progress update after each,
    /// then the end (with the journal's batch ID).
    pub fn finish(&mut self, id: u64, op: Operation, items: Vec<ItemResult>, end: BatchEnd) {
        let total = items.len();
        let mut failed_n = 0;
        for (n, it) in items.iter().enumerate() {
            if matches!(it.status, ItemStatus::Failed { .. }) {
                failed_n += 1;
            }
            if !matches!(it.status, ItemStatus::Unfinished) {
                self.send(Msg::BatchItem {
                    id,
                    item: it.clone(),
                });
                self.send(Msg::BatchProgress {
                    id,
                    progress: progress(total, n + 1, failed_n),
                });
            }
        }
        self.send(Msg::BatchDone {
            id,
            report: report(op, items, end),
            journal: Some(JOURNAL.into()),
        });
    }

    /// `alice` with `n` entries after an unblock of the first five rows: two done, one already
    /// off the list, one failed (30003, with a hostile ResultInfo), one unfinished (cancelled).
    /// The summary is closed and the cursor is back on the first row.
    pub fn after_unblock(n: usize) -> Dash {
        let mut dash = Dash::alice(n);
        dash.unblock_first_five();
        dash
    }

    /// From the top of the list: marks five rows, unblocks them, cancels with Ctrl-C, and gets the
    /// report of [`Dash::after_unblock`]; closes the summary and goes back to the first row.
    pub fn unblock_first_five(&mut self) {
        self.press(ch('g'));
        self.mark(5);
        self.press(ch('x'));
        let (bid, op, pairs) = self.confirm();
        assert_eq!(op, Operation::Unblock);
        self.press(ctrl('c'));
        let items = vec![
            done(pairs[0].clone()),
            done(pairs[1].clone()),
            already(pairs[2].clone()),
            failed(pairs[3].clone(), 30003, "Err_SNS_\u{1b}[31mFAIL\u{202e}"),
            unfinished(pairs[4].clone()),
        ];
        self.finish(bid, op, items, BatchEnd::Cancelled);
        assert!(matches!(self.model.overlay, Overlay::Result));
        self.press(esc());
        self.press(ch('g'));
    }

    /// Opens the palette, types `line` and presses Enter; returns the effects of Enter.
    pub fn command(&mut self, line: &str) -> Vec<Effect> {
        self.press(ch(':'));
        assert!(
            matches!(self.model.overlay, Overlay::Palette(_)),
            ": did not open the palette: {:?}",
            self.model.overlay
        );
        self.type_text(line);
        self.press(enter())
    }

    /// The inspector shown, if any.
    pub fn inspector(&self) -> Option<&Inspector> {
        match &self.model.overlay {
            Overlay::Inspector(i) => Some(i),
            _ => None,
        }
    }

    /// The reverse lookup the table shows, if it lists blockers.
    pub fn blockers(&self) -> Option<&Blockers> {
        match self.model.list.kind {
            ListKind::Blockers => self.model.reverse.as_ref(),
            ListKind::Blocklist => None,
        }
    }

    /// The export prompt shown, if any: the file name typed, what is exported, the error shown.
    pub fn export_prompt(&self) -> Option<(&str, ExportWhat, Option<&str>)> {
        match &self.model.overlay {
            Overlay::Export { input, what, error } => {
                Some((input.value(), *what, error.as_deref()))
            }
            _ => None,
        }
    }

    /// Replaces the export prompt's file name with `name` (Ctrl-U, then typed).
    pub fn type_export_name(&mut self, name: &str) {
        assert!(self.export_prompt().is_some(), "no export prompt");
        self.press(ctrl('u'));
        self.type_text(name);
    }

    /// `i` on the current row: returns the inspector's request number.
    pub fn inspect_row(&mut self) -> u64 {
        match self.press(ch('i')).as_slice() {
            [Effect::Inspect { req, .. }] => *req,
            other => panic!("i gave {other:?}"),
        }
    }

    /// `w`: returns the reverse lookup's request number.
    pub fn find_blockers(&mut self) -> u64 {
        match self.press(ch('w')).as_slice() {
            [Effect::FindBlockers { req, .. }] => *req,
            other => panic!("w gave {other:?}"),
        }
    }

    /// The problem shown on the command line, when it is open with one.
    pub fn palette_error(&self) -> Option<&str> {
        match &self.model.overlay {
            Overlay::Palette(line) => line.error.as_deref(),
            _ => None,
        }
    }

    /// The activity pane's texts.
    pub fn log_texts(&self) -> Vec<&str> {
        self.model
            .activity
            .lines
            .iter()
            .map(|l| l.text.as_str())
            .collect()
    }

    /// Whether an activity line contains `needle`.
    pub fn logged(&self, needle: &str) -> bool {
        self.model
            .activity
            .lines
            .iter()
            .any(|l| l.text.contains(needle))
    }
}

// ---------------------------------------------------------------------------------------------
// The journal

/// The app of [`connection`]: what a batch of "this app" records.
pub const THIS_APP: (u64, &str) = (1_400_000_000, "http://127.0.0.1:5080");
/// A batch of this app by mod_ana: alice unblocked bob and carol_91 (done), dave.smith was not
/// on her list (already), erin-k failed (30003).
pub const UNBLOCK_BATCH: &str = "20261120T013500Z-a001";
/// A block by mod_bo, cancelled after one of two pairs, then resumed (not ended yet).
pub const BLOCK_BATCH: &str = "20261121T013500Z-b002";
/// A block by mod_ana on another app.
pub const OTHER_APP_BATCH: &str = "20261121T093500Z-c003";
/// An unblock by cy (no moderator name) that changed nothing, with a hostile reason.
pub const NOTHING_BATCH: &str = "20261122T003500Z-d004";
/// The reason of [`NOTHING_BATCH`]: it tries to clear the screen and to reverse the text.
pub const HOSTILE_REASON: &str = "\u{1b}[2Jcleanup\u{202e}evil";

/// Writes a journal of four batches (see the constants above) to `path` with the journal's own
/// writer, the way batches record themselves.
pub fn write_journal(path: &std::path::Path) {
    use blockdeck::client::journal::{
        BatchId, Chunk, EndOutcome, Intent, ItemRecord, Journal, Resume,
    };
    use blockdeck::moderation::Why;

    struct Spec<'a> {
        id: &'a str,
        time: u64,
        moderator: Option<&'a str>,
        os_user: &'a str,
        app: (u64, &'a str),
        op: Operation,
        why: Why,
        items: Vec<(Pair, Option<ItemStatus>)>,
        end: Option<EndOutcome>,
        resumed: bool,
    }
    let why = |reason: &str, ticket: Option<&str>| Why {
        reason: Some(reason.to_owned()),
        ticket: ticket.map(str::to_owned),
    };
    let specs = [
        Spec {
            id: UNBLOCK_BATCH,
            time: NOW - 2 * 86_400,
            moderator: Some("mod_ana"),
            os_user: "ana",
            app: THIS_APP,
            op: Operation::Unblock,
            why: why("spam wave", Some("OPS-12")),
            items: vec![
                (pair("alice", "bob"), Some(ItemStatus::Done)),
                (pair("alice", "carol_91"), Some(ItemStatus::Done)),
                (pair("alice", "dave.smith"), Some(ItemStatus::Already)),
                (
                    pair("alice", "erin-k"),
                    Some(ItemStatus::Failed {
                        code: 30003,
                        info: "Err_SNS_BlackListDelete_Account_Not_Exist".to_owned(),
                    }),
                ),
            ],
            end: Some(EndOutcome::Completed),
            resumed: false,
        },
        Spec {
            id: BLOCK_BATCH,
            time: NOW - 86_400,
            moderator: Some("mod_bo"),
            os_user: "mod_bo",
            app: THIS_APP,
            op: Operation::Block,
            why: Why::default(),
            items: vec![
                (pair("mallory", "alice"), Some(ItemStatus::Done)),
                (pair("mallory", "trent"), None),
            ],
            end: Some(EndOutcome::Cancelled),
            resumed: true,
        },
        Spec {
            id: OTHER_APP_BATCH,
            time: NOW - 86_400 + 8 * 3600,
            moderator: Some("mod_ana"),
            os_user: "ana",
            app: (1_400_000_999, "https://adminapisgp.im.qcloud.com"),
            op: Operation::Block,
            why: why("raid", None),
            items: vec![(pair("alice", "spam_1"), Some(ItemStatus::Done))],
            end: Some(EndOutcome::Completed),
            resumed: false,
        },
        Spec {
            id: NOTHING_BATCH,
            time: NOW - 3600,
            moderator: None,
            os_user: "cy",
            app: THIS_APP,
            op: Operation::Unblock,
            why: why(HOSTILE_REASON, None),
            items: vec![
                (pair("alice", "ghost"), Some(ItemStatus::Already)),
                (
                    pair("alice", "x"),
                    Some(ItemStatus::Failed {
                        code: 30003,
                        info: "no such account".to_owned(),
                    }),
                ),
            ],
            end: Some(EndOutcome::Completed),
            resumed: false,
        },
    ];
    let mut journal = Journal::open(path).expect("a journal");
    for spec in specs {
        let batch: BatchId = spec.id.parse().unwrap();
        let mut intent = Intent::new(
            batch.clone(),
            Some("prod".to_owned()),
            spec.app.0,
            spec.app.1,
            spec.op,
            spec.items.iter().map(|(p, _)| p.clone()).collect(),
        );
        intent.time = spec.time;
        intent.moderator = spec.moderator.map(str::to_owned);
        intent.os_user = spec.os_user.to_owned();
        intent.ssh_client = None;
        intent.why = spec.why;
        journal.intent(&intent).unwrap();
        let items: Vec<ItemRecord> = spec
            .items
            .iter()
            .filter_map(|(p, status)| {
                let status = status.clone()?;
                let (code, info) = match &status {
                    ItemStatus::Failed { code, info } => (*code, info.clone()),
                    ItemStatus::Already => (30001, "Err_SNS_BlackListDelete_Not_Exist".to_owned()),
                    _ => (0, String::new()),
                };
                Some(ItemRecord {
                    from: p.from.clone(),
                    to: p.to.clone(),
                    code,
                    info,
                    status,
                })
            })
            .collect();
        journal
            .chunk(&Chunk {
                batch: batch.clone(),
                time: spec.time + 1,
                api: spec.op.api().to_string(),
                attempt: 1,
                items,
            })
            .unwrap();
        if let Some(end) = spec.end {
            journal.end(&batch, end).unwrap();
        }
        if spec.resumed {
            let mut resume = Resume::new(batch.clone());
            resume.time = spec.time + 60;
            resume.moderator = Some("mod_bo".to_owned());
            resume.os_user = "mod_bo".to_owned();
            resume.ssh_client = None;
            journal.resume(&resume).unwrap();
        }
    }
}

/// The batches of [`write_journal`] as `JournalPlan::recent` reads them: newest first.
pub fn journal_batches() -> Vec<blockdeck::client::journal::BatchState> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    write_journal(&path);
    let plan = blockdeck::client::ops::JournalPlan {
        path: path.into(),
        profile: None,
        sdkappid: THIS_APP.0,
        base_url: THIS_APP.1.to_owned(),
        moderator: "mod_ana".to_owned(),
        require_reason: false,
        protected: Default::default(),
    };
    plan.recent(500).expect("the journal reads")
}

impl Dash {
    /// `J`, then the journal's answer: the batches of [`journal_batches`].
    pub fn open_journal(&mut self) -> u64 {
        let fx = self.press(ch('J'));
        let req = match fx.as_slice() {
            [Effect::LoadJournal { req, .. }] => *req,
            other => panic!("J gave {other:?}"),
        };
        self.send(Msg::Journal {
            req,
            result: Ok(journal_batches()),
        });
        req
    }

    pub fn journal(&self) -> &blockdeck::app::model::JournalView {
        self.model.journal.as_ref().expect("the journal is open")
    }

    /// The batch IDs of the journal's list, as shown.
    pub fn journal_ids(&self) -> Vec<String> {
        let view = self.journal();
        view.view
            .iter()
            .map(|&i| view.batches[i].state.id().to_string())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The change store: histories and block rates

/// The first change the store holds in the histories below: 2026-11-01 00:00:00Z.
pub const STORE_FIRST_MS: i64 = 1_793_491_200_000;

/// A change as the store returns it (`RESTAPI`, from 10.0.0.7), at `secs` (Unix seconds).
pub fn change(
    seq: i64,
    kind: ChangeKind,
    from: &str,
    to: &str,
    secs: u64,
) -> blockdeck::client::journal::changes::Change {
    blockdeck::client::journal::changes::Change {
        seq,
        time_ms: secs as i64 * 1000,
        kind,
        from: from.to_owned(),
        to: to.to_owned(),
        platform: "RESTAPI".to_owned(),
        client_ip: Some("10.0.0.7".to_owned()),
    }
}

/// `n` changes with `account` on either side, newest first, ten minutes apart from [`NOW`]
/// back: by turns something it did (to `user_NNNN`) and something done to it (by `user_NNNN`),
/// through the four kinds. The fourth is made by an account whose ID is an escape sequence.
pub fn history_of(account: &str, n: usize) -> blockdeck::app::msg::HistoryRead {
    const KINDS: [ChangeKind; 4] = [
        ChangeKind::Block,
        ChangeKind::Block,
        ChangeKind::Unblock,
        ChangeKind::FriendAdd,
    ];
    let changes = (0..n)
        .map(|i| {
            let other = if i == 3 {
                EVIL_OSC_NICK.to_owned()
            } else {
                format!("user_{i:04}")
            };
            let (from, to) = if i % 2 == 0 {
                (account, other.as_str())
            } else {
                (other.as_str(), account)
            };
            let kind = if i % 7 == 6 {
                ChangeKind::FriendDelete
            } else {
                KINDS[i % 4]
            };
            change((n - i) as i64, kind, from, to, NOW - 600 * i as u64)
        })
        .collect();
    blockdeck::app::msg::HistoryRead {
        changes,
        reach: Some(blockdeck::client::journal::changes::Reach {
            first_ms: STORE_FIRST_MS,
            changes: 12_345,
        }),
    }
}

impl Dash {
    /// `H` where the dashboard is: returns the history's request number.
    pub fn open_history(&mut self) -> u64 {
        match self.press(ch('H')).as_slice() {
            [Effect::History { req, .. }] => *req,
            other => panic!("H gave {other:?}"),
        }
    }

    /// Answers history read `req` with `read`.
    pub fn answer_history(&mut self, req: u64, read: blockdeck::app::msg::HistoryRead) {
        self.send(Msg::History {
            req,
            result: Ok(blockdeck::app::msg::Stored::Found(read)),
        });
    }

    /// The history shown.
    pub fn history(&self) -> &blockdeck::app::model::HistoryView {
        match &self.model.overlay {
            Overlay::History(view) => view,
            other => panic!("no history on screen: {other:?}"),
        }
    }

    /// The screen is up (the runtime's first message): the journal scan and the first read of
    /// the app's block rate; returns that read's request number.
    pub fn started(&mut self) -> u64 {
        let fx = self.send(Msg::Started);
        match fx.as_slice() {
            [
                Effect::ScanJournal,
                Effect::BlockRate {
                    req,
                    scope: blockdeck::app::model::RateScope::App,
                },
            ] => *req,
            other => panic!("Started gave {other:?}"),
        }
    }

    /// Answers block-rate read `req` with `counts` (blocks per minute, oldest first).
    pub fn answer_rate(&mut self, req: u64, counts: Vec<u64>) -> Vec<Effect> {
        self.send(Msg::BlockRate {
            req,
            result: Ok(blockdeck::app::msg::Stored::Found(counts)),
        })
    }
}

/// Sixty minutes of blocks: a quiet hour with a spike of `peak` ten minutes ago.
pub fn spike(peak: u64) -> Vec<u64> {
    (0..60u64)
        .map(|m| match m {
            49 => peak / 2,
            50 => peak,
            51 => peak / 3,
            m if m % 9 == 0 => 1,
            _ => 0,
        })
        .collect()
}
