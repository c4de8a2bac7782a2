//! The terminal's lifecycle: raw mode, the alternate screen, bracketed paste and (unless turned
//! off) mouse reporting on the way in, and all of it undone on the way out — on quit, on error, on
//! a panic in any task, and on signals.
//!
//! Mouse reporting asks for clicks and the wheel only (`?1000`, in the SGR encoding `?1006`),
//! not for every move of the pointer (`?1003`), which over SSH would send a report for each
//! cell the pointer crosses. While it is on, the terminal's own selection needs Shift held in
//! most terminals; `mouse = false` in the config file leaves the mouse to the terminal.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::Show;
use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Mouse reporting was switched on (and must be switched off on the way out).
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Clicks and the wheel reported, SGR-encoded (`ESC [ < b ; x ; y M`).
struct EnableClickReports;

impl crossterm::Command for EnableClickReports {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        f.write_str("\x1b[?1000h\x1b[?1006h")
    }
}

/// Puts the terminal in dashboard mode; restores it when dropped.
pub struct TerminalGuard(());

impl TerminalGuard {
    /// Enters dashboard mode; `mouse`: with clicks and the wheel reported.
    pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, EnableBracketedPaste) {
            restore();
            return Err(e);
        }
        if mouse {
            MOUSE.store(true, Ordering::SeqCst);
            if let Err(e) = execute!(out, EnableClickReports) {
                restore();
                return Err(e);
            }
        }
        Ok(TerminalGuard(()))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Undoes everything `enter` enabled; does nothing when the terminal is not in dashboard mode, so
/// it is safe to call from several places.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        if MOUSE.swap(false, Ordering::SeqCst) {
            let _ = execute!(out, DisableMouseCapture);
        }
        let _ = execute!(out, DisableBracketedPaste, LeaveAlternateScreen, Show);
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

/// A panic anywhere (the UI thread or a worker task) restores the terminal before the message is
/// printed, then ends the process: a dashboard with half its tasks dead must not carry on.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let was_active = ACTIVE.load(Ordering::SeqCst);
            restore();
            previous(info);
            if was_active {
                std::process::exit(101);
            }
        }));
    });
}
