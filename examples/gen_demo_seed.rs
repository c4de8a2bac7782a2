//! Generates `assets/demo.json`, the seed data the blockdeck sandbox loads.
//!
//! ```text
//! cargo run --example gen_demo_seed > assets/demo.json
//! cargo run --example gen_demo_seed -- assets/demo.json
//! ```
//!
//! The output is a pure function of this file: every random choice comes from
//! a splitmix64 generator with a fixed seed, all collections are ordered
//! (`Vec`, `BTreeSet`, `BTreeMap`) and no clock is read, so every run produces
//! byte-identical output. `tests/demo_seed.rs` includes this file as a module
//! and compares [`render`] with the committed asset.
//!
//! The JSON is written line by line (one account, friend edge or block entry
//! per line) to keep diffs readable. Strings go through `serde_json`, and
//! invisible or direction-changing characters (bidi overrides, zero-width
//! spaces, BOM, C1 controls) are additionally written as `\uXXXX` escapes so
//! the file itself displays harmlessly in editors and code review.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Seed of the pseudo-random generator; changing it reshuffles all data.
const SEED: u64 = 0x626c_6f63_6b64_6563;
/// 2025-01-01T00:00:00Z: earliest timestamp in the seed.
const TIME_MIN: u64 = 1_735_689_600;
/// 2027-01-01T00:00:00Z: all timestamps are strictly before this.
const TIME_END: u64 = 1_798_761_600;
const DAY: u64 = 86_400;

/// Total number of accounts, including spam accounts.
const TOTAL_ACCOUNTS: usize = 1300;
/// Number of `spam_NNNN` accounts.
const SPAM_ACCOUNTS: usize = 1000;
/// Largest blocklist the service allows.
const BLOCK_LIMIT: usize = 1000;
/// Users with fixed blocklist sizes, named by the tests and the README.
const FIXED_BLOCK_COUNTS: &[(&str, usize)] = &[
    ("mod_full", BLOCK_LIMIT),
    ("alice", 250),
    ("bob", 120),
    ("carol", 60),
    ("dave", 300),
];
/// Blocklist sizes of further heavy blockers picked among generated users.
const HEAVY_BLOCK_COUNTS: &[usize] = &[52, 75, 110, 150, 210, 290];
/// Number of mutual block pairs besides `erin` <-> `frank`.
const EXTRA_MUTUAL_BLOCK_PAIRS: usize = 6;
/// Number of friends of `popular`.
const POPULAR_FRIENDS: usize = 400;
/// Number of extra one-way friendships besides `ivan` -> `kim`.
const EXTRA_ONE_WAY_FRIENDS: usize = 18;

/// splitmix64: tiny, well-known and fully specified here, so the output never
/// depends on a third-party generator.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform-enough integer in `0..n` (multiply-shift; `n` is small).
    fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "below(0)");
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Integer in `lo..hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo < hi, "empty range");
        lo + ((u128::from(self.next_u64()) * u128::from(hi - lo)) >> 64) as u64
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Index into `weights`, chosen proportionally to the weights.
    fn weighted(&mut self, weights: &[usize]) -> usize {
        let mut roll = self.below(weights.iter().sum());
        for (i, &w) in weights.iter().enumerate() {
            if roll < w {
                return i;
            }
            roll -= w;
        }
        unreachable!("roll below the total weight")
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Role of an account; decides which generation rules apply to it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Administrator, support and moderation accounts.
    Staff,
    /// `@RBT#` chatbot accounts.
    Bot,
    /// Ordinary users.
    Person,
    /// Accounts with nicknames that attack terminals and layouts.
    Hostile,
    /// Spam accounts.
    Spam,
}

struct Account {
    id: String,
    nick: Option<String>,
    admin_forbid: bool,
    kind: Kind,
}

/// One directed relation between accounts (by index) at a Unix time.
struct Edge {
    from: usize,
    to: usize,
    time: u64,
}

/// The generated seed, before serialization.
struct Seed {
    description: String,
    accounts: Vec<Account>,
    friends: Vec<Edge>,
    blocks: Vec<Edge>,
}

#[derive(Default)]
struct Registry {
    accounts: Vec<Account>,
    index: BTreeMap<String, usize>,
}

