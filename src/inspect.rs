//! On-call inspection: what the relation between two users is, and what each of them can
//! therefore do.
//!
//! The pure part ([`consequences`]) turns a [`Relationship`] into verdicts by the documented rules of
//! the service: a user on the other's blocklist cannot message them (when only A blocks B, A can still
//! message B but B cannot message A; when both block each other, neither can start a conversation); if
//! either blocks the other, neither can send the other a friend request; a user barred by the admin
//! (`AdminForbid_Type_SendOut`) cannot send friend requests; mutual friends need no request; nothing is
//! possible with an account that does not exist.
//!
//! Reading a relationship from the service, and the reverse lookup "who blocks X?", are client
//! operations: [`crate::client::ops::inspect`] and [`crate::client::ops::blockers`].

use serde::Serialize;

use crate::tim::ids::UserId;
use crate::tim::wire::{self, BlackRelation, FriendRelation};

// ---------------------------------------------------------------- the pure part

/// Everything known about two users A and B, as read from the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relationship {
    pub a: UserId,
    pub b: UserId,
    /// Whether the account exists in the app (account_check: Imported).
    pub a_exists: bool,
    pub b_exists: bool,
    /// Nicknames as the service holds them: free text chosen by end users, untrusted for display.
    pub a_nick: Option<String>,
    pub b_nick: Option<String>,
    /// Barred by the admin from sending friend requests
    /// (`Tag_Profile_IM_AdminForbidType` = `AdminForbid_Type_SendOut`).
    pub a_forbid_send: bool,
    pub b_forbid_send: bool,
    /// B is on A's blocklist.
    pub a_blocks_b: bool,
    /// A is on B's blocklist.
    pub b_blocks_a: bool,
    /// B is on A's friend list.
    pub a_has_b: bool,
    /// A is on B's friend list.
    pub b_has_a: bool,
}

impl Relationship {
    /// Two existing accounts without nicknames, blocks, friendships or bars.
    pub fn unrelated(a: UserId, b: UserId) -> Relationship {
        Relationship {
            a,
            b,
            a_exists: true,
            b_exists: true,
            a_nick: None,
            b_nick: None,
            a_forbid_send: false,
            b_forbid_send: false,
            a_blocks_b: false,
            b_blocks_a: false,
            a_has_b: false,
            b_has_a: false,
        }
    }

    /// The blocklist relation as black_list_check (From = A, Both mode) names it.
    pub fn black_relation(&self) -> BlackRelation {
        BlackRelation::from_directions(self.a_blocks_b, self.b_blocks_a)
    }

    /// The friendship as friend_check (From = A, Both mode) names it.
    pub fn friend_relation(&self) -> FriendRelation {
        FriendRelation::from_directions(self.a_has_b, self.b_has_a)
    }

    pub fn mutual_friends(&self) -> bool {
        self.a_has_b && self.b_has_a
    }
}

/// Whether one thing is possible, and why, in a plain sentence naming both users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub allowed: bool,
    pub why: String,
}

impl Verdict {
    fn yes(why: String) -> Verdict {
        Verdict { allowed: true, why }
    }

    fn no(why: String) -> Verdict {
        Verdict {
            allowed: false,
            why,
        }
    }
}

/// What A and B can do to each other, with remarks on the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consequences {
    pub a_messages_b: Verdict,
    pub b_messages_a: Verdict,
    pub a_requests_b: Verdict,
    pub b_requests_a: Verdict,
    pub notes: Vec<String>,
}

/// One direction of a relationship: `from` acting towards `to`.
struct Side<'a> {
    from: &'a str,
    to: &'a str,
    from_blocks_to: bool,
    to_blocks_from: bool,
    from_barred: bool,
    from_has_to: bool,
    to_has_from: bool,
}

impl Relationship {
    fn side_a(&self) -> Side<'_> {
        Side {
            from: self.a.as_str(),
            to: self.b.as_str(),
            from_blocks_to: self.a_blocks_b,
            to_blocks_from: self.b_blocks_a,
            from_barred: self.a_forbid_send,
            from_has_to: self.a_has_b,
            to_has_from: self.b_has_a,
        }
    }

    fn side_b(&self) -> Side<'_> {
        Side {
            from: self.b.as_str(),
            to: self.a.as_str(),
            from_blocks_to: self.b_blocks_a,
            to_blocks_from: self.a_blocks_b,
            from_barred: self.b_forbid_send,
            from_has_to: self.b_has_a,
            to_has_from: self.a_has_b,
        }
    }
}

