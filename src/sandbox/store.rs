//! The sandbox's state and the rules of the blocklist and friendship calls, free of HTTP.
//!
//! Semantics follow the documented service: blocking removes a friendship both ways; a blocklist holds
//! at most 1000 entries; adding an entry that exists fails with 30001 `Err_SNS_BlackListAdd_Already_Exist`;
//! deleting one that does not exist fails with 30001 `Err_SNS_BlackListDelete_Not_Exist`; unknown
//! accounts fail with 30003; `Fail_Account` is present only when an item failed; black_list_get pages in
//! the order entries were added; every change raises the user's blocklist sequence.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::tim::codes;
use crate::tim::ids::elide;
use crate::tim::wire::{
    self, AccountCheckItem, AccountCheckRequest, AccountCheckResponse, AccountStatus,
    BlackCheckType, BlackListChangeRequest, BlackListChangeResponse, BlackListCheckItem,
    BlackListCheckRequest, BlackListCheckResponse, BlackListGetRequest, BlackListGetResponse,
    BlackListItem, BlackRelation, Envelope, FriendCheckItem, FriendCheckRequest,
    FriendCheckResponse, FriendCheckType, FriendGetRequest, FriendGetResponse, FriendRelation,
    PortraitGetRequest, PortraitGetResponse, ResultItem, TagValue, UserDataItem, UserProfileItem,
};

/// Friends returned per friend_get page.
pub const FRIEND_PAGE: usize = 100;

/// `ResultInfo` texts of the per-item failures the sandbox produces.
pub const INFO_ACCOUNT_NOT_EXIST: &str = "Err_SNS_Account_Not_Exist";
pub const INFO_ADD_SELF: &str = "Err_SNS_BlackListAdd_Self";
pub const INFO_ADD_FULL: &str = "Err_SNS_BlackListAdd_Count_Exceed_Limit";
pub const INFO_PROFILE_NOT_EXIST: &str = "Err_Profile_Account_Not_Exist";

/// Profile service: bad parameter (portrait_get).
pub const PROFILE_BAD_PARAMETER: i64 = 40001;
/// Profile service: account does not exist (portrait_get item).
pub const PROFILE_NO_ACCOUNT: i64 = 40003;

/// The seed (and state-file) format: accounts, directed friendships, and blocklist entries in the
/// order they were added.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Seed {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Accounts worth a first look, each with what it shows: the dashboard's lookup line names
    /// them before the first lookup (`blockdeck demo`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggest: Vec<SeedSuggestion>,
    #[serde(default)]
    pub accounts: Vec<SeedAccount>,
    #[serde(default)]
    pub friends: Vec<SeedEdge>,
    #[serde(default)]
    pub blocks: Vec<SeedEdge>,
    /// Blocklist sequences, present in state files so that sequences keep growing across restarts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sequences: Vec<SeedSequence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedAccount {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin_forbid: bool,
}

/// An account the lookup line suggests, and what looking it up shows (`"a full list"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedSuggestion {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub shows: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedEdge {
    pub from: String,
    pub to: String,
    pub time: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedSequence {
    pub id: String,
    pub blocklist: u64,
    pub friends: u64,
}

/// The embedded demo seed.
pub const DEMO_SEED: &str = include_str!("../../assets/demo.json");

impl Seed {
    pub fn demo() -> Seed {
        Seed::from_json(DEMO_SEED).expect("the embedded demo seed is valid")
    }

    pub fn from_json(text: &str) -> Result<Seed, String> {
        serde_json::from_str(text).map_err(|e| format!("not a valid seed file: {e}"))
    }
}

#[derive(Debug, Clone, Default)]
struct Account {
    nick: Option<String>,
    admin_forbid: bool,
    /// Blocked account → when it was added, in the order added.
    blocks: IndexMap<String, u64>,
    block_seq: u64,
    /// Friend → since when, in the order added. Directed: "this account has that one as a friend".
    friends: IndexMap<String, u64>,
    friend_seq: u64,
}

