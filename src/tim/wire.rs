//! Request and response bodies of the REST calls blockdeck uses, with the service's exact field names.
//!
//! Parsing is as tolerant as the real service requires: unknown fields are ignored, absent or `null`
//! arrays and strings read as empty, `CurruentSequence` (the documented spelling) and `CurrentSequence`
//! are both accepted, and relation or check-type values this crate does not know are kept verbatim
//! rather than rejected. Serialising writes the documented names, so a parsed sample re-serialises with
//! the same fields.

use std::fmt;

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};

/// The REST calls this crate speaks, with their paths under `/v4/` and their documented limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Api {
    BlackListAdd,
    BlackListDelete,
    BlackListGet,
    BlackListCheck,
    FriendCheck,
    FriendGet,
    AccountCheck,
    PortraitGet,
}

impl Api {
    pub const ALL: [Api; 8] = [
        Api::BlackListAdd,
        Api::BlackListDelete,
        Api::BlackListGet,
        Api::BlackListCheck,
        Api::FriendCheck,
        Api::FriendGet,
        Api::AccountCheck,
        Api::PortraitGet,
    ];

    /// `service/command`, the part of the URL after `/v4/`.
    pub fn path(self) -> &'static str {
        match self {
            Api::BlackListAdd => "sns/black_list_add",
            Api::BlackListDelete => "sns/black_list_delete",
            Api::BlackListGet => "sns/black_list_get",
            Api::BlackListCheck => "sns/black_list_check",
            Api::FriendCheck => "sns/friend_check",
            Api::FriendGet => "sns/friend_get",
            Api::AccountCheck => "im_open_login_svc/account_check",
            Api::PortraitGet => "profile/portrait_get",
        }
    }

    /// The command name alone, e.g. `black_list_add`.
    pub fn command(self) -> &'static str {
        self.path().rsplit('/').next().unwrap_or_default()
    }

    pub fn from_path(path: &str) -> Option<Api> {
        let path = path.trim_start_matches('/').trim_start_matches("v4/");
        Api::ALL.into_iter().find(|api| api.path() == path)
    }

    /// Calls per second the service allows by default (a paid add-on raises it).
    pub fn default_rate_limit(self) -> u32 {
        match self {
            Api::AccountCheck => 100,
            _ => 200,
        }
    }

    /// This API's share of a limit given for the 200/s APIs (account_check gets half); 0 stays 0
    /// (no limit), anything else is at least 1.
    pub fn rate_limit(self, base: u32) -> u32 {
        if base == 0 {
            return 0;
        }
        let scaled = u64::from(base) * u64::from(self.default_rate_limit()) / 200;
        u32::try_from(scaled).unwrap_or(u32::MAX).max(1)
    }

    /// The most accounts one call may carry, or `None` where the call takes a single account.
    pub fn max_batch(self) -> Option<usize> {
        match self {
            Api::BlackListAdd | Api::BlackListDelete | Api::BlackListCheck | Api::FriendCheck => {
                Some(MAX_BATCH)
            }
            Api::AccountCheck | Api::PortraitGet => Some(MAX_PROFILE_BATCH),
            Api::BlackListGet | Api::FriendGet => None,
        }
    }

    /// Whether the call changes state on the service.
    pub fn mutates(self) -> bool {
        matches!(self, Api::BlackListAdd | Api::BlackListDelete)
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.command())
    }
}

/// Most `To_Account` entries one blocklist or friend call may carry.
pub const MAX_BATCH: usize = 1000;
/// Most entries on one user's blocklist (not adjustable).
pub const MAX_BLOCKLIST: usize = 1000;
/// Most accounts one account_check or portrait_get call may carry.
pub const MAX_PROFILE_BATCH: usize = 100;
/// Most entries one black_list_get page may return.
pub const MAX_PAGE: u64 = 1000;

pub const ACTION_OK: &str = "OK";
pub const ACTION_FAIL: &str = "FAIL";

/// Reads a field that may be absent or `null` as its default value.
fn absent_error_code() -> i64 {
    crate::tim::codes::Local::NoStatus.code()
}