/// Applies the service's documented rules to a relationship. The sentences name the users by their
/// raw IDs; whoever prints them sanitizes them.
pub fn consequences(rel: &Relationship) -> Consequences {
    let (a, b) = (rel.a.as_str(), rel.b.as_str());
    if let Some(missing) = missing_accounts(rel) {
        let no = |what: String| Verdict::no(format!("{what}: {missing}."));
        return Consequences {
            a_messages_b: no(format!("{a} cannot message {b}")),
            b_messages_a: no(format!("{b} cannot message {a}")),
            a_requests_b: no(format!("{a} cannot send {b} a friend request")),
            b_requests_a: no(format!("{b} cannot send {a} a friend request")),
            notes: vec![format!(
                "Nothing is possible between {a} and {b}: {missing} (account_check: NotImported), \
                 so it can have no blocklist, friends or messages."
            )],
        };
    }
    Consequences {
        a_messages_b: message_verdict(&rel.side_a()),
        b_messages_a: message_verdict(&rel.side_b()),
        a_requests_b: request_verdict(&rel.side_a()),
        b_requests_a: request_verdict(&rel.side_b()),
        notes: notes(rel),
    }
}

/// Which accounts do not exist, as a clause, or `None` when both do.
fn missing_accounts(rel: &Relationship) -> Option<String> {
    let (a, b) = (rel.a.as_str(), rel.b.as_str());
    match (rel.a_exists, rel.b_exists) {
        (true, true) => None,
        (false, true) => Some(format!("account {a} does not exist in this app")),
        (true, false) => Some(format!("account {b} does not exist in this app")),
        (false, false) => Some(format!(
            "neither account {a} nor account {b} exists in this app"
        )),
    }
}

fn message_verdict(s: &Side<'_>) -> Verdict {
    let (from, to) = (s.from, s.to);
    match (s.from_blocks_to, s.to_blocks_from) {
        (true, true) => Verdict::no(format!(
            "{from} cannot message {to}: they have blocked each other, so neither can start a \
             conversation."
        )),
        (false, true) => Verdict::no(format!(
            "{from} cannot message {to}: {from} is on {to}'s blocklist."
        )),
        (true, false) => Verdict::yes(format!(
            "{from} can message {to}: {to} has not blocked {from} ({from}'s own block on {to} only \
             stops {to} from messaging {from})."
        )),
        (false, false) => Verdict::yes(format!(
            "{from} can message {to}: neither has blocked the other."
        )),
    }
}

fn request_verdict(s: &Side<'_>) -> Verdict {
    let (from, to) = (s.from, s.to);
    let block = match (s.from_blocks_to, s.to_blocks_from) {
        (true, true) => Some("they have blocked each other".to_owned()),
        (true, false) => Some(format!("{from} has blocked {to}")),
        (false, true) => Some(format!("{to} has blocked {from}")),
        (false, false) => None,
    };
    let barred = format!("the admin has barred {from} from sending friend requests");
    if let Some(block) = block {
        let reasons = if s.from_barred {
            format!("{block}, and {barred}")
        } else {
            block
        };
        return Verdict::no(format!(
            "{from} cannot send {to} a friend request: {reasons}."
        ));
    }
    if s.from_has_to && s.to_has_from {
        let also = if s.from_barred {
            format!(" ({barred} anyway)")
        } else {
            String::new()
        };
        return Verdict::no(format!(
            "No friend request from {from} to {to} is needed: they already have each other as \
             friends{also}."
        ));
    }
    if s.from_barred {
        return Verdict::no(format!(
            "{from} cannot send {to} a friend request: {barred}."
        ));
    }
    let one_way = if s.from_has_to {
        format!("; {to} is already on {from}'s friend list, but {from} is not on {to}'s")
    } else if s.to_has_from {
        format!("; {from} is already on {to}'s friend list, but {to} is not on {from}'s")
    } else {
        String::new()
    };
    Verdict::yes(format!(
        "{from} can send {to} a friend request: neither has blocked the other and {from} is not \
         barred by the admin{one_way}."
    ))
}