impl Registry {
    fn add(&mut self, id: &str, nick: Option<&str>, admin_forbid: bool, kind: Kind) -> usize {
        assert!(is_valid_id(id), "invalid UserID {id:?}");
        let at = self.accounts.len();
        let fresh = self.index.insert(id.to_owned(), at).is_none();
        assert!(fresh, "duplicate UserID {id:?}");
        self.accounts.push(Account {
            id: id.to_owned(),
            nick: nick.map(str::to_owned),
            admin_forbid,
            kind,
        });
        at
    }

    fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    fn get(&self, id: &str) -> usize {
        *self
            .index
            .get(id)
            .unwrap_or_else(|| panic!("unknown fixture {id:?}"))
    }

    fn of_kind(&self, kinds: &[Kind]) -> Vec<usize> {
        (0..self.accounts.len())
            .filter(|&i| kinds.contains(&self.accounts[i].kind))
            .collect()
    }
}

/// TIM UserIDs: 1 to 32 bytes of printable ASCII.
fn is_valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len()) && id.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

/// How a culture writes a full name in its own script.
#[derive(Clone, Copy)]
enum Order {
    /// Family name first, no space (Chinese, Korean).
    FamilyFirstTight,
    /// Family name first, with a space (Japanese).
    FamilyFirstSpaced,
    /// Given name first, with a space.
    GivenFirst,
}

/// (romanized, native) name parts.
type Part = (&'static str, &'static str);

struct Culture {
    given: &'static [Part],
    family: &'static [Part],
    order: Order,
    /// Whether the native names are in a non-Latin script, so a romanized
    /// spelling is a distinct nickname style.
    romanized: bool,
    weight: usize,
}

const CHINESE: Culture = Culture {
    given: &[
        ("mei", "美"),
        ("wei", "伟"),
        ("xiaoming", "小明"),
        ("jing", "静"),
        ("hao", "浩"),
        ("yu", "宇"),
        ("lei", "磊"),
        ("fang", "芳"),
        ("ting", "婷"),
        ("jun", "军"),
        ("xin", "欣"),
        ("yan", "燕"),
        ("zihan", "子涵"),
        ("yuxuan", "宇轩"),
    ],
    family: &[
        ("lin", "林"),
        ("wang", "王"),
        ("li", "李"),
        ("zhang", "张"),
        ("liu", "刘"),
        ("chen", "陈"),
        ("yang", "杨"),
        ("zhao", "赵"),
        ("huang", "黄"),
        ("zhou", "周"),
        ("wu", "吴"),
        ("xu", "徐"),
    ],
    order: Order::FamilyFirstTight,
    romanized: true,
    weight: 30,
};

const JAPANESE: Culture = Culture {
    given: &[
        ("haruto", "陽翔"),
        ("yui", "結衣"),
        ("sakura", "さくら"),
        ("ren", "蓮"),
        ("aoi", "葵"),
        ("kenji", "健二"),
        ("yuki", "ゆき"),
        ("sota", "蒼太"),
        ("hina", "陽菜"),
        ("takumi", "拓海"),
        ("miyu", "みゆ"),
    ],
    family: &[
        ("tanaka", "田中"),
        ("suzuki", "鈴木"),
        ("sato", "佐藤"),
        ("takahashi", "高橋"),
        ("watanabe", "渡辺"),
        ("ito", "伊藤"),
        ("yamamoto", "山本"),
        ("nakamura", "中村"),
        ("kobayashi", "小林"),
        ("kato", "加藤"),
    ],
    order: Order::FamilyFirstSpaced,
    romanized: true,
    weight: 20,
};

const KOREAN: Culture = Culture {
    given: &[
        ("minjun", "민준"),
        ("seoyeon", "서연"),
        ("jiho", "지호"),
        ("haeun", "하은"),
        ("doyun", "도윤"),
        ("jiwoo", "지우"),
        ("yuna", "유나"),
        ("siwoo", "시우"),
        ("eunji", "은지"),
    ],
    family: &[
        ("kim", "김"),
        ("lee", "이"),
        ("park", "박"),
        ("choi", "최"),
        ("jung", "정"),
        ("kang", "강"),
        ("cho", "조"),
        ("yoon", "윤"),
    ],
    order: Order::FamilyFirstTight,
    romanized: true,
    weight: 15,
};

