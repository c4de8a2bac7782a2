//! Checks `assets/demo.json`, the sandbox's seed data: it must be exactly what
//! `examples/gen_demo_seed.rs` produces, and it must satisfy the data rules
//! and contain the named fixtures that tests and the README rely on.

#[path = "../examples/gen_demo_seed.rs"]
mod seed_gen;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const ASSET: &str = include_str!("../assets/demo.json");
/// 2025-01-01T00:00:00Z
const TIME_MIN: u64 = 1_735_689_600;
/// 2027-01-01T00:00:00Z (exclusive)
const TIME_END: u64 = 1_798_761_600;
const BLOCK_LIMIT: usize = 1000;
const FRIEND_LIMIT: usize = 3000;

const HOSTILE: &[&str] = &[
    "evil_osc",
    "evil_csi",
    "evil_bidi",
    "evil_zw",
    "evil_newline",
    "evil_long",
    "evil_dcs",
];

struct Account {
    nick: Option<String>,
    admin_forbid: bool,
}

struct Edge {
    from: String,
    to: String,
    time: u64,
}

/// The asset, parsed and checked for shape (keys and value types).
struct Seed {
    description: String,
    /// The accounts the dashboard suggests, with what each shows.
    suggest: Vec<(String, String)>,
    /// In file order.
    ids: Vec<String>,
    accounts: BTreeMap<String, Account>,
    friends: Vec<Edge>,
    blocks: Vec<Edge>,
}

impl Seed {
    fn load() -> Seed {
        let root: Value = serde_json::from_str(ASSET).expect("assets/demo.json is valid JSON");
        let root = root.as_object().expect("top level is an object");
        let keys: BTreeSet<&str> = root.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["description", "suggest", "accounts", "friends", "blocks"]),
            "top-level keys"
        );

        let mut ids = Vec::new();
        let mut accounts = BTreeMap::new();
        for a in root["accounts"].as_array().expect("accounts is an array") {
            let a = a.as_object().expect("account is an object");
            for key in a.keys() {
                assert!(
                    ["id", "nick", "admin_forbid"].contains(&key.as_str()),
                    "unexpected account key {key:?}"
                );
            }
            let id = a["id"].as_str().expect("id is a string").to_owned();
            let nick = a.get("nick").map(|n| {
                n.as_str()
                    .unwrap_or_else(|| panic!("nick of {id:?} is a string"))
                    .to_owned()
            });
            let admin_forbid = a["admin_forbid"]
                .as_bool()
                .unwrap_or_else(|| panic!("admin_forbid of {id:?} is a bool"));
            ids.push(id.clone());
            let dup = accounts.insert(id.clone(), Account { nick, admin_forbid });
            assert!(dup.is_none(), "duplicate account {id:?}");
        }

        Seed {
            description: root["description"]
                .as_str()
                .expect("description is a string")
                .to_owned(),
            suggest: root["suggest"]
                .as_array()
                .expect("suggest is an array")
                .iter()
                .map(|s| {
                    let id = s["id"].as_str().expect("a suggestion's id is a string");
                    let shows = s["shows"].as_str().expect("what it shows is a string");
                    (id.to_owned(), shows.to_owned())
                })
                .collect(),
            ids,
            accounts,
            friends: edges(&root["friends"], "friends"),
            blocks: edges(&root["blocks"], "blocks"),
        }
    }

    fn nick(&self, id: &str) -> &str {
        self.accounts[id]
            .nick
            .as_deref()
            .unwrap_or_else(|| panic!("{id:?} has a nickname"))
    }

    fn pairs(edges: &[Edge]) -> BTreeSet<(&str, &str)> {
        edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str()))
            .collect()
    }

    fn counts(edges: &[Edge]) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for e in edges {
            *counts.entry(e.from.as_str()).or_default() += 1;
        }
        counts
    }
}

fn edges(value: &Value, what: &str) -> Vec<Edge> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what} is an array"))
        .iter()
        .map(|e| {
            let e = e
                .as_object()
                .unwrap_or_else(|| panic!("{what} entry is an object"));
            let keys: BTreeSet<&str> = e.keys().map(String::as_str).collect();
            assert_eq!(keys, BTreeSet::from(["from", "to", "time"]), "{what} keys");
            Edge {
                from: e["from"].as_str().expect("from is a string").to_owned(),
                to: e["to"].as_str().expect("to is a string").to_owned(),
                time: e["time"].as_u64().expect("time is an unsigned integer"),
            }
        })
        .collect()
}

