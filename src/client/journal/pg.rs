//! The PostgreSQL connection behind a team's shared journal: where it is (a `postgres://` URL,
//! shown without its password), how it is reached (TLS where the server offers it, verified on
//! request), and a session that serves synchronous callers from inside or outside an async
//! runtime.
//!
//! The URL follows libpq's: `postgres://USER@HOST:PORT/DB?sslmode=…&sslrootcert=…`, with
//! `host=/dir` for a Unix socket. What it leaves out comes from the environment as libpq takes
//! it: `PGUSER` (else the OS account), `PGPASSWORD`, else the password file (`PGPASSFILE`, else
//! `~/.pgpass`). A password written into the URL works too, but it is never printed: every
//! message names the URL without it.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// A `postgres://` (or `postgresql://`) URL. Its text may hold a password: `Display` and `Debug`
/// show it without one.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    url: Box<url::Url>,
}

impl PgUrl {
    /// Whether `text` is meant as a PostgreSQL URL (rather than a file path).
    pub fn is_url(text: &str) -> bool {
        let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
        lower.starts_with("postgres://") || lower.starts_with("postgresql://")
    }

    pub fn parse(text: &str) -> Result<PgUrl, String> {
        let url = url::Url::parse(text.trim()).map_err(|e| {
            format!(
                "the journal URL {} is not a URL ({e}); write postgres://USER@HOST/DATABASE",
                shown_text(text)
            )
        })?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(format!(
                "the journal URL {} must start with postgres://",
                shown_text(text)
            ));
        }
        let pg = PgUrl { url: Box::new(url) };
        // Everything is checked now, not at the first write: a typo stops the command at once.
        pg.config()?;
        Ok(pg)
    }

    /// The URL without its password (and without a `password=` parameter).
    pub fn shown(&self) -> String {
        let mut url = self.url.clone();
        let _ = url.set_password(None);
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "password")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        url.to_string()
    }

    /// The connection settings, with what the URL leaves out filled in from the environment.
    fn config(&self) -> Result<(postgres::Config, Tls), String> {
        let mut url = self.url.clone();
        let mut tls = TlsMode::Prefer;
        let mut root: Option<PathBuf> = None;
        let mut kept = Vec::new();
        for (k, v) in self.url.query_pairs() {
            match &*k {
                "sslmode" => {
                    tls = match &*v {
                        "disable" => TlsMode::Disable,
                        "allow" | "prefer" => TlsMode::Prefer,
                        "require" => TlsMode::Require,
                        "verify-ca" => TlsMode::VerifyCa,
                        "verify-full" => TlsMode::VerifyFull,
                        other => {
                            return Err(format!(
                                "the journal URL {}: sslmode={other} is not one of disable, prefer, \
                                 require, verify-ca, verify-full",
                                self.shown()
                            ));
                        }
                    }
                }
                "sslrootcert" => root = Some(PathBuf::from(&*v)),
                _ => kept.push((k.into_owned(), v.into_owned())),
            }
        }
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        let mut config = postgres::Config::from_str(url.as_str()).map_err(|e| {
            format!(
                "the journal URL {} cannot be used: {e}; see the README's shared journal section",
                self.shown()
            )
        })?;
        if config.get_hosts().is_empty() {
            let socket = std::path::Path::new("/var/run/postgresql");
            if socket.is_dir() {
                config.host_path(socket);
            } else {
                config.host("localhost");
            }
        }
        if config.get_user().is_none() {
            let user = std::env::var("PGUSER")
                .ok()
                .filter(|u| !u.is_empty())
                .or_else(super::os_account)
                .ok_or_else(|| {
                    format!(
                        "the journal URL {} names no user, and neither PGUSER nor the OS account \
                         gives one; write postgres://USER@HOST/DATABASE",
                        self.shown()
                    )
                })?;
            config.user(&user);
        }
        if config.get_password().is_none()
            && let Some(password) = password_from_env(&config)
        {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("blockdeck");
        }
        let mode = match tls {
            TlsMode::Disable => postgres::config::SslMode::Disable,
            TlsMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        };
        config.ssl_mode(mode);
        Ok((config, Tls { mode: tls, root }))
    }

    /// Connects (in the calling thread, which must not be inside an async runtime).
    fn connect(&self) -> io::Result<postgres::Client> {
        let (config, tls) = self.config().map_err(io::Error::other)?;
        let connector = tls.connector(self)?;
        config.connect(connector).map_err(|e| {
            io::Error::other(format!("cannot reach the journal {self}: {}", describe(&e)))
        })
    }
}

impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgUrl({})", self.shown())
    }
}

/// A text that did not parse as a URL, shown without anything between `://` and `@`.
fn shown_text(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            format!("{}://…{}", &text[..start], &text[at..])
        }
        _ => text.to_owned(),
    }
}

/// `PGPASSWORD`, else the matching line of the password file.
fn password_from_env(config: &postgres::Config) -> Option<String> {
    if let Ok(password) = std::env::var("PGPASSWORD")
        && !password.is_empty()
    {
        return Some(password);
    }
    let file = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".pgpass")))?;
    if !private_enough(&file) {
        // As libpq does: a password file others can read is not used.
        tracing::warn!(
            "the password file {} is readable by others and is not used: chmod 600 it",
            file.display()
        );
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "localhost".to_owned(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default();
    let db = config.get_dbname().unwrap_or(user);
    pgpass_lookup(&text, [&host, &port, db, user])
}

/// Whether the password file is the owner's alone (mode 0600 or less), as libpq requires.
fn private_enough(file: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(file).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
    }
    #[cfg(not(unix))]
    {
        file.is_file()
    }
}

/// The password of the first `host:port:database:user:password` line matching `want` (`*`
/// matches anything; `\:` and `\\` are a colon and a backslash).
fn pgpass_lookup(text: &str, want: [&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::with_capacity(5);
        let mut field = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => field.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        fields.push(field);
        if fields.len() == 5
            && fields[..4]
                .iter()
                .zip(want)
                .all(|(have, want)| have == "*" || have == want)
        {
            return Some(fields.pop().expect("five fields"));
        }
    }
    None
}

/// A PostgreSQL error in words: the server's message (with its detail) when it sent one.
pub fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut text = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            text.push_str(&format!(" ({detail})"));
        }
        return text;
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

// ---------------------------------------------------------------------------------------------
// TLS

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsMode {
    Disable,
    /// TLS when the server offers it, unverified (libpq's `prefer`, its default).
    Prefer,
    /// TLS or no connection, unverified.
    Require,
    /// TLS with a certificate signed by the root certificate, any name.
    VerifyCa,
    /// TLS with a certificate signed by the root certificate, for the host connected to.
    VerifyFull,
}

struct Tls {
    mode: TlsMode,
    root: Option<PathBuf>,
}

impl Tls {
    fn connector(&self, url: &PgUrl) -> io::Result<tokio_postgres_rustls::MakeRustlsConnect> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?;
        let config = match self.mode {
            TlsMode::Disable | TlsMode::Prefer | TlsMode::Require => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
                .with_no_client_auth(),
            TlsMode::VerifyCa | TlsMode::VerifyFull => {
                let path = self
                    .root
                    .clone()
                    .or_else(|| dirs::home_dir().map(|h| h.join(".postgresql").join("root.crt")))
                    .unwrap_or_else(|| PathBuf::from("root.crt"));
                let mut roots = rustls::RootCertStore::empty();
                let certs = read_certs(&path).map_err(|e| {
                    io::Error::other(format!(
                        "the journal {url}: cannot read the root certificate {} ({e}); name it \
                         with sslrootcert=PATH",
                        path.display()
                    ))
                })?;
                for cert in certs {
                    roots.add(cert).map_err(|e| {
                        io::Error::other(format!(
                            "the journal {url}: the root certificate {} is not usable: {e}",
                            path.display()
                        ))
                    })?;
                }
                let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .map_err(io::Error::other)?;
                let verifier: Arc<dyn ServerCertVerifier> = if self.mode == TlsMode::VerifyCa {
                    Arc::new(AnyName(webpki))
                } else {
                    webpki
                };
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(verifier)
                    .with_no_client_auth()
            }
        };
        Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
    }
}

fn read_certs(path: &std::path::Path) -> io::Result<Vec<CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| io::Error::other(e.to_string()))?
        .collect();
    let certs = certs.map_err(|e| io::Error::other(e.to_string()))?;
    if certs.is_empty() {
        return Err(io::Error::other("no certificate in it"));
    }
    Ok(certs)
}

