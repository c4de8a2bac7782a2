//! The error codes of the Chat REST API, what they mean to a moderator, and what a client should
//! do about each one.
//!
//! Two kinds of codes live here: the envelope's `ErrorCode` (600xx and 700xx, for the call as a
//! whole) and the per-item `ResultCode` of the blocklist calls (300xx). [`lookup`] describes a
//! code; [`classify_item`] decides what one item of a batch answer means, reading its
//! `ResultInfo` text too, because the service reports "already done" as an error.

use std::fmt;

use Class::{Auth, Lockout, Permanent, RateLimited, Retryable, SigExpired};

/// `ResultInfo` of a black_list_add item whose target is already on the list.
pub const ADD_ALREADY_EXIST: &str = "Err_SNS_BlackListAdd_Already_Exist";

/// `ResultInfo` of a black_list_delete item whose target is not on the list (the sandbox's
/// wording; the real service's is not documented).
pub const DELETE_NOT_EXIST: &str = "Err_SNS_BlackListDelete_Not_Exist";

/// The part of the strings above that decides the outcome; matched anywhere in `ResultInfo`.
const ALREADY_EXIST_MARK: &str = "BlackListAdd_Already_Exist";
const NOT_EXIST_MARK: &str = "BlackListDelete_Not_Exist";

/// What a client should do about an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Success.
    Ok,
    /// The item was already as desired (already blocked, or already not blocked): count it done.
    AlreadyInState,
    /// Code 30001 with a text that does not say why: the item may be done or may have failed.
    /// Confirm the real state with black_list_check before reporting either.
    Ambiguous,
    /// A transient failure (transport, HTTP 5xx, server timeout, write conflict): retry the
    /// failed items with back-off and jitter.
    Retryable,
    /// Too many calls: retry the failed items after a longer back-off.
    RateLimited,
    /// The UserSig expired (70001): regenerate it once and repeat the call.
    SigExpired,
    /// Too many bad signatures (70050): the app is locked for a minute; stop at once, because
    /// each further attempt extends the lock.
    Lockout,
    /// The credentials or the app configuration are wrong (key, identifier, admin rights,
    /// region, SDKAppID): no call can succeed until the profile is fixed.
    Auth,
    /// The request itself cannot succeed (bad parameter, unknown account, full list, unknown
    /// code): report it and do not retry.
    Permanent,
}

impl Class {
    /// Whether the failed items may be sent again (after a back-off). True for [`Class::Retryable`]
    /// and [`Class::RateLimited`]. [`Class::SigExpired`] is not included: it calls for a new
    /// UserSig first, which the client does once per call.
    pub fn is_retryable(self) -> bool {
        matches!(self, Class::Retryable | Class::RateLimited)
    }

    /// Whether the rest of a batch must not be attempted, because the cause affects every
    /// further call: true for [`Class::Auth`], [`Class::Lockout`] and [`Class::SigExpired`]. The
    /// HTTP client regenerates an expired UserSig once and repeats the call itself, so a 70001
    /// that reaches anyone else persisted after a renewal (a wrong clock, say).
    pub fn stops_batch(self) -> bool {
        matches!(self, Class::Auth | Class::Lockout | Class::SigExpired)
    }

    /// Whether the item ended up in the desired state ([`Class::Ok`] or
    /// [`Class::AlreadyInState`]).
    pub fn is_success(self) -> bool {
        matches!(self, Class::Ok | Class::AlreadyInState)
    }

    /// A few words for status lines and reports.
    pub fn label(self) -> &'static str {
        match self {
            Class::Ok => "done",
            Class::AlreadyInState => "already done",
            Class::Ambiguous => "unclear, needs a check",
            Class::Retryable => "temporary failure",
            Class::RateLimited => "rate limited",
            Class::SigExpired => "UserSig expired",
            Class::Lockout => "locked out",
            Class::Auth => "credentials or configuration error",
            Class::Permanent => "failed",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What is known about one error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    /// The numeric code.
    pub code: i64,
    /// A short token such as `UserSigExpired`.
    pub name: &'static str,
    /// What happened, in plain words, with the remedy where there is one.
    pub meaning: &'static str,
    /// What a client should do.
    pub class: Class,
}

impl fmt::Display for CodeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.name, self.meaning)
    }
}