fn absent_result_code() -> i64 {
    crate::tim::codes::Local::NoResultCode.code()
}

fn error_code_or_absent<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    Ok(Option::<i64>::deserialize(deserializer)?.unwrap_or_else(absent_error_code))
}

fn result_code_or_absent<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    Ok(Option::<i64>::deserialize(deserializer)?.unwrap_or_else(absent_result_code))
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The most characters of the service's own words (`ErrorInfo`, `ResultInfo`) kept from an
/// answer; longer text is cut with an ellipsis, so that a hostile or broken server cannot fill
/// messages, the journal or memory with it.
pub const MAX_INFO_CHARS: usize = 256;

/// `ErrorInfo` / `ResultInfo`: a string (null as empty), cut to [`MAX_INFO_CHARS`].
fn info_text<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    let text = Option::<String>::deserialize(deserializer)?.unwrap_or_default();
    Ok(cut_info(text))
}

/// Cuts `text` to [`MAX_INFO_CHARS`] characters, ending an elided one with `…`.
pub fn cut_info(mut text: String) -> String {
    if let Some((at, _)) = text.char_indices().nth(MAX_INFO_CHARS) {
        text.truncate(at);
        text.push('…');
    }
    text
}

/// Parses a JSON body the way pasted text needs: a UTF-8 byte-order mark at the start and Unicode
/// space characters between tokens (the no-break spaces that documentation pages put in their samples,
/// for instance) are read as plain spaces. Text inside strings is never touched.
pub fn from_slice_lenient<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(strict) => match std::str::from_utf8(bytes) {
            Ok(text) => match normalize_spaces(text) {
                Some(plain) => serde_json::from_str(&plain),
                None => Err(strict),
            },
            Err(_) => Err(strict),
        },
    }
}

/// Replaces Unicode spaces outside JSON strings with ASCII spaces; `None` when there are none.
fn normalize_spaces(text: &str) -> Option<String> {
    let (text, mut changed) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for ch in text.chars() {
        if in_string {
            match ch {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            out.push(ch);
        } else if ch == '"' {
            in_string = true;
            out.push(ch);
        } else if !ch.is_ascii() && (ch.is_whitespace() || ch == '\u{feff}') {
            changed = true;
            out.push(' ');
        } else {
            out.push(ch);
        }
    }
    changed.then_some(out)
}

/// The outcome fields every response carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "ActionStatus", default, deserialize_with = "null_as_default")]
    pub action_status: String,
    /// [`crate::tim::codes::Local::NoStatus`]'s code when the answer carries none.
    #[serde(
        rename = "ErrorCode",
        default = "absent_error_code",
        deserialize_with = "error_code_or_absent"
    )]
    pub error_code: i64,
    #[serde(rename = "ErrorInfo", default, deserialize_with = "info_text")]
    pub error_info: String,
    #[serde(
        rename = "ErrorDisplay",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_display: Option<String>,
}

impl Default for Envelope {
    fn default() -> Self {
        Envelope::ok()
    }
}

impl Envelope {
    pub fn ok() -> Envelope {
        Envelope {
            action_status: ACTION_OK.to_owned(),
            error_code: 0,
            error_info: String::new(),
            error_display: Some(String::new()),
        }
    }

    pub fn fail(code: i64, info: impl Into<String>) -> Envelope {
        Envelope {
            action_status: ACTION_FAIL.to_owned(),
            error_code: code,
            error_info: info.into(),
            error_display: Some(String::new()),
        }
    }

    /// True when the call as a whole succeeded. Items of a batch may still have failed. An
    /// answer that says neither (no `ErrorCode`, no `ActionStatus`) is not a success.
    pub fn is_ok(&self) -> bool {
        if self.error_code == absent_error_code() {
            return self.action_status.eq_ignore_ascii_case(ACTION_OK);
        }
        self.error_code == 0 && !self.action_status.eq_ignore_ascii_case(ACTION_FAIL)
    }

