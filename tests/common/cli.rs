//! Running the `blockdeck` binary as a child process against an in-process sandbox, with every
//! path (config, journal, home and XDG directories) inside a temporary directory.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use blockdeck::sandbox::{Counters, Sandbox, SandboxConfig, Seed};
use blockdeck::secret::SecretKey;

use super::harness;

pub const BIN: &str = env!("CARGO_BIN_EXE_blockdeck");
pub const SECRET_ENV: &str = "BLOCKDECK_SECRET_KEY";

/// The key every CLI test signs with; no output or file may ever contain it.
pub const LEAK_KEY: &str = "SECRET-9f8e7d6c5b4a-MUST-NOT-LEAK";
/// A key of no app, for the wrong-key cases; it must not appear either.
pub const WRONG_KEY: &str = "WRONGKEY-0a1b2c3d4e5f-MUST-NOT-LEAK";

/// Polls every this long while waiting for a child or a condition.
const POLL: Duration = Duration::from_millis(10);
/// The longest any child may run, and the longest any condition is waited for.
const LIMIT: Duration = Duration::from_secs(25);

/// A sandbox served by its own runtime, so that tests can stay synchronous.
pub struct LocalSandbox {
    runtime: tokio::runtime::Runtime,
    sandbox: Option<Sandbox>,
}

impl LocalSandbox {
    /// Starts a sandbox signed with [`LEAK_KEY`] on `config` (whose key is replaced).
    pub fn start(mut config: SandboxConfig) -> LocalSandbox {
        config.key = SecretKey::new(LEAK_KEY.to_owned()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let sandbox = runtime.block_on(harness::start(config));
        LocalSandbox {
            runtime,
            sandbox: Some(sandbox),
        }
    }

    /// Starts a sandbox on `seed` with no rate limit and no faults.
    pub fn on(seed: Seed) -> LocalSandbox {
        LocalSandbox::start(harness::config(seed))
    }

    pub fn sandbox(&self) -> &Sandbox {
        self.sandbox.as_ref().expect("running")
    }

    pub fn url(&self) -> String {
        self.sandbox().base_url()
    }

    pub fn counters(&self) -> Counters {
        self.sandbox().counters()
    }

    pub fn total_calls(&self) -> u64 {
        self.counters().calls.values().sum()
    }

    pub fn blocks(&self, from: &str, to: &str) -> bool {
        self.sandbox().with_store(|s| s.blocks(from, to))
    }

    pub fn blocklist(&self, from: &str) -> Vec<String> {
        self.sandbox().with_store(|s| s.blocklist(from))
    }

    /// Every blocklist entry `(from, to, time)`, in snapshot order.
    pub fn entries(&self) -> Vec<(String, String, u64)> {
        self.sandbox()
            .snapshot()
            .blocks
            .into_iter()
            .map(|e| (e.from, e.to, e.time))
            .collect()
    }
}

impl LocalSandbox {
    /// Stops the server: the port refuses connections from now on.
    pub fn stop(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            self.runtime
                .block_on(sandbox.stop())
                .expect("the sandbox stops");
        }
    }
}

impl Drop for LocalSandbox {
    fn drop(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            let _ = self.runtime.block_on(sandbox.stop());
        }
    }
}

/// A temporary home for one test: config, journal, HOME and XDG directories all inside it.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub journal: PathBuf,
    pub config: PathBuf,
}

impl Workspace {
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = dir.path().join("state").join("journal.jsonl");
        let config = dir.path().join("none.toml");
        Workspace {
            dir,
            journal,
            config,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file in the workspace and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, text).expect("file written");
        path
    }

    /// `blockdeck` with no arguments yet, the environment confined to the workspace, `key` in
    /// BLOCKDECK_SECRET_KEY (none at all for `None`), stdin closed and output going to files.
    pub fn bare(&self, key: Option<&str>) -> Command {
        let mut cmd = Command::new(BIN);
        let home = self.dir.path().join("home");
        cmd.env_remove(SECRET_ENV)
            .env_remove("BLOCKDECK_PROFILE")
            .env_remove("BLOCKDECK_MODERATOR")
            .env("BLOCKDECK_CONFIG", &self.config)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_STATE_HOME", home.join(".local").join("state"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        if let Some(key) = key {
            cmd.env(SECRET_ENV, key);
        }
        cmd
    }

    /// `blockdeck ARGS` with no global flags (see [`Workspace::bare`]).
    pub fn bare_args(&self, key: Option<&str>, args: &[&str]) -> Command {
        let mut cmd = self.bare(key);
        cmd.args(args);
        cmd
    }

    /// `blockdeck --base-url URL --sdkappid 1400000000 --journal J --config C ARGS` with [`LEAK_KEY`].
    pub fn cmd(&self, base_url: &str, args: &[&str]) -> Command {
        self.cmd_with(base_url, Some(LEAK_KEY), args)
    }

    pub fn cmd_with(&self, base_url: &str, key: Option<&str>, args: &[&str]) -> Command {
        self.cmd_app(base_url, harness::SDKAPPID, key, args)
    }

    /// Like [`Workspace::cmd_with`] for another SDKAppID.
    pub fn cmd_app(
        &self,
        base_url: &str,
        sdkappid: u64,
        key: Option<&str>,
        args: &[&str],
    ) -> Command {
        let mut cmd = self.bare(key);
        cmd.arg("--base-url")
            .arg(base_url)
            .arg("--sdkappid")
            .arg(sdkappid.to_string())
            .arg("--journal")
            .arg(&self.journal)
            .arg("--config")
            .arg(&self.config)
            .args(args);
        cmd
    }

    /// The journal's records, in file order (a torn last line is left out).
    pub fn journal_records(&self) -> Vec<serde_json::Value> {
        let text = fs::read_to_string(&self.journal).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    pub fn journal_count(&self, kind: &str) -> usize {
        self.journal_records()
            .iter()
            .filter(|r| r["type"] == kind)
            .count()
    }
}

