//! The `blockdeck` binary as a child process: `sandbox` on a free loopback port answering calls
//! signed by `usersig`, and how both commands refuse a missing or exposed secret key and bad flags
//! without ever printing the key.

mod common {
    pub mod harness;
    pub mod samples;
}

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use blockdeck::secret::SecretKey;
use blockdeck::tim::usersig;
use common::harness::{self, ADMIN, KEY, SDKAPPID};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_blockdeck");
const SECRET_ENV: &str = "BLOCKDECK_SECRET_KEY";

/// `blockdeck ARGS` with the key in the environment or, for `None`, no key there at all.
fn blockdeck(args: &[&str], key: Option<&str>) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove(SECRET_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = key {
        cmd.env(SECRET_ENV, key);
    }
    cmd
}

/// Kills and reaps the child when dropped, so that no test leaves a process behind.
struct KillOnDrop(Option<Child>);

impl KillOnDrop {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("child still owned")
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

struct Finished {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn assert_no_secret(&self, what: &str) {
        assert!(!self.stdout.contains(KEY), "{what}: the key is on stdout");
        assert!(!self.stderr.contains(KEY), "{what}: the key is on stderr");
    }
}

/// Runs a command that must exit by itself; kills it and fails after 20 seconds.
fn run(mut cmd: Command) -> Finished {
    let mut guard = KillOnDrop(Some(cmd.spawn().expect("blockdeck starts")));
    for _ in 0..400 {
        if guard.child().try_wait().expect("child status").is_some() {
            let out = guard
                .0
                .take()
                .unwrap()
                .wait_with_output()
                .expect("child output");
            return Finished {
                code: out.status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            };
        }
        thread::sleep(Duration::from_millis(50));
    }
    panic!("blockdeck did not exit within 20 seconds");
}

/// A `blockdeck sandbox` child and the threads draining its output.
struct Server {
    process: KillOnDrop,
    addr: SocketAddr,
    first_line: String,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

impl Server {
    /// Starts `blockdeck sandbox --listen 127.0.0.1:0 EXTRA` with the key in the environment and
    /// waits (at most 20 seconds) for the address it prints.
    fn start(extra: &[&str]) -> Server {
        let mut args = vec!["sandbox", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        Server::spawn(blockdeck(&args, Some(KEY)))
    }

    /// [`Server::start`] under a file limit of `nofile` (`ulimit -n`).
    fn start_with_file_limit(nofile: u32, extra: &[&str]) -> Server {
        let mut limited = Command::new("bash");
        limited
            .arg("-c")
            .arg(format!("ulimit -n {nofile} && exec \"$0\" \"$@\""))
            .arg(BIN)
            .args(["sandbox", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove(SECRET_ENV)
            .env(SECRET_ENV, KEY)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Server::spawn(limited)
    }

    fn spawn(mut cmd: Command) -> Server {
        let mut child = cmd.spawn().expect("blockdeck starts");
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let process = KillOnDrop(Some(child));
        let (first_tx, first_rx) = mpsc::channel();
        let stdout = thread::spawn(move || {
            let mut reader = BufReader::new(out);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let _ = first_tx.send(first.clone());
            let mut rest = String::new();
            let _ = reader.read_to_string(&mut rest);
            first + &rest
        });
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(err).read_to_string(&mut text);
            text
        });
        let first_line = first_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the sandbox prints its address");
        let addr = first_line
            .trim_end()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("first line: {first_line:?}"))
            .parse()
            .unwrap_or_else(|e| panic!("address in {first_line:?}: {e}"));
        Server {
            process,
            addr,
            first_line,
            stdout,
            stderr,
        }
    }