const LATIN: Culture = Culture {
    given: &[
        ("jose", "José"),
        ("zoe", "Zoë"),
        ("francois", "François"),
        ("lukasz", "Łukasz"),
        ("ines", "Inês"),
        ("bjorn", "Björn"),
        ("chloe", "Chloé"),
        ("soren", "Søren"),
        ("noemi", "Noémi"),
        ("andres", "Andrés"),
        ("emma", "Emma"),
        ("liam", "Liam"),
        ("olivia", "Olivia"),
        ("mateo", "Mateo"),
        ("anna", "Anna"),
        ("lucas", "Lucas"),
        ("maelle", "Maëlle"),
        ("joao", "João"),
    ],
    family: &[
        ("martinez", "Martínez"),
        ("muller", "Müller"),
        ("lefevre", "Lefèvre"),
        ("wojcik", "Wójcik"),
        ("goncalves", "Gonçalves"),
        ("nilsson", "Nilsson"),
        ("garcia", "García"),
        ("novak", "Novák"),
        ("smith", "Smith"),
        ("dubois", "Dubois"),
        ("rossi", "Rossi"),
        ("jensen", "Jensen"),
        ("oconnor", "O'Connor"),
        ("nguyen", "Nguyễn"),
        ("ozturk", "Öztürk"),
    ],
    order: Order::GivenFirst,
    romanized: false,
    weight: 25,
};

const CYRILLIC: Culture = Culture {
    given: &[
        ("dmitri", "Дмитрий"),
        ("olga", "Ольга"),
        ("ivan", "Иван"),
        ("natasha", "Наташа"),
        ("sergei", "Сергей"),
    ],
    family: &[
        ("ivanov", "Иванов"),
        ("petrov", "Петров"),
        ("sokolov", "Соколов"),
        ("popov", "Попов"),
    ],
    order: Order::GivenFirst,
    romanized: true,
    weight: 4,
};

const ARABIC: Culture = Culture {
    given: &[
        ("ahmed", "أحمد"),
        ("layla", "ليلى"),
        ("omar", "عمر"),
        ("fatima", "فاطمة"),
    ],
    family: &[("hassan", "حسن"), ("haddad", "حداد"), ("khalil", "خليل")],
    order: Order::GivenFirst,
    romanized: true,
    weight: 3,
};

const THAI: Culture = Culture {
    given: &[("somchai", "สมชาย"), ("malee", "มาลี"), ("niran", "นิรันดร์")],
    family: &[("suksawat", "สุขสวัสดิ์"), ("wongsa", "วงศา")],
    order: Order::GivenFirst,
    romanized: true,
    weight: 3,
};

const CULTURES: &[Culture] = &[CHINESE, JAPANESE, KOREAN, LATIN, CYRILLIC, ARABIC, THAI];

const EMOJI: &[&str] = &[
    "🌸", "✨", "🐱", "🎮", "☕", "🌙", "🍀", "🎧", "⚽", "📚", "🌈", "🐼", "🔥", "💫", "🍜", "🎨",
];
const ADJECTIVES: &[&str] = &[
    "sleepy", "happy", "lazy", "silent", "cosmic", "crazy", "lucky", "shy", "tiny", "brave",
    "pixel", "neon", "midnight",
];
const ANIMALS: &[&str] = &[
    "panda", "fox", "otter", "koala", "tiger", "cat", "owl", "whale", "dragon", "bunny", "penguin",
    "shiba",
];

