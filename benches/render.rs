//! The dashboard's render cost: what one keystroke costs (update + draw), how many bytes a one-row
//! scroll writes compared with a full redraw, and what an idle dashboard writes in a second.
//!
//! The model is built the way the dashboard builds it: the user is typed into the lookup line and
//! submitted, then the worker's answers arrive as messages (`Account`, ten `Page`s of 100 entries,
//! one `Nicks` per page). Frames go through the runtime's draw path, [`Painter::draw`] (ratatui's
//! buffer diff, the terminal's scroll regions for rows that moved, crossterm's escape encoding),
//! into a writer that counts bytes and discards them. The runtime's own
//! `Terminal::new(CrosstermBackend)` asks the tty for its size and for the cursor position; here
//! [`FixedScreen`] answers those two questions with a fixed 120×40 screen (100×40 for the narrow case)
//! and passes everything else to the real `CrosstermBackend`.
//!
//! Each one-row scroll is measured twice: through the runtime's path and through the same path
//! with scroll regions off (`plain`, what a terminal without them gets).
//!
//! Goals (reported, never failing the run): a keystroke under 1 ms (p99), every one-row scroll under
//! 2% of the bytes of a full redraw, and nothing written while idle.

use std::cell::Cell as Shared;
use std::collections::{BTreeSet, HashSet};
use std::io::{self, Write};
use std::rc::Rc;
use std::time::{Duration, Instant};

use blockdeck::app::model::{Connection, Focus, Level, Model};
use blockdeck::app::{self, Effect, Msg};
use blockdeck::client::ops::AccountFacts;
use blockdeck::ui;
use blockdeck::ui::draw::{FixedScreen, Painter};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ratatui::Terminal;
use ratatui::buffer::Buffer;
use ratatui::layout::Size;

const WIDTH: u16 = 120;
/// A screen too narrow for the activity pane and the feed side by side.
const NARROW: u16 = 100;
const HEIGHT: u16 = 40;
/// Entries in the looked-up user's blocklist, delivered as pages of `PAGE`.
const ENTRIES: usize = 1000;
const PAGE: usize = 100;
/// Measured keystrokes per round, after `WARMUP` unmeasured ones; each scenario runs `ROUNDS`
/// rounds and the round with the lowest p99 is reported (the others mostly measure whatever else
/// the machine was doing), with every round's p99 shown.
const KEYS: usize = 5000;
const WARMUP: usize = 300;
const ROUNDS: usize = 3;
/// Goals.
const KEY_GOAL_US: f64 = 1000.0;
const SCROLL_GOAL: f64 = 0.02;
/// The runtime's shortest time between two frames.
const FRAME: Duration = Duration::from_millis(33);
/// A fixed "now" (2026-03-01 00:00:00Z), so that "… ago" columns are the same on every run.
const NOW: u64 = 1_772_323_200;

/// Counts the bytes written and drops them.
struct CountingWriter(Rc<Shared<u64>>);

impl Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.set(self.0.get() + buf.len() as u64);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The runtime's pair: the terminal and the painter that draws into it.
struct Tty {
    terminal: Terminal<FixedScreen<CountingWriter>>,
    painter: Painter,
}