    /// The code and words of a failed call: its own, or [`crate::tim::codes::Local::NoStatus`] for an answer that
    /// says nothing (or `FAIL` without a code).
    pub fn failure(&self) -> (i64, String) {
        if self.error_code == absent_error_code() || self.error_code == 0 {
            let info = if self.error_info.is_empty() {
                "the answer had neither ErrorCode nor ActionStatus".to_owned()
            } else {
                self.error_info.clone()
            };
            return (absent_error_code(), info);
        }
        (self.error_code, self.error_info.clone())
    }
}

/// A response that is only the envelope (every failed call looks like this).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ErrorResponse {
    #[serde(flatten)]
    pub envelope: Envelope,
}

macro_rules! open_string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this crate does not know, kept as received.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(text) => text,
                }
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                match text.as_str() {
                    $($text => $name::$variant,)+
                    _ => $name::Other(text),
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                $name::from(text.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_owned()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

open_string_enum!(
    /// `CheckType` of black_list_check.
    BlackCheckType {
        Both => "BlackCheckResult_Type_Both",
        Single => "BlackCheckResult_Type_Single",
    }
);

open_string_enum!(
    /// `Relation` of a black_list_check item.
    BlackRelation {
        /// To is on From's list (and, in Both mode, From is not on To's).
        AWithB => "BlackCheckResult_Type_AWithB",
        /// Both mode: From is on To's list, not the reverse.
        BWithA => "BlackCheckResult_Type_BWithA",
        BothWay => "BlackCheckResult_Type_BothWay",
        No => "BlackCheckResult_Type_NO",
    }
);

open_string_enum!(
    /// `CheckType` of friend_check.
    FriendCheckType {
        Both => "CheckResult_Type_Both",
        Single => "CheckResult_Type_Single",
    }
);

open_string_enum!(
    /// `Relation` of a friend_check item.
    FriendRelation {
        AWithB => "CheckResult_Type_AWithB",
        BWithA => "CheckResult_Type_BWithA",
        BothWay => "CheckResult_Type_BothWay",
        NoRelation => "CheckResult_Type_NoRelation",
    }
);

open_string_enum!(
    /// `AccountStatus` of an account_check item.
    AccountStatus {
        Imported => "Imported",
        NotImported => "NotImported",
    }
);

impl BlackRelation {
    /// Builds the relation from the two directions. `a_blocks_b`: To is on From's list.
    pub fn from_directions(a_blocks_b: bool, b_blocks_a: bool) -> BlackRelation {
        match (a_blocks_b, b_blocks_a) {
            (true, true) => BlackRelation::BothWay,
            (true, false) => BlackRelation::AWithB,
            (false, true) => BlackRelation::BWithA,
            (false, false) => BlackRelation::No,
        }
    }

    /// `(From blocks To, To blocks From)`, or `None` for a value this crate does not know.
    pub fn directions(&self) -> Option<(bool, bool)> {
        match self {
            BlackRelation::BothWay => Some((true, true)),
            BlackRelation::AWithB => Some((true, false)),
            BlackRelation::BWithA => Some((false, true)),
            BlackRelation::No => Some((false, false)),
            BlackRelation::Other(_) => None,
        }
    }
}

impl FriendRelation {
    pub fn from_directions(a_has_b: bool, b_has_a: bool) -> FriendRelation {
        match (a_has_b, b_has_a) {
            (true, true) => FriendRelation::BothWay,
            (true, false) => FriendRelation::AWithB,
            (false, true) => FriendRelation::BWithA,
            (false, false) => FriendRelation::NoRelation,
        }
    }
}

// ---------------------------------------------------------------- blocklist add / delete

/// Body of black_list_add and black_list_delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlackListChangeRequest {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "To_Account", default, deserialize_with = "null_as_default")]
    pub to_account: Vec<String>,
}

/// One account's outcome in an add or delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultItem {
    #[serde(rename = "To_Account", default, deserialize_with = "null_as_default")]
    pub to_account: String,
    /// [`crate::tim::codes::Local::NoResultCode`]'s code when the item carries none: never a success.
    #[serde(
        rename = "ResultCode",
        default = "absent_result_code",
        deserialize_with = "result_code_or_absent"
    )]
    pub result_code: i64,
    #[serde(rename = "ResultInfo", default, deserialize_with = "info_text")]
    pub result_info: String,
}

