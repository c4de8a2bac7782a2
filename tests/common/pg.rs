//! A throwaway PostgreSQL cluster for one test, made from the installed PostgreSQL binaries:
//! `initdb` in a temporary directory, a server on a free loopback port with TLS on (a test CA and
//! a server certificate for 127.0.0.1), password logins over TCP, and the cluster stopped and
//! deleted when the value is dropped.
//!
//! Without PostgreSQL installed, [`Cluster::start`] says so on stderr and returns `None`, and the
//! test returns early; with `BLOCKDECK_REQUIRE_PG=1` (as CI sets it) it panics instead.

#![allow(dead_code)]

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Set to make a missing PostgreSQL a failure rather than a skip.
pub const REQUIRE_ENV: &str = "BLOCKDECK_REQUIRE_PG";
/// Where to find `initdb`, `pg_ctl` and `psql` when they are not in the usual place.
pub const BIN_ENV: &str = "BLOCKDECK_PG_BIN";

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    /// Runs the server's commands as this account (initdb refuses root).
    run_as: Option<String>,
}

/// The PostgreSQL binaries: `$BLOCKDECK_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`,
/// else the directory of `initdb` on the PATH.
fn find_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(BIN_ENV).filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("initdb").is_file(),
            "{BIN_ENV}={} holds no initdb: point it at PostgreSQL's bin directory",
            dir.display()
        );
        return Some(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).find(|dir| dir.join("initdb").is_file()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn check(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl Cluster {
    /// Starts a cluster, or says why not and returns `None` (see the module's notes).
    pub fn start() -> Option<Cluster> {
        let Some(bin) = find_bin() else {
            let message = "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin, \
                           $BLOCKDECK_PG_BIN or the PATH): the PostgreSQL journal tests are \
                           SKIPPED; install it with `apt-get install postgresql`";
            if std::env::var_os(REQUIRE_ENV).is_some_and(|v| v == "1") {
                panic!("{message} ({REQUIRE_ENV}=1 makes this a failure)");
            }
            eprintln!("{message}");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("blockdeck-pg-")
            .tempdir()
            .expect("temp dir");
        let run_as = is_root().then(|| "postgres".to_owned());
        let cluster = Cluster {
            dir,
            bin,
            port: free_port(),
            run_as,
        };
        cluster.make_certificates();
        if let Some(user) = &cluster.run_as {
            check(
                Command::new("chown")
                    .args(["-R", user])
                    .arg(cluster.dir.path())
                    .output()
                    .expect("chown runs"),
                "chown",
            );
        }
        cluster.server(
            "initdb",
            &[
                "-D",
                &cluster.data().display().to_string(),
                "-U",
                "admin",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        );
        let sock = cluster.dir.path().join("sock");
        fs::create_dir_all(&sock).unwrap();
        if let Some(user) = &cluster.run_as {
            Command::new("chown").arg(user).arg(&sock).status().unwrap();
        }
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\n\
             fsync = off\nfull_page_writes = off\nshared_buffers = 16MB\nmax_connections = 60\n\
             ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
            cluster.port,
            sock.display(),
            cluster.path("server.crt").display(),
            cluster.path("server.key").display(),
        );
        append(&cluster.data().join("postgresql.conf"), &conf);
        // Local (socket) logins for the harness; over TCP only TLS and a password.
        fs::write(
            cluster.data().join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 scram-sha-256\n\
             hostnossl all all 127.0.0.1/32 reject\n",
        )
        .unwrap();
        cluster.server(
            "pg_ctl",
            &[
                "-D",
                &cluster.data().display().to_string(),
                "-l",
                &cluster.path("server.log").display().to_string(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        Some(cluster)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn data(&self) -> PathBuf {
        self.path("data")
    }

    /// A test CA (`ca.crt`) and a server certificate for 127.0.0.1 signed by it; and another CA
    /// (`other-ca.crt`) that did not sign it.
    fn make_certificates(&self) {
        let dir = self.dir.path();
        let openssl = |args: &[&str]| {
            check(
                Command::new("openssl")
                    .args(args)
                    .current_dir(dir)
                    .output()
                    .expect("openssl runs (install it with `apt-get install openssl`)"),
                "openssl",
            );
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
        for ca in ["ca", "other-ca"] {
            let (key, crt) = (format!("{ca}.key"), format!("{ca}.crt"));
            let mut args = vec!["req", "-x509", "-nodes", "-days", "2"];
            args.extend(ec);
            args.extend([
                "-keyout",
                &key,
                "-out",
                &crt,
                "-subj",
                "/CN=blockdeck test CA",
            ]);
            openssl(&args);
        }
        let mut args = vec!["req", "-nodes"];
        args.extend(ec);
        args.extend([
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        openssl(&args);
        fs::write(
            dir.join("server.ext"),
            "subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n\
             keyUsage = digitalSignature\nextendedKeyUsage = serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dir.join("server.key"), fs::Permissions::from_mode(0o600)).unwrap();
        }
    }

    /// One of the server's programs, to run as the server's account when running as root.
    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(&exe);
                cmd
            }
            None => Command::new(&exe),
        }
    }

    /// Runs one of the server's programs (as the server's account when running as root).
    fn server(&self, program: &str, args: &[&str]) -> String {
        let mut cmd = self.command(program);
        cmd.args(args).current_dir(self.dir.path());
        let output = cmd
            .output()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"));
        if !output.status.success() && program == "pg_ctl" {
            let log = fs::read_to_string(self.path("server.log")).unwrap_or_default();
            panic!(
                "pg_ctl failed:\n{}{}\nserver log:\n{log}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        check(output, program)
    }

    /// Runs SQL as the cluster's superuser in database `db` over the socket; returns the rows,
    /// one per line, fields separated by `|`.
    pub fn sql_in(&self, db: &str, sql: &str) -> String {
        self.server(
            "psql",
            &[
                "-h",
                &self.path("sock").display().to_string(),
                "-p",
                &self.port.to_string(),
                "-U",
                "admin",
                "-d",
                db,
                "-XAtq",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
        )
    }

    pub fn sql(&self, sql: &str) -> String {
        self.sql_in("postgres", sql)
    }

    /// A login role with a password.
    pub fn role(&self, name: &str, password: &str) {
        self.sql(&format!("CREATE ROLE {name} LOGIN PASSWORD '{password}'"));
    }

    /// A database owned by `owner`.
    pub fn database(&self, name: &str, owner: &str) {
        self.sql(&format!("CREATE DATABASE {name} OWNER {owner}"));
    }

    /// `postgres://USER@127.0.0.1:PORT/DB`, with `query` after a `?` when not empty.
    pub fn url(&self, user: &str, db: &str, query: &str) -> String {
        let mut url = format!("postgres://{user}@127.0.0.1:{}/{db}", self.port);
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        url
    }

    /// The URL verified against the test CA (`sslmode=verify-full`).
    pub fn verified_url(&self, user: &str, db: &str) -> String {
        self.url(
            user,
            db,
            &format!(
                "sslmode=verify-full&sslrootcert={}",
                self.path("ca.crt").display()
            ),
        )
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}