/// A full-screen terminal like the runtime's (scroll regions on or off), and its byte counter.
fn terminal(width: u16, scroll_regions: bool) -> (Tty, Rc<Shared<u64>>) {
    let bytes = Rc::new(Shared::new(0));
    let screen = FixedScreen::new(CountingWriter(bytes.clone()), Size::new(width, HEIGHT));
    let tty = Tty {
        terminal: Terminal::new(screen).expect("a fixed-size screen"),
        painter: Painter::new(scroll_regions),
    };
    (tty, bytes)
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

/// Blocklist entries as black_list_get returns them: distinct IDs in several common shapes, added in
/// time order over the last year.
fn entries(rng: &mut StdRng) -> Vec<(String, u64)> {
    const WORDS: &[&str] = &[
        "lucky", "cat", "shadow", "mango", "pixel", "tiger", "nova", "river", "ghost", "lotus",
    ];
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(ENTRIES);
    let mut added = NOW - 365 * 86_400;
    while out.len() < ENTRIES {
        let id = match rng.random_range(0..5) {
            0 => format!("user_{:06}", rng.random_range(0..1_000_000)),
            1 => format!("wx_{:016x}", rng.random::<u64>()),
            2 => format!(
                "{}_{}{}",
                WORDS[rng.random_range(0..WORDS.len())],
                WORDS[rng.random_range(0..WORDS.len())],
                rng.random_range(1..10_000)
            ),
            3 => format!("144{:09}", rng.random_range(0..1_000_000_000u64)),
            _ => format!("guest-{:08x}", rng.random::<u32>()),
        };
        if seen.insert(id.clone()) {
            added += rng.random_range(60..60_000);
            out.push((id, added));
        }
    }
    out
}

/// A nickname as portrait_get returns it, or none (the account has not set one).
fn nickname(rng: &mut StdRng) -> Option<String> {
    const NICKS: &[&str] = &[
        "小明",
        "王大锤",
        "李小龙的粉丝",
        "さくら🌸",
        "ゆい",
        "김민지",
        "Ana Souza",
        "🔥Dragon🔥",
        "María José",
        "Thành Nguyễn",
        "👾 gamer_girl",
        "Jean-Luc Picard",
        "夜空中最亮的星✨",
        "Ольга",
        "محمد",
        "🐼熊猫🐼",
        "Zoë",
        "阿杰 (Jay)",
        "the_real_bob",
        "👨‍👩‍👧 family account",
        "오빠 💕",
        "Kenji 健二",
    ];
    if rng.random_range(0..10) == 0 {
        return None;
    }
    let nick = NICKS[rng.random_range(0..NICKS.len())];
    Some(if rng.random_range(0..3) == 0 {
        format!("{nick}{}", rng.random_range(1..100))
    } else {
        nick.to_owned()
    })
}

/// The dashboard after a lookup of a user with `ENTRIES` blocked accounts, table focused.
fn loaded_model() -> Model {
    let connection = Connection {
        label: "demo".into(),
        base_url: "http://127.0.0.1:5080".into(),
        sdkappid: 1_400_000_000,
        admin: "administrator".into(),
    };
    let mut model = Model::new(connection, false, false, NOW);
    app::update(&mut model, Msg::Resize(WIDTH, HEIGHT));

    // Typed into the lookup line and submitted.
    for c in "alice_2024".chars() {
        app::update(&mut model, ch(c));
    }
    let effects = app::update(&mut model, key(KeyCode::Enter));
    let req = effects
        .iter()
        .find_map(|e| match e {
            Effect::Lookup { req, .. } => Some(*req),
            _ => None,
        })
        .expect("Enter on the lookup line starts a lookup");

    // The worker's answers.
    let mut rng = StdRng::seed_from_u64(0x0b10_cdec);
    app::update(
        &mut model,
        Msg::Account {
            req,
            info: AccountFacts {
                exists: true,
                nick: Some("Alice 李 🌙".into()),
                forbid_send: false,
                friends: Some(238),
            },
        },
    );
    let all = entries(&mut rng);
    for (n, page) in all.chunks(PAGE).enumerate() {
        app::update(
            &mut model,
            Msg::Page {
                req,
                entries: page.to_vec(),
                last: n == ENTRIES / PAGE - 1,
                sequence: 48_213,
            },
        );
    }
    for page in all.chunks(PAGE) {
        let nicks = page
            .iter()
            .filter_map(|(id, _)| nickname(&mut rng).map(|n| (id.clone(), n)))
            .collect();
        app::update(&mut model, Msg::Nicks { req, nicks });
    }

    assert_eq!(model.list.view.len(), ENTRIES, "every entry is listed");
    assert!(model.list.complete);
    assert_eq!(model.focus, Focus::Blocklist, "the table has focus");
    model
}

/// The runtime's draw.
fn draw(tty: &mut Tty, model: &Model) {
    tty.painter
        .draw(&mut tty.terminal, |frame| ui::render(model, frame))
        .expect("drawing into memory");
}

/// Draws and returns a copy of the frame drawn.
fn draw_keep(tty: &mut Tty, model: &Model) -> Buffer {
    draw(tty, model);
    tty.painter
        .shown()
        .expect("the painter keeps the frame shown")
        .clone()
}

/// What a non-diffing renderer does: clear the screen and write the whole frame.
fn full_redraw(tty: &mut Tty, model: &Model) {
    tty.painter
        .clear(&mut tty.terminal)
        .expect("clearing memory");
    draw(tty, model);
}

/// Timings of one scenario, in microseconds per keystroke.
struct Timings {
    total: Vec<f64>,
    update: Vec<f64>,
    draw: Vec<f64>,
    bytes: u64,
    /// p99 of every round, in the order run.
    rounds_p99: Vec<f64>,
}

impl Timings {
    fn mean(v: &[f64]) -> f64 {
        v.iter().sum::<f64>() / v.len() as f64
    }

    fn p99(v: &[f64]) -> f64 {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        s[(s.len() * 99).div_ceil(100) - 1]
    }
}

/// `ROUNDS` rounds of [`round`]; the one with the lowest p99, and every round's p99.
fn keystrokes(
    model: &mut Model,
    terminal: &mut Tty,
    bytes: &Shared<u64>,
    naive: bool,
    mut next: impl FnMut(usize, &mut Model, &mut Tty) -> Msg,
) -> Timings {
    let rounds: Vec<Timings> = (0..ROUNDS)
        .map(|r| {
            round(
                model,
                terminal,
                bytes,
                naive,
                r * (WARMUP + KEYS),
                &mut next,
            )
        })
        .collect();
    let rounds_p99: Vec<f64> = rounds.iter().map(|t| Timings::p99(&t.total)).collect();
    let mut best = rounds
        .into_iter()
        .min_by(|a, b| Timings::p99(&a.total).total_cmp(&Timings::p99(&b.total)))
        .expect("at least one round");
    best.rounds_p99 = rounds_p99;
    best
}

/// Presses `KEYS` keys (after `WARMUP` unmeasured ones), each followed by a frame. `next` gives the
/// key number `first + i` (numbers go on across rounds, so key sequences do too) and may first apply
/// unmeasured keys of its own (returning to the top, say).
fn round(
    model: &mut Model,
    terminal: &mut Tty,
    bytes: &Shared<u64>,
    naive: bool,
    first: usize,
    next: &mut impl FnMut(usize, &mut Model, &mut Tty) -> Msg,
) -> Timings {
    let mut t = Timings {
        total: Vec::with_capacity(KEYS),
        update: Vec::with_capacity(KEYS),
        draw: Vec::with_capacity(KEYS),
        bytes: 0,
        rounds_p99: Vec::new(),
    };
    for i in 0..WARMUP + KEYS {
        let msg = next(first + i, model, terminal);
        let before = bytes.get();
        let t0 = Instant::now();
        app::update(model, msg);
        let t1 = Instant::now();
        if naive {
            full_redraw(terminal, model);
        } else {
            draw(terminal, model);
        }
        let t2 = Instant::now();
        if i >= WARMUP {
            t.update.push((t1 - t0).as_secs_f64() * 1e6);
            t.draw.push((t2 - t1).as_secs_f64() * 1e6);
            t.total.push((t2 - t0).as_secs_f64() * 1e6);
            t.bytes += bytes.get() - before;
        }
    }
    t
}

/// Applies `msg` and draws, unmeasured (to move to a starting position).
fn press(model: &mut Model, terminal: &mut Tty, msg: Msg) {
    app::update(model, msg);
    draw(terminal, model);
}

/// One key from a given position: bytes written, by the runtime's draw and by plain ratatui
/// diffs, and the cells and rows that changed.
struct Scroll {
    label: &'static str,
    from: usize,
    to: usize,
    bytes: u64,
    plain: u64,
    cells: usize,
    rows: usize,
    full: u64,
}

/// The runtime's terminal and one that draws plain diffs (scroll regions off), side by side.
struct Pair {
    tty: Tty,
    bytes: Rc<Shared<u64>>,
    plain: Tty,
    plain_bytes: Rc<Shared<u64>>,
}

impl Pair {
    fn new(width: u16) -> Pair {
        let (tty, bytes) = terminal(width, true);
        let (plain, plain_bytes) = terminal(width, false);
        Pair {
            tty,
            bytes,
            plain,
            plain_bytes,
        }
    }
}

/// Where a case's cursor is: the table's, or the log's with focus.
fn cursor_of(model: &Model) -> usize {
    match model.focus {
        Focus::Activity => model
            .activity
            .scroll
            .log_cursor(model.activity.lines.len())
            .unwrap_or(0),
        _ => model.list.cursor(),
    }
}

/// Presses the keys of `path` (unmeasured), then `key`, measured.
fn one_row_scroll(
    model: &mut Model,
    pair: &mut Pair,
    label: &'static str,
    path: &[(char, usize)],
    key: char,
) -> Scroll {
    for &(c, times) in path {
        for _ in 0..times {
            press(model, &mut pair.tty, ch(c));
        }
    }
    let before_frame = draw_keep(&mut pair.tty, model);
    draw(&mut pair.plain, model);
    let from = cursor_of(model);

    app::update(model, ch(key));
    let start = pair.bytes.get();
    let after_frame = draw_keep(&mut pair.tty, model);
    let written = pair.bytes.get() - start;
    let start = pair.plain_bytes.get();
    draw(&mut pair.plain, model);
    let plain = pair.plain_bytes.get() - start;
    let changed = before_frame.diff(&after_frame);
    let rows: BTreeSet<u16> = changed.iter().map(|(_, y, _)| *y).collect();

    let start = pair.bytes.get();
    full_redraw(&mut pair.tty, model);
    let full = pair.bytes.get() - start;

    Scroll {
        label,
        from,
        to: cursor_of(model),
        bytes: written,
        plain,
        cells: changed.len(),
        rows: rows.len(),
        full,
    }
}

/// Bytes written in one second of the runtime's rule: draw only when a message made the model
/// dirty, at most once per frame; a clock tick only while a batch runs. No message arrives.
async fn idle_second(
    model: &mut Model,
    terminal: &mut Tty,
    bytes: &Shared<u64>,
) -> (u64, u32, u32) {
    let (_worker, mut messages) = tokio::sync::mpsc::unbounded_channel::<Msg>();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The screen is up to date when the second starts.
    draw(terminal, model);
    let mut dirty = false;
    let mut last_draw = tokio::time::Instant::now();
    let (mut draws, mut wakeups) = (0u32, 0u32);
    let start = bytes.get();
    let end = tokio::time::sleep(Duration::from_secs(1));
    tokio::pin!(end);
    loop {
        if dirty && last_draw.elapsed() >= FRAME {
            draw(terminal, model);
            draws += 1;
            dirty = false;
            last_draw = tokio::time::Instant::now();
        }
        let ticking = model.running.is_some();
        tokio::select! {
            _ = &mut end => break,
            Some(msg) = messages.recv() => {
                wakeups += 1;
                app::update(model, msg);
                dirty = true;
            }
            _ = tick.tick(), if ticking => {
                wakeups += 1;
                app::update(model, Msg::Tick(NOW));
                dirty = true;
            }
            _ = tokio::time::sleep_until(last_draw + FRAME), if dirty => {
                wakeups += 1;
            }
        }
    }
    (bytes.get() - start, draws, wakeups)
}

/// Bytes written in one second by a loop that redraws 60 times a second whatever happened.
async fn fps_second(
    model: &Model,
    terminal: &mut Tty,
    bytes: &Shared<u64>,
    clear: bool,
) -> (u64, u32) {
    draw(terminal, model);
    let mut frames = tokio::time::interval(Duration::from_micros(16_667));
    let end = tokio::time::Instant::now() + Duration::from_secs(1);
    let start = bytes.get();
    let mut count = 0;
    loop {
        let at = frames.tick().await;
        if at >= end {
            break;
        }
        if clear {
            full_redraw(terminal, model);
        } else {
            draw(terminal, model);
        }
        count += 1;
    }
    (bytes.get() - start, count)
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn main() {
    let started = Instant::now();
    let mut model = loaded_model();
    let (mut terminal, bytes) = terminal(WIDTH, true);
    draw(&mut terminal, &model);
    let rows_on_screen = model.bands().table_rows();

    // 1. Keystrokes.
    // Cursor in the middle of the first screenful: j/k only move the highlight.
    press(&mut model, &mut terminal, ch('g'));
    for _ in 0..10 {
        press(&mut model, &mut terminal, ch('j'));
    }
    let jk = keystrokes(&mut model, &mut terminal, &bytes, false, |i, _, _| {
        ch(if i % 2 == 0 { 'j' } else { 'k' })
    });
    let jk_naive = keystrokes(&mut model, &mut terminal, &bytes, true, |i, _, _| {
        ch(if i % 2 == 0 { 'j' } else { 'k' })
    });
    // j held down: the window scrolls every key and the page changes every 100 rows.
    press(&mut model, &mut terminal, ch('g'));
    let held = keystrokes(&mut model, &mut terminal, &bytes, false, |_, m, t| {
        if m.list.cursor() + 1 >= m.list.view.len() {
            press(m, t, ch('g'));
        }
        ch('j')
    });
    // Marking row after row (space marks and moves down); the second pass unmarks.
    press(&mut model, &mut terminal, ch('g'));
    let marking = keystrokes(&mut model, &mut terminal, &bytes, false, |_, m, t| {
        if m.list.cursor() + 1 >= m.list.view.len() {
            press(m, t, ch('g'));
        }
        ch(' ')
    });
    press(&mut model, &mut terminal, ch('u'));
    // Typing a filter and erasing it: every key refilters the 1000 rows.
    press(&mut model, &mut terminal, ch('g'));
    press(&mut model, &mut terminal, ch('/'));
    let typed: Vec<Msg> = "user_1"
        .chars()
        .map(ch)
        .chain((0..6).map(|_| key(KeyCode::Backspace)))
        .collect();
    let filtering = keystrokes(&mut model, &mut terminal, &bytes, false, |i, _, _| {
        typed[i % typed.len()].clone()
    });
    press(&mut model, &mut terminal, key(KeyCode::Esc));
    assert_eq!(model.list.view.len(), ENTRIES, "the filter is cleared");

    // 2. One-row scrolls from several positions: the table at 120 columns, then the activity
    // pane (a log), beside the feed at 120 columns and alone at 100.
    let r = rows_on_screen;
    let mut table = Pair::new(WIDTH);
    let mut scrolls = vec![
        one_row_scroll(
            &mut model,
            &mut table,
            "mid-window (j)",
            &[('g', 1), ('j', 5)],
            'j',
        ),
        one_row_scroll(
            &mut model,
            &mut table,
            "last row on screen, j (window scrolls)",
            &[('g', 1), ('j', r - 1)],
            'j',
        ),
        one_row_scroll(
            &mut model,
            &mut table,
            "scrolled window, mid (j)",
            &[('g', 1), ('j', 40), ('k', 10)],
            'j',
        ),
        one_row_scroll(
            &mut model,
            &mut table,
            "scrolled window, last row (j)",
            &[('g', 1), ('j', 40)],
            'j',
        ),
        one_row_scroll(
            &mut model,
            &mut table,
            "scrolled window, first row (k)",
            &[('g', 1), ('j', 40), ('k', r - 1)],
            'k',
        ),
        one_row_scroll(
            &mut model,
            &mut table,
            "page 6, last row on screen (j)",
            &[('g', 1), ('n', 5), ('j', r - 1)],
            'j',
        ),
        one_row_scroll(
            &mut model,
            &mut table,
            "page 6, first row on screen (k)",
            &[('g', 1), ('n', 5), ('j', 40), ('k', r - 1)],
            'k',
        ),
        one_row_scroll(
            &mut model,
            &mut table,
            "last row of a page, j (next page)",
            &[('g', 1), ('j', 99)],
            'j',
        ),
        one_row_scroll(
            &mut model,
            &mut table,
            "first row of a page, k (previous page)",
            &[('g', 1), ('n', 1)],
            'k',
        ),
    ];
    // The activity pane with more lines than it shows, focused, its cursor on the newest line.
    let mut logged = model.clone();
    let mut rng = StdRng::seed_from_u64(7);
    for i in 0..40 {
        logged.now += rng.random_range(1..90);
        let (level, text) = match rng.random_range(0..4) {
            0 => (
                Level::Success,
                format!("unblocked {} for alice_2024", 1 + i * 7 % 23),
            ),
            1 => (
                Level::Info,
                format!("looking up user_{:06}", rng.random_range(0..1_000_000)),
            ),
            2 => (
                Level::Warning,
                format!("nicknames: {} unknown", rng.random_range(1..40)),
            ),
            _ => (
                Level::Error,
                format!("page {}: timeout (retrying)", 1 + i % 10),
            ),
        };
        logged.log(level, text);
    }
    logged.focus = Focus::Activity;
    let lines = logged.bands().activity_rows();
    let mut wide = Pair::new(WIDTH);
    let mut narrow_model = logged.clone();
    scrolls.push(one_row_scroll(
        &mut logged,
        &mut wide,
        "activity beside the feed, top line (k)",
        &[('k', lines)],
        'k',
    ));
    app::update(&mut narrow_model, Msg::Resize(NARROW, HEIGHT));
    let mut narrow = Pair::new(NARROW);
    scrolls.push(one_row_scroll(
        &mut narrow_model,
        &mut narrow,
        "activity alone (100 col.), top line (k)",
        &[('k', lines)],
        'k',
    ));
    scrolls.push(one_row_scroll(
        &mut narrow_model,
        &mut narrow,
        "activity alone (100 col.), last line (j)",
        &[('j', lines - 1)],
        'j',
    ));

    // 3. An idle second.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let (idle, idle_draws, idle_wakeups) =
        rt.block_on(idle_second(&mut model, &mut terminal, &bytes));
    let (fps, fps_frames) = rt.block_on(fps_second(&model, &mut terminal, &bytes, false));
    let (fps_full, fps_full_frames) = rt.block_on(fps_second(&model, &mut terminal, &bytes, true));

    // Report.
    println!(
        "dashboard at {WIDTH}x{HEIGHT}, {ENTRIES}-row list ({} pages of {PAGE}, {rows_on_screen} table rows on screen)",
        ENTRIES / PAGE
    );
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "{ROUNDS} rounds of {KEYS} measured keystrokes per scenario (after {WARMUP} unmeasured each), best round by p99, times in µs; load average {load} on {cpus} CPUs"
    );
    println!();
    println!(
        "{:<34}{:>8}{:>8}{:>12}{:>12}{:>11}   p99 of each round",
        "keystroke, then draw", "mean", "p99", "update mean", "draw mean", "bytes/key"
    );
    let scenarios = [
        ("j/k alternating", &jk),
        ("j held (scrolls, crosses pages)", &held),
        ("space (mark + move down)", &marking),
        ("/ filter typing (\"user_1\", ⌫×6)", &filtering),
        ("naive: j/k + clear + full draw", &jk_naive),
    ];
    for (label, t) in scenarios {
        println!(
            "  {:<32}{:>8.1}{:>8.1}{:>12.1}{:>12.1}{:>11}   {}",
            label,
            Timings::mean(&t.total),
            Timings::p99(&t.total),
            Timings::mean(&t.update),
            Timings::mean(&t.draw),
            t.bytes / KEYS as u64,
            t.rounds_p99
                .iter()
                .map(|p| format!("{p:.0}"))
                .collect::<Vec<_>>()
                .join(" / ")
        );
    }
    let worst = scenarios[..4]
        .iter()
        .max_by(|a, b| Timings::p99(&a.1.total).total_cmp(&Timings::p99(&b.1.total)))
        .expect("scenarios");
    let worst_p99 = Timings::p99(&worst.1.total);
    println!();
    println!(
        "{:<44}{:>11}{:>7}{:>7}{:>6}{:>7}{:>13}{:>8}   goal < {:.0}%",
        "one-row scroll (key, then draw)",
        "cursor",
        "bytes",
        "plain",
        "cells",
        "rows",
        "full redraw",
        "share",
        SCROLL_GOAL * 100.0
    );
    for s in &scrolls {
        let share = s.bytes as f64 / s.full as f64;
        println!(
            "  {:<42}{:>11}{:>7}{:>7}{:>6}{:>7}{:>13}{:>7.2}%   {}",
            s.label,
            format!("{} → {}", s.from, s.to),
            s.bytes,
            s.plain,
            s.cells,
            s.rows,
            s.full,
            100.0 * share,
            met(share < SCROLL_GOAL)
        );
    }
    let share = |s: &Scroll| s.bytes as f64 / s.full as f64;
    let worst_scroll = scrolls
        .iter()
        .max_by(|a, b| share(a).total_cmp(&share(b)))
        .expect("scrolls");
    println!();
    println!("summary");
    println!("dashboard at {WIDTH}x{HEIGHT}, {ENTRIES}-row list");
    println!(
        "keystroke (update + draw)      mean {:>6.1} µs   p99 {:>6.1} µs   goal < {KEY_GOAL_US:.0} µs: {}   (j/k; worst p99 {:.1} µs: {})",
        Timings::mean(&jk.total),
        Timings::p99(&jk.total),
        met(worst_p99 < KEY_GOAL_US),
        worst_p99,
        worst.0
    );
    println!(
        "  naive (full redraw each)     mean {:>6.1} µs   p99 {:>6.1} µs   = {:.1}× the time and {:.0}× the bytes ({} vs {} per key) of the diffed keystroke",
        Timings::mean(&jk_naive.total),
        Timings::p99(&jk_naive.total),
        Timings::mean(&jk_naive.total) / Timings::mean(&jk.total),
        jk_naive.bytes as f64 / jk.bytes as f64,
        jk_naive.bytes / KEYS as u64,
        jk.bytes / KEYS as u64
    );
    let scrolls_met = scrolls.iter().filter(|s| share(s) < SCROLL_GOAL).count();
    println!(
        "one-row scroll                 {} bytes  vs full redraw {} bytes  = {:.2}%   goal < {:.0}% in every case: {}   ({scrolls_met} of {} met; worst: {}; best {:.2}%)",
        worst_scroll.bytes,
        worst_scroll.full,
        100.0 * share(worst_scroll),
        SCROLL_GOAL * 100.0,
        met(share(worst_scroll) < SCROLL_GOAL),
        scrolls.len(),
        worst_scroll.label,
        100.0 * scrolls.iter().map(share).fold(f64::INFINITY, f64::min)
    );
    println!(
        "idle second                    {idle} bytes ({idle_draws} draws, {idle_wakeups} wake-ups)   vs 60 FPS redraw {fps} bytes ({fps_frames} frames) / 60 FPS full redraw {fps_full} bytes ({fps_full_frames} frames)   goal 0: {}",
        met(idle == 0)
    );
    println!("(run took {:.1} s)", started.elapsed().as_secs_f64());
}
