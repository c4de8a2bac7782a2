//! Running the `blockdeck` binary in a real pseudo-terminal: keys go in through the pty's master,
//! everything the program writes is kept byte for byte and fed to a `vt100` terminal emulator, so
//! that a test can read the screen as a user would see it and also inspect the exact escape
//! sequences that were sent. Terminal queries (cursor position, device attributes) are answered
//! like a real terminal would, so the program never waits for a reply. Every wait is bounded, and
//! the child is killed and reaped when the [`Pty`] is dropped.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

pub const BIN: &str = env!("CARGO_BIN_EXE_blockdeck");

/// How often the screen is looked at while waiting for something.
const POLL: Duration = Duration::from_millis(15);
/// How long the program must have been silent for a frame to count as drawn completely: a frame
/// can reach the pty in several reads, and the dashboard writes nothing while idle.
const QUIET: Duration = Duration::from_millis(50);
/// How long to leave after a lone Esc, so that crossterm does not read Esc and the next key as
/// one Alt+key.
const ESC_GAP: Duration = Duration::from_millis(300);
/// How long before a key [`Pty::press`] waits, as a person would: keys closer together than
/// the dashboard's burst gap are taken as a paste.
const KEY_GAP: Duration = Duration::from_millis(40);
/// How long a question is on screen before a key answers it (the dashboard's arming time, and
/// a margin).
pub const ARMING: Duration = Duration::from_millis(600);

/// Leaving the alternate screen, ending bracketed paste, showing the cursor: what a restored
/// terminal has been sent last.
pub const LEAVE_ALT_SCREEN: &[u8] = b"\x1b[?1049l";
pub const ENTER_ALT_SCREEN: &[u8] = b"\x1b[?1049h";
pub const PASTE_OFF: &[u8] = b"\x1b[?2004l";
pub const PASTE_ON: &[u8] = b"\x1b[?2004h";
pub const CURSOR_SHOWN: &[u8] = b"\x1b[?25h";
pub const CURSOR_HIDDEN: &[u8] = b"\x1b[?25l";
/// Mouse reporting (clicks and the wheel) switched on, and off.
pub const MOUSE_ON: &[u8] = b"\x1b[?1000h";
pub const MOUSE_OFF: &[u8] = b"\x1b[?1000l";

/// A key, as a terminal sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Enter,
    Esc,
    CtrlC,
    Space,
    Up,
    Char(char),
}

impl Key {
    fn bytes(self) -> Vec<u8> {
        match self {
            Key::Enter => b"\r".to_vec(),
            Key::Esc => b"\x1b".to_vec(),
            Key::CtrlC => b"\x03".to_vec(),
            Key::Space => b" ".to_vec(),
            Key::Up => b"\x1b[A".to_vec(),
            Key::Char(c) => c.to_string().into_bytes(),
        }
    }
}

/// What the emulated terminal was asked that is not drawn on the screen.
#[derive(Default)]
pub struct Recorder {
    /// Window titles and icon names set with OSC 0/1/2.
    pub titles: Vec<Vec<u8>>,
    /// Any other OSC (clipboard, hyperlinks, colours...), parameters joined with `;`.
    pub other_osc: Vec<Vec<u8>>,
    /// Queries seen (`6n`, `c`, ...), for diagnostics.
    pub queries: Vec<String>,
    /// Answers to send back to the program.
    replies: Vec<Vec<u8>>,
}

impl vt100::Callbacks for Recorder {
    fn set_window_icon_name(&mut self, _: &mut vt100::Screen, name: &[u8]) {
        self.titles.push(name.to_vec());
    }

    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.titles.push(title.to_vec());
    }

    fn copy_to_clipboard(&mut self, _: &mut vt100::Screen, ty: &[u8], data: &[u8]) {
        self.other_osc.push([b"52;", ty, b";", data].concat());
    }

    fn paste_from_clipboard(&mut self, _: &mut vt100::Screen, ty: &[u8]) {
        self.other_osc.push([b"52;", ty, b";?"].concat());
    }

    fn unhandled_osc(&mut self, _: &mut vt100::Screen, params: &[&[u8]]) {
        self.other_osc.push(params.join(&b';'));
    }

    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        let first = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        match (i1, c, first) {
            // Device status report: "where is the cursor" (1-based).
            (None, 'n', 6) => {
                let (row, col) = screen.cursor_position();
                self.queries.push("6n".into());
                self.replies
                    .push(format!("\x1b[{};{}R", row + 1, col + 1).into_bytes());
            }
            // Device status report: "are you OK".
            (None, 'n', 5) => {
                self.queries.push("5n".into());
                self.replies.push(b"\x1b[0n".to_vec());
            }
            // Primary device attributes: a VT220-class terminal.
            (None, 'c', 0) => {
                self.queries.push("c".into());
                self.replies.push(b"\x1b[?62;22c".to_vec());
            }
            // Keyboard enhancement flags: not supported, so no answer (the device attributes
            // that follow such a query tell the program so).
            (Some(b'?'), 'u', _) => self.queries.push("?u".into()),
            _ => {}
        }
    }
}

