//! The one sanitizer for untrusted text: everything that came from the API or from end users (IDs,
//! nicknames, `ResultInfo`, journal contents) passes through [`sanitize`] before it reaches a terminal.
//!
//! Control characters (C0, DEL, C1) and the invisible or direction-changing set (U+200B–U+200F,
//! U+202A–U+202E, U+2066–U+2069, U+FEFF, U+2028/U+2029, U+061C) become visible escapes such as `\u{202e}`, so a
//! moderator sees a spoofed name for what it is instead of being fooled by it, and no escape sequence
//! can reach the terminal. A backslash is doubled so that an escape cannot be forged by typing one.

use std::borrow::Cow;

/// Whether `ch` must not reach a terminal as it is.
pub fn is_unsafe(ch: char) -> bool {
    ch.is_control()
        || matches!(ch,
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}' | '\u{2029}'
            | '\u{FEFF}'
            | '\u{061C}'
            | '\\')
}

/// `text` with every unsafe character made visible; borrowed when nothing needed changing.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            ch if is_unsafe(ch) => out.push_str(&format!("\\u{{{:x}}}", ch as u32)),
            ch => out.push(ch),
        }
    }
    Cow::Owned(out)
}

/// RFC 4180 quoting for one CSV field (exports carry raw values: they are data, not screen text).
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) || text.starts_with([' ', '\t']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(super::csv_field("alice"), "alice");
        assert_eq!(super::csv_field("a,b"), "\"a,b\"");
        assert_eq!(super::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::csv_field(" lead"), "\" lead\"");
    }

    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(sanitize("alice 李 🙂"), Cow::Borrowed(_)));
    }

    #[test]
    fn escapes_and_spoofing_become_visible() {
        assert_eq!(sanitize("\u{1b}]0;pwned\u{7}x"), "\\u{1b}]0;pwned\\u{7}x");
        assert_eq!(sanitize("\u{202e}nimda\u{202c}"), "\\u{202e}nimda\\u{202c}");
        assert_eq!(sanitize("ad\u{200b}min\u{feff}"), "ad\\u{200b}min\\u{feff}");
        assert_eq!(sanitize("a\nb\r"), "a\\u{a}b\\u{d}");
        assert_eq!(sanitize("\u{9b}31m"), "\\u{9b}31m");
        // A typed backslash cannot forge an escape.
        assert_eq!(sanitize("\\u{202e}"), "\\\\u{202e}");
        for ch in sanitize("\u{1b}P+q\u{1b}\\ \u{7f}\u{2066}").chars() {
            assert!(!ch.is_control(), "{ch:?} survived");
        }
    }
}

/// `2026-11-22 01:35:00Z` for a Unix time in seconds (UTC, proleptic Gregorian).
pub fn utc(secs: u64) -> String {
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `01:35:00`: the time of day (UTC) of a Unix time, for log and feed lines.
pub fn clock_time(secs: u64) -> String {
    let rem = secs % 86_400;
    format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Year, month, day of a count of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// How long ago `then` was, seen from `now`, in the largest whole unit: `42s ago`, `3d ago`.
pub fn ago(then: u64, now: u64) -> String {
    let Some(delta) = now.checked_sub(then) else {
        return "in the future".to_owned();
    };
    let (n, unit) = match delta {
        0..60 => (delta, "s"),
        60..3600 => (delta / 60, "m"),
        3600..86_400 => (delta / 3600, "h"),
        86_400..31_536_000 => (delta / 86_400, "d"),
        _ => (delta / 31_536_000, "y"),
    };
    format!("{n}{unit} ago")
}

#[cfg(test)]
mod time_tests {
    use super::*;

    #[test]
    fn formats_utc_and_relative_times() {
        assert_eq!(utc(0), "1970-01-01 00:00:00Z");
        assert_eq!(utc(1_430_000_001), "2015-04-25 22:13:21Z");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20Z");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00Z");
        assert_eq!(utc(951_868_799), "2000-02-29 23:59:59Z");
        assert_eq!(utc(951_868_800), "2000-03-01 00:00:00Z");
        assert_eq!(utc(4_107_542_400), "2100-03-01 00:00:00Z");
        assert_eq!(utc(253_402_300_799), "9999-12-31 23:59:59Z");
        assert_eq!(clock_time(1_700_000_000), "22:13:20");
        assert_eq!(clock_time(0), "00:00:00");
        assert_eq!(ago(100, 142), "42s ago");
        assert_eq!(ago(0, 3 * 86_400 + 5), "3d ago");
        assert_eq!(ago(10, 5), "in the future");
    }
}