impl ResultItem {
    pub fn ok(to: impl Into<String>) -> ResultItem {
        ResultItem {
            to_account: to.into(),
            result_code: 0,
            result_info: String::new(),
        }
    }

    pub fn fail(to: impl Into<String>, code: i64, info: impl Into<String>) -> ResultItem {
        ResultItem {
            to_account: to.into(),
            result_code: code,
            result_info: info.into(),
        }
    }
}

/// Response of black_list_add and black_list_delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BlackListChangeResponse {
    #[serde(rename = "ResultItem", default, deserialize_with = "null_as_default")]
    pub result_item: Vec<ResultItem>,
    #[serde(
        rename = "Fail_Account",
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub fail_account: Vec<String>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

// ---------------------------------------------------------------- blocklist get

/// Body of black_list_get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlackListGetRequest {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "StartIndex", default)]
    pub start_index: u64,
    #[serde(rename = "MaxLimited", default)]
    pub max_limited: u64,
    #[serde(rename = "LastSequence", default)]
    pub last_sequence: u64,
}

/// One blocklist entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlackListItem {
    #[serde(rename = "To_Account", default, deserialize_with = "null_as_default")]
    pub to_account: String,
    /// When the entry was added, in Unix seconds.
    #[serde(
        rename = "AddBlackTimeStamp",
        default,
        deserialize_with = "null_as_default"
    )]
    pub add_black_time_stamp: u64,
}

/// Response of black_list_get. `start_index` is where the next page starts; 0 means the list is complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(from = "RawBlackListGetResponse")]
pub struct BlackListGetResponse {
    #[serde(rename = "BlackListItem")]
    pub black_list_item: Vec<BlackListItem>,
    #[serde(rename = "StartIndex")]
    pub start_index: u64,
    /// Serialised with the documented spelling `CurruentSequence`; `CurrentSequence` is read too.
    #[serde(rename = "CurruentSequence")]
    pub current_sequence: u64,
    #[serde(flatten)]
    pub envelope: Envelope,
}

/// Both spellings of the sequence field are accepted, even together (the documented one wins).
#[derive(Deserialize)]
struct RawBlackListGetResponse {
    #[serde(
        rename = "BlackListItem",
        default,
        deserialize_with = "null_as_default"
    )]
    black_list_item: Vec<BlackListItem>,
    #[serde(rename = "StartIndex", default, deserialize_with = "null_as_default")]
    start_index: u64,
    #[serde(rename = "CurruentSequence", default)]
    curruent_sequence: Option<u64>,
    #[serde(rename = "CurrentSequence", default)]
    current_sequence: Option<u64>,
    #[serde(flatten)]
    envelope: Envelope,
}

impl From<RawBlackListGetResponse> for BlackListGetResponse {
    fn from(raw: RawBlackListGetResponse) -> Self {
        BlackListGetResponse {
            black_list_item: raw.black_list_item,
            start_index: raw.start_index,
            current_sequence: raw.curruent_sequence.or(raw.current_sequence).unwrap_or(0),
            envelope: raw.envelope,
        }
    }
}

// ---------------------------------------------------------------- blocklist check

/// Body of black_list_check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlackListCheckRequest {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "To_Account", default, deserialize_with = "null_as_default")]
    pub to_account: Vec<String>,
    #[serde(rename = "CheckType")]
    pub check_type: BlackCheckType,
}