/// Counts of what the store holds, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub accounts: usize,
    pub blocks: usize,
    pub friendships: usize,
}

/// The whole state of the sandboxed app.
#[derive(Debug, Default)]
pub struct Store {
    accounts: HashMap<String, Account>,
    /// Account IDs in seed order, so that snapshots are stable.
    order: Vec<String>,
    /// Friendships ended by blocks since [`Store::take_unfriended`] was last called: (the
    /// account whose friend list lost the other, the other).
    unfriended: Vec<(String, String)>,
}

/// A request-level failure: the whole call fails with this code and nothing is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    pub code: i64,
    pub info: String,
}

impl CallError {
    pub fn new(code: i64, info: impl Into<String>) -> CallError {
        CallError {
            code,
            info: info.into(),
        }
    }

    pub fn envelope(&self) -> Envelope {
        Envelope::fail(self.code, self.info.clone())
    }
}

/// Decides, item by item, whether an injected fault strikes (returns its code) or not.
pub type ItemFaults<'a> = &'a mut dyn FnMut() -> Option<i64>;

/// One item's `(A→B, B→A)`, or its failure code and text.
type ItemDirections = Result<(bool, bool), (i64, String)>;

const SNS_BAD_PARAMETER: i64 = 30001;
const SNS_NO_ACCOUNT: i64 = 30003;
const SNS_LIST_FULL: i64 = 30013;

fn fault_info(code: i64) -> String {
    let meaning = codes::lookup(code).meaning;
    format!("Err_SNS_Injected_Fault: {meaning} (sandbox fault injection)")
}

fn check_batch(len: usize, max: usize) -> Result<(), CallError> {
    if len == 0 {
        return Err(CallError::new(
            SNS_BAD_PARAMETER,
            "To_Account is empty: pass at least one UserID",
        ));
    }
    if len > max {
        return Err(CallError::new(
            SNS_BAD_PARAMETER,
            format!("To_Account has {len} entries; at most {max} are allowed per call"),
        ));
    }
    Ok(())
}

impl Store {
    /// Builds the state from a seed, checking that it is consistent.
    pub fn from_seed(seed: &Seed) -> Result<Store, String> {
        let mut store = Store::default();
        for acc in &seed.accounts {
            if let Err(e) = crate::tim::ids::validate(&acc.id) {
                return Err(format!("seed account \"{}\": {e}", elide(&acc.id)));
            }
            if store.accounts.contains_key(&acc.id) {
                return Err(format!(
                    "seed account \"{}\" is listed twice",
                    elide(&acc.id)
                ));
            }
            store.order.push(acc.id.clone());
            store.accounts.insert(
                acc.id.clone(),
                Account {
                    nick: acc.nick.clone(),
                    admin_forbid: acc.admin_forbid,
                    ..Account::default()
                },
            );
        }
        for edge in &seed.friends {
            store.check_edge("friendship", edge)?;
            let acc = store.accounts.get_mut(&edge.from).expect("checked");
            acc.friends.insert(edge.to.clone(), edge.time);
            acc.friend_seq += 1;
        }
        for edge in &seed.blocks {
            store.check_edge("block", edge)?;
            let acc = store.accounts.get_mut(&edge.from).expect("checked");
            if acc.blocks.len() >= wire::MAX_BLOCKLIST {
                return Err(format!(
                    "seed blocklist of {:?} exceeds {} entries",
                    edge.from,
                    wire::MAX_BLOCKLIST
                ));
            }
            acc.blocks.insert(edge.to.clone(), edge.time);
            acc.block_seq += 1;
        }
        for seq in &seed.sequences {
            if let Some(acc) = store.accounts.get_mut(&seq.id) {
                acc.block_seq = acc.block_seq.max(seq.blocklist);
                acc.friend_seq = acc.friend_seq.max(seq.friends);
            }
        }
        Ok(store)
    }