/// Code 0, success.
const OK_INFO: CodeInfo = CodeInfo {
    code: 0,
    name: "Ok",
    meaning: "success",
    class: Class::Ok,
};

/// Codes blockdeck records itself where the service gave none. They are negative, so they never
/// clash with the service's own, and [`lookup`] describes them like any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Local {
    /// No answer: the connection failed, was cut or timed out.
    Unreachable,
    /// An answer that is not the JSON the call returns.
    Unreadable,
    /// A batch answer without a result for this item.
    NoItemAnswer,
    /// A relation value this build does not know.
    UnknownRelation,
    /// An item of a batch answer without a `ResultCode`: not a success, whatever else it says.
    NoResultCode,
    /// An answer with neither `ErrorCode` nor `ActionStatus`: not a success either.
    NoStatus,
    /// The journal could not record an answered call (a full disk, say): the batch stops
    /// before its next request, so that nothing is changed that the journal does not know of.
    JournalFailed,
}

impl Local {
    pub const ALL: [Local; 7] = [
        Local::Unreachable,
        Local::Unreadable,
        Local::NoItemAnswer,
        Local::UnknownRelation,
        Local::JournalFailed,
        Local::NoResultCode,
        Local::NoStatus,
    ];

    /// The number recorded in journals, reports and exports.
    pub const fn code(self) -> i64 {
        match self {
            Local::Unreachable => -1,
            Local::Unreadable => -2,
            Local::NoItemAnswer => -3,
            Local::UnknownRelation => -4,
            Local::JournalFailed => -5,
            Local::NoResultCode => -6,
            Local::NoStatus => -7,
        }
    }

    pub fn from_code(code: i64) -> Option<Local> {
        Local::ALL.into_iter().find(|l| l.code() == code)
    }
}