fn notes(rel: &Relationship) -> Vec<String> {
    let (a, b) = (rel.a.as_str(), rel.b.as_str());
    let mut notes = Vec::new();
    let blocked = rel.a_blocks_b || rel.b_blocks_a;
    let befriended = rel.a_has_b || rel.b_has_a;
    let block_words = match (rel.a_blocks_b, rel.b_blocks_a) {
        (true, true) => format!("{a} and {b} block each other"),
        (true, false) => format!("{a} blocks {b}"),
        _ => format!("{b} blocks {a}"),
    };
    if blocked && befriended {
        notes.push(format!(
            "Inconsistent data: {a} and {b} are friends although {block_words} — the service \
             normally removes the friendship on block (both ways), so it was re-added afterwards, \
             imported, or changed while this was being read."
        ));
    } else if blocked {
        notes.push(format!(
            "{block_words}. Whether they were friends before cannot be known: blocking removes a \
             friendship both ways and leaves no trace of it."
        ));
    }
    if rel.a_has_b != rel.b_has_a {
        let (has, on) = if rel.a_has_b { (a, b) } else { (b, a) };
        notes.push(format!(
            "One-way friendship: {on} is on {has}'s friend list, but {has} is not on {on}'s \
             (friend lists are kept per user; one side may have deleted the other only from their \
             own list, or the friendship was added one way)."
        ));
    }
    // Not worth saying when they could not chat anyway (each blocks the other).
    let blocked_both_ways = rel.a_blocks_b && rel.b_blocks_a;
    if !(rel.mutual_friends() || blocked_both_ways) {
        notes.push(format!(
            "{a} and {b} are not friends of each other: whether non-friends may chat depends on the \
             app's settings in the console (the relation check for messages); the message verdicts \
             above only account for blocklists."
        ));
    }
    for (who, barred) in [(a, rel.a_forbid_send), (b, rel.b_forbid_send)] {
        if barred {
            notes.push(format!(
                "{who} is barred by the admin from sending friend requests \
                 ({} = {}); this does not stop {who} from sending messages.",
                wire::TAG_ADMIN_FORBID,
                wire::ADMIN_FORBID_SEND_OUT
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> UserId {
        UserId::parse(s).unwrap()
    }

    #[derive(Debug, Clone, Copy)]
    enum Friendship {
        None,
        AToB,
        BToA,
        Mutual,
    }

    const FRIENDSHIPS: [Friendship; 4] = [
        Friendship::None,
        Friendship::AToB,
        Friendship::BToA,
        Friendship::Mutual,
    ];

    fn rel(
        a_blocks_b: bool,
        b_blocks_a: bool,
        friendship: Friendship,
        a_forbid: bool,
        b_forbid: bool,
    ) -> Relationship {
        let (a_has_b, b_has_a) = match friendship {
            Friendship::None => (false, false),
            Friendship::AToB => (true, false),
            Friendship::BToA => (false, true),
            Friendship::Mutual => (true, true),
        };
        Relationship {
            a_blocks_b,
            b_blocks_a,
            a_has_b,
            b_has_a,
            a_forbid_send: a_forbid,
            b_forbid_send: b_forbid,
            ..Relationship::unrelated(id("alice"), id("bob"))
        }
    }

    fn names_both(v: &Verdict) -> bool {
        v.why.contains("alice") && v.why.contains("bob")
    }

    /// The rules of seed 001 and the §3 summary, written as a table of expectations.
    #[test]
    fn every_combination_follows_the_documented_rules() {
        let mut cases = 0;
        for a_blocks_b in [false, true] {
            for b_blocks_a in [false, true] {
                for friendship in FRIENDSHIPS {
                    for (a_forbid, b_forbid) in
                        [(false, false), (true, false), (false, true), (true, true)]
                    {
                        cases += 1;
                        let r = rel(a_blocks_b, b_blocks_a, friendship, a_forbid, b_forbid);
                        let c = consequences(&r);
                        let ctx = format!("{r:?}\n{c:#?}");
                        let mutual = matches!(friendship, Friendship::Mutual);
                        let any_block = a_blocks_b || b_blocks_a;

                        // Messages: only the other's block stops a user.
                        assert_eq!(c.a_messages_b.allowed, !b_blocks_a, "{ctx}");
                        assert_eq!(c.b_messages_a.allowed, !a_blocks_b, "{ctx}");
                        // Requests: any block stops both; the admin bar stops its user; mutual
                        // friends need none.
                        assert_eq!(
                            c.a_requests_b.allowed,
                            !any_block && !a_forbid && !mutual,
                            "{ctx}"
                        );
                        assert_eq!(
                            c.b_requests_a.allowed,
                            !any_block && !b_forbid && !mutual,
                            "{ctx}"
                        );
                        for v in [
                            &c.a_messages_b,
                            &c.b_messages_a,
                            &c.a_requests_b,
                            &c.b_requests_a,
                        ] {
                            assert!(names_both(v), "{ctx}");
                            assert!(v.why.ends_with('.') || v.why.ends_with(')'), "{ctx}");
                        }

                        // The reasons say why, in words.
                        if a_blocks_b && b_blocks_a {
                            assert!(c.a_messages_b.why.contains("neither can start"), "{ctx}");
                            assert!(c.b_messages_a.why.contains("neither can start"), "{ctx}");
                            assert!(c.a_requests_b.why.contains("blocked each other"), "{ctx}");
                        } else if b_blocks_a {
                            assert!(
                                c.a_messages_b.why.contains("alice is on bob's blocklist"),
                                "{ctx}"
                            );
                            assert!(
                                c.a_requests_b.why.contains("bob has blocked alice"),
                                "{ctx}"
                            );
                            assert!(
                                c.b_requests_a.why.contains("bob has blocked alice"),
                                "{ctx}"
                            );
                        } else if a_blocks_b {
                            assert!(
                                c.b_messages_a.why.contains("bob is on alice's blocklist"),
                                "{ctx}"
                            );
                            assert!(c.a_messages_b.why.starts_with("alice can message"), "{ctx}");
                        }
                        if any_block && a_forbid {
                            assert!(c.a_requests_b.why.contains("barred"), "{ctx}");
                        }
                        if !any_block && mutual {
                            assert!(c.a_requests_b.why.contains("already"), "{ctx}");
                            assert!(c.b_requests_a.why.contains("already"), "{ctx}");
                        }
                        if !any_block && !mutual && a_forbid {
                            assert!(c.a_requests_b.why.contains("barred"), "{ctx}");
                        }

                        // Notes: inconsistent data, one-way friendships, the console setting, bars.
                        let has = |word: &str| c.notes.iter().any(|n| n.contains(word));
                        let befriended = !matches!(friendship, Friendship::None);
                        assert_eq!(has("Inconsistent data"), any_block && befriended, "{ctx}");
                        assert_eq!(has("cannot be known"), any_block && !befriended, "{ctx}");
                        assert_eq!(
                            has("One-way friendship"),
                            matches!(friendship, Friendship::AToB | Friendship::BToA),
                            "{ctx}"
                        );
                        assert_eq!(
                            has("console"),
                            !(mutual || a_blocks_b && b_blocks_a),
                            "{ctx}"
                        );
                        assert_eq!(
                            c.notes
                                .iter()
                                .filter(|n| n.contains("barred by the admin"))
                                .count(),
                            usize::from(a_forbid) + usize::from(b_forbid),
                            "{ctx}"
                        );
                    }
                }
            }
        }
        assert_eq!(cases, 64);
    }

    #[test]
    fn one_way_friendships_are_explained_in_the_request_verdict() {
        let c = consequences(&rel(false, false, Friendship::AToB, false, false));
        assert!(c.a_requests_b.allowed && c.b_requests_a.allowed);
        assert!(
            c.a_requests_b
                .why
                .contains("bob is already on alice's friend list, but alice is not on bob's"),
            "{c:#?}"
        );
        assert!(
            c.notes
                .iter()
                .any(|n| n.contains("bob is on alice's friend list, but alice is not on bob's")),
            "{c:#?}"
        );
    }

    #[test]
    fn missing_accounts_make_nothing_possible() {
        for (a_exists, b_exists) in [(false, true), (true, false), (false, false)] {
            // Stale flags must not leak into the verdicts of a missing account.
            let r = Relationship {
                a_exists,
                b_exists,
                ..rel(false, false, Friendship::Mutual, false, false)
            };
            let c = consequences(&r);
            for v in [
                &c.a_messages_b,
                &c.b_messages_a,
                &c.a_requests_b,
                &c.b_requests_a,
            ] {
                assert!(!v.allowed, "{c:#?}");
                assert!(names_both(v), "{c:#?}");
                match (a_exists, b_exists) {
                    (false, true) => {
                        assert!(v.why.contains("account alice does not exist"), "{c:#?}")
                    }
                    (true, false) => {
                        assert!(v.why.contains("account bob does not exist"), "{c:#?}")
                    }
                    _ => assert!(
                        v.why
                            .contains("neither account alice nor account bob exists"),
                        "{c:#?}"
                    ),
                }
            }
            assert_eq!(c.notes.len(), 1, "{c:#?}");
            assert!(c.notes[0].starts_with("Nothing is possible"), "{c:#?}");
        }
    }

    #[test]
    fn relations_are_named_as_the_service_names_them() {
        let r = rel(false, true, Friendship::AToB, false, false);
        assert_eq!(r.black_relation(), BlackRelation::BWithA);
        assert_eq!(r.friend_relation(), FriendRelation::AWithB);
        assert!(!r.mutual_friends());
    }
}