    fn check_edge(&self, what: &str, edge: &SeedEdge) -> Result<(), String> {
        for id in [&edge.from, &edge.to] {
            if !self.accounts.contains_key(id) {
                return Err(format!(
                    "seed {what} \"{}\" → \"{}\": no account \"{}\"",
                    elide(&edge.from),
                    elide(&edge.to),
                    elide(id)
                ));
            }
        }
        if edge.from == edge.to {
            return Err(format!("seed {what} of {:?} with itself", edge.from));
        }
        Ok(())
    }

    /// The state in seed form (accounts in seed order, then any added later, each list in its order).
    pub fn snapshot(&self) -> Seed {
        let mut seed = Seed {
            description: "blockdeck sandbox state".to_owned(),
            ..Seed::default()
        };
        for id in &self.order {
            let acc = &self.accounts[id];
            seed.accounts.push(SeedAccount {
                id: id.clone(),
                nick: acc.nick.clone(),
                admin_forbid: acc.admin_forbid,
            });
            for (to, &time) in &acc.friends {
                seed.friends.push(SeedEdge {
                    from: id.clone(),
                    to: to.clone(),
                    time,
                });
            }
            for (to, &time) in &acc.blocks {
                seed.blocks.push(SeedEdge {
                    from: id.clone(),
                    to: to.clone(),
                    time,
                });
            }
            seed.sequences.push(SeedSequence {
                id: id.clone(),
                blocklist: acc.block_seq,
                friends: acc.friend_seq,
            });
        }
        seed
    }

    pub fn stats(&self) -> Stats {
        Stats {
            accounts: self.accounts.len(),
            blocks: self.accounts.values().map(|a| a.blocks.len()).sum(),
            friendships: self.accounts.values().map(|a| a.friends.len()).sum(),
        }
    }

    pub fn exists(&self, id: &str) -> bool {
        self.accounts.contains_key(id)
    }

    /// Whether `from` has `to` on its blocklist.
    pub fn blocks(&self, from: &str, to: &str) -> bool {
        self.accounts
            .get(from)
            .is_some_and(|a| a.blocks.contains_key(to))
    }

