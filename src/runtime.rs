//! The dashboard's loop: waits on terminal events, worker messages, signals and (only while something
//! moves) a clock tick; runs `update`, hands effects to the worker, and redraws only when something
//! changed, at most once per frame interval. An idle dashboard writes nothing to the terminal.

use std::io;
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::app::{self, Effect, Model, Msg};
use crate::tim::usersig::unix_now;
use crate::ui;
use crate::worker::Worker;

/// Shortest time between two frames (a running batch sends many messages a second).
const FRAME: Duration = Duration::from_millis(33);
/// How long a hang-up waits for the running batch to stop and journal its end.
const HANGUP_GRACE: Duration = Duration::from_secs(30);

/// Turns a terminal event into a message; key releases and repeats of nothing are dropped.
pub fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

/// Runs one message through `update` and the resulting effects through the worker.
fn step(model: &mut Model, worker: &mut Worker, msg: Msg) {
    let now = unix_now();
    if now != model.now {
        app::update(model, Msg::Tick(now));
    }
    for effect in app::update(model, msg) {
        worker.handle(effect);
    }
}

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Quit,
    /// SIGTERM or SIGHUP: the batch (if any) was cancelled and its end journaled.
    Signal,
}

pub async fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    model: &mut Model,
    worker: &mut Worker,
    messages: &mut UnboundedReceiver<Msg>,
) -> io::Result<Ending>
where
    B::Error: Into<io::Error>,
{
    let mut events = EventStream::new();
    let size = terminal.size().map_err(Into::into)?;
    step(model, worker, Msg::Resize(size.width, size.height));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut term_signal, mut hangup, mut winch) = signals()?;
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    loop {
        if model.should_quit {
            return Ok(Ending::Quit);
        }
        if dirty && last_draw.elapsed() >= FRAME {
            terminal
                .draw(|frame| ui::view(model, frame))
                .map_err(Into::into)?;
            dirty = false;
            last_draw = Instant::now();
        }
        let next_frame = last_draw + FRAME;
        let ticking = model.running.is_some();
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => {
                    if let Some(msg) = to_msg(event) {
                        step(model, worker, msg);
                        dirty = true;
                    }
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(Ending::Quit),
            },
            Some(msg) = messages.recv() => {
                step(model, worker, msg);
                while let Ok(more) = messages.try_recv() {
                    step(model, worker, more);
                }
                dirty = true;
            }
            _ = tick.tick(), if ticking => {
                step(model, worker, Msg::Tick(unix_now()));
                dirty = true;
            }
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
            // A resize can be lost in the event stream when it arrives together with keys: the
            // signal itself is the reliable source, and the size is read from the terminal.
            _ = winch.recv() => {
                let size = terminal.size().map_err(Into::into)?;
                if (size.width, size.height) != (model.width, model.height) {
                    step(model, worker, Msg::Resize(size.width, size.height));
                    dirty = true;
                }
            }
            _ = term_signal.recv() => return stop_on_signal(model, worker, messages).await,
            _ = hangup.recv() => return stop_on_signal(model, worker, messages).await,
        }
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