const SPAM_NICKS: &[&str] = &[
    "💰 Free Bitcoin",
    "Hot Deals 🔥",
    "加微信领红包",
    "兼职日结300元",
    "副業で月収100万円",
    "Crypto Signals 📈",
    "WIN a FREE iPhone!!!",
    "無料ギフト券プレゼント",
    "대출 상담 24시",
    "VIP客服",
    "Lottery Winner 🎉",
    "Investment Guru",
    "Singles nearby 💕",
    "点击领取福利",
    "Follow4Follow",
    "✅ Verified Seller",
    "Cheap Followers",
    "Forex Mentor 💹",
    "免费领取会员",
    "Casino Bonus 🎰",
    "티켓 양도",
    "在宅ワーク募集",
    "Promo Code Inside",
    "USDT收款",
    "Click here ➡️",
    "Ganhe dinheiro 💸",
    "Gagnez 1000€",
    "Oferta única ⚡",
];

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A generated user: a handle-style UserID and a nickname in the user's
/// script, loosely derived from the same name.
fn generated_person(rng: &mut Rng) -> (String, String) {
    let weights: Vec<usize> = CULTURES.iter().map(|c| c.weight).collect();
    let culture = &CULTURES[rng.weighted(&weights)];
    let (g, g_native) = *rng.pick(culture.given);
    let (f, f_native) = *rng.pick(culture.family);

    let id = match rng.weighted(&[18, 12, 10, 10, 10, 6, 8, 4, 5, 12, 5]) {
        0 => format!("{g}.{f}"),
        1 => format!("{}_{f}{:02}", &g[..1], rng.below(100)),
        2 => format!("user_{}", 10_000 + rng.below(90_000)),
        3 => format!("{}", 100_000_000 + rng.below(99_999_999)),
        4 => format!("{g}{}", 1975 + rng.below(34)),
        5 => format!("{f}.{g}"),
        6 => format!("{g}_{f}"),
        7 => format!("{}{}", capitalize(g), capitalize(f)),
        8 => format!("{g}-{f}{}", rng.below(10)),
        9 => format!(
            "{}_{}{}",
            rng.pick(ADJECTIVES),
            rng.pick(ANIMALS),
            rng.below(100)
        ),
        _ => format!("xX_{g}_Xx"),
    };

    let full_native = match culture.order {
        Order::FamilyFirstTight => format!("{f_native}{g_native}"),
        Order::FamilyFirstSpaced => format!("{f_native} {g_native}"),
        Order::GivenFirst => format!("{g_native} {f_native}"),
    };
    let emoji = rng.pick(EMOJI);
    let nick = match rng.weighted(&[35, 15, 15, 12, 10, 8, 5]) {
        0 => full_native,
        1 => g_native.to_owned(),
        2 if culture.romanized => format!("{} {}", capitalize(g), capitalize(f)),
        2 => format!("{g_native} {}.", f_native.chars().next().unwrap_or('?')),
        3 => format!("{full_native} {emoji}"),
        4 => format!("{emoji} {g_native}"),
        5 => format!("{g}~"),
        _ => format!("{}.{}.", capitalize(g), capitalize(&f[..1])),
    };
    (id, nick)
}

/// A nickname of exactly 500 bytes (the nickname limit) in mixed scripts.
fn long_nick() -> String {
    const PIECE: &str =
        "Very long nickname / 非常长的昵称 / とても長いニックネーム / 아주 긴 닉네임 🐍 ";
    let mut nick = String::new();
    for c in PIECE.chars().cycle() {
        if nick.len() + c.len_utf8() > 500 {
            break;
        }
        nick.push(c);
    }
    while nick.len() < 500 {
        nick.push('.');
    }
    nick
}

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

/// Sorted timestamps for `n` entries added one after another, starting at a
/// random point in 2025-2026. `tie_percent` of entries share the previous
/// entry's second, as bulk additions do.
fn ordered_times(rng: &mut Rng, n: usize, tie_percent: usize) -> Vec<u64> {
    let start = rng.range(TIME_MIN, TIME_MIN + 500 * DAY);
    let mut times: Vec<u64> = (0..n).map(|_| rng.range(start, TIME_END)).collect();
    times.sort_unstable();
    for i in 1..n {
        if rng.chance(tie_percent) {
            times[i] = times[i - 1];
        }
    }
    times
}