/// Every code the catalog knows, sorted by code.
#[rustfmt::skip]
const CATALOG: &[(i64, &str, &str, Class)] = &[
    // blockdeck's own codes (see `Local`).
    (Local::NoStatus.code(), "NoStatus",
     "the answer had neither ErrorCode nor ActionStatus, so it cannot be taken as a success \
      (temporary: retried) — if it persists, the base URL may point at something that is not the \
      Chat REST API", Retryable),
    (Local::NoResultCode.code(), "NoResultCode",
     "the answer's item for this account had no ResultCode, so it cannot be taken as a success \
      (temporary: retried, then reported)", Retryable),
    (Local::JournalFailed.code(), "JournalFailed",
     "the journal could not record an answer, so the batch stopped before its next request — \
      free space or fix the journal's permissions, then `blockdeck resume` finishes the batch",
     Permanent),
    (Local::UnknownRelation.code(), "UnknownRelation",
     "the service answered a relation this version of blockdeck does not know — the item is left \
      unsettled; check it with `blockdeck check`", Permanent),
    (Local::NoItemAnswer.code(), "NoItemAnswer",
     "the service's answer had no result for this item (temporary: retried)", Retryable),
    (Local::Unreadable.code(), "Unreadable",
     "the service's answer was unreadable (temporary: retried) — if it persists, the base URL may \
      point at something that is not the Chat REST API", Retryable),
    (Local::Unreachable.code(), "Unreachable",
     "the service could not be reached or did not answer in time (temporary: retried) — check \
      the network and the profile's base URL or region", Retryable),
    // Per-item codes of the relationship (friend and blocklist) calls.
    (30001, "BadParameter",
     "the request was refused as invalid; for a blocklist change this also means the user was \
      already on the list (add) or not on it (delete) — check the current state", Permanent),
    (30002, "SdkAppIdMismatch",
     "the SDKAppID does not match the account — check the profile's SDKAppID", Auth),
    (30003, "AccountNotFound",
     "the account does not exist in this app — check the UserID (import the account first if it \
      should exist)", Permanent),
    (30004, "AdminRequired",
     "acting for another user needs an app admin — set the profile's identifier to an admin \
      account (e.g. administrator)", Auth),
    (30005, "SensitiveWords",
     "a relationship field contains words the app's filter forbids", Permanent),
    (30006, "InternalError", "the service had an internal error (temporary: retried)", Retryable),
    (30007, "Timeout", "the service timed out (temporary: retried later)", Retryable),
    (30008, "WriteConflict",
     "another change to the same list was being written at the same time (temporary: retried; \
      fewer, larger batches avoid it)", Retryable),
    (30009, "FriendRequestsForbidden",
     "this user is barred from sending friend requests", Permanent),
    (30010, "FriendListFull", "the user's friend list is full", Permanent),
    (30011, "FriendGroupLimit", "the user has the maximum number of friend groups", Permanent),
    (30012, "PendingRequestLimit",
     "the user has too many pending friend requests", Permanent),
    (30013, "BlocklistFull",
     "the user's blocklist is full (1000 entries, not adjustable) — remove entries first", Permanent),
    (31307, "BlocklistAddRefused",
     "the blocklist change was refused; seen together with Err_SNS_BlackListAdd_Already_Exist, \
      meaning the user was already on the list", Permanent),
    // Envelope codes of the REST gateway.
    (60002, "HttpParseError", "the service could not parse the HTTP request", Permanent),
    (60003, "BodyNotJson", "the request body is not valid JSON", Permanent),
    (60004, "UrlAccountOrSigError",
     "the account or the UserSig in the request URL is wrong — check the profile's identifier and \
      secret key", Auth),
    (60005, "BodyAccountOrSigError",
     "the account or the UserSig in the request is wrong — check the profile's identifier and \
      secret key", Auth),
    (60006, "InvalidSdkAppId",
     "the SDKAppID is invalid — check the profile's SDKAppID", Auth),
    (60007, "RateLimitExceeded",
     "too many REST calls per second (blockdeck slows down and retries; lower the profile's \
      rate_limit if this persists)", RateLimited),
    (60008, "RequestTimeout",
     "the request timed out or was malformed on the way (temporary: retried)", Retryable),
    (60009, "BadUrl", "the request URL or resource is wrong", Permanent),
    (60010, "AdminRequired",
     "this call needs an app admin — set the profile's identifier to an admin account", Auth),
    (60011, "AppRateLimitExceeded",
     "the app exceeded its call frequency — slowing down", RateLimited),
    (60012, "SdkAppIdMissing",
     "the request carries no SDKAppID — set the profile's SDKAppID", Auth),
    (60015, "AccountNotString", "an account field must be a JSON string", Permanent),
    (60016, "SdkAppIdDisabled",
     "this SDKAppID is disabled — re-enable the app in the Chat console", Auth),
    (60018, "TooManyRequests", "too many requests — waiting before trying again", RateLimited),
    (60019, "TooManyRequests", "too many requests — waiting before trying again", RateLimited),
    (60020, "SubscriptionExpired",
     "the app's Chat subscription has expired — renew it in the Chat console", Auth),
    (60021, "SourceIpNotAllowed",
     "calls from this IP address are not allowed — add it to the app's IP allowlist in the Chat \
      console", Auth),
    // UserSig and account codes.
    (70001, "UserSigExpired",
     "the UserSig has expired — a new one is generated automatically; if this repeats, check the \
      system clock", SigExpired),
    (70002, "UserSigEmpty", "the request carries no UserSig", Auth),
    (70003, "UserSigInvalid",
     "the UserSig is malformed — check the secret key of this profile", Auth),
    (70005, "UserSigInvalid",
     "the UserSig is invalid — check the secret key of this profile", Auth),
    (70009, "UserSigWrongKey",
     "the UserSig was signed with a key that does not belong to this SDKAppID — check the secret \
      key of this profile", Auth),
    (70013, "UserSigIdentifierMismatch",
     "the identifier in the request does not match the UserSig — check the profile's identifier", Auth),
    (70014, "UserSigSdkAppIdMismatch",
     "the SDKAppID in the request does not match the UserSig — check the profile's SDKAppID", Auth),
    (70016, "WrongRegion",
     "wrong region for this SDKAppID — set the profile's region", Auth),
    (70020, "WrongRegion",
     "wrong region for this SDKAppID — set the profile's region", Auth),
    (70050, "SignatureLockout",
     "too many bad signatures: the app is locked for one minute — stopped; fix the secret key, then \
      wait a minute before trying again", Lockout),
    (70107, "UserNotFound", "the user does not exist in this app", Permanent),
    (70169, "ServerTimeout", "the service timed out (temporary: retried)", Retryable),
    (70202, "ServerTimeout", "the service timed out (temporary: retried)", Retryable),
    (70206, "BadBatchSize", "the batch has too many or too few entries", Permanent),
    (70402, "BadParameter", "a request parameter is invalid", Permanent),
    (70403, "AdminRequired",
     "this call needs an app admin — set the profile's identifier to an admin account", Auth),
    (70500, "InternalError", "the service had an internal error (temporary: retried)", Retryable),
];