struct Shared {
    parser: vt100::Parser<Recorder>,
    raw: Vec<u8>,
    /// The master read EOF or an error: the program's side of the pty is closed.
    closed: bool,
    /// When the last bytes arrived.
    last_output: Instant,
}

/// How to start one `blockdeck` in a pty.
pub struct PtyCommand {
    args: Vec<String>,
    env: Vec<(String, String)>,
    cols: u16,
    rows: u16,
    home: PathBuf,
}

impl PtyCommand {
    /// `blockdeck` with HOME, XDG directories, BLOCKDECK_CONFIG and the working directory all
    /// inside `home`, TERM=xterm-256color, and nothing else of the test's environment.
    pub fn new(home: &Path) -> PtyCommand {
        PtyCommand {
            args: Vec::new(),
            env: Vec::new(),
            cols: 120,
            rows: 40,
            home: home.to_path_buf(),
        }
    }

    pub fn args<I, S>(mut self, args: I) -> PtyCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> PtyCommand {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn size(mut self, cols: u16, rows: u16) -> PtyCommand {
        self.cols = cols;
        self.rows = rows;
        self
    }

    pub fn spawn(self) -> Pty {
        let system = native_pty_system();
        let pair = system
            .openpty(PtySize {
                rows: self.rows,
                cols: self.cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pty opens");
        let home = self.home.join("home");
        std::fs::create_dir_all(&home).expect("home dir");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.env_clear();
        cmd.cwd(&self.home);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        cmd.env("HOME", &home);
        cmd.env("XDG_CONFIG_HOME", home.join(".config"));
        cmd.env("XDG_STATE_HOME", home.join(".local/state"));
        cmd.env("XDG_DATA_HOME", home.join(".local/share"));
        cmd.env("XDG_CACHE_HOME", home.join(".cache"));
        cmd.env("BLOCKDECK_CONFIG", self.home.join("no-config.toml"));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.args(&self.args);
        let child = pair.slave.spawn_command(cmd).expect("blockdeck starts");
        // Only the child holds the slave: when it exits, reads on the master end.
        drop(pair.slave);

        let master = pair.master;
        let mut reader = master.try_clone_reader().expect("pty reader");
        let writer = Arc::new(Mutex::new(master.take_writer().expect("pty writer")));
        let shared = Arc::new(Mutex::new(Shared {
            parser: vt100::Parser::new_with_callbacks(
                std::num::NonZeroU16::new(self.rows).expect("rows"),
                std::num::NonZeroU16::new(self.cols).expect("cols"),
                0,
                Recorder::default(),
            ),
            raw: Vec::with_capacity(1 << 16),
            closed: false,
            last_output: Instant::now(),
        }));
        let thread_shared = Arc::clone(&shared);
        let thread_writer = Arc::clone(&writer);
        let reader_thread = thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    // EIO once the child's side is closed.
                    Err(_) => break,
                };
                let replies = {
                    let mut s = thread_shared.lock().unwrap_or_else(|e| e.into_inner());
                    s.raw.extend_from_slice(&buf[..n]);
                    s.last_output = Instant::now();
                    s.parser.process(&buf[..n]);
                    std::mem::take(&mut s.parser.callbacks_mut().replies)
                };
                if !replies.is_empty() {
                    let mut w = thread_writer.lock().unwrap_or_else(|e| e.into_inner());
                    for reply in replies {
                        let _ = w.write_all(&reply);
                    }
                    let _ = w.flush();
                }
            }
            thread_shared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .closed = true;
        });
        Pty {
            child,
            master,
            writer,
            shared,
            reader: Some(reader_thread),
            status: None,
        }
    }
}

