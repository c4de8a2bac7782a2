//! The service's relationship webhooks as a sender makes them: the callback query (with
//! `RequestTime` and `Sign` when signed) and the JSON body, for the relay's tests and its
//! benchmark.

#![allow(dead_code)]

use blockdeck::feed::{ChangeKind, sign};
use serde_json::json;

/// The SDKAppID every webhook names unless told otherwise.
pub const SDKAPPID: u64 = 1_400_000_000;

/// One webhook: what the service reports about one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub command: String,
    /// `(From_Account, To_Account)` of each pair of `PairList`.
    pub pairs: Vec<(String, String)>,
    /// `EventTime` (Unix milliseconds); a body without one when `None`.
    pub event_time: Option<u64>,
    pub sdkappid: u64,
    pub client_ip: String,
    pub platform: String,
}

impl Webhook {
    /// A webhook of `kind` with `pairs`, happened at `event_time_ms`.
    pub fn new(kind: ChangeKind, pairs: &[(&str, &str)], event_time_ms: u64) -> Webhook {
        Webhook {
            command: kind.command().to_owned(),
            pairs: pairs
                .iter()
                .map(|(from, to)| ((*from).to_owned(), (*to).to_owned()))
                .collect(),
            event_time: Some(event_time_ms),
            sdkappid: SDKAPPID,
            client_ip: "10.1.2.3".to_owned(),
            platform: "Android".to_owned(),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        let pairs: Vec<_> = self
            .pairs
            .iter()
            .map(|(from, to)| json!({"From_Account": from, "To_Account": to}))
            .collect();
        let mut body = json!({"CallbackCommand": self.command, "PairList": pairs});
        if let Some(t) = self.event_time {
            body["EventTime"] = t.into();
        }
        body.to_string()
    }

    /// The query without `RequestTime` and `Sign`.
    pub fn unsigned_query(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("SdkAppid", &self.sdkappid.to_string())
            .append_pair("CallbackCommand", &self.command)
            .append_pair("contenttype", "json")
            .append_pair("ClientIP", &self.client_ip)
            .append_pair("OptPlatform", &self.platform)
            .finish()
    }

    /// The query with `RequestTime` = `request_time` and `Sign` = `sign`, as given.
    pub fn query_with(&self, request_time: &str, sign: &str) -> String {
        let mut query = self.unsigned_query();
        query.push('&');
        query.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .append_pair("RequestTime", request_time)
                .append_pair("Sign", sign)
                .finish(),
        );
        query
    }

    /// The query signed with `token` at `request_time` (Unix seconds).
    pub fn signed_query(&self, token: &str, request_time: u64) -> String {
        let time = request_time.to_string();
        self.query_with(&time, &sign(token, &time))
    }

    /// `base` (the relay's `http://ADDR/`) with the query signed with `token` at `request_time`.
    pub fn url(&self, base: &str, token: &str, request_time: u64) -> String {
        format!("{base}?{}", self.signed_query(token, request_time))
    }
}

/// Now, in Unix seconds.
pub fn now() -> u64 {
    blockdeck::clock::unix_now()
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    blockdeck::clock::unix_now_ms()
}