/// What a finished child left behind.
#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// Both streams, for messages and for the leak check.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    pub fn assert_code(&self, code: i32, what: &str) -> &Finished {
        assert_eq!(
            self.code,
            Some(code),
            "{what}: exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Fails if `text` holds either test key.
pub fn assert_no_key(text: &str, what: &str) {
    for key in [LEAK_KEY, WRONG_KEY] {
        assert!(
            !text.contains(key),
            "{what}: the secret key leaked:\n{text}"
        );
    }
}

/// A started child whose output goes to files; killed and reaped when dropped.
pub struct Running {
    child: Option<Child>,
    out: PathBuf,
    err: PathBuf,
    _dir: tempfile::TempDir,
}

impl Running {
    pub fn spawn(mut cmd: Command) -> Running {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("stdout");
        let err = dir.path().join("stderr");
        cmd.stdout(fs::File::create(&out).unwrap())
            .stderr(fs::File::create(&err).unwrap());
        let child = cmd.spawn().expect("blockdeck starts");
        Running {
            child: Some(child),
            out,
            err,
            _dir: dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("child").id()
    }

    /// Whether the child has exited (and is reaped).
    pub fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .expect("child")
            .try_wait()
            .expect("child status")
            .is_some()
    }

    /// Sends a signal with the `kill` command (`-INT`, `-TERM`).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {}", self.pid());
    }

    /// What the child has written to stdout so far.
    pub fn stdout_so_far(&self) -> String {
        fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// What the child has written to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let child = self.child.as_mut().expect("child");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Waits (bounded) for the exit and returns what the child printed; the output is checked
    /// for the secret key.
    pub fn wait(mut self) -> Finished {
        let mut child = self.child.take().expect("child");
        let mut waited = Duration::ZERO;
        let status = loop {
            if let Some(status) = child.try_wait().expect("child status") {
                break status;
            }
            if waited > LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "blockdeck did not exit within {LIMIT:?}; stderr so far:\n{}",
                    fs::read_to_string(&self.err).unwrap_or_default()
                );
            }
            thread::sleep(POLL);
            waited += POLL;
        };
        let finished = Finished {
            code: status.code(),
            stdout: fs::read_to_string(&self.out).unwrap_or_default(),
            stderr: fs::read_to_string(&self.err).unwrap_or_default(),
        };
        assert_no_key(&finished.all(), "child output");
        finished
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs a command to its end (bounded) and returns what it printed.
pub fn run(cmd: Command) -> Finished {
    Running::spawn(cmd).wait()
}

/// Waits (bounded) until `ready` holds; panics naming `what` otherwise.
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let mut waited = Duration::ZERO;
    while !ready() {
        assert!(waited < LIMIT, "timed out waiting for {what}");
        thread::sleep(POLL);
        waited += POLL;
    }
}

/// A seed of plain accounts and blocks `(from, to)`, each block added one second after the last.
pub fn seed_of(accounts: &[String], blocks: &[(String, String)]) -> Seed {
    harness::seed(serde_json::json!({
        "accounts": accounts.iter().map(|id| serde_json::json!({"id": id})).collect::<Vec<_>>(),
        "blocks": blocks
            .iter()
            .enumerate()
            .map(|(i, (from, to))| serde_json::json!({"from": from, "to": to, "time": 1_700_000_000 + i as u64}))
            .collect::<Vec<_>>(),
    }))
}

/// `(from, to)` pairs as owned strings.
pub fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

pub fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

/// The file mode bits of `path`.
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .expect("file exists")
        .permissions()
        .mode()
        & 0o777
}

/// An engine whose client signs with [`LEAK_KEY`], for a [`LocalSandbox`] at `base_url` (the
/// dashboard's worker in-process, without the binary).
pub fn engine(
    base_url: &str,
    options: blockdeck::client::engine::EngineOptions,
) -> blockdeck::client::engine::Engine {
    use blockdeck::client::engine::{Engine, Limits};
    use blockdeck::client::http::{ClientOptions, Endpoint, TimClient};
    let client = TimClient::new(
        Endpoint {
            base_url: base_url.to_owned(),
            sdkappid: harness::SDKAPPID,
            admin: harness::ADMIN.to_owned(),
        },
        SecretKey::new(LEAK_KEY.to_owned()).unwrap(),
        ClientOptions::default(),
    )
    .expect("a client for a loopback URL");
    Engine::new(
        std::sync::Arc::new(client),
        std::sync::Arc::new(Limits::new(0, None)),
        options,
    )
}

/// The journal plan of the dashboard for the sandbox at `base_url`, journaling to `path`.
pub fn journal_plan(base_url: &str, path: PathBuf) -> blockdeck::client::ops::JournalPlan {
    blockdeck::client::ops::JournalPlan {
        path: path.into(),
        profile: None,
        sdkappid: harness::SDKAPPID,
        base_url: base_url.to_owned(),
        moderator: "test_moderator".to_owned(),
        require_reason: false,
        protected: Default::default(),
    }
}