fn build() -> Seed {
    let mut rng = Rng(SEED);
    let mut reg = Registry::default();

    // Staff and chatbots.
    reg.add(
        "administrator",
        Some("System Administrator"),
        false,
        Kind::Staff,
    );
    reg.add("support", Some("Customer Support"), false, Kind::Staff);
    reg.add("support_cn", Some("客服中心"), false, Kind::Staff);
    reg.add("support.jp", Some("サポートセンター"), false, Kind::Staff);
    reg.add("support_kr", Some("고객센터"), false, Kind::Staff);
    reg.add("mod_full", Some("Moderation Team 🛡️"), false, Kind::Staff);
    reg.add("@RBT#support", Some("Support Bot 🤖"), false, Kind::Bot);
    reg.add("@RBT#welcome_bot", Some("Welcome Bot 👋"), false, Kind::Bot);

    // Named users.
    for (id, nick) in [
        ("alice", Some("Alice Chen")),
        ("bob", Some("Bob Martin")),
        ("carol", Some("Carol Lefèvre")),
        ("dave", Some("Dave Okafor")),
        ("erin", Some("Erin O'Brien")),
        ("frank", Some("Frank Schäfer")),
        ("grace", Some("Grace 김은혜")),
        ("heidi", Some("Heidi Ångström")),
        ("ivan", Some("Иван Петров")),
        ("judy", Some("Judy Nguyễn")),
        ("kim", Some("김서연")),
        ("popular", Some("🌟 Popular Pat 🌟")),
        ("mei.lin", Some("林美 🌸")),
        ("k_tanaka92", Some("田中 健二")),
        ("we ird!id", Some("Weird ID (space & bang)")),
        ("z", Some("Z")),
        ("the_quick_brown_fox_jumps_over_1", Some("Max-length ID")),
        ("user_10482", None),
        ("100234871", None),
        ("guest_77031", None),
    ] {
        reg.add(id, nick, false, Kind::Person);
    }

    // Hostile nicknames.
    let long = long_nick();
    for (id, nick, forbid) in [
        ("evil_osc", "\u{1b}]0;pwned\u{7}Totally Normal User", true),
        ("evil_csi", "\u{1b}[2J\u{1b}[31mCLEARED\u{1b}[0m", false),
        ("evil_bidi", "\u{202e}nimda\u{202c}", false),
        ("evil_zw", "\u{feff}ad\u{200b}min\u{200b}", false),
        ("evil_newline", "line1\nline2\r", false),
        ("evil_long", long.as_str(), false),
        ("evil_dcs", "\u{1b}P+q544e\u{1b}\\DCS query", false),
    ] {
        reg.add(id, Some(nick), forbid, Kind::Hostile);
    }

    // Generated users fill up to the account total.
    let generated_from = reg.accounts.len();
    let generated = TOTAL_ACCOUNTS - SPAM_ACCOUNTS - 1 - generated_from;
    while reg.accounts.len() < generated_from + generated {
        let (id, nick) = generated_person(&mut rng);
        if is_valid_id(&id) && !reg.contains(&id) {
            reg.add(&id, Some(&nick), false, Kind::Person);
        }
    }
    let generated_people: Vec<usize> = (generated_from..reg.accounts.len()).collect();

    // Spam accounts.
    reg.add(
        "spam_bot_0412",
        Some("Free Gift Cards 🎁"),
        true,
        Kind::Spam,
    );
    let mut spam_numbers = BTreeSet::new();
    while spam_numbers.len() < SPAM_ACCOUNTS {
        spam_numbers.insert(rng.below(10_000));
    }
    let spam_from = reg.accounts.len();
    for n in spam_numbers {
        let base = *rng.pick(SPAM_NICKS);
        let nick = match rng.below(10) {
            0..=5 => base.to_owned(),
            6..=7 => format!("{base} {}", rng.below(100)),
            _ => format!("{base}_{:03}", rng.below(1000)),
        };
        reg.add(&format!("spam_{n:04}"), Some(&nick), false, Kind::Spam);
    }
    for _ in 0..5 {
        let i = spam_from + rng.below(SPAM_ACCOUNTS);
        reg.accounts[i].admin_forbid = true;
    }
    assert_eq!(reg.accounts.len(), TOTAL_ACCOUNTS);

    let blocks = generate_blocks(&mut rng, &reg, &generated_people);
    let friends = generate_friends(&mut rng, &reg, &blocks);

    let description = format!(
        "Demo seed for the blockdeck sandbox: {accounts} accounts ({spam} spam accounts, \
         staff, @RBT# chatbots and evil_* accounts with hostile nicknames), {friends} friend \
         edges and {blocks} block entries; all times are Unix seconds in 2025-2026. \
         Fixtures: mod_full has a full blocklist (1000); alice 250, bob 120, carol 60, dave 300 \
         entries; erin and frank block each other; grace blocks heidi one-way; alice blocks bob \
         and every evil_* account; ivan and judy are mutual friends, ivan -> kim is one-way; \
         popular has {popular} friends; user_10482, 100234871 and guest_77031 have no nickname. \
         Generated by examples/gen_demo_seed.rs; do not edit by hand, regenerate with \
         `cargo run --example gen_demo_seed > assets/demo.json`.",
        accounts = reg.accounts.len(),
        spam = SPAM_ACCOUNTS + 1,
        friends = friends.len(),
        blocks = blocks.len(),
        popular = POPULAR_FRIENDS,
    );

    Seed {
        description,
        accounts: reg.accounts,
        friends,
        blocks,
    }
}

