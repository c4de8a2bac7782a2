//! A bounded load against a running sandbox, from its own process, to measure its throughput.
//!
//! ```text
//! export BLOCKDECK_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
//! cargo run --release -- sandbox --listen 127.0.0.1:18080 --rate-limit 0 &
//! cargo run --release --example sandbox_load -- http://127.0.0.1:18080 20000 32
//! ```
//!
//! Arguments: base URL, number of calls (at most 1,000,000), concurrent connections (at most 512).
//! Calls alternate between black_list_get (a page of 100 of `alice`'s list) and black_list_check of 100
//! accounts (Both), the two read calls a moderator's dashboard makes most. It prints calls/s and the
//! answers by code, and exits non-zero if any call failed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use blockdeck::secret;
use blockdeck::tim::usersig;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:18080".to_owned());
    let calls: u64 = args
        .next()
        .map_or(Ok(20_000), |s| s.parse())?
        .min(1_000_000);
    let conns: u64 = args.next().map_or(Ok(32), |s| s.parse())?.clamp(1, 512);
    let key = secret::load(None)?;
    let sig = usersig::sign_now(&key, 1_400_000_000, "administrator", 3600);
    let query = format!(
        "sdkappid=1400000000&identifier=administrator&usersig={sig}&random=1&contenttype=json"
    );
    let get_url = format!("{base}/v4/sns/black_list_get?{query}");
    let check_url = format!("{base}/v4/sns/black_list_check?{query}");
    let get_body =
        json!({"From_Account": "alice", "StartIndex": 0, "MaxLimited": 100, "LastSequence": 0})
            .to_string();
    let targets: Vec<String> = (0..100).map(|i| format!("spam_{:04}", i * 7)).collect();
    let check_body = json!({"From_Account": "alice", "To_Account": targets, "CheckType": "BlackCheckResult_Type_Both"})
        .to_string();

    blockdeck::client::http::install_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(conns as usize)
        .build()?;
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..conns {
        let (client, next) = (client.clone(), next.clone());
        let (get_url, check_url) = (get_url.clone(), check_url.clone());
        let (get_body, check_body) = (get_body.clone(), check_body.clone());
        workers.push(tokio::spawn(async move {
            let mut codes: BTreeMap<i64, u64> = BTreeMap::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= calls {
                    break;
                }
                let (url, body) = if n % 2 == 0 {
                    (&get_url, &get_body)
                } else {
                    (&check_url, &check_body)
                };
                let code = match client.post(url).body(body.clone()).send().await {
                    Ok(resp) if resp.status().is_success() => match resp.json::<Value>().await {
                        Ok(v) => v["ErrorCode"].as_i64().unwrap_or(-2),
                        Err(_) => -2,
                    },
                    Ok(resp) => i64::from(resp.status().as_u16()),
                    Err(_) => -1,
                };
                *codes.entry(code).or_default() += 1;
            }
            codes
        }));
    }
    let mut codes: BTreeMap<i64, u64> = BTreeMap::new();
    for worker in workers {
        for (code, n) in worker.await? {
            *codes.entry(code).or_default() += n;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{calls} calls over {conns} connections in {secs:.2} s: {:.0} calls/s",
        calls as f64 / secs
    );
    println!("answers by ErrorCode (-1 transport error, -2 unreadable): {codes:?}");
    if codes.keys().any(|&c| c != 0) {
        return Err("some calls failed".into());
    }
    Ok(())
}