/// Describes `code`. Unknown codes are reported as permanent failures.
pub fn lookup(code: i64) -> CodeInfo {
    if code == 0 {
        return OK_INFO;
    }
    match CATALOG.binary_search_by_key(&code, |entry| entry.0) {
        Ok(i) => {
            let (code, name, meaning, class) = CATALOG[i];
            CodeInfo {
                code,
                name,
                meaning,
                class,
            }
        }
        Err(_) => CodeInfo {
            code,
            name: "Unknown",
            meaning: "unknown error code",
            class: Permanent,
        },
    }
}

/// The kind of call an item answer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// black_list_add.
    Add,
    /// black_list_delete.
    Delete,
    /// Any other call (check, get, friend and profile calls).
    Other,
}

/// Classifies one item of a batch answer from its `ResultCode` and `ResultInfo`.
///
/// - code 0 is [`Class::Ok`];
/// - an add whose text says `BlackListAdd_Already_Exist`, or a delete whose text says
///   `BlackListDelete_Not_Exist`, is [`Class::AlreadyInState`] whatever the code (the service has
///   used both 30001 and 31307) — except 30003: an account that does not exist is never "already"
///   anything, whatever the text (a typo must surface as a failure);
/// - any other 30001 on an add or delete is [`Class::Ambiguous`];
/// - everything else is classified by [`lookup`].
pub fn classify_item(op: Op, code: i64, info: &str) -> Class {
    if code == 0 {
        return Class::Ok;
    }
    match op {
        _ if code == 30003 => lookup(code).class,
        Op::Add if info.contains(ALREADY_EXIST_MARK) => Class::AlreadyInState,
        Op::Delete if info.contains(NOT_EXIST_MARK) => Class::AlreadyInState,
        Op::Add | Op::Delete if code == 30001 => Class::Ambiguous,
        _ => lookup(code).class,
    }
}