/// Common checks for friend and block edges: endpoints exist, no self
/// edges, no duplicates, times in 2025-2026, per-owner limit.
fn check_edges(seed: &Seed, edges: &[Edge], what: &str, limit: usize) {
    let mut seen = BTreeSet::new();
    for e in edges {
        assert!(
            seed.accounts.contains_key(&e.from),
            "{what}: unknown from {:?}",
            e.from
        );
        assert!(
            seed.accounts.contains_key(&e.to),
            "{what}: unknown to {:?}",
            e.to
        );
        assert_ne!(e.from, e.to, "{what}: self edge");
        assert!(
            seen.insert((&e.from, &e.to)),
            "{what}: duplicate {:?} -> {:?}",
            e.from,
            e.to
        );
        assert!(
            (TIME_MIN..TIME_END).contains(&e.time),
            "{what}: time {} outside 2025-2026",
            e.time
        );
    }
    for (from, n) in Seed::counts(edges) {
        assert!(
            n <= limit,
            "{what}: {from:?} has {n} entries, limit {limit}"
        );
    }
}

#[test]
fn asset_matches_generator() {
    let generated = seed_gen::render();
    assert!(
        generated == ASSET,
        "assets/demo.json is stale; regenerate with \
         `cargo run --example gen_demo_seed > assets/demo.json`"
    );
}

#[test]
fn generator_is_deterministic() {
    assert!(seed_gen::render() == seed_gen::render());
}

#[test]
fn layout_is_one_object_per_line() {
    assert!(ASSET.ends_with("}\n"), "trailing newline");
    assert!(!ASSET.contains('\r'), "LF line endings, no raw CR");
    let mut objects = 0;
    for line in ASSET.lines() {
        assert!(line.starts_with("  ") || line == "{" || line == "}");
        let body = line.trim_start();
        if body.starts_with('{') && line.starts_with("    ") {
            let body = body.strip_suffix(',').unwrap_or(body);
            let v: Value = serde_json::from_str(body)
                .unwrap_or_else(|e| panic!("line is not a JSON object ({e}): {line}"));
            assert!(v.is_object());
            objects += 1;
        }
    }
    let seed = Seed::load();
    assert_eq!(
        objects,
        seed.suggest.len() + seed.ids.len() + seed.friends.len() + seed.blocks.len()
    );
}

/// The accounts the lookup line suggests are fixtures that show what their words say.
#[test]
fn suggestions_name_the_fixtures() {
    let seed = Seed::load();
    let ids: Vec<&str> = seed.suggest.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["mod_full", "alice", "evil_bidi"]);
    for (id, shows) in &seed.suggest {
        assert!(seed.accounts.contains_key(id), "{id} is an account");
        assert!(!shows.is_empty(), "{id} says what it shows");
    }
    let entries = |owner: &str| seed.blocks.iter().filter(|b| b.from == owner).count();
    assert_eq!(entries("mod_full"), 1000, "a full list");
    assert_eq!(entries("alice").div_ceil(100), 3, "three pages");
    assert!(
        seed.blocks
            .iter()
            .any(|b| b.from == "alice" && b.to.starts_with("evil_")),
        "alice's list shows the hostile nicknames"
    );
    assert!(
        seed.nick("evil_bidi").contains('\u{202e}'),
        "a spoofed nickname"
    );
}

#[test]
fn file_shows_no_raw_control_or_invisible_characters() {
    // Hostile characters live in the data only as JSON escapes, so the file
    // itself is safe to cat, diff and review.
    for (n, line) in ASSET.lines().enumerate() {
        for c in line.chars() {
            let sneaky = c.is_control()
                || matches!(
                    c,
                    '\u{ad}'
                        | '\u{61c}'
                        | '\u{180e}'
                        | '\u{200b}'..='\u{200f}'
                        | '\u{2028}'..='\u{202e}'
                        | '\u{2060}'..='\u{206f}'
                        | '\u{feff}'
                );
            assert!(!sneaky, "line {}: raw U+{:04X}", n + 1, u32::from(c));
        }
    }
}