/// One account's relation in black_list_check. A failed item still carries `_NO`: read the code first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlackListCheckItem {
    #[serde(rename = "To_Account", default, deserialize_with = "null_as_default")]
    pub to_account: String,
    #[serde(rename = "Relation", default = "unknown_black_relation")]
    pub relation: BlackRelation,
    /// [`crate::tim::codes::Local::NoResultCode`]'s code when the item carries none: never a success.
    #[serde(
        rename = "ResultCode",
        default = "absent_result_code",
        deserialize_with = "result_code_or_absent"
    )]
    pub result_code: i64,
    #[serde(rename = "ResultInfo", default, deserialize_with = "info_text")]
    pub result_info: String,
}

fn unknown_black_relation() -> BlackRelation {
    BlackRelation::Other(String::new())
}

/// Response of black_list_check: note the array is `BlackListCheckItem`, not `ResultItem`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BlackListCheckResponse {
    #[serde(
        rename = "BlackListCheckItem",
        default,
        deserialize_with = "null_as_default"
    )]
    pub black_list_check_item: Vec<BlackListCheckItem>,
    #[serde(
        rename = "Fail_Account",
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub fail_account: Vec<String>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

// ---------------------------------------------------------------- friend check / get

/// Body of friend_check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendCheckRequest {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "To_Account", default, deserialize_with = "null_as_default")]
    pub to_account: Vec<String>,
    #[serde(rename = "CheckType")]
    pub check_type: FriendCheckType,
}

/// One account's friendship in friend_check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendCheckItem {
    #[serde(rename = "To_Account", default, deserialize_with = "null_as_default")]
    pub to_account: String,
    #[serde(rename = "Relation", default = "unknown_friend_relation")]
    pub relation: FriendRelation,
    /// [`crate::tim::codes::Local::NoResultCode`]'s code when the item carries none: never a success.
    #[serde(
        rename = "ResultCode",
        default = "absent_result_code",
        deserialize_with = "result_code_or_absent"
    )]
    pub result_code: i64,
    #[serde(rename = "ResultInfo", default, deserialize_with = "info_text")]
    pub result_info: String,
}

fn unknown_friend_relation() -> FriendRelation {
    FriendRelation::Other(String::new())
}

/// Response of friend_check: the array is `InfoItem`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FriendCheckResponse {
    #[serde(rename = "InfoItem", default, deserialize_with = "null_as_default")]
    pub info_item: Vec<FriendCheckItem>,
    #[serde(
        rename = "Fail_Account",
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub fail_account: Vec<String>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

/// Body of friend_get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendGetRequest {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(rename = "StartIndex", default)]
    pub start_index: u64,
    #[serde(rename = "StandardSequence", default)]
    pub standard_sequence: u64,
    #[serde(rename = "CustomSequence", default)]
    pub custom_sequence: u64,
}

/// A `{Tag, Value}` pair of friend or profile data. Values are strings, integers or arrays by tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagValue {
    #[serde(rename = "Tag", default, deserialize_with = "null_as_default")]
    pub tag: String,
    #[serde(rename = "Value", default)]
    pub value: serde_json::Value,
}

impl TagValue {
    pub fn new(tag: impl Into<String>, value: impl Into<serde_json::Value>) -> TagValue {
        TagValue {
            tag: tag.into(),
            value: value.into(),
        }
    }
}

/// Friend-data tag: when the friendship was added (Unix seconds).
pub const TAG_FRIEND_ADD_TIME: &str = "Tag_SNS_IM_AddTime";
/// Profile tag: nickname (free text chosen by the end user: untrusted).
pub const TAG_NICK: &str = "Tag_Profile_IM_Nick";
/// Profile tag: whether the user is barred from sending friend requests.
pub const TAG_ADMIN_FORBID: &str = "Tag_Profile_IM_AdminForbidType";
pub const ADMIN_FORBID_NONE: &str = "AdminForbid_Type_None";
pub const ADMIN_FORBID_SEND_OUT: &str = "AdminForbid_Type_SendOut";

/// One friend in friend_get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDataItem {
    #[serde(rename = "To_Account", default, deserialize_with = "null_as_default")]
    pub to_account: String,
    #[serde(rename = "ValueItem", default, deserialize_with = "null_as_default")]
    pub value_item: Vec<TagValue>,
}