/// Classifies a non-200 HTTP status of a REST call: 5xx and 408 are [`Class::Retryable`], 429 is
/// [`Class::RateLimited`], 2xx is [`Class::Ok`] (the envelope then decides), anything else is
/// [`Class::Permanent`].
pub fn http_status_class(status: u16) -> Class {
    match status {
        200..=299 => Class::Ok,
        408 | 500..=599 => Retryable,
        429 => RateLimited,
        _ => Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_sorted_and_unique() {
        // `lookup` relies on binary search.
        for pair in CATALOG.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
    }

    #[test]
    fn catalog_entries_are_described() {
        for &(code, name, meaning, _) in CATALOG {
            assert!(
                !name.is_empty() && !name.contains(' '),
                "{code}: name {name:?}"
            );
            assert!(meaning.len() > 10, "{code}: meaning {meaning:?}");
            assert_eq!(lookup(code).code, code);
        }
    }

    fn assert_all(codes: &[i64], class: Class) {
        for &code in codes {
            assert_eq!(lookup(code).class, class, "code {code}");
        }
    }

    #[test]
    fn retryable_codes() {
        assert_all(
            &[30006, 30007, 30008, 60008, 70169, 70202, 70500],
            Class::Retryable,
        );
    }

    #[test]
    fn rate_limited_codes() {
        assert_all(&[60007, 60011, 60018, 60019], Class::RateLimited);
    }

    #[test]
    fn auth_codes() {
        assert_all(
            &[
                60004, 60005, 60006, 60010, 60012, 60016, 60020, 60021, 70002, 70003, 70005, 70009,
                70013, 70014, 70016, 70020, 70403, 30002, 30004,
            ],
            Class::Auth,
        );
    }

    #[test]
    fn expiry_and_lockout() {
        assert_eq!(lookup(70001).class, Class::SigExpired);
        assert_eq!(lookup(70001).name, "UserSigExpired");
        assert_eq!(lookup(70050).class, Class::Lockout);
    }

    #[test]
    fn permanent_codes() {
        assert_all(
            &[
                30001, 30003, 30005, 30009, 30010, 30011, 30012, 30013, 31307, 60002, 60003, 60009,
                60015, 70107, 70206, 70402,
            ],
            Class::Permanent,
        );
    }

    #[test]
    fn local_codes_are_described_and_round_trip() {
        for local in Local::ALL {
            let info = lookup(local.code());
            assert!(info.code < 0 && info.name != "Unknown", "{local:?}");
            assert_eq!(Local::from_code(local.code()), Some(local));
        }
        assert_eq!(lookup(Local::Unreachable.code()).class, Class::Retryable);
        assert_eq!(lookup(Local::NoItemAnswer.code()).class, Class::Retryable);
        assert_eq!(
            lookup(Local::UnknownRelation.code()).class,
            Class::Permanent
        );
        assert!(
            lookup(Local::Unreachable.code())
                .meaning
                .contains("reached")
        );
        assert_eq!(Local::from_code(30003), None);
    }

    #[test]
    fn success_code() {
        assert_eq!(lookup(0).class, Class::Ok);
        assert_eq!(classify_item(Op::Other, 0, ""), Class::Ok);
    }

    #[test]
    fn unknown_codes_are_permanent() {
        for code in [-99, 1, 30014, 69999, 99999, i64::MAX, i64::MIN] {
            let info = lookup(code);
            assert_eq!(info.code, code);
            assert_eq!(info.class, Class::Permanent);
            assert_eq!(info.meaning, "unknown error code");
        }
    }

    #[test]
    fn meanings_carry_remedies() {
        assert!(
            lookup(70009)
                .meaning
                .contains("check the secret key of this profile")
        );
        assert!(lookup(70016).meaning.contains("set the profile's region"));
        assert!(lookup(70020).meaning.contains("set the profile's region"));
        assert!(lookup(30013).meaning.contains("1000"));
        let shown = lookup(70009).to_string();
        assert!(shown.starts_with("70009 (UserSigWrongKey): "), "{shown}");
    }

    #[test]
    fn class_predicates() {
        let all = [
            Class::Ok,
            Class::AlreadyInState,
            Class::Ambiguous,
            Class::Retryable,
            Class::RateLimited,
            Class::SigExpired,
            Class::Lockout,
            Class::Auth,
            Class::Permanent,
        ];
        let retryable: Vec<_> = all.iter().filter(|c| c.is_retryable()).collect();
        assert_eq!(retryable, [&Class::Retryable, &Class::RateLimited]);
        let stops: Vec<_> = all.iter().filter(|c| c.stops_batch()).collect();
        assert_eq!(stops, [&Class::SigExpired, &Class::Lockout, &Class::Auth]);
        let success: Vec<_> = all.iter().filter(|c| c.is_success()).collect();
        assert_eq!(success, [&Class::Ok, &Class::AlreadyInState]);
        let mut labels: Vec<_> = all.iter().map(|c| c.label()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), all.len(), "labels must be distinct");
    }

    #[test]
    fn add_already_exist_is_already_in_state_whatever_the_code() {
        for code in [30001, 31307, 12345] {
            assert_eq!(
                classify_item(Op::Add, code, ADD_ALREADY_EXIST),
                Class::AlreadyInState
            );
        }
        // Matched anywhere in the text.
        assert_eq!(
            classify_item(Op::Add, 30001, "Err_SNS_BlackListAdd_Already_Exist; tid 7"),
            Class::AlreadyInState
        );
    }

    #[test]
    fn delete_not_exist_is_already_in_state() {
        assert_eq!(
            classify_item(Op::Delete, 30001, DELETE_NOT_EXIST),
            Class::AlreadyInState
        );
        assert_eq!(
            classify_item(Op::Delete, 31307, "Err_SNS_BlackListDelete_Not_Exist tid 9"),
            Class::AlreadyInState
        );
        // An unknown account is a failure, not "already unblocked", whatever its text says.
        assert_eq!(
            classify_item(Op::Delete, 30003, "Err_SNS_Account_Not_Exist"),
            Class::Permanent
        );
        assert_eq!(
            classify_item(Op::Delete, 30001, "Err_SNS_Account_Not_Exist"),
            Class::Ambiguous
        );
    }

    #[test]
    fn texts_count_only_for_their_own_operation() {
        // "Not on the list" does not make an add done, nor "already there" a delete.
        assert_eq!(
            classify_item(Op::Add, 30001, DELETE_NOT_EXIST),
            Class::Ambiguous
        );
        assert_eq!(
            classify_item(Op::Delete, 30001, ADD_ALREADY_EXIST),
            Class::Ambiguous
        );
        assert_eq!(
            classify_item(Op::Other, 30001, ADD_ALREADY_EXIST),
            Class::Permanent
        );
    }

    #[test]
    fn inconclusive_30001_is_ambiguous_on_add_and_delete_only() {
        assert_eq!(classify_item(Op::Add, 30001, ""), Class::Ambiguous);
        assert_eq!(
            classify_item(Op::Delete, 30001, "Err_SNS_Something"),
            Class::Ambiguous
        );
        assert_eq!(classify_item(Op::Other, 30001, ""), Class::Permanent);
        // Matching is case-sensitive, like the service's own tokens.
        assert_eq!(
            classify_item(Op::Add, 30001, "already_exist"),
            Class::Ambiguous
        );
    }

    #[test]
    fn other_item_codes_use_the_catalog() {
        assert_eq!(
            classify_item(Op::Add, 30013, "Err_SNS_BlackList_Full"),
            Class::Permanent
        );
        assert_eq!(classify_item(Op::Add, 30008, ""), Class::Retryable);
        assert_eq!(classify_item(Op::Delete, 30004, ""), Class::Auth);
        assert_eq!(classify_item(Op::Add, 31307, ""), Class::Permanent);
        assert_eq!(classify_item(Op::Other, 30006, ""), Class::Retryable);
    }

    #[test]
    fn http_statuses() {
        assert_eq!(http_status_class(200), Class::Ok);
        for s in [500, 502, 503, 504, 599, 408] {
            assert_eq!(http_status_class(s), Class::Retryable, "{s}");
        }
        assert_eq!(http_status_class(429), Class::RateLimited);
        for s in [301, 400, 401, 403, 404, 600, 0] {
            assert_eq!(http_status_class(s), Class::Permanent, "{s}");
        }
    }
}
