//! An account's facts (does it exist, its nickname, its admin bar, how many friends), its
//! blocklist streamed page by page with the nicknames of each page, and its friends.

use std::collections::HashSet;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::client::engine::{Engine, ListOutcome, Page};
use crate::client::http::CallError;
use crate::tim::ids::UserId;
use crate::tim::wire::{
    self, AccountCheckEntry, AccountCheckRequest, AccountCheckResponse, AccountStatus, Api,
    FriendGetRequest, FriendGetResponse, PortraitGetRequest, PortraitGetResponse, UserProfileItem,
};

/// Pages of friend_get read at most (3000 friends fit in far fewer).
const MAX_FRIEND_PAGES: usize = 10_000;

/// The first facts about an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFacts {
    pub exists: bool,
    /// Raw nickname (untrusted text), `None` when empty or unknown.
    pub nick: Option<String>,
    /// Barred by the admin from sending friend requests.
    pub forbid_send: bool,
    /// How many friends, when friend_get answered.
    pub friends: Option<u64>,
}

/// A call's item that failed: an error naming the call, the accounts and the code.
pub(super) fn item_error(api: Api, whom: &str, code: i64, info: &str) -> CallError {
    let info = if info.is_empty() {
        format!("{api} for {whom} failed")
    } else {
        format!("{api} for {whom} failed: {info}")
    };
    CallError::Api { code, info }
}

/// Whether `id` exists, from account_check's answer. An answer without the account, or with a
/// status this build does not know, is an error, never "does not exist".
pub(super) fn existence(resp: &AccountCheckResponse, id: &UserId) -> Result<bool, CallError> {
    let item = resp
        .result_item
        .iter()
        .find(|i| i.user_id == id.as_str())
        .ok_or_else(|| {
            CallError::Decode(format!("account_check gave no answer for {}", id.as_str()))
        })?;
    match &item.account_status {
        AccountStatus::Imported => Ok(true),
        AccountStatus::NotImported => Ok(false),
        AccountStatus::Other(_) if item.result_code != 0 => Err(item_error(
            Api::AccountCheck,
            id.as_str(),
            item.result_code,
            &item.result_info,
        )),
        AccountStatus::Other(status) => Err(CallError::Decode(format!(
            "account_check answered an unknown AccountStatus {status:?} for {}",
            id.as_str()
        ))),
    }
}

/// A profile's nickname (empty reads as none) and admin bar.
pub(super) fn profile(item: Option<&UserProfileItem>) -> (Option<String>, bool) {
    let Some(item) = item else {
        return (None, false);
    };
    let nick = item
        .tag_str(wire::TAG_NICK)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let barred = item.tag_str(wire::TAG_ADMIN_FORBID) == Some(wire::ADMIN_FORBID_SEND_OUT);
    (nick, barred)
}

pub(super) fn account_check(ids: &[&str]) -> AccountCheckRequest {
    AccountCheckRequest {
        check_item: ids
            .iter()
            .map(|id| AccountCheckEntry {
                user_id: (*id).to_owned(),
            })
            .collect(),
    }
}

pub(super) fn portrait_get(ids: Vec<String>, forbid: bool) -> PortraitGetRequest {
    let mut tags = vec![wire::TAG_NICK.to_owned()];
    if forbid {
        tags.push(wire::TAG_ADMIN_FORBID.to_owned());
    }
    PortraitGetRequest {
        to_account: ids,
        tag_list: tags,
    }
}

fn friend_get(user: &UserId, start_index: u64) -> FriendGetRequest {
    FriendGetRequest {
        from_account: user.as_str().to_owned(),
        start_index,
        standard_sequence: 0,
        custom_sequence: 0,
    }
}

/// Looks `user` up: account_check, portrait_get (nickname and admin bar) and the first page of
/// friend_get (the friend count), concurrently. Whether the account exists decides success; a
/// profile or friend list that cannot be read leaves its fact unknown.
pub async fn account(engine: &Engine, user: &UserId) -> Result<AccountFacts, CallError> {
    let id = user.as_str();
    let (check, portrait, friends) = (
        account_check(&[id]),
        portrait_get(vec![id.to_owned()], true),
        friend_get(user, 0),
    );
    let (account, portrait, friends) = tokio::join!(
        engine.call::<_, AccountCheckResponse>(Api::AccountCheck, &check),
        engine.call::<_, PortraitGetResponse>(Api::PortraitGet, &portrait),
        engine.call::<_, FriendGetResponse>(Api::FriendGet, &friends),
    );
    let exists = existence(&account?, user)?;
    let item = portrait.ok().and_then(|p| {
        p.user_profile_item
            .into_iter()
            .find(|i| i.to_account == id && i.result_code == 0)
    });
    let (nick, forbid_send) = profile(item.as_ref());
    Ok(AccountFacts {
        exists,
        nick,
        forbid_send,
        friends: friends.ok().map(|f| f.friend_num),
    })
}

