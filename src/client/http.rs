//! The HTTP client of the REST API: the auth query string, a cached UserSig renewed before it expires
//! and regenerated once on 70001, keep-alive connections, and timeouts longer than the backend's 3 s.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::secret::SecretKey;
use crate::tim::codes::{self, Class, Local};
use crate::tim::usersig;
use crate::tim::wire::{self, Api, Response};

/// Where and as whom the client calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://adminapisgp.im.qcloud.com`, `http://127.0.0.1:8080`, ... (no trailing slash).
    pub base_url: String,
    pub sdkappid: u64,
    /// The app admin identifier the calls are made as.
    pub admin: String,
}

/// Tunables of the HTTP client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Per-request timeout; longer than the backend's own 3 s.
    pub timeout: Duration,
    /// Validity of the UserSigs the client makes.
    pub sig_validity: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(10),
            // An admin credential: short-lived, and renewed at 90% of its life.
            sig_validity: Duration::from_secs(3600),
        }
    }
}

/// Why a call did not succeed as a whole. Never carries the URL (it holds the UserSig) or the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The request did not get an answer: connection refused or reset, DNS, timeout.
    Transport { timeout: bool, detail: String },
    /// An HTTP status other than 200 (a gateway's 502, say).
    Http { status: u16 },
    /// A 200 answer that is not the JSON the call returns.
    Decode(String),
    /// `ActionStatus: FAIL` with this code.
    Api { code: i64, info: String },
}

impl CallError {
    /// What a client should do about it.
    pub fn class(&self) -> Class {
        match self {
            CallError::Transport { .. } | CallError::Decode(_) => Class::Retryable,
            CallError::Http { status } => codes::http_status_class(*status),
            CallError::Api { code, .. } => codes::lookup(*code).class,
        }
    }

    /// The TIM code, or the HTTP status, or blockdeck's own code for no answer or an unreadable
    /// one ([`Local`]).
    pub fn code(&self) -> i64 {
        match self {
            CallError::Transport { .. } => Local::Unreachable.code(),
            CallError::Decode(_) => Local::Unreadable.code(),
            CallError::Http { status } => i64::from(*status),
            CallError::Api { code, .. } => *code,
        }
    }

