//! The dashboard's loop: waits on terminal events, worker messages, signals and (only while something
//! moves on screen by itself: a spinner, a question arming) the model's next wake-up; runs `update`,
//! hands effects to the worker, and redraws only when something changed, at most once per frame
//! interval. An idle dashboard writes nothing to the terminal.
//!
//! Keys are held for [`BURST_GAP`] before they are handed on: keys that arrive closer together
//! than anyone types (an unbracketed paste, type-ahead delivered at once over SSH) go to `update`
//! together as one [`Msg::KeyBurst`], so that they can be typed into a line but never answer a
//! question. Any other event (a paste, a click) hands the held keys on first.
//!
//! The runtime owns the terminal: the copies `update` asks for ([`Effect::Copy`]) are written to
//! it here, as OSC 52 sequences ([`crate::clipboard`]).

use std::io;
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEvent, KeyEventKind, MouseButton, MouseEventKind};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::app::{self, Effect, Model, Msg};
use crate::tim::usersig::unix_now;
use crate::ui;
use crate::ui::draw::Painter;
use crate::worker::Worker;

/// Shortest time between two frames (a running batch sends many messages a second).
const FRAME: Duration = Duration::from_millis(33);
/// How long a hang-up waits for the running batch to stop and journal its end.
const HANGUP_GRACE: Duration = Duration::from_secs(30);
/// Keys closer together than this belong to one burst (people type 50 ms or more apart).
pub const BURST_GAP: Duration = Duration::from_millis(12);
/// The longest a burst is held before it is handed on, so that a stream of keys still moves.
const BURST_HOLD: Duration = Duration::from_millis(150);

/// Keys held until it is known whether they came alone or in a burst.
#[derive(Default)]
struct Held {
    keys: Vec<KeyEvent>,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Held {
    fn push(&mut self, key: KeyEvent, now: Instant) {
        self.keys.push(key);
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    /// When the keys held go on if nothing else comes.
    fn deadline(&self) -> Option<Instant> {
        let (first, last) = (self.first?, self.last?);
        Some((last + BURST_GAP).min(first + BURST_HOLD))
    }

    /// The held keys as one message: a lone key, or a burst.
    fn take(&mut self) -> Option<Msg> {
        self.first = None;
        self.last = None;
        let mut keys = std::mem::take(&mut self.keys);
        match keys.len() {
            0 => None,
            1 => keys.pop().map(Msg::Key),
            _ => Some(Msg::KeyBurst(keys)),
        }
    }
}

/// Turns a terminal event into a message; key releases and repeats of nothing are dropped.
pub fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        // Clicks and the wheel; moves and drags say nothing to the dashboard (and so never
        // hand held keys on early).
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::Down(MouseButton::Left)
            | MouseEventKind::ScrollUp
            | MouseEventKind::ScrollDown => Some(Msg::Mouse(mouse)),
            _ => None,
        },
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

/// Runs one message through `update` and the resulting effects through the worker, the clocks
/// brought up to date first.
fn step(
    model: &mut Model,
    worker: &mut Worker,
    copies: &mut Vec<String>,
    started: Instant,
    msg: Msg,
) {
    let now = unix_now();
    let mut effects = Vec::new();
    if now != model.now {
        effects.extend(app::update(model, Msg::Tick(now)));
    }
    let ms = started.elapsed().as_millis() as u64;
    if ms != model.ms {
        effects.extend(app::update(model, Msg::Clock(ms)));
    }
    // What the clocks made due (a read of the block rates) goes out too.
    effects.extend(app::update(model, msg));
    for effect in effects {
        match effect {
            // The terminal is the runtime's: copies are written to it after the step.
            Effect::Copy(text) => copies.push(text),
            effect => worker.handle(effect),
        }
    }
    // A lookup changed the history: it is kept on disk for the next run.
    worker.keep_history(model.history_rev, &model.history);
}

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Quit,
    /// SIGTERM or SIGHUP: the batch (if any) was cancelled and its end journaled.
    Signal,
}

