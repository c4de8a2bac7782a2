//! Idle and half-sent connections against a running sandbox, from their own process: how long
//! ordinary calls take before and while they are held open.
//!
//! ```text
//! export BLOCKDECK_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
//! (ulimit -n 1024; exec ./target/release/blockdeck sandbox --listen 127.0.0.1:18080 --latency-ms 20) &
//! ./target/release/examples/idle_connections http://127.0.0.1:18080 5000
//! ```
//!
//! Arguments: base URL, connections to hold (at most 20,000; half send nothing, half stop inside a
//! request's head). Each ordinary call is a fresh connection (a black_list_get of `alice`), so that
//! it has to be accepted among the idle ones. It prints the answered calls and their median and
//! slowest time, before and during, and exits non-zero if a call during went unanswered.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use blockdeck::secret;
use blockdeck::tim::usersig;
use serde_json::{Value, json};

const CALLS: usize = 20;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:18080".to_owned());
    let idle: usize = args.next().map_or(Ok(5000), |s| s.parse())?.min(20_000);
    let addr: SocketAddr = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()?;
    let key = secret::load(None)?;
    let sig = usersig::sign_now(&key, 1_400_000_000, "administrator", 3600);
    let url = format!(
        "{base}/v4/sns/black_list_get?sdkappid=1400000000&identifier=administrator\
         &usersig={sig}&random=1&contenttype=json"
    );
    let body =
        json!({"From_Account": "alice", "StartIndex": 0, "MaxLimited": 100, "LastSequence": 0})
            .to_string();
    blockdeck::client::http::install_crypto_provider();

    let before = calls(&url, &body).await;
    let opened = Instant::now();
    let mut held = Vec::with_capacity(idle);
    let mut failed = 0;
    for i in 0..idle {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Ok(mut stream) => {
                if i % 2 == 1 {
                    let _ =
                        stream.write_all(b"POST /v4/sns/black_list_get HTTP/1.1\r\nHost: x\r\n");
                }
                held.push(stream);
            }
            Err(_) => failed += 1,
        }
    }
    println!(
        "{} connections opened in {:.2} s ({failed} could not connect)",
        held.len(),
        opened.elapsed().as_secs_f64()
    );
    let during = calls(&url, &body).await;
    println!("before: {}", summary(&before));
    println!("during: {}", summary(&during));
    let stats: Value = reqwest::get(format!("{base}/sandbox/stats"))
        .await?
        .json()
        .await?;
    println!("sandbox connections: {}", stats["connections"]);
    drop(held);
    if during.iter().any(Option::is_none) {
        return Err("a call went unanswered while the connections were held".into());
    }
    Ok(())
}

/// [`CALLS`] calls, one after another, each on a new connection: the time each took, or `None`.
async fn calls(url: &str, body: &str) -> Vec<Option<Duration>> {
    let mut out = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client");
        let started = Instant::now();
        let answer = async {
            let resp = client.post(url).body(body.to_owned()).send().await.ok()?;
            let value: Value = resp.json().await.ok()?;
            (value["ActionStatus"] == "OK").then_some(())
        }
        .await;
        out.push(answer.map(|()| started.elapsed()));
    }
    out
}

fn summary(times: &[Option<Duration>]) -> String {
    let mut ok: Vec<Duration> = times.iter().flatten().copied().collect();
    ok.sort();
    match (ok.get(ok.len() / 2), ok.last()) {
        (Some(median), Some(max)) => format!(
            "{}/{} answered, median {} ms, slowest {} ms",
            ok.len(),
            times.len(),
            median.as_millis(),
            max.as_millis()
        ),
        _ => format!("0/{} answered", times.len()),
    }
}