/// Response of friend_get. `complete_flag` non-zero means the last page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FriendGetResponse {
    #[serde(rename = "UserDataItem", default, deserialize_with = "null_as_default")]
    pub user_data_item: Vec<UserDataItem>,
    #[serde(
        rename = "StandardSequence",
        default,
        deserialize_with = "null_as_default"
    )]
    pub standard_sequence: u64,
    #[serde(
        rename = "CustomSequence",
        default,
        deserialize_with = "null_as_default"
    )]
    pub custom_sequence: u64,
    #[serde(rename = "FriendNum", default, deserialize_with = "null_as_default")]
    pub friend_num: u64,
    #[serde(rename = "CompleteFlag", default, deserialize_with = "null_as_default")]
    pub complete_flag: u64,
    #[serde(
        rename = "NextStartIndex",
        default,
        deserialize_with = "null_as_default"
    )]
    pub next_start_index: u64,
    #[serde(flatten)]
    pub envelope: Envelope,
}

// ---------------------------------------------------------------- account check

/// Body of account_check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCheckRequest {
    #[serde(rename = "CheckItem", default, deserialize_with = "null_as_default")]
    pub check_item: Vec<AccountCheckEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCheckEntry {
    #[serde(rename = "UserID")]
    pub user_id: String,
}

/// One account's status in account_check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCheckItem {
    #[serde(rename = "UserID", default, deserialize_with = "null_as_default")]
    pub user_id: String,
    /// [`crate::tim::codes::Local::NoResultCode`]'s code when the item carries none: never a success.
    #[serde(
        rename = "ResultCode",
        default = "absent_result_code",
        deserialize_with = "result_code_or_absent"
    )]
    pub result_code: i64,
    #[serde(rename = "ResultInfo", default, deserialize_with = "info_text")]
    pub result_info: String,
    #[serde(rename = "AccountStatus", default = "unknown_account_status")]
    pub account_status: AccountStatus,
}

fn unknown_account_status() -> AccountStatus {
    AccountStatus::Other(String::new())
}

/// Response of account_check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AccountCheckResponse {
    #[serde(rename = "ResultItem", default, deserialize_with = "null_as_default")]
    pub result_item: Vec<AccountCheckItem>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

// ---------------------------------------------------------------- portrait get

/// Body of portrait_get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortraitGetRequest {
    #[serde(rename = "To_Account", default, deserialize_with = "null_as_default")]
    pub to_account: Vec<String>,
    #[serde(rename = "TagList", default, deserialize_with = "null_as_default")]
    pub tag_list: Vec<String>,
}

/// One account's profile in portrait_get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfileItem {
    #[serde(rename = "To_Account", default, deserialize_with = "null_as_default")]
    pub to_account: String,
    #[serde(rename = "ProfileItem", default, deserialize_with = "null_as_default")]
    pub profile_item: Vec<TagValue>,
    /// [`crate::tim::codes::Local::NoResultCode`]'s code when the item carries none: never a success.
    #[serde(
        rename = "ResultCode",
        default = "absent_result_code",
        deserialize_with = "result_code_or_absent"
    )]
    pub result_code: i64,
    #[serde(rename = "ResultInfo", default, deserialize_with = "info_text")]
    pub result_info: String,
}

impl UserProfileItem {
    /// The value of a tag as a string, when present and a string.
    pub fn tag_str(&self, tag: &str) -> Option<&str> {
        self.profile_item
            .iter()
            .find(|item| item.tag == tag)
            .and_then(|item| item.value.as_str())
    }
}

/// Response of portrait_get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PortraitGetResponse {
    #[serde(
        rename = "UserProfileItem",
        default,
        deserialize_with = "null_as_default"
    )]
    pub user_profile_item: Vec<UserProfileItem>,
    #[serde(
        rename = "Fail_Account",
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub fail_account: Vec<String>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

/// Every response type exposes its envelope, so a client can check the outcome generically.
pub trait Response: DeserializeOwned + Serialize {
    fn envelope(&self) -> &Envelope;
}