/// Runs the dashboard in `terminal`, drawing through `painter` (which knows what the terminal
/// shows: nothing else may draw into it meanwhile).
pub async fn run<B: Backend + io::Write>(
    terminal: &mut Terminal<B>,
    painter: &mut Painter,
    model: &mut Model,
    worker: &mut Worker,
    messages: &mut UnboundedReceiver<Msg>,
) -> io::Result<Ending>
where
    B::Error: Into<io::Error> + From<io::Error>,
{
    let mut events = EventStream::new();
    let started = Instant::now();
    let mut copies: Vec<String> = Vec::new();
    let tmux = crate::clipboard::in_tmux();
    let size = terminal.size().map_err(Into::into)?;
    step(
        model,
        worker,
        &mut copies,
        started,
        Msg::Resize(size.width, size.height),
    );
    step(model, worker, &mut copies, started, Msg::Started);
    let (mut term_signal, mut hangup, mut winch) = signals()?;
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    let mut held = Held::default();
    loop {
        if !copies.is_empty() {
            write_copies(terminal.backend_mut(), &mut copies, tmux)?;
        }
        if model.should_quit {
            return Ok(Ending::Quit);
        }
        if dirty && last_draw.elapsed() >= FRAME {
            painter
                .draw(terminal, |frame| ui::render(model, frame))
                .map_err(Into::into)?;
            dirty = false;
            last_draw = Instant::now();
        }
        let next_frame = last_draw + FRAME;
        let wake = model
            .next_wake()
            .map(|ms| started + Duration::from_millis(ms));
        let release = held.deadline();
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    held.push(key, Instant::now());
                }
                Some(Ok(event)) => {
                    if let Some(msg) = to_msg(event) {
                        // What was typed before it comes first.
                        if let Some(keys) = held.take() {
                            step(model, worker, &mut copies, started, keys);
                        }
                        step(model, worker, &mut copies, started, msg);
                        dirty = true;
                    }
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(Ending::Quit),
            },
            _ = sleep_until_some(release) => {
                if let Some(keys) = held.take() {
                    step(model, worker, &mut copies, started, keys);
                    dirty = true;
                }
            }
            Some(msg) = messages.recv() => {
                step(model, worker, &mut copies, started, msg);
                while let Ok(more) = messages.try_recv() {
                    step(model, worker, &mut copies, started, more);
                }
                dirty = true;
            }
            // Something moves by itself (a spinner, a question arming): its next frame.
            _ = sleep_until_some(wake) => {
                let ms = started.elapsed().as_millis() as u64;
                step(model, worker, &mut copies, started, Msg::Clock(ms));
                dirty = true;
            }
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
            // A resize can be lost in the event stream when it arrives together with keys: the
            // signal itself is the reliable source, and the size is read from the terminal.
            _ = winch.recv() => {
                let size = terminal.size().map_err(Into::into)?;
                if (size.width, size.height) != (model.width, model.height) {
                    step(model, worker, &mut copies, started, Msg::Resize(size.width, size.height));
                    dirty = true;
                }
            }
            _ = term_signal.recv() => return stop_on_signal(model, worker, messages).await,
            _ = hangup.recv() => return stop_on_signal(model, worker, messages).await,
        }
    }
}

/// Writes the OSC 52 sequences of `copies` to the terminal (see [`crate::clipboard`]).
fn write_copies<W: io::Write>(out: &mut W, copies: &mut Vec<String>, tmux: bool) -> io::Result<()> {
    for text in copies.drain(..) {
        out.write_all(crate::clipboard::sequences(&text, tmux).as_bytes())?;
    }
    out.flush()
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A signal: stop issuing requests, let the batch journal its end, and leave.
async fn stop_on_signal(
    model: &mut Model,
    worker: &mut Worker,
    messages: &mut UnboundedReceiver<Msg>,
) -> io::Result<Ending> {
    if model.running.is_some() {
        worker.handle(Effect::CancelBatch);
        let deadline = Instant::now() + HANGUP_GRACE;
        while model.running.is_some() {
            match tokio::time::timeout_at(deadline, messages.recv()).await {
                Ok(Some(msg)) => {
                    for effect in app::update(model, msg) {
                        if effect != Effect::Quit {
                            worker.handle(effect);
                        }
                    }
                }
                _ => break,
            }
        }
    }
    Ok(Ending::Signal)
}

type Signal = tokio::signal::unix::Signal;

/// SIGTERM, SIGHUP and SIGWINCH.
fn signals() -> io::Result<(Signal, Signal, Signal)> {
    use tokio::signal::unix::{SignalKind, signal};
    Ok((
        signal(SignalKind::terminate())?,
        signal(SignalKind::hangup())?,
        signal(SignalKind::window_change())?,
    ))
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyModifiers, MouseEvent};

    use super::*;

    fn mouse(kind: MouseEventKind) -> Event {
        Event::Mouse(MouseEvent {
            kind,
            column: 3,
            row: 4,
            modifiers: KeyModifiers::NONE,
        })
    }

    #[test]
    fn clicks_and_the_wheel_become_messages_and_pointer_moves_do_not() {
        for kind in [
            MouseEventKind::Down(MouseButton::Left),
            MouseEventKind::ScrollDown,
            MouseEventKind::ScrollUp,
        ] {
            assert!(
                matches!(to_msg(mouse(kind)), Some(Msg::Mouse(_))),
                "{kind:?}"
            );
        }
        // Nothing that would hand held keys on for no reason.
        for kind in [
            MouseEventKind::Moved,
            MouseEventKind::Drag(MouseButton::Left),
            MouseEventKind::Up(MouseButton::Left),
            MouseEventKind::Down(MouseButton::Right),
        ] {
            assert!(to_msg(mouse(kind)).is_none(), "{kind:?}");
        }
    }

    #[test]
    fn copies_go_to_the_terminal_as_osc52() {
        let mut out = Vec::new();
        let mut copies = vec!["alice".to_owned(), "bob\ncarol".to_owned()];
        write_copies(&mut out, &mut copies, false).unwrap();
        assert!(copies.is_empty());
        assert_eq!(
            out,
            b"\x1b]52;c;YWxpY2U=\x07\x1b]52;c;Ym9iCmNhcm9s\x07".to_vec()
        );
    }
}