#[test]
fn accounts_are_valid() {
    let seed = Seed::load();
    assert!(
        (1200..=1400).contains(&seed.ids.len()),
        "about 1300 accounts, got {}",
        seed.ids.len()
    );
    for id in &seed.ids {
        assert!(
            (1..=32).contains(&id.len()) && id.bytes().all(|b| (0x20..=0x7e).contains(&b)),
            "invalid UserID {id:?}"
        );
    }
    assert!(seed.ids.iter().any(|id| id.len() == 32), "a max-length ID");
    assert!(seed.ids.iter().any(|id| id.len() == 1), "a one-byte ID");

    let no_nick: BTreeSet<&str> = seed
        .accounts
        .iter()
        .filter(|(_, a)| a.nick.is_none())
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(
        no_nick,
        BTreeSet::from(["100234871", "guest_77031", "user_10482"])
    );

    let forbidden = seed.accounts.values().filter(|a| a.admin_forbid).count();
    assert!(
        (3..=12).contains(&forbidden),
        "a handful admin_forbid, got {forbidden}"
    );

    for id in [
        "administrator",
        "support",
        "mod_full",
        "@RBT#support",
        "@RBT#welcome_bot",
        "we ird!id",
        "mei.lin",
        "k_tanaka92",
        "spam_bot_0412",
    ] {
        assert!(seed.accounts.contains_key(id), "missing account {id:?}");
    }
    let spam = seed.ids.iter().filter(|id| id.starts_with("spam_")).count();
    assert!(spam >= 1000, "about 1000 spam accounts, got {spam}");
    let numeric = seed
        .ids
        .iter()
        .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
        .count();
    assert!(numeric >= 5, "numeric UserIDs, got {numeric}");

    // Several scripts among nicknames.
    let nicks: String = seed
        .accounts
        .values()
        .filter_map(|a| a.nick.clone())
        .collect();
    let has = |range: std::ops::RangeInclusive<char>| nicks.chars().any(|c| range.contains(&c));
    assert!(has('\u{4e00}'..='\u{9fff}'), "CJK ideographs");
    assert!(has('\u{3040}'..='\u{30ff}'), "kana");
    assert!(has('\u{ac00}'..='\u{d7af}'), "hangul");
    assert!(has('\u{c0}'..='\u{17f}'), "accented Latin");
    assert!(has('\u{1f300}'..='\u{1faff}'), "emoji");
}

#[test]
fn hostile_nicknames_are_present() {
    let seed = Seed::load();
    assert!(seed.nick("evil_osc").contains("\u{1b}]0;pwned\u{7}"));
    assert!(seed.nick("evil_csi").contains("\u{1b}[2J\u{1b}[31mCLEARED"));
    let bidi = seed.nick("evil_bidi");
    assert!(
        bidi.contains('\u{202e}') && bidi.contains("nimda"),
        "{bidi:?}"
    );
    let zw = seed.nick("evil_zw");
    assert!(zw.contains('\u{200b}') && zw.contains('\u{feff}'), "{zw:?}");
    assert_eq!(seed.nick("evil_newline"), "line1\nline2\r");
    assert_eq!(seed.nick("evil_long").len(), 500);
    let dcs = seed.nick("evil_dcs");
    let start = dcs.find("\u{1b}P").expect("DCS introducer");
    assert!(
        dcs[start..].contains("\u{1b}\\"),
        "DCS terminated by ST: {dcs:?}"
    );

    let alice: BTreeSet<&str> = seed
        .blocks
        .iter()
        .filter(|e| e.from == "alice")
        .map(|e| e.to.as_str())
        .collect();
    for id in HOSTILE.iter().chain(&["we ird!id"]) {
        assert!(alice.contains(id), "alice blocks {id:?}");
    }
}

#[test]
fn blocks_follow_the_rules() {
    let seed = Seed::load();
    check_edges(&seed, &seed.blocks, "blocks", BLOCK_LIMIT);

    // Listed in the order added: per owner, times never go backwards.
    let mut last: BTreeMap<&str, u64> = BTreeMap::new();
    for e in &seed.blocks {
        let prev = last.insert(&e.from, e.time).unwrap_or(0);
        assert!(prev <= e.time, "blocks of {:?} out of time order", e.from);
    }
}