    /// The friendships blocks ended since the last call, in the order they ended.
    pub fn take_unfriended(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.unfriended)
    }

    /// Whether `from` has `to` as a friend.
    pub fn is_friend(&self, from: &str, to: &str) -> bool {
        self.accounts
            .get(from)
            .is_some_and(|a| a.friends.contains_key(to))
    }

    /// The blocklist of `from`, in the order added.
    pub fn blocklist(&self, from: &str) -> Vec<String> {
        self.accounts
            .get(from)
            .map(|a| a.blocks.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn check_from(&self, from: &str) -> Result<(), CallError> {
        if from.is_empty() {
            return Err(CallError::new(
                SNS_BAD_PARAMETER,
                "From_Account is empty: pass the UserID whose blocklist to use",
            ));
        }
        if !self.accounts.contains_key(from) {
            return Err(CallError::new(
                SNS_NO_ACCOUNT,
                format!("From_Account \"{}\" does not exist", elide(from)),
            ));
        }
        Ok(())
    }

    /// black_list_add. Returns whether anything changed, with the response.
    pub fn black_list_add(
        &mut self,
        req: &BlackListChangeRequest,
        now: u64,
        faults: ItemFaults<'_>,
    ) -> Result<(BlackListChangeResponse, bool), CallError> {
        self.check_from(&req.from_account)?;
        check_batch(req.to_account.len(), wire::MAX_BATCH)?;
        let from = req.from_account.as_str();
        let mut items = Vec::with_capacity(req.to_account.len());
        let mut changed = false;
        for to in &req.to_account {
            let item = if !self.accounts.contains_key(to.as_str()) {
                ResultItem::fail(to, SNS_NO_ACCOUNT, INFO_ACCOUNT_NOT_EXIST)
            } else if to == from {
                ResultItem::fail(to, SNS_BAD_PARAMETER, INFO_ADD_SELF)
            } else if self.blocks(from, to) {
                ResultItem::fail(to, SNS_BAD_PARAMETER, codes::ADD_ALREADY_EXIST)
            } else if self.accounts[from].blocks.len() >= wire::MAX_BLOCKLIST {
                ResultItem::fail(to, SNS_LIST_FULL, INFO_ADD_FULL)
            } else if let Some(code) = faults() {
                ResultItem::fail(to, code, fault_info(code))
            } else {
                self.apply_block(from, to, now);
                changed = true;
                ResultItem::ok(to)
            };
            items.push(item);
        }
        Ok((change_response(items), changed))
    }

    fn apply_block(&mut self, from: &str, to: &str, now: u64) {
        let acc = self.accounts.get_mut(from).expect("from exists");
        acc.blocks.insert(to.to_owned(), now);
        acc.block_seq += 1;
        // Blocking removes the friendship both ways.
        if acc.friends.shift_remove(to).is_some() {
            acc.friend_seq += 1;
            self.unfriended.push((from.to_owned(), to.to_owned()));
        }
        let other = self.accounts.get_mut(to).expect("to exists");
        if other.friends.shift_remove(from).is_some() {
            other.friend_seq += 1;
            self.unfriended.push((to.to_owned(), from.to_owned()));
        }
    }

    /// black_list_delete. Returns whether anything changed, with the response.
    pub fn black_list_delete(
        &mut self,
        req: &BlackListChangeRequest,
        faults: ItemFaults<'_>,
    ) -> Result<(BlackListChangeResponse, bool), CallError> {
        self.check_from(&req.from_account)?;
        check_batch(req.to_account.len(), wire::MAX_BATCH)?;
        let from = req.from_account.as_str();
        let mut items = Vec::with_capacity(req.to_account.len());
        let mut changed = false;
        for to in &req.to_account {
            let item = if !self.accounts.contains_key(to.as_str()) {
                ResultItem::fail(to, SNS_NO_ACCOUNT, INFO_ACCOUNT_NOT_EXIST)
            } else if !self.blocks(from, to) {
                ResultItem::fail(to, SNS_BAD_PARAMETER, codes::DELETE_NOT_EXIST)
            } else if let Some(code) = faults() {
                ResultItem::fail(to, code, fault_info(code))
            } else {
                let acc = self.accounts.get_mut(from).expect("from exists");
                acc.blocks.shift_remove(to.as_str());
                acc.block_seq += 1;
                changed = true;
                ResultItem::ok(to)
            };
            items.push(item);
        }
        Ok((change_response(items), changed))
    }

    /// black_list_get: one page, in the order entries were added.
    pub fn black_list_get(
        &self,
        req: &BlackListGetRequest,
    ) -> Result<BlackListGetResponse, CallError> {
        self.check_from(&req.from_account)?;
        if req.max_limited == 0 || req.max_limited > wire::MAX_PAGE {
            return Err(CallError::new(
                SNS_BAD_PARAMETER,
                format!(
                    "MaxLimited is {}; it must be between 1 and {}",
                    req.max_limited,
                    wire::MAX_PAGE
                ),
            ));
        }
        let acc = &self.accounts[req.from_account.as_str()];
        let total = acc.blocks.len();
        let start = usize::try_from(req.start_index)
            .unwrap_or(usize::MAX)
            .min(total);
        let end = start.saturating_add(req.max_limited as usize).min(total);
        let items = acc
            .blocks
            .get_range(start..end)
            .map(|slice| {
                slice
                    .iter()
                    .map(|(to, &time)| BlackListItem {
                        to_account: to.clone(),
                        add_black_time_stamp: time,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(BlackListGetResponse {
            black_list_item: items,
            start_index: if end < total { end as u64 } else { 0 },
            current_sequence: acc.block_seq,
            envelope: Envelope::ok(),
        })
    }

    /// Both directions of a relation for each `To_Account`: `(A→B, B→A)` per item, or the item's
    /// failure. `holds(x, y)` is the directed relation; in Single mode B→A is never looked at.
    fn directions(
        &self,
        from: &str,
        to_accounts: &[String],
        both: bool,
        faults: ItemFaults<'_>,
        holds: fn(&Store, &str, &str) -> bool,
    ) -> Result<Vec<(String, ItemDirections)>, CallError> {
        self.check_from(from)?;
        check_batch(to_accounts.len(), wire::MAX_BATCH)?;
        Ok(to_accounts
            .iter()
            .map(|to| {
                let outcome = if !self.accounts.contains_key(to.as_str()) {
                    Err((SNS_NO_ACCOUNT, INFO_ACCOUNT_NOT_EXIST.to_owned()))
                } else if let Some(code) = faults() {
                    Err((code, fault_info(code)))
                } else {
                    Ok((holds(self, from, to), both && holds(self, to, from)))
                };
                (to.clone(), outcome)
            })
            .collect())
    }

    /// black_list_check in Both or Single mode. A failed item carries `_NO` and is in `Fail_Account`.
    pub fn black_list_check(
        &self,
        req: &BlackListCheckRequest,
        faults: ItemFaults<'_>,
    ) -> Result<BlackListCheckResponse, CallError> {
        let both = match &req.check_type {
            BlackCheckType::Both => true,
            BlackCheckType::Single => false,
            BlackCheckType::Other(other) => {
                return Err(bad_check_type(other, "BlackCheckResult_Type"));
            }
        };
        let mut resp = BlackListCheckResponse {
            envelope: Envelope::ok(),
            ..Default::default()
        };
        for (to, outcome) in self.directions(
            &req.from_account,
            &req.to_account,
            both,
            faults,
            Store::blocks,
        )? {
            let (relation, code, info) = match outcome {
                Ok((ab, ba)) => (BlackRelation::from_directions(ab, ba), 0, String::new()),
                Err((code, info)) => {
                    resp.fail_account.push(to.clone());
                    (BlackRelation::No, code, info)
                }
            };
            resp.black_list_check_item.push(BlackListCheckItem {
                to_account: to,
                relation,
                result_code: code,
                result_info: info,
            });
        }
        Ok(resp)
    }

    /// friend_check in Both or Single mode.
    pub fn friend_check(
        &self,
        req: &FriendCheckRequest,
        faults: ItemFaults<'_>,
    ) -> Result<FriendCheckResponse, CallError> {
        let both = match &req.check_type {
            FriendCheckType::Both => true,
            FriendCheckType::Single => false,
            FriendCheckType::Other(other) => return Err(bad_check_type(other, "CheckResult_Type")),
        };
        let mut resp = FriendCheckResponse {
            envelope: Envelope::ok(),
            ..Default::default()
        };
        for (to, outcome) in self.directions(
            &req.from_account,
            &req.to_account,
            both,
            faults,
            Store::is_friend,
        )? {
            let (relation, code, info) = match outcome {
                Ok((ab, ba)) => (FriendRelation::from_directions(ab, ba), 0, String::new()),
                Err((code, info)) => {
                    resp.fail_account.push(to.clone());
                    (FriendRelation::NoRelation, code, info)
                }
            };
            resp.info_item.push(FriendCheckItem {
                to_account: to,
                relation,
                result_code: code,
                result_info: info,
            });
        }
        Ok(resp)
    }

    /// friend_get: pages of [`FRIEND_PAGE`] friends with their add time.
    pub fn friend_get(&self, req: &FriendGetRequest) -> Result<FriendGetResponse, CallError> {
        self.check_from(&req.from_account)?;
        let acc = &self.accounts[req.from_account.as_str()];
        let total = acc.friends.len();
        let start = usize::try_from(req.start_index)
            .unwrap_or(usize::MAX)
            .min(total);
        let end = start.saturating_add(FRIEND_PAGE).min(total);
        let items = acc
            .friends
            .get_range(start..end)
            .map(|slice| {
                slice
                    .iter()
                    .map(|(to, &time)| UserDataItem {
                        to_account: to.clone(),
                        value_item: vec![TagValue::new(wire::TAG_FRIEND_ADD_TIME, time)],
                    })
                    .collect()
            })
            .unwrap_or_default();
        let complete = end >= total;
        Ok(FriendGetResponse {
            user_data_item: items,
            standard_sequence: acc.friend_seq,
            custom_sequence: 0,
            friend_num: total as u64,
            complete_flag: u64::from(complete),
            next_start_index: if complete { 0 } else { end as u64 },
            envelope: Envelope::ok(),
        })
    }

    /// account_check: every ID answers Imported or NotImported.
    pub fn account_check(
        &self,
        req: &AccountCheckRequest,
    ) -> Result<AccountCheckResponse, CallError> {
        let n = req.check_item.len();
        if n == 0 || n > wire::MAX_PROFILE_BATCH {
            return Err(CallError::new(
                70206,
                format!(
                    "CheckItem has {n} entries; pass between 1 and {} per call",
                    wire::MAX_PROFILE_BATCH
                ),
            ));
        }
        let items = req
            .check_item
            .iter()
            .map(|entry| AccountCheckItem {
                user_id: entry.user_id.clone(),
                result_code: 0,
                result_info: String::new(),
                account_status: if self.exists(&entry.user_id) {
                    AccountStatus::Imported
                } else {
                    AccountStatus::NotImported
                },
            })
            .collect();
        Ok(AccountCheckResponse {
            result_item: items,
            envelope: Envelope::ok(),
        })
    }

    /// portrait_get: the requested tags the sandbox knows (nickname, admin forbid type).
    pub fn portrait_get(&self, req: &PortraitGetRequest) -> Result<PortraitGetResponse, CallError> {
        let n = req.to_account.len();
        if n == 0 || n > wire::MAX_PROFILE_BATCH {
            return Err(CallError::new(
                PROFILE_BAD_PARAMETER,
                format!(
                    "To_Account has {n} entries; pass between 1 and {} per call",
                    wire::MAX_PROFILE_BATCH
                ),
            ));
        }
        if req.tag_list.is_empty() {
            return Err(CallError::new(
                PROFILE_BAD_PARAMETER,
                "TagList is empty: name the profile tags to fetch, e.g. Tag_Profile_IM_Nick",
            ));
        }
        let mut resp = PortraitGetResponse {
            envelope: Envelope::ok(),
            ..Default::default()
        };
        for to in &req.to_account {
            let Some(acc) = self.accounts.get(to.as_str()) else {
                resp.fail_account.push(to.clone());
                resp.user_profile_item.push(UserProfileItem {
                    to_account: to.clone(),
                    profile_item: Vec::new(),
                    result_code: PROFILE_NO_ACCOUNT,
                    result_info: INFO_PROFILE_NOT_EXIST.to_owned(),
                });
                continue;
            };
            let mut profile = Vec::new();
            for tag in &req.tag_list {
                match tag.as_str() {
                    wire::TAG_NICK => {
                        profile.push(TagValue::new(tag, acc.nick.clone().unwrap_or_default()))
                    }
                    wire::TAG_ADMIN_FORBID => profile.push(TagValue::new(
                        tag,
                        if acc.admin_forbid {
                            wire::ADMIN_FORBID_SEND_OUT
                        } else {
                            wire::ADMIN_FORBID_NONE
                        },
                    )),
                    _ => {}
                }
            }
            resp.user_profile_item.push(UserProfileItem {
                to_account: to.clone(),
                profile_item: profile,
                result_code: 0,
                result_info: String::new(),
            });
        }
        Ok(resp)
    }
}

fn bad_check_type(value: &str, prefix: &str) -> CallError {
    CallError::new(
        SNS_BAD_PARAMETER,
        format!(
            "CheckType \"{}\" is not {prefix}_Both or {prefix}_Single",
            elide(value)
        ),
    )
}

fn change_response(items: Vec<ResultItem>) -> BlackListChangeResponse {
    let fail_account = items
        .iter()
        .filter(|i| i.result_code != 0)
        .map(|i| i.to_account.clone())
        .collect();
    BlackListChangeResponse {
        result_item: items,
        fail_account,
        envelope: Envelope::ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Store {
        let seed: Seed = serde_json::from_value(serde_json::json!({
            "accounts": [{"id": "a"}, {"id": "b", "nick": "Bee"}, {"id": "c"}, {"id": "d"}],
            "friends": [
                {"from": "a", "to": "b", "time": 1}, {"from": "b", "to": "a", "time": 1},
                {"from": "a", "to": "c", "time": 2}
            ],
            "blocks": [{"from": "c", "to": "d", "time": 5}]
        }))
        .unwrap();
        Store::from_seed(&seed).unwrap()
    }

    fn no_faults() -> impl FnMut() -> Option<i64> {
        || None
    }

    fn change(from: &str, to: &[&str]) -> BlackListChangeRequest {
        BlackListChangeRequest {
            from_account: from.into(),
            to_account: to.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn add_applies_rules_item_by_item() {
        let mut s = tiny();
        let (resp, changed) = s
            .black_list_add(&change("a", &["b", "b", "zz", "a"]), 100, &mut no_faults())
            .unwrap();
        assert!(changed);
        let codes: Vec<_> = resp
            .result_item
            .iter()
            .map(|i| (i.result_code, i.result_info.as_str()))
            .collect();
        assert_eq!(
            codes,
            vec![
                (0, ""),
                (30001, codes::ADD_ALREADY_EXIST),
                (30003, INFO_ACCOUNT_NOT_EXIST),
                (30001, INFO_ADD_SELF)
            ]
        );
        assert_eq!(resp.fail_account, vec!["b", "zz", "a"]);
        // Friendship removed both ways.
        assert!(!s.is_friend("a", "b") && !s.is_friend("b", "a"));
        assert!(s.is_friend("a", "c"));
    }

    #[test]
    fn delete_missing_entry_is_30001_not_exist() {
        let mut s = tiny();
        let (resp, changed) = s
            .black_list_delete(&change("c", &["d", "d"]), &mut no_faults())
            .unwrap();
        assert!(changed);
        assert_eq!(resp.result_item[0].result_code, 0);
        assert_eq!(resp.result_item[1].result_info, codes::DELETE_NOT_EXIST);
        assert!(s.blocklist("c").is_empty());
    }

    #[test]
    fn injected_item_faults_leave_items_unapplied() {
        let mut s = tiny();
        let mut n = 0;
        let mut every_other = || {
            n += 1;
            (n % 2 == 0).then_some(30008)
        };
        let (resp, _) = s
            .black_list_add(&change("a", &["c", "d"]), 1, &mut every_other)
            .unwrap();
        assert_eq!(resp.result_item[1].result_code, 30008);
        assert_eq!(s.blocklist("a"), vec!["c"]);
    }

    #[test]
    fn sequence_grows_with_every_change() {
        let mut s = tiny();
        let get = |s: &Store| {
            s.black_list_get(&BlackListGetRequest {
                from_account: "a".into(),
                start_index: 0,
                max_limited: 10,
                last_sequence: 0,
            })
            .unwrap()
            .current_sequence
        };
        let s0 = get(&s);
        s.black_list_add(&change("a", &["d"]), 1, &mut no_faults())
            .unwrap();
        let s1 = get(&s);
        s.black_list_delete(&change("a", &["d"]), &mut no_faults())
            .unwrap();
        let s2 = get(&s);
        assert!(s0 < s1 && s1 < s2);
    }

    #[test]
    fn snapshot_round_trips() {
        let mut s = tiny();
        s.black_list_add(&change("a", &["d"]), 9, &mut no_faults())
            .unwrap();
        let snap = s.snapshot();
        let again = Store::from_seed(&snap).unwrap();
        assert_eq!(again.snapshot(), snap);
        assert_eq!(again.stats(), s.stats());
    }

    #[test]
    fn inconsistent_seeds_are_refused() {
        let bad: Seed = serde_json::from_value(serde_json::json!({
            "accounts": [{"id": "a"}], "blocks": [{"from": "a", "to": "nobody", "time": 1}]
        }))
        .unwrap();
        assert!(Store::from_seed(&bad).unwrap_err().contains("nobody"));
    }
}