/// Blocklists in the order entries were added, grouped by owner in account
/// order.
fn generate_blocks(rng: &mut Rng, reg: &Registry, generated_people: &[usize]) -> Vec<Edge> {
    let n = reg.accounts.len();
    let id = |name: &str| reg.get(name);
    let people = reg.of_kind(&[Kind::Person]);
    let junk = reg.of_kind(&[Kind::Spam, Kind::Hostile]);
    let hostile = reg.of_kind(&[Kind::Hostile]);

    // Pairs that must never be blocked, in that direction.
    let mut forbidden = BTreeSet::new();
    forbidden.insert((id("heidi"), id("grace")));
    forbidden.insert((id("bob"), id("alice")));
    for (a, b) in [("ivan", "judy"), ("ivan", "kim")] {
        forbidden.insert((id(a), id(b)));
        forbidden.insert((id(b), id(a)));
    }

    let mut taken: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut fixed: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut random: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut target = vec![0usize; n];

    let add = |list: &mut Vec<usize>, taken: &mut BTreeSet<(usize, usize)>, from, to| {
        if from != to && !forbidden.contains(&(from, to)) && taken.insert((from, to)) {
            list.push(to);
        }
    };

    // Fixed entries.
    let alice = id("alice");
    for to in ["bob", "we ird!id", "@RBT#welcome_bot"] {
        add(&mut fixed[alice], &mut taken, alice, id(to));
    }
    for &to in &hostile {
        add(&mut fixed[alice], &mut taken, alice, to);
    }
    add(
        &mut fixed[id("grace")],
        &mut taken,
        id("grace"),
        id("heidi"),
    );
    let mut mutual = vec![(id("erin"), id("frank"))];
    while mutual.len() < 1 + EXTRA_MUTUAL_BLOCK_PAIRS {
        let a = *rng.pick(generated_people);
        let b = *rng.pick(generated_people);
        let used = mutual
            .iter()
            .any(|&(x, y)| [x, y].contains(&a) || [x, y].contains(&b));
        if a != b && !used {
            mutual.push((a, b));
        }
    }
    for (a, b) in mutual {
        add(&mut fixed[a], &mut taken, a, b);
        add(&mut fixed[b], &mut taken, b, a);
    }
    for (bot, fans) in [("@RBT#welcome_bot", 14), ("@RBT#support", 6)] {
        for _ in 0..fans {
            let from = *rng.pick(&people);
            add(&mut fixed[from], &mut taken, from, id(bot));
        }
    }

    // Target sizes.
    for &p in &people {
        target[p] = if rng.chance(40) { 0 } else { 1 + rng.below(10) };
    }
    let mut heavy = generated_people.to_vec();
    rng.shuffle(&mut heavy);
    for (&p, &count) in heavy.iter().zip(HEAVY_BLOCK_COUNTS) {
        target[p] = count;
    }
    for &(name, count) in FIXED_BLOCK_COUNTS {
        target[id(name)] = count;
    }

    // Random fill: the moderator blocks spam and hostile accounts only,
    // ordinary users mostly spam and sometimes other users.
    let mod_full = id("mod_full");
    let mut pool = junk.clone();
    rng.shuffle(&mut pool);
    for to in pool {
        if random[mod_full].len() >= target[mod_full] {
            break;
        }
        add(&mut random[mod_full], &mut taken, mod_full, to);
    }
    for from in 0..n {
        if from == mod_full {
            continue;
        }
        let mut guard = 0;
        while fixed[from].len() + random[from].len() < target[from] {
            guard += 1;
            assert!(
                guard < 100_000,
                "cannot fill blocklist of {}",
                reg.accounts[from].id
            );
            let to = if rng.chance(65) {
                *rng.pick(&junk)
            } else {
                *rng.pick(&people)
            };
            add(&mut random[from], &mut taken, from, to);
        }
    }

    // Interleave fixed entries among the first page of random ones, then
    // stamp non-decreasing times.
    let mut edges = Vec::new();
    for from in 0..n {
        let mut list = std::mem::take(&mut random[from]);
        for &to in &fixed[from] {
            let at = rng.below(list.len().min(99) + 1);
            list.insert(at, to);
        }
        assert!(list.len() <= BLOCK_LIMIT);
        let ties = if from == mod_full { 60 } else { 8 };
        let times = ordered_times(rng, list.len(), ties);
        edges.extend(
            list.into_iter()
                .zip(times)
                .map(|(to, time)| Edge { from, to, time }),
        );
    }
    edges
}