    /// A short description for journals and summaries.
    pub fn info(&self) -> String {
        match self {
            CallError::Api { info, .. } => info.clone(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Transport {
                timeout: true,
                detail,
            } => {
                write!(f, "no answer in time ({detail})")
            }
            CallError::Transport { detail, .. } => {
                write!(f, "could not reach the service ({detail})")
            }
            CallError::Http { status } => write!(f, "the service answered HTTP {status}"),
            CallError::Decode(detail) => {
                write!(f, "the service's answer was unreadable ({detail})")
            }
            CallError::Api { code, info } => {
                let meaning = codes::lookup(*code).meaning;
                write!(f, "error {code}: {meaning}")?;
                if !info.is_empty() {
                    write!(f, " (service said: {info})")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for CallError {}

struct CachedSig {
    sig: String,
    renew_at: u64,
}

/// A client of one app's REST API.
pub struct TimClient {
    http: reqwest::Client,
    endpoint: Endpoint,
    /// The base URL, parsed once.
    base: reqwest::Url,
    key: SecretKey,
    options: ClientOptions,
    sig: Mutex<Option<CachedSig>>,
    renewals: AtomicU64,
}

impl fmt::Debug for TimClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimClient")
            .field("endpoint", &self.endpoint)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Installs the TLS crypto provider once per process (reqwest is built without one of its own).
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl TimClient {
    /// Whether `text` is the secret key this client signs with (nothing else learns the key).
    pub fn holds_key(&self, text: &str) -> bool {
        self.key.is(text)
    }

    pub fn new(
        endpoint: Endpoint,
        key: SecretKey,
        options: ClientOptions,
    ) -> Result<TimClient, String> {
        install_crypto_provider();
        let base = endpoint.base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!(
                "base URL {base:?} must start with http:// or https://"
            ));
        }
        let parsed = reqwest::Url::parse(&base)
            .map_err(|e| format!("base URL {base:?} is not a URL: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(5)))
            // Below the idle time servers commonly allow (the sandbox's is 30 s), so that a
            // pooled connection is not reused just as the server closes it.
            .pool_idle_timeout(Duration::from_secs(20))
            .tcp_keepalive(Duration::from_secs(30))
            .user_agent(concat!("blockdeck/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(TimClient {
            http,
            base: parsed,
            endpoint: Endpoint {
                base_url: base,
                ..endpoint
            },
            key,
            options,
            sig: Mutex::new(None),
            renewals: AtomicU64::new(0),
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// How many UserSigs this client has made so far (the first one included).
    pub fn sigs_made(&self) -> u64 {
        self.renewals.load(Ordering::Relaxed)
    }

    /// The current UserSig, made anew when there is none, when it is close to expiring, or on `force`.
    fn usersig(&self, force: bool) -> String {
        let now = usersig::unix_now();
        let mut cached = self.sig.lock().expect("usersig lock");
        if let Some(c) = cached.as_ref()
            && !force
            && now < c.renew_at
        {
            return c.sig.clone();
        }
        let validity = self.options.sig_validity.as_secs().max(60);
        let sig = usersig::sign(
            &self.key,
            self.endpoint.sdkappid,
            &self.endpoint.admin,
            validity,
            now,
        );
        // Renew once 90% of the validity has passed, so a long batch never presents an expired one.
        *cached = Some(CachedSig {
            sig: sig.clone(),
            renew_at: now + validity - validity / 10,
        });
        self.renewals.fetch_add(1, Ordering::Relaxed);
        sig
    }

    /// The call's URL: the base, parsed once, with the API's path and this call's query.
    fn url(&self, api: Api, sig: &str) -> reqwest::Url {
        let admin: String =
            form_urlencoded::byte_serialize(self.endpoint.admin.as_bytes()).collect();
        let random: u32 = rand::random();
        let mut url = self.base.clone();
        let path = format!(
            "{}/v4/{}",
            self.base.path().trim_end_matches('/'),
            api.path()
        );
        url.set_path(&path);
        url.set_query(Some(&format!(
            "sdkappid={}&identifier={admin}&usersig={sig}&random={random}&contenttype=json",
            self.endpoint.sdkappid,
        )));
        url
    }

    /// Makes one call. `Ok` means the call as a whole succeeded (items of a batch may still have
    /// failed: read them). An expired UserSig (70001) is regenerated and the call made once more.
    pub async fn call<Req: Serialize + ?Sized, Resp: Response>(
        &self,
        api: Api,
        body: &Req,
    ) -> Result<Resp, CallError> {
        let body = serde_json::to_vec(body).map_err(|e| CallError::Decode(e.to_string()))?;
        match self.call_once(api, &body, false).await {
            Err(CallError::Api { code: 70001, .. }) => self.call_once(api, &body, true).await,
            other => other,
        }
    }

    async fn call_once<Resp: Response>(
        &self,
        api: Api,
        body: &[u8],
        renew: bool,
    ) -> Result<Resp, CallError> {
        let url = self.url(api, &self.usersig(renew));
        let resp = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(transport_error)?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(CallError::Http { status });
        }
        let bytes = read_capped(resp, api).await?;
        let parsed: Resp = wire::from_slice_lenient(&bytes).map_err(|e| {
            CallError::Decode(format!("{api} answer is not the expected JSON: {e}"))
        })?;
        let envelope = parsed.envelope();
        if envelope.is_ok() {
            Ok(parsed)
        } else {
            let (code, info) = envelope.failure();
            Err(CallError::Api { code, info })
        }
    }
}

/// The largest answer read: a full page or a 1,000-item batch answer is well under 1 MB.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// The answer's body, refused as unreadable once it passes [`MAX_ANSWER_BYTES`] (a hostile or
/// misconfigured server must not fill memory).
async fn read_capped(mut resp: reqwest::Response, api: Api) -> Result<Vec<u8>, CallError> {
    let too_large = || {
        CallError::Decode(format!(
            "{api} answer is larger than {} MB; it cannot be a Chat REST API answer",
            MAX_ANSWER_BYTES / (1024 * 1024)
        ))
    };
    let declared = resp.content_length().unwrap_or(0);
    if declared > MAX_ANSWER_BYTES as u64 {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(declared as usize);
    while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Describes a reqwest error without its URL, which carries the UserSig.
fn transport_error(e: reqwest::Error) -> CallError {
    let timeout = e.is_timeout();
    let kind = if timeout {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "request failed"
    };
    let mut detail = kind.to_owned();
    let e = e.without_url();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !detail.contains(&text) {
            detail.push_str(": ");
            detail.push_str(&text);
        }
        source = cause.source();
    }
    CallError::Transport { timeout, detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_have_classes_and_plain_words() {
        let e = CallError::Api {
            code: 70009,
            info: "bad".into(),
        };
        assert_eq!(e.class(), Class::Auth);
        assert!(e.to_string().starts_with("error 70009: "), "{e}");
        assert_eq!(CallError::Http { status: 502 }.class(), Class::Retryable);
        assert_eq!(
            CallError::Transport {
                timeout: true,
                detail: "x".into()
            }
            .class(),
            Class::Retryable
        );
        assert_eq!(
            CallError::Api {
                code: 60007,
                info: String::new()
            }
            .class(),
            Class::RateLimited
        );
    }

    #[test]
    fn usersig_is_cached_and_renewed() {
        let client = TimClient::new(
            Endpoint {
                base_url: "http://127.0.0.1:9/".into(),
                sdkappid: 1400000000,
                admin: "administrator".into(),
            },
            SecretKey::new("k".into()).unwrap(),
            ClientOptions::default(),
        )
        .unwrap();
        let a = client.usersig(false);
        let b = client.usersig(false);
        assert_eq!(a, b);
        assert_eq!(client.sigs_made(), 1);
        let _ = client.usersig(true);
        assert_eq!(client.sigs_made(), 2);
        assert_eq!(client.endpoint().base_url, "http://127.0.0.1:9");
        let url = client.url(Api::BlackListGet, "SIG");
        assert!(url.as_str().starts_with("http://127.0.0.1:9/v4/sns/black_list_get?sdkappid=1400000000&identifier=administrator&usersig=SIG&random="));
        assert!(format!("{client:?}").contains("redacted"));
    }

    #[test]
    fn bad_base_urls_are_refused() {
        let err = TimClient::new(
            Endpoint {
                base_url: "console.tim.qq.com".into(),
                sdkappid: 1,
                admin: "a".into(),
            },
            SecretKey::new("k".into()).unwrap(),
            ClientOptions::default(),
        )
        .unwrap_err();
        assert!(err.contains("http://"), "{err}");
    }
}