#[test]
fn block_fixtures() {
    let seed = Seed::load();
    let counts = Seed::counts(&seed.blocks);
    let count = |id: &str| counts.get(id).copied().unwrap_or(0);
    assert_eq!(count("mod_full"), 1000);
    assert_eq!(count("alice"), 250);
    assert_eq!(count("bob"), 120);
    assert_eq!(count("carol"), 60);
    assert_eq!(count("dave"), 300);

    let named = ["mod_full", "alice", "bob", "carol", "dave"];
    let heavy = counts
        .iter()
        .filter(|&(id, &n)| !named.contains(id) && (50..=300).contains(&n))
        .count();
    assert!(
        heavy >= 3,
        "several other users with 50-300 entries, got {heavy}"
    );
    let light = counts.values().filter(|&&n| n <= 10).count();
    assert!(light >= 50, "many users with 1-10 entries, got {light}");

    let pairs = Seed::pairs(&seed.blocks);
    let has = |a: &str, b: &str| pairs.contains(&(a, b));
    assert!(has("erin", "frank") && has("frank", "erin"));
    assert!(has("grace", "heidi") && !has("heidi", "grace"));
    assert!(has("alice", "bob") && !has("bob", "alice"));

    let mutual = pairs.iter().filter(|&&(a, b)| a < b && has(b, a)).count();
    assert!(
        mutual >= 6,
        "erin/frank and at least 5 more mutual pairs, got {mutual}"
    );
    let one_way = pairs.iter().filter(|&&(a, b)| !has(b, a)).count();
    assert!(one_way >= 11, "at least 11 one-way blocks, got {one_way}");

    for bot in ["@RBT#support", "@RBT#welcome_bot"] {
        assert!(
            pairs.iter().any(|&(_, to)| to == bot),
            "somebody blocks {bot}"
        );
    }
}

#[test]
fn friends_follow_the_rules() {
    let seed = Seed::load();
    check_edges(&seed, &seed.friends, "friends", FRIEND_LIMIT);

    // Blocking removes friendship both ways.
    let blocks = Seed::pairs(&seed.blocks);
    for e in &seed.friends {
        let (a, b) = (e.from.as_str(), e.to.as_str());
        assert!(
            !blocks.contains(&(a, b)) && !blocks.contains(&(b, a)),
            "{a:?} and {b:?} are friends despite a block"
        );
    }

    // Mostly mutual, a few one-way.
    let pairs = Seed::pairs(&seed.friends);
    let one_way = pairs
        .iter()
        .filter(|&&(a, b)| !pairs.contains(&(b, a)))
        .count();
    assert!(one_way >= 2, "a few one-way friendships, got {one_way}");
    assert!(
        one_way * 20 < pairs.len(),
        "mostly mutual: {one_way} of {} one-way",
        pairs.len()
    );

    // Most ordinary users have 5-60 friends.
    let counts = Seed::counts(&seed.friends);
    let people: Vec<&String> = seed
        .ids
        .iter()
        .filter(|id| {
            !id.starts_with("spam_") && !id.starts_with("evil_") && !id.starts_with("@RBT#")
        })
        .filter(|id| id.as_str() != "popular")
        .collect();
    let typical = people
        .iter()
        .filter(|id| (5..=60).contains(&counts.get(id.as_str()).copied().unwrap_or(0)))
        .count();
    assert!(
        typical * 4 >= people.len() * 3,
        "most users have 5-60 friends: {typical} of {}",
        people.len()
    );
}

#[test]
fn friend_fixtures() {
    let seed = Seed::load();
    let pairs = Seed::pairs(&seed.friends);
    let has = |a: &str, b: &str| pairs.contains(&(a, b));
    assert!(!has("alice", "bob") && !has("bob", "alice"));
    assert!(has("ivan", "judy") && has("judy", "ivan"));
    assert!(has("ivan", "kim") && !has("kim", "ivan"));

    let blocks = Seed::pairs(&seed.blocks);
    for (a, b) in [("ivan", "judy"), ("ivan", "kim")] {
        assert!(!blocks.contains(&(a, b)) && !blocks.contains(&(b, a)));
    }

    assert_eq!(Seed::counts(&seed.friends).get("popular"), Some(&400));
}

#[test]
fn description_says_how_to_regenerate() {
    let seed = Seed::load();
    assert!(
        seed.description
            .contains("cargo run --example gen_demo_seed > assets/demo.json")
    );
}