/// The nicknames of `ids` (raw, untrusted), 100 per portrait_get; accounts without one are left
/// out.
pub async fn nicknames(
    engine: &Engine,
    ids: &[String],
) -> Result<Vec<(String, String)>, CallError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(wire::MAX_PROFILE_BATCH) {
        let resp: PortraitGetResponse = engine
            .call(Api::PortraitGet, &portrait_get(chunk.to_vec(), false))
            .await?;
        out.extend(resp.user_profile_item.into_iter().filter_map(|item| {
            let nick = item.tag_str(wire::TAG_NICK)?.to_owned();
            (!nick.is_empty()).then_some((item.to_account, nick))
        }));
    }
    Ok(out)
}

/// What a listing reports as it goes.
#[derive(Debug)]
pub enum ListEvent {
    /// Page `index` (from 0) of the list; exactly one page is `last`, when the listing succeeds.
    Page {
        index: usize,
        page: Page,
        last: bool,
    },
    /// The nicknames of page `index`'s entries (those that have one), or why they could not be
    /// read. Comes once per page, after the page.
    Nicknames {
        index: usize,
        nicks: Vec<(String, String)>,
        error: Option<CallError>,
    },
}

/// Streams `user`'s blocklist page by page to `events`, and with `with_nicknames` the nicknames
/// of each page as soon as they are read (concurrently with the next pages). Returns when the
/// listing and every nickname read have ended; on `cancel` it stops between calls.
pub async fn list(
    engine: &Engine,
    user: &UserId,
    page_size: u64,
    with_nicknames: bool,
    events: mpsc::UnboundedSender<ListEvent>,
    cancel: CancellationToken,
) -> Result<ListOutcome, CallError> {
    let (pages_tx, mut pages) = mpsc::channel(4);
    let listing = engine.list(user, page_size, pages_tx, cancel.clone());
    tokio::pin!(listing);
    let mut outcome: Option<Result<ListOutcome, CallError>> = None;
    let mut reads = FuturesUnordered::new();
    let mut index = 0;
    let mut sent_last = false;
    loop {
        tokio::select! {
            biased;
            Some(page) = pages.recv() => {
                let last = page.next_index == 0 || page.items.is_empty();
                sent_last |= last;
                if with_nicknames {
                    let ids: Vec<String> =
                        page.items.iter().map(|i| i.to_account.clone()).collect();
                    reads.push(async move { (index, nicknames(engine, &ids).await) });
                }
                let _ = events.send(ListEvent::Page { index, page, last });
                index += 1;
            }
            Some((index, read)) = reads.next(), if !reads.is_empty() => {
                let (nicks, error) = match read {
                    Ok(nicks) => (nicks, None),
                    Err(e) => (Vec::new(), Some(e)),
                };
                let _ = events.send(ListEvent::Nicknames { index, nicks, error });
            }
            done = &mut listing, if outcome.is_none() => outcome = Some(done),
            else => break,
        }
        if cancel.is_cancelled() && outcome.is_some() {
            break;
        }
    }
    let outcome = outcome.expect("the loop ends after the listing");
    if let Ok(done) = &outcome
        && !sent_last
    {
        // The listing stopped without a page saying so (an index that did not advance, say).
        let page = Page {
            items: Vec::new(),
            start_index: 0,
            next_index: 0,
            sequence: done.sequence,
        };
        let _ = events.send(ListEvent::Page {
            index,
            page,
            last: true,
        });
        if with_nicknames {
            let _ = events.send(ListEvent::Nicknames {
                index,
                nicks: Vec::new(),
                error: None,
            });
        }
    }
    outcome
}

/// Every friend of `user`, paging friend_get (NextStartIndex / CompleteFlag), without duplicates.
pub async fn friends_of(engine: &Engine, user: &UserId) -> Result<Vec<UserId>, CallError> {
    let mut friends = Vec::new();
    let mut seen = HashSet::new();
    let mut start = 0u64;
    for _ in 0..MAX_FRIEND_PAGES {
        let resp: FriendGetResponse = engine
            .call(Api::FriendGet, &friend_get(user, start))
            .await?;
        for item in resp.user_data_item {
            let id = UserId::parse(&item.to_account).map_err(|e| {
                CallError::Decode(format!(
                    "friend_get listed a friend of {} whose {e}",
                    user.as_str()
                ))
            })?;
            if seen.insert(id.clone()) {
                friends.push(id);
            }
        }
        let next = resp.next_start_index;
        if resp.complete_flag != 0 || next == 0 {
            return Ok(friends);
        }
        if next <= start {
            return Err(CallError::Decode(format!(
                "friend_get did not advance (NextStartIndex {next} after StartIndex {start}) and \
                 did not say the list is complete"
            )));
        }
        start = next;
    }
    Err(CallError::Decode(format!(
        "friend_get for {} did not complete within {MAX_FRIEND_PAGES} pages",
        user.as_str()
    )))
}