macro_rules! impl_response {
    ($($ty:ty),+) => {
        $(impl Response for $ty {
            fn envelope(&self) -> &Envelope {
                &self.envelope
            }
        })+
    };
}

impl_response!(
    ErrorResponse,
    BlackListChangeResponse,
    BlackListGetResponse,
    BlackListCheckResponse,
    FriendCheckResponse,
    FriendGetResponse,
    AccountCheckResponse,
    PortraitGetResponse
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absence_is_never_success() {
        let e: Envelope = serde_json::from_value(json!({})).unwrap();
        assert!(!e.is_ok());
        assert_eq!(e.failure().0, -7);
        let e: Envelope = serde_json::from_value(json!({"ErrorCode": null})).unwrap();
        assert!(!e.is_ok());
        let e: Envelope = serde_json::from_value(json!({"ActionStatus": "OK"})).unwrap();
        assert!(e.is_ok());
        let e: Envelope = serde_json::from_value(json!({"ActionStatus": "FAIL"})).unwrap();
        assert!(!e.is_ok());
        assert_eq!(e.failure().0, -7);
        let e: Envelope = serde_json::from_value(json!({"ErrorCode": 0})).unwrap();
        assert!(e.is_ok());
        assert!(serde_json::from_value::<Envelope>(json!({"ErrorCode": "0"})).is_err());
        let item: ResultItem = serde_json::from_value(json!({"To_Account": "b"})).unwrap();
        assert_eq!(item.result_code, -6);
        let item: ResultItem =
            serde_json::from_value(json!({"To_Account": "b", "ResultCode": null})).unwrap();
        assert_eq!(item.result_code, -6);
        let item: BlackListCheckItem = serde_json::from_value(
            json!({"To_Account": "b", "Relation": "BlackCheckResult_Type_NO"}),
        )
        .unwrap();
        assert_eq!(item.result_code, -6);
    }
    use serde_json::json;

    #[test]
    fn pasted_bodies_with_unicode_spaces_parse() {
        let body =
            "\u{feff}{\n\u{a0}\"From_Account\":\"id\",\n\u{a0}\"To_Account\":[\"a\u{a0}b\"]\n}";
        let req: BlackListChangeRequest = from_slice_lenient(body.as_bytes()).unwrap();
        assert_eq!(req.from_account, "id");
        // A no-break space inside a string is data and stays.
        assert_eq!(req.to_account, vec!["a\u{a0}b"]);
        assert!(from_slice_lenient::<serde_json::Value>(b"{\"a\": }").is_err());
    }

    #[test]
    fn api_paths_round_trip() {
        for api in Api::ALL {
            assert_eq!(Api::from_path(api.path()), Some(api));
            assert_eq!(Api::from_path(&format!("/v4/{}", api.path())), Some(api));
        }
        assert_eq!(Api::from_path("sns/black_list_nope"), None);
        assert_eq!(Api::AccountCheck.default_rate_limit(), 100);
        assert_eq!(Api::AccountCheck.rate_limit(200), 100);
        assert_eq!(Api::AccountCheck.rate_limit(1), 1);
        assert_eq!(Api::BlackListAdd.rate_limit(500), 500);
        assert_eq!(Api::BlackListAdd.rate_limit(0), 0);
        assert_eq!(Api::BlackListAdd.command(), "black_list_add");
    }

    #[test]
    fn both_sequence_spellings_are_read() {
        let documented: BlackListGetResponse =
            serde_json::from_value(json!({"CurruentSequence": 13, "StartIndex": 0})).unwrap();
        let corrected: BlackListGetResponse =
            serde_json::from_value(json!({"CurrentSequence": 14})).unwrap();
        let both: BlackListGetResponse = serde_json::from_value(
            json!({"CurrentSequence": 14, "CurruentSequence": 15, "ActionStatus": "OK"}),
        )
        .unwrap();
        assert_eq!(documented.current_sequence, 13);
        assert_eq!(corrected.current_sequence, 14);
        assert_eq!(both.current_sequence, 15);
        let out = serde_json::to_value(&corrected).unwrap();
        assert_eq!(out["CurruentSequence"], 14);
        assert!(out.get("CurrentSequence").is_none());
    }

    #[test]
    fn absent_and_null_arrays_read_as_empty() {
        let absent: BlackListGetResponse =
            serde_json::from_value(json!({"StartIndex": 0, "ActionStatus": "OK", "ErrorCode": 0}))
                .unwrap();
        assert!(absent.black_list_item.is_empty());
        let null: BlackListChangeResponse =
            serde_json::from_value(json!({"ResultItem": null, "Fail_Account": null})).unwrap();
        assert!(null.result_item.is_empty() && null.fail_account.is_empty());
        let bare: BlackListCheckResponse = serde_json::from_value(json!({})).unwrap();
        assert!(bare.black_list_check_item.is_empty());
    }

    #[test]
    fn unknown_fields_are_ignored_and_unknown_values_kept() {
        let resp: BlackListCheckResponse = serde_json::from_value(json!({
            "BlackListCheckItem": [
                {"To_Account": "a", "Relation": "BlackCheckResult_Type_Sideways", "ResultCode": 0, "ResultInfo": "", "Extra": 1},
                {"To_Account": "b", "Relation": "BlackCheckResult_Type_BothWay", "ResultCode": 0, "ResultInfo": ""}
            ],
            "Invalid_Account": ["zz"],
            "ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""
        }))
        .unwrap();
        assert_eq!(
            resp.black_list_check_item[0].relation,
            BlackRelation::Other("BlackCheckResult_Type_Sideways".into())
        );
        assert_eq!(
            resp.black_list_check_item[1].relation,
            BlackRelation::BothWay
        );
        let back = serde_json::to_value(&resp).unwrap();
        assert_eq!(
            back["BlackListCheckItem"][0]["Relation"],
            "BlackCheckResult_Type_Sideways"
        );
        let req: BlackListCheckRequest = serde_json::from_value(
            json!({"From_Account": "a", "To_Account": ["b"], "CheckType": "Something_New"}),
        )
        .unwrap();
        assert_eq!(req.check_type.as_str(), "Something_New");
    }

    #[test]
    fn relations_from_directions() {
        for (a, b) in [(true, true), (true, false), (false, true), (false, false)] {
            assert_eq!(
                BlackRelation::from_directions(a, b).directions(),
                Some((a, b))
            );
        }
        assert_eq!(
            FriendRelation::from_directions(false, false),
            FriendRelation::NoRelation
        );
    }

    #[test]
    fn fail_account_only_when_something_failed() {
        let ok = BlackListChangeResponse {
            result_item: vec![ResultItem::ok("a")],
            fail_account: vec![],
            envelope: Envelope::ok(),
        };
        let v = serde_json::to_value(&ok).unwrap();
        assert!(v.get("Fail_Account").is_none());
        assert_eq!(v["ErrorDisplay"], "");
        assert!(ok.envelope.is_ok());
        assert!(!Envelope::fail(60007, "x").is_ok());
    }

    #[test]
    fn envelope_only_error_responses_parse_as_any_response() {
        let long = format!(
            r#"{{"ActionStatus":"FAIL","ErrorCode":70001,"ErrorInfo":"{}"}}"#,
            "é".repeat(100_000)
        );
        let resp: ErrorResponse = serde_json::from_str(&long).unwrap();
        assert_eq!(resp.envelope.error_info.chars().count(), MAX_INFO_CHARS + 1);
        assert!(resp.envelope.error_info.ends_with("é…"));
        let text = r#"{"ActionStatus":"FAIL","ErrorCode":70001,"ErrorInfo":"usersig expired"}"#;
        let resp: BlackListGetResponse = serde_json::from_str(text).unwrap();
        assert_eq!(resp.envelope.error_code, 70001);
        assert!(!resp.envelope.is_ok());
        let resp: PortraitGetResponse = serde_json::from_str(text).unwrap();
        assert_eq!(resp.envelope.error_info, "usersig expired");
    }
}
