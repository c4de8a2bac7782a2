//! Starting a sandbox on 127.0.0.1:0 and calling it over real HTTP.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use blockdeck::sandbox::{Sandbox, SandboxConfig, Seed};
use blockdeck::secret::SecretKey;
use blockdeck::tim::usersig;
use serde_json::Value;

pub const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
pub const SDKAPPID: u64 = 1_400_000_000;
pub const ADMIN: &str = "administrator";

pub fn key() -> SecretKey {
    SecretKey::new(KEY.to_owned()).unwrap()
}

pub fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A config on `seed` with rate limiting off and no faults, unless the caller changes it.
pub fn config(seed: Seed) -> SandboxConfig {
    let mut config = SandboxConfig::new(key());
    config.seed = seed;
    config.rate_limit = 0;
    config.fault_seed = Some(42);
    config
}

/// The accounts and blocks of a seed where every one of `users` blocks `target`: the accounts
/// (the users, then `target`) and the (user, `target`) pairs.
#[allow(dead_code)]
pub fn blocking_target(
    users: impl Iterator<Item = String>,
) -> (Vec<String>, Vec<(String, String)>) {
    let users: Vec<String> = users.collect();
    let blocks = users
        .iter()
        .map(|u| (u.clone(), "target".to_owned()))
        .collect();
    let mut accounts = users;
    accounts.push("target".to_owned());
    (accounts, blocks)
}

pub fn seed(value: Value) -> Seed {
    serde_json::from_value(value).expect("test seed")
}

pub async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config, loopback())
        .await
        .expect("sandbox starts")
}

pub fn http() -> reqwest::Client {
    blockdeck::client::http::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A UserSig for the default admin, valid for a day.
pub fn sig() -> String {
    usersig::sign_now(&key(), SDKAPPID, ADMIN, 86_400)
}

/// The query string of an authenticated call.
pub fn query(sig: &str) -> String {
    format!("sdkappid={SDKAPPID}&identifier={ADMIN}&usersig={sig}&random=99999999&contenttype=json")
}

/// POSTs `body` (raw, no Content-Type) to `/v4/{path}` with the given query and returns (status, JSON).
pub async fn raw(
    client: &reqwest::Client,
    sb: &Sandbox,
    path: &str,
    query: &str,
    body: &str,
) -> (u16, Value) {
    let url = format!("{}/v4/{path}?{query}", sb.base_url());
    let resp = client
        .post(url)
        .body(body.to_owned())
        .send()
        .await
        .expect("request sent");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}

/// An authenticated call with a JSON body; returns the JSON answer (HTTP status must be 200).
pub async fn call(client: &reqwest::Client, sb: &Sandbox, path: &str, body: Value) -> Value {
    let (status, json) = raw(client, sb, path, &query(&sig()), &body.to_string()).await;
    assert_eq!(status, 200, "{path}: {json}");
    json
}