/// Friend edges, grouped by owner in account order and sorted by time.
fn generate_friends(rng: &mut Rng, reg: &Registry, blocks: &[Edge]) -> Vec<Edge> {
    let n = reg.accounts.len();
    let id = |name: &str| reg.get(name);
    let blocked: BTreeSet<(usize, usize)> = blocks.iter().map(|e| (e.from, e.to)).collect();
    let social = reg.of_kind(&[Kind::Staff, Kind::Person]);
    let spam = reg.of_kind(&[Kind::Spam]);

    let mut linked: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut degree = vec![0usize; n];
    let mut edges = Vec::new();

    // A pair may become friends if neither blocks the other and no
    // friendship exists yet in either direction.
    let free = |linked: &BTreeSet<(usize, usize)>, a: usize, b: usize| {
        a != b
            && !blocked.contains(&(a, b))
            && !blocked.contains(&(b, a))
            && !linked.contains(&(a, b))
            && !linked.contains(&(b, a))
    };
    let mut link = |linked: &mut BTreeSet<(usize, usize)>,
                    degree: &mut [usize],
                    rng: &mut Rng,
                    a: usize,
                    b: usize,
                    both: bool| {
        let time = rng.range(TIME_MIN, TIME_END);
        let pairs: &[(usize, usize)] = if both { &[(a, b), (b, a)] } else { &[(a, b)] };
        for &(from, to) in pairs {
            linked.insert((from, to));
            degree[from] += 1;
            edges.push(Edge { from, to, time });
        }
    };

    // Fixtures.
    let (ivan, judy, kim) = (id("ivan"), id("judy"), id("kim"));
    assert!(free(&linked, ivan, judy) && free(&linked, ivan, kim));
    link(&mut linked, &mut degree, rng, ivan, judy, true);
    link(&mut linked, &mut degree, rng, ivan, kim, false);

    let popular = id("popular");
    let mut fans: Vec<usize> = social.iter().copied().filter(|_| rng.chance(80)).collect();
    rng.shuffle(&mut fans);
    let mut spam_fans = spam.clone();
    rng.shuffle(&mut spam_fans);
    for fan in fans.into_iter().chain(spam_fans) {
        if degree[popular] >= POPULAR_FRIENDS {
            break;
        }
        if free(&linked, popular, fan) {
            link(&mut linked, &mut degree, rng, popular, fan, true);
        }
    }
    assert_eq!(degree[popular], POPULAR_FRIENDS);

    // Ordinary mutual friendships: most users want 5-60 friends (skewed
    // low), about one in ten is new and has fewer than 5.
    let mut want = vec![0usize; n];
    for &p in &social {
        want[p] = if rng.chance(10) {
            rng.below(5)
        } else {
            let u = rng.below(1000);
            5 + 55 * u * u * u * u / 1_000_000_000_000
        };
    }
    want[popular] = POPULAR_FRIENDS;
    for &p in &social {
        let mut candidates = social.clone();
        rng.shuffle(&mut candidates);
        for c in candidates {
            if degree[p] >= want[p] {
                break;
            }
            if degree[c] < want[c] && free(&linked, p, c) {
                link(&mut linked, &mut degree, rng, p, c, true);
            }
        }
    }

    // A few pending-style one-way friendships.
    let mut one_way = 0;
    while one_way < EXTRA_ONE_WAY_FRIENDS {
        let a = *rng.pick(&social);
        let b = *rng.pick(&social);
        if a != popular && b != popular && free(&linked, a, b) {
            link(&mut linked, &mut degree, rng, a, b, false);
            one_way += 1;
        }
    }

    edges.sort_by_key(|e| (e.from, e.time, e.to));
    edges
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

/// Characters that are invisible or reorder text when displayed raw.
fn is_sneaky(c: char) -> bool {
    matches!(
        c,
        '\u{7f}'..='\u{9f}'
            | '\u{ad}'
            | '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// A JSON string literal; escapes everything `serde_json` escapes plus
/// [`is_sneaky`] characters.
fn json_str(s: &str) -> String {
    let quoted = serde_json::to_string(s).expect("a str always serializes");
    let mut out = String::with_capacity(quoted.len());
    for c in quoted.chars() {
        if is_sneaky(c) {
            write!(out, "\\u{:04x}", u32::from(c)).expect("writing to a String");
        } else {
            out.push(c);
        }
    }
    out
}

fn edge_lines(out: &mut String, name: &str, edges: &[Edge], accounts: &[Account], last: bool) {
    writeln!(out, "  \"{name}\": [").expect("writing to a String");
    for (i, e) in edges.iter().enumerate() {
        let comma = if i + 1 < edges.len() { "," } else { "" };
        writeln!(
            out,
            "    {{\"from\": {}, \"to\": {}, \"time\": {}}}{comma}",
            json_str(&accounts[e.from].id),
            json_str(&accounts[e.to].id),
            e.time
        )
        .expect("writing to a String");
    }
    let comma = if last { "" } else { "," };
    writeln!(out, "  ]{comma}").expect("writing to a String");
}

/// The accounts the dashboard's lookup line suggests before the first lookup, with what each
/// shows.
const SUGGEST: &[(&str, &str)] = &[
    ("mod_full", "a full list"),
    ("alice", "three pages, the hostile nicknames"),
    ("evil_bidi", "a spoofed nickname"),
];

/// The complete seed file, byte for byte.
pub fn render() -> String {
    let seed = build();
    let mut out = String::new();
    out.push_str("{\n");
    writeln!(out, "  \"description\": {},", json_str(&seed.description))
        .expect("writing to a String");
    out.push_str("  \"suggest\": [\n");
    for (i, (id, shows)) in SUGGEST.iter().enumerate() {
        let comma = if i + 1 < SUGGEST.len() { "," } else { "" };
        writeln!(
            out,
            "    {{\"id\": {}, \"shows\": {}}}{comma}",
            json_str(id),
            json_str(shows)
        )
        .expect("writing to a String");
    }
    out.push_str("  ],\n");
    out.push_str("  \"accounts\": [\n");
    for (i, a) in seed.accounts.iter().enumerate() {
        let nick = match &a.nick {
            Some(nick) => format!("\"nick\": {}, ", json_str(nick)),
            None => String::new(),
        };
        let comma = if i + 1 < seed.accounts.len() { "," } else { "" };
        writeln!(
            out,
            "    {{\"id\": {}, {nick}\"admin_forbid\": {}}}{comma}",
            json_str(&a.id),
            a.admin_forbid
        )
        .expect("writing to a String");
    }
    out.push_str("  ],\n");
    edge_lines(&mut out, "friends", &seed.friends, &seed.accounts, false);
    edge_lines(&mut out, "blocks", &seed.blocks, &seed.accounts, true);
    out.push_str("}\n");
    out
}

/// Writes the seed to the path given as the only argument, or to stdout.
#[allow(dead_code)]
fn main() {
    let text = render();
    let result = match std::env::args_os().nth(1) {
        Some(path) => std::fs::write(&path, text),
        None => std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes()),
    };
    if let Err(err) = result {
        eprintln!("gen_demo_seed: {err}");
        std::process::exit(1);
    }
}
