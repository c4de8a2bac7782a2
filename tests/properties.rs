//! Property tests of the parsers that read untrusted input: the wire parser, the ID-list parser,
//! the UserSig decoder and the webhook signature check. Never a panic; round trips where they
//! apply.

use blockdeck::tim::ids::{self, UserId};
use blockdeck::tim::usersig;
use blockdeck::tim::wire::{
    self, BlackListChangeResponse, BlackListCheckResponse, BlackListGetResponse, ErrorResponse,
};
use proptest::prelude::*;

/// JSON-ish text: braces, quotes, the field names the parser knows, numbers and noise.
fn jsonish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("null".to_owned()),
        Just("\"ActionStatus\"".to_owned()),
        Just("\"ErrorCode\"".to_owned()),
        Just("\"ResultItem\"".to_owned()),
        Just("\"ResultCode\"".to_owned()),
        Just("\"To_Account\"".to_owned()),
        Just("\"BlackListItem\"".to_owned()),
        Just("\"StartIndex\"".to_owned()),
        Just("\"Relation\"".to_owned()),
        Just("\"OK\"".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("\u{a0}".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        "\"[ -~]{0,8}\"",
        ".{0,3}",
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The wire parser never panics, whatever arrives; what it accepts as a success carries its
    /// codes (absence is never success).
    #[test]
    fn the_wire_parser_never_panics(text in jsonish(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        for body in [text.as_bytes(), bytes.as_slice()] {
            if let Ok(r) = wire::from_slice_lenient::<ErrorResponse>(body) {
                let e = &r.envelope;
                prop_assert!(!e.is_ok() || e.error_code == 0 || e.error_code == -7);
            }
            let _ = wire::from_slice_lenient::<BlackListGetResponse>(body);
            if let Ok(r) = wire::from_slice_lenient::<BlackListChangeResponse>(body) {
                // A success (code 0) needs a ResultCode in the text: absence reads as -6.
                let text = String::from_utf8_lossy(body);
                for item in r.result_item {
                    prop_assert!(item.result_code != 0 || text.contains("ResultCode"));
                }
            }
            let _ = wire::from_slice_lenient::<BlackListCheckResponse>(body);
        }
    }

    /// A list of valid pairs parses back to exactly those pairs, in order, repeats dropped.
    #[test]
    fn pair_lists_round_trip(pairs in prop::collection::vec(("[a-z0-9_]{1,8}", "[a-z0-9_]{1,8}"), 0..60), crlf in any::<bool>()) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let text: String = pairs.iter().map(|(a, b)| format!("{a},{b}{eol}")).collect();
        let parsed = ids::parse_pairs(&text);
        let mut seen = std::collections::HashSet::new();
        let want: Vec<(String, String)> = pairs
            .iter()
            .filter(|(a, b)| a != b)
            .filter(|p| seen.insert((*p).clone()))
            .cloned()
            .collect();
        let got: Vec<(String, String)> = parsed
            .values()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        prop_assert_eq!(got, want);
    }

    /// Any text at all: the ID-list parsers never panic, and every line is accounted for.
    #[test]
    fn id_lists_never_panic(text in "(.{0,40}\n){0,20}") {
        let parsed = ids::parse_ids(&text);
        let _ = parsed.report();
        let parsed = ids::parse_pairs(&text);
        let _ = parsed.report();
        for value in parsed.values() {
            prop_assert!(UserId::parse(value.0.as_str()).is_ok());
        }
    }

    /// The UserSig decoder never panics on any string, and what `sign` makes decodes to its claims.
    #[test]
    fn usersigs_decode_or_fail_cleanly(text in ".{0,200}", admin in "[a-z]{1,12}", expire in 60u64..1_000_000, sdkappid in 1u64..2_000_000_000) {
        let _ = usersig::decode(&text);
        let key = blockdeck::secret::SecretKey::new("5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e".to_owned()).unwrap();
        let sig = usersig::sign(&key, sdkappid, &admin, expire, 1_700_000_000);
        let claims = usersig::decode(&sig).unwrap();
        prop_assert_eq!(claims.identifier, admin);
        prop_assert_eq!(claims.sdkappid, sdkappid);
        prop_assert_eq!(claims.expire, expire);
    }

    /// The webhook signature check never panics and accepts only the token's own Sign.
    #[test]
    fn webhook_signatures_are_checked_without_panics(time in ".{0,16}", sign in ".{0,80}", now in any::<u64>()) {
        let _ = blockdeck::feed::check_signature("token", Some(&time), Some(&sign), now);
        let t = now.saturating_sub(10).to_string();
        let good = blockdeck::feed::sign("token", &t);
        prop_assert!(blockdeck::feed::check_signature("token", Some(&t), Some(&good), now).is_ok());
        prop_assert!(blockdeck::feed::check_signature("other", Some(&t), Some(&good), now).is_err());
    }
}