/// A running `blockdeck` in a pty.
pub struct Pty {
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    shared: Arc<Mutex<Shared>>,
    reader: Option<JoinHandle<()>>,
    status: Option<ExitStatus>,
}

impl Pty {
    fn shared(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("child pid")
    }

    /// The screen as text, one line per row (trailing blanks trimmed by vt100).
    pub fn screen_text(&self) -> String {
        self.shared().parser.screen().contents()
    }

    /// Every byte the program has written so far.
    pub fn raw(&self) -> Vec<u8> {
        self.shared().raw.clone()
    }

    /// Runs `f` on the emulated screen.
    pub fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        f(self.shared().parser.screen())
    }

    /// Runs `f` on what the emulated terminal recorded besides the screen.
    pub fn with_recorder<T>(&self, f: impl FnOnce(&Recorder) -> T) -> T {
        f(self.shared().parser.callbacks())
    }

    /// Writes bytes to the program's input.
    pub fn send(&self, bytes: &[u8]) {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        w.write_all(bytes).expect("write to the pty");
        w.flush().expect("flush the pty");
    }

    pub fn type_text(&self, text: &str) {
        self.send(text.as_bytes());
    }

    /// Presses one key, [`KEY_GAP`] after whatever came before, as a person would. After Esc it
    /// waits [`ESC_GAP`], so that the next key is not read as Alt+key.
    pub fn press(&self, key: Key) {
        thread::sleep(KEY_GAP);
        self.send(&key.bytes());
        if key == Key::Esc {
            thread::sleep(ESC_GAP);
        }
    }

    /// Waits until `ready` holds for the screen text of a completely drawn frame (the program has
    /// been silent for [`QUIET`]), and returns that text; panics after `timeout` with `what` and
    /// the screen.
    pub fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        mut ready: impl FnMut(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let (text, quiet) = {
                let s = self.shared();
                (
                    s.parser.screen().contents(),
                    s.last_output.elapsed() >= QUIET,
                )
            };
            if quiet && ready(&text) {
                return text;
            }
            if Instant::now() >= deadline {
                let (closed, last) = {
                    let s = self.shared();
                    (s.closed, tail(&s.raw))
                };
                panic!(
                    "timed out after {timeout:?} waiting for {what} (program side closed: {closed})\n\
                     --- screen\n{text}\n--- last bytes written\n{last}\n---"
                );
            }
            thread::sleep(POLL);
        }
    }

    /// Waits until the screen contains every one of `needles`.
    pub fn wait_for_all(&self, needles: &[&str], timeout: Duration) -> String {
        let what = format!("{needles:?} on screen");
        self.wait_for(&what, timeout, |s| needles.iter().all(|n| s.contains(n)))
    }

    /// Waits (bounded) for the program to exit and for its last output to be read; kills it and
    /// panics on timeout.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("child status") {
                break status;
            }
            if Instant::now() >= deadline {
                let screen = self.screen_text();
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("blockdeck did not exit within {timeout:?}\n--- screen\n{screen}\n---");
            }
            thread::sleep(POLL);
        };
        self.status = Some(status.clone());
        // The output written just before the exit is still in the pty: read it to the end.
        let drained = Instant::now() + Duration::from_secs(3);
        while !self.shared().closed {
            assert!(
                Instant::now() < drained,
                "the pty did not close after the exit"
            );
            thread::sleep(POLL);
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        status
    }

    /// Sends a signal with the `kill` command (`-TERM`, `-HUP`).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {}", self.pid());
    }

    /// Resizes the pty (the program gets SIGWINCH) and the emulated screen.
    pub fn resize(&self, cols: u16, rows: u16) {
        self.shared().parser.screen_mut().set_size(
            std::num::NonZeroU16::new(rows).expect("rows"),
            std::num::NonZeroU16::new(cols).expect("cols"),
        );
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("pty resize");
    }

    /// The pty's line settings as `stty -a` prints them (`icanon`, `-echo`, ...): raw mode shows
    /// as `-icanon -echo`, a restored terminal as `icanon echo`.
    pub fn line_settings(&self) -> Vec<String> {
        let tty = self.master.tty_name().expect("the pty's device name");
        let device = std::fs::File::open(&tty).expect("open the pty device");
        let out = Command::new("stty")
            .arg("-a")
            .stdin(device)
            .output()
            .expect("stty runs");
        assert!(
            out.status.success(),
            "stty -a < {}: {}",
            tty.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .split(|c: char| c.is_whitespace() || c == ';')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Whether the pty is in raw mode (no line editing, no echo).
    pub fn is_raw(&self) -> bool {
        let flags = self.line_settings();
        let has = |f: &str| flags.iter().any(|w| w == f);
        match (has("-icanon"), has("-echo"), has("icanon"), has("echo")) {
            (true, true, false, false) => true,
            (false, false, true, true) => false,
            _ => panic!("neither raw nor cooked: {flags:?}"),
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if self.status.is_none() {
            // portable-pty sends SIGHUP, then SIGKILL if the program is still there.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Where `needle` occurs in `haystack`, every time.
pub fn positions(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return Vec::new();
    }
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !positions(haystack, needle).is_empty()
}

/// The bytes, printable, for failure messages (escapes as `\x1b`).
pub fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// Checks that the byte log ends with the terminal restored: after the last frame come the
/// sequences that end bracketed paste, leave the alternate screen and show the cursor, and
/// nothing after them turns any of it on again or draws; and that the emulated terminal agrees.
pub fn assert_restored(pty: &Pty) {
    let raw = pty.raw();
    let restore = *positions(&raw, PASTE_OFF)
        .last()
        .unwrap_or_else(|| panic!("bracketed paste never ended; tail: {}", tail(&raw)));
    let tail_bytes = &raw[restore..];
    for (name, seq) in [
        ("leave the alternate screen", LEAVE_ALT_SCREEN),
        ("show the cursor", CURSOR_SHOWN),
    ] {
        assert!(
            contains(tail_bytes, seq),
            "the restore does not {name}; tail: {}",
            show(tail_bytes)
        );
    }
    // Nothing is drawn or switched on again after the restore began: what follows it is the
    // three sequences of the restore and nothing else.
    let mut rest = tail_bytes.to_vec();
    for seq in [PASTE_OFF, LEAVE_ALT_SCREEN, CURSOR_SHOWN] {
        while let Some(&at) = positions(&rest, seq).first() {
            rest.drain(at..at + seq.len());
        }
    }
    assert!(
        rest.iter().all(u8::is_ascii_whitespace),
        "output after the restore began: {}",
        show(tail_bytes)
    );
    // The restore comes after everything the dashboard switched on.
    for seq in [ENTER_ALT_SCREEN, PASTE_ON] {
        let on = positions(&raw, seq);
        assert!(!on.is_empty(), "{} was never sent", show(seq));
        assert!(
            on.iter().all(|&at| at < restore),
            "{} after the restore",
            show(seq)
        );
    }
    // Mouse reporting, when it was switched on, is switched off again with the rest.
    if let Some(&on) = positions(&raw, MOUSE_ON).last() {
        let off = positions(&raw, MOUSE_OFF);
        assert!(
            off.iter().any(|&at| at > on && at < restore),
            "mouse reporting was left on; tail: {}",
            tail(&raw)
        );
    }
    pty.with_screen(|s| {
        assert_eq!(
            s.mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "mouse reporting still on"
        );
        assert!(!s.alternate_screen(), "still on the alternate screen");
        assert!(!s.bracketed_paste(), "bracketed paste still on");
        assert!(!s.hide_cursor(), "the cursor is still hidden");
    });
    assert!(!pty.is_raw(), "the pty was left in raw mode");
}

fn tail(raw: &[u8]) -> String {
    show(&raw[raw.len().saturating_sub(200)..])
}

/// The dashboard (no subcommand) as a moderator starts it on the sandbox at `url`: the secret key
/// in the environment, the workspace's config file, and `journal` (a file or a URL).
pub fn dashboard_on(ws: &super::cli::Workspace, url: &str, journal: &str) -> PtyCommand {
    PtyCommand::new(ws.dir.path())
        .env(super::cli::SECRET_ENV, super::cli::LEAK_KEY)
        .args([
            "--base-url",
            url,
            "--sdkappid",
            &super::harness::SDKAPPID.to_string(),
            "--journal",
            journal,
            "--config",
            &ws.config.display().to_string(),
        ])
}