    /// Sends SIGTERM, waits (at most 20 seconds) for the exit and returns what it printed.
    fn terminate(mut self) -> Finished {
        let pid = self.process.child().id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM sent to {pid}");
        let mut code = None;
        for _ in 0..400 {
            if let Some(status) = self.process.child().try_wait().expect("child status") {
                code = Some(status.code());
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let code = code.expect("the sandbox exits on SIGTERM within 20 seconds");
        drop(self.process);
        Finished {
            code,
            stdout: self.stdout.join().expect("stdout reader"),
            stderr: self.stderr.join().expect("stderr reader"),
        }
    }
}

/// The UserSig `blockdeck usersig ARGS` prints, with the key in the environment.
fn usersig_from_cli(args: &[&str]) -> String {
    let mut all = vec!["usersig"];
    all.extend_from_slice(args);
    let out = run(blockdeck(&all, Some(KEY)));
    assert_eq!(out.code, Some(0), "usersig: {}", out.stderr);
    out.assert_no_secret("usersig");
    let sig = out.stdout.trim().to_owned();
    assert_eq!(out.stdout.lines().count(), 1, "one line: {:?}", out.stdout);
    sig
}

/// The sandbox's `/sandbox/stats` answer.
async fn stats(addr: SocketAddr) -> Value {
    harness::http()
        .get(format!("http://{addr}/sandbox/stats"))
        .send()
        .await
        .expect("the sandbox answers")
        .json()
        .await
        .expect("a JSON answer")
}

async fn get_alice(addr: SocketAddr, sig: &str) -> Value {
    let url = format!(
        "http://{addr}/v4/sns/black_list_get?sdkappid={SDKAPPID}&identifier={ADMIN}\
         &usersig={sig}&random=12345&contenttype=json"
    );
    let body =
        json!({"From_Account": "alice", "StartIndex": 0, "MaxLimited": 100, "LastSequence": 0});
    let resp = harness::http()
        .post(url)
        .body(body.to_string())
        .send()
        .await
        .expect("the sandbox answers");
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.expect("a JSON answer")
}

#[tokio::test]
async fn sandbox_answers_calls_signed_by_the_usersig_command() {
    let server = Server::start(&[]);
    assert!(server.addr.ip().is_loopback(), "{}", server.first_line);
    assert_ne!(server.addr.port(), 0);

    let sig = usersig_from_cli(&[]);
    let page = get_alice(server.addr, &sig).await;
    assert_eq!(page["ActionStatus"], "OK", "{page}");
    assert_eq!(page["ErrorCode"], 0);
    assert_eq!(page["BlackListItem"].as_array().map(Vec::len), Some(100));
    assert_eq!(page["StartIndex"], 100, "alice has more than one page");

    // The server checks signatures against the key it was given.
    let other = SecretKey::new("0123456789abcdef".repeat(4)).unwrap();
    let foreign = usersig::sign_now(&other, SDKAPPID, ADMIN, 600);
    let refused = get_alice(server.addr, &foreign).await;
    assert_eq!(refused["ActionStatus"], "FAIL");
    assert_eq!(refused["ErrorCode"], 70009);

    let out = server.terminate();
    assert_eq!(out.code, Some(0), "clean exit on SIGTERM: {}", out.stderr);
    out.assert_no_secret("sandbox");
}

#[tokio::test]
async fn sandbox_flags_shape_the_server() {
    let server = Server::start(&[
        "--sdkappid",
        "1400000777",
        "--admin",
        "ops",
        "--faults",
        "70169:1.0",
        "--fault-seed",
        "3",
        "--rate-limit",
        "0",
    ]);
    let sig = usersig_from_cli(&["--sdkappid", "1400000777", "--admin", "ops"]);
    let url = format!(
        "http://{}/v4/sns/black_list_get?sdkappid=1400000777&identifier=ops&usersig={sig}\
         &random=1&contenttype=json",
        server.addr
    );
    let body = json!({"From_Account": "alice", "StartIndex": 0, "MaxLimited": 10});
    let answer: Value = harness::http()
        .post(&url)
        .body(body.to_string())
        .send()
        .await
        .expect("the sandbox answers")
        .json()
        .await
        .unwrap();
    // Authenticated for the configured app and admin, then the injected fault.
    assert_eq!(answer["ErrorCode"], 70169, "{answer}");
    let out = server.terminate();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    out.assert_no_secret("sandbox with flags");
}

#[test]
fn no_key_exits_2_naming_both_sources() {
    for args in [
        &["sandbox", "--listen", "127.0.0.1:0"][..],
        &["usersig"][..],
    ] {
        let out = run(blockdeck(args, None));
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("BLOCKDECK_SECRET_KEY"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("--key-file"), "{}", out.stderr);
        assert!(!out.stdout.contains("listening"), "{}", out.stdout);
    }
}

#[cfg(unix)]
#[test]
fn key_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tim.key");
    std::fs::write(&path, format!("{KEY}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let path_arg = path.to_str().unwrap();

    for args in [
        &["sandbox", "--listen", "127.0.0.1:0", "--key-file", path_arg][..],
        &["usersig", "--key-file", path_arg][..],
    ] {
        let out = run(blockdeck(args, None));
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("chmod 600"), "{}", out.stderr);
        assert!(!out.stdout.contains("listening"), "{}", out.stdout);
        out.assert_no_secret("key file 0644");
    }

    // Owner-only, the same file is accepted and signs with its key.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(blockdeck(&["usersig", "--key-file", path_arg], None));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    out.assert_no_secret("key file 0600");
    let sig = out.stdout.trim();
    usersig::verify(sig, &harness::key(), ADMIN, SDKAPPID, usersig::unix_now())
        .expect("signed with the file's key");
}

#[test]
fn bad_flag_values_are_usage_errors() {
    for (flag, value, needle) in [
        ("--faults", "bogus", "no probability"),
        ("--faults", "30006:2", "between 0 and 1"),
        ("--faults", "oops:0.1", "not a TIM error code"),
        ("--latency-ms", "fast", "milliseconds"),
    ] {
        let out = run(blockdeck(
            &["sandbox", "--listen", "127.0.0.1:0", flag, value],
            Some(KEY),
        ));
        assert_eq!(out.code, Some(2), "{flag} {value}: {}", out.stderr);
        assert!(out.stderr.contains(flag), "{flag} {value}: {}", out.stderr);
        assert!(out.stderr.contains(value), "{flag} {value}: {}", out.stderr);
        assert!(
            out.stderr.contains(needle),
            "{flag} {value}: {}",
            out.stderr
        );
        assert!(!out.stdout.contains("listening"), "{}", out.stdout);
        out.assert_no_secret("bad flag");
    }
}

#[test]
fn usersig_command_signs_what_it_is_asked() {
    let before = usersig::unix_now();
    let sig = usersig_from_cli(&["--expire", "60"]);
    let after = usersig::unix_now();
    let claims = usersig::decode(&sig).expect("a UserSig");
    assert_eq!(claims.expire, 60);
    assert_eq!(claims.identifier, ADMIN);
    assert_eq!(claims.sdkappid, SDKAPPID);
    assert!((before..=after).contains(&claims.time), "{}", claims.time);
    usersig::verify(&sig, &harness::key(), ADMIN, SDKAPPID, after).expect("valid with the key");

    let sig = usersig_from_cli(&["--admin", "ops", "--sdkappid", "1400000123"]);
    let claims = usersig::decode(&sig).expect("a UserSig");
    assert_eq!(claims.identifier, "ops");
    assert_eq!(claims.sdkappid, 1_400_000_123);
    assert_eq!(claims.expire, 3_600, "an hour by default");

    // An admin credential that never expires is refused.
    for expire in ["18446744073709551615", "604801", "59"] {
        let out = run(blockdeck(&["usersig", "--expire", expire], Some(KEY)));
        assert_eq!(out.code, Some(2), "--expire {expire}: {}", out.stdout);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
}

/// An empty webhook token is refused, never taken as "no Sign check".
#[test]
fn an_empty_callback_token_is_refused() {
    let mut cmd = blockdeck(
        &[
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--callback-url",
            "http://127.0.0.1:9/callback",
        ],
        Some(KEY),
    );
    cmd.env("BLOCKDECK_CALLBACK_TOKEN", "");
    let out = run(cmd);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("empty"), "{}", out.stderr);
    assert!(!out.stdout.contains("listening"), "{}", out.stdout);
}

/// A seed that never ends (`/dev/zero`) is refused at the cap instead of filling memory.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_seed_is_refused_at_the_cap() {
    let out = run(blockdeck(
        &["sandbox", "--listen", "127.0.0.1:0", "--seed", "/dev/zero"],
        Some(KEY),
    ));
    assert_ne!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("larger than 256 MB"), "{}", out.stderr);
}

/// Thousands of connections that send nothing or only part of a request's head, at a file limit of
/// 1,024, neither exhaust the sandbox's descriptors nor keep callers out: each new caller takes the
/// place of the connection idle longest, and every call is answered.
#[tokio::test]
async fn idle_and_half_sent_connections_cannot_lock_callers_out() {
    use std::io::Write;
    let server = Server::start_with_file_limit(1024, &["--latency-ms", "20"]);
    let sig = usersig_from_cli(&[]);
    let addr = server.addr;
    let t00 = std::time::Instant::now();
    let idle = tokio::task::spawn_blocking(move || {
        (0..5000)
            .map(|i| {
                let mut stream = std::net::TcpStream::connect(addr).expect("connect");
                if i % 2 == 1 {
                    stream
                        .write_all(b"POST /v4/sns/black_list_get HTTP/1.1\r\nHost: sandbox\r\n")
                        .expect("a partial head");
                }
                stream
            })
            .collect::<Vec<_>>()
    })
    .await
    .expect("connections opened");

    let t0 = std::time::Instant::now();
    eprintln!("DBG opened {:?} {}", t00.elapsed(), stats(addr).await);
    for _ in 0..20 {
        let page = get_alice(addr, &sig).await;
        eprintln!("DBG call {:?}", t0.elapsed());
        assert_eq!(page["ActionStatus"], "OK", "{page}");
    }
    let connections = &stats(addr).await["connections"];
    let open = connections["open"].as_u64().expect("open count");
    assert!(
        open <= 1024,
        "open connections within the file limit: {connections}"
    );
    assert!(
        connections["evicted"].as_u64().expect("evicted count") >= 5000 - 1024,
        "idle connections made room: {connections}"
    );
    drop(idle);
    eprintln!("DBG stats {:?}", t0.elapsed());
    let out = server.terminate();
    eprintln!("DBG end {:?}", t0.elapsed());
    assert_eq!(out.code, Some(0), "clean exit on SIGTERM: {}", out.stderr);
}

/// A connection that sends nothing, one that stops inside its head and one that stops inside its
/// body are each closed once `--read-timeout` has passed.
#[test]
fn slow_connections_are_closed_after_the_read_timeout() {
    use std::io::Write;
    let server = Server::start(&["--read-timeout", "1"]);
    let silent = std::net::TcpStream::connect(server.addr).expect("connect");
    let mut half_head = std::net::TcpStream::connect(server.addr).expect("connect");
    half_head
        .write_all(b"POST /v4/sns/black_list_get HTTP/1.1\r\nHost: sandbox\r\n")
        .expect("a partial head");
    let mut half_body = std::net::TcpStream::connect(server.addr).expect("connect");
    half_body
        .write_all(
            b"POST /v4/sns/black_list_get HTTP/1.1\r\nHost: sandbox\r\n\
              Content-Length: 100\r\n\r\n{\"From_Account\":",
        )
        .expect("a partial body");
    for (name, mut stream) in [
        ("silent", silent),
        ("half a head", half_head),
        ("half a body", half_body),
    ] {
        // Generous: the point is that the server closes it at all, not how fast.
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .expect("read timeout");
        let mut answer = Vec::new();
        let read = stream.read_to_end(&mut answer);
        assert!(
            read.is_ok(),
            "{name}: the sandbox closes the connection ({read:?})"
        );
        let answer = String::from_utf8_lossy(&answer);
        if name == "half a body" {
            assert!(
                answer.starts_with("HTTP/1.1 4"),
                "{name}: the request is refused: {answer:?}"
            );
        } else {
            assert!(!answer.starts_with("HTTP/1.1 2"), "{name}: {answer:?}");
        }
    }
    let out = server.terminate();
    assert_eq!(out.code, Some(0), "clean exit on SIGTERM: {}", out.stderr);
}