/// Encrypts without checking who the server is, as libpq's `prefer` and `require` do: it keeps a
/// passive listener out, not an impostor (`sslmode=verify-full` does that).
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to the root certificate; the name in it is not checked.
#[derive(Debug)]
struct AnyName(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

// ---------------------------------------------------------------------------------------------
// The session

type Job = Box<dyn FnOnce(&mut postgres::Client) + Send>;

/// One connection, owned by a thread of its own: the synchronous client cannot run on a thread
/// that is inside an async runtime (the engine writes the journal from one), so every call is
/// handed to that thread and waited for.
pub struct Session {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    url: PgUrl,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Session({})", self.url)
    }
}

impl Session {
    /// Connects to `url`; the error names the URL (without its password) and the cause.
    pub fn connect(url: &PgUrl) -> io::Result<Session> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::channel();
        let target = url.clone();
        let thread = std::thread::Builder::new()
            .name("journal-pg".into())
            .spawn(move || {
                let mut client = match target.connect() {
                    Ok(client) => {
                        let _ = ready.send(Ok(()));
                        client
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = queue.recv() {
                    job(&mut client);
                }
            })?;
        connected
            .recv()
            .map_err(|_| io::Error::other("the journal's connection thread stopped"))??;
        Ok(Session {
            jobs: Some(jobs),
            thread: Some(thread),
            url: url.clone(),
        })
    }

    /// Runs `f` on the connection and waits for its answer. A PostgreSQL error comes back as an
    /// I/O error naming the journal and what was being done.
    pub fn call<T, F>(&self, doing: &str, f: F) -> io::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut postgres::Client) -> Result<T, postgres::Error> + Send + 'static,
    {
        let (answer, answered) = mpsc::channel();
        let job: Job = Box::new(move |client| {
            let _ = answer.send(f(client));
        });
        let gone = || {
            io::Error::other(format!(
                "the connection to the journal {} is gone",
                self.url
            ))
        };
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(job)
            .map_err(|_| gone())?;
        answered.recv().map_err(|_| gone())?.map_err(|e| {
            io::Error::other(format!(
                "cannot {doing} the journal {}: {}",
                self.url,
                describe(&e)
            ))
        })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Connects for listening: a client of the caller's own, on a thread that is not inside an async
/// runtime (the caller's).
pub fn connect_blocking(url: &PgUrl) -> io::Result<postgres::Client> {
    url.connect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown() {
        let url = PgUrl::parse(
            "postgres://mod:s3cret-pw@db.example:6432/journal?sslmode=require&password=other",
        )
        .unwrap();
        let shown = url.to_string();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!shown.contains("other"), "{shown}");
        assert_eq!(
            shown,
            "postgres://mod@db.example:6432/journal?sslmode=require"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        let bad = PgUrl::parse("postgres://mod:s3cret@db:notaport/x").unwrap_err();
        assert!(!bad.contains("s3cret"), "{bad}");
        let mode = PgUrl::parse("postgres://mod:s3cret@db/x?sslmode=always").unwrap_err();
        assert!(
            mode.contains("sslmode=always") && !mode.contains("s3cret"),
            "{mode}"
        );
    }

    #[test]
    fn urls_are_told_from_paths() {
        assert!(PgUrl::is_url("postgres://h/db"));
        assert!(PgUrl::is_url("PostgreSQL://h/db"));
        assert!(!PgUrl::is_url("/var/lib/journal.db"));
        assert!(!PgUrl::is_url("postgres"));
    }

    #[test]
    fn the_password_file_is_read_as_libpq_reads_it() {
        let file = "# comment\n\
                    other:5432:*:*:nope\n\
                    db.example:*:journal:mod:pa\\:ss\\\\word\n\
                    *:*:*:*:fallback\n";
        assert_eq!(
            pgpass_lookup(file, ["db.example", "6432", "journal", "mod"]).as_deref(),
            Some("pa:ss\\word")
        );
        assert_eq!(
            pgpass_lookup(file, ["db2", "5432", "x", "y"]).as_deref(),
            Some("fallback")
        );
        assert_eq!(pgpass_lookup("h:1:d:u:p\n", ["h", "2", "d", "u"]), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_password_file_others_can_read_is_not_used() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(&file, "*:*:*:*:pw\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(private_enough(&file));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(!private_enough(&file));
        assert!(!private_enough(&dir.path().join("missing")));
    }
}
