//! The relationship between two users, read with four concurrent calls: black_list_check (both
//! block directions), friend_check, account_check and portrait_get. The rules that turn it into
//! verdicts are in [`crate::inspect`].

use super::account::{account_check, existence, item_error, portrait_get, profile};
use crate::client::engine::Engine;
use crate::client::http::CallError;
use crate::inspect::Relationship;
use crate::tim::codes::Class;
use crate::tim::ids::UserId;
use crate::tim::wire::{
    AccountCheckResponse, Api, BlackCheckType, BlackListCheckRequest, BlackListCheckResponse,
    FriendCheckRequest, FriendCheckResponse, FriendCheckType, FriendRelation, PortraitGetResponse,
};

/// Whether a call's failure can be explained by an account that does not exist (a refusal or an
/// answer without the item), rather than hiding an authentication or transport problem.
fn explained_by_missing_account(error: &CallError) -> bool {
    match error {
        CallError::Api { .. } => error.class() == Class::Permanent,
        CallError::Decode(_) => true,
        CallError::Transport { .. } | CallError::Http { .. } => false,
    }
}

/// Reads the relationship between `a` and `b`: black_list_check (From = A, Both mode: both block
/// directions in one call), friend_check (Both mode), account_check and portrait_get (nickname and
/// admin bar), concurrently, each through [`Engine::call`].
///
/// A failed item is never read as "no relation": when account_check says an account does not exist,
/// failures that it explains leave that account marked missing; any other failure is an error that
/// names its code.
pub async fn inspect(engine: &Engine, a: &UserId, b: &UserId) -> Result<Relationship, CallError> {
    let (a_str, b_str) = (a.as_str().to_owned(), b.as_str().to_owned());
    let pair = format!("{a_str}→{b_str}");
    let mut both = vec![a_str.clone()];
    if b != a {
        both.push(b_str.clone());
    }
    let black_req = BlackListCheckRequest {
        from_account: a_str.clone(),
        to_account: vec![b_str.clone()],
        check_type: BlackCheckType::Both,
    };
    let friend_req = FriendCheckRequest {
        from_account: a_str.clone(),
        to_account: vec![b_str.clone()],
        check_type: FriendCheckType::Both,
    };
    let ids: Vec<&str> = both.iter().map(String::as_str).collect();
    let account_req = account_check(&ids);
    let portrait_req = portrait_get(both.clone(), true);
    let (black, friend, accounts, portraits) = tokio::join!(
        engine.call::<_, BlackListCheckResponse>(Api::BlackListCheck, &black_req),
        engine.call::<_, FriendCheckResponse>(Api::FriendCheck, &friend_req),
        engine.call::<_, AccountCheckResponse>(Api::AccountCheck, &account_req),
        engine.call::<_, PortraitGetResponse>(Api::PortraitGet, &portrait_req),
    );
    let accounts = accounts?;
    let mut rel = Relationship::unrelated(a.clone(), b.clone());
    rel.a_exists = existence(&accounts, a)?;
    rel.b_exists = existence(&accounts, b)?;
    let all_exist = rel.a_exists && rel.b_exists;

    // A failure is tolerated only where a missing account explains it.
    let tolerate = |result: Result<(), CallError>| match result {
        Err(e) if all_exist || !explained_by_missing_account(&e) => Err(e),
        _ => Ok(()),
    };

    let read_black = |resp: BlackListCheckResponse| -> Result<(), CallError> {
        let item = resp
            .black_list_check_item
            .into_iter()
            .find(|i| i.to_account == b_str)
            .ok_or_else(|| {
                CallError::Decode(format!("black_list_check gave no answer for {pair}"))
            })?;
        if item.result_code != 0 {
            return Err(item_error(
                Api::BlackListCheck,
                &pair,
                item.result_code,
                &item.result_info,
            ));
        }
        let (ab, ba) = item.relation.directions().ok_or_else(|| {
            CallError::Decode(format!(
                "black_list_check answered an unknown relation {:?} for {pair}",
                item.relation.as_str()
            ))
        })?;
        rel.a_blocks_b = ab;
        rel.b_blocks_a = ba;
        Ok(())
    };
    tolerate(black.and_then(read_black))?;

    let read_friend = |resp: FriendCheckResponse| -> Result<(), CallError> {
        let item = resp
            .info_item
            .into_iter()
            .find(|i| i.to_account == b_str)
            .ok_or_else(|| CallError::Decode(format!("friend_check gave no answer for {pair}")))?;
        if item.result_code != 0 {
            return Err(item_error(
                Api::FriendCheck,
                &pair,
                item.result_code,
                &item.result_info,
            ));
        }
        let (ab, ba) = match item.relation {
            FriendRelation::BothWay => (true, true),
            FriendRelation::AWithB => (true, false),
            FriendRelation::BWithA => (false, true),
            FriendRelation::NoRelation => (false, false),
            FriendRelation::Other(other) => {
                return Err(CallError::Decode(format!(
                    "friend_check answered an unknown relation {other:?} for {pair}"
                )));
            }
        };
        rel.a_has_b = ab;
        rel.b_has_a = ba;
        Ok(())
    };
    tolerate(friend.and_then(read_friend))?;

    let read_profiles = |resp: PortraitGetResponse| -> Result<(), CallError> {
        for (id, exists) in [(a, rel.a_exists), (b, rel.b_exists)] {
            let item = resp
                .user_profile_item
                .iter()
                .find(|i| i.to_account == id.as_str());
            let item = match item {
                Some(item) if item.result_code == 0 => Some(item),
                // A missing account has no profile to read.
                _ if !exists => None,
                Some(item) => {
                    return Err(item_error(
                        Api::PortraitGet,
                        id.as_str(),
                        item.result_code,
                        &item.result_info,
                    ));
                }
                None => {
                    return Err(CallError::Decode(format!(
                        "portrait_get gave no answer for {}",
                        id.as_str()
                    )));
                }
            };
            let (nick, barred) = profile(item);
            if id == a {
                rel.a_nick = nick.clone();
                rel.a_forbid_send = barred;
            }
            if id == b {
                rel.b_nick = nick;
                rel.b_forbid_send = barred;
            }
        }
        Ok(())
    };
    tolerate(portraits.and_then(read_profiles))?;

    if !all_exist {
        // Nothing can relate to an account that does not exist, whatever a partial answer said.
        rel.a_blocks_b = false;
        rel.b_blocks_a = false;
        rel.a_has_b = false;
        rel.b_has_a = false;
    }
    Ok(rel)
}
