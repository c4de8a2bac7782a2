//! UserSig, version 2 of Tencent's TLS signature: HMAC-SHA256 over four fields, wrapped in a
//! zlib-compressed JSON document and a base64 variant that is safe in URLs.
//!
//! Signing produces the same document the official libraries produce (field order and
//! compression level may differ, which is harmless: UserSig strings are never compared, only
//! their decoded fields and `TLS.sig`). Verifying accepts any JSON key order and escaping, and
//! numbers written either as JSON numbers or as decimal strings.
//!
//! Scope: only plain UserSigs are supported. The optional `TLS.userbuf` field (used by
//! privilege-map keys) is accepted and ignored: the signed content is always the four lines of
//! identifier, sdkappid, time and expire. A UserSig whose HMAC also covers a userbuf therefore
//! fails verification with [`VerifyError::Hmac`].

use std::fmt;
use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use hmac::{Hmac, Mac};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use sha2::Sha256;

use crate::secret::SecretKey;

type HmacSha256 = Hmac<Sha256>;

/// The only document version this module signs and accepts.
pub const VERSION: &str = "2.0";

/// A UserSig longer than this is refused before any decoding (real ones are about 200 characters).
const MAX_USERSIG_CHARS: usize = 16 * 1024;

/// The inflated document may not exceed this size; a larger one is treated as a zip bomb.
const MAX_INFLATED_BYTES: u64 = 64 * 1024;

/// Length of an HMAC-SHA256 output.
const HMAC_LEN: usize = 32;

/// Standard alphabet, padding optional: some encoders drop the trailing `_` (`=`) characters.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The fields of a decoded UserSig.
#[derive(Clone, PartialEq, Eq)]
pub struct Claims {
    /// The account the UserSig was made for (`TLS.identifier`).
    pub identifier: String,
    /// The app it was made for (`TLS.sdkappid`).
    pub sdkappid: u64,
    /// Unix seconds at signing (`TLS.time`).
    pub time: u64,
    /// Validity duration in seconds (`TLS.expire`).
    pub expire: u64,
    /// Base64 HMAC-SHA256 of the signed content (`TLS.sig`).
    pub sig: String,
}

impl Claims {
    /// The last Unix second at which the UserSig is still valid (`time + expire`, saturating).
    pub fn expires_at(&self) -> u64 {
        self.time.saturating_add(self.expire)
    }
}

impl fmt::Debug for Claims {
    /// Together with the other fields, `sig` is enough to rebuild a working UserSig, so it is
    /// left out of debug output (and thus out of logs).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("identifier", &self.identifier)
            .field("sdkappid", &self.sdkappid)
            .field("time", &self.time)
            .field("expire", &self.expire)
            .field("sig", &"<redacted>")
            .finish()
    }
}

/// Why a UserSig was refused. Each variant corresponds to an error code of the real service
/// (see [`VerifyError::tim_code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The string is not a UserSig: bad base64, bad zlib, bad JSON, missing or mistyped field.
    #[error("the UserSig is malformed ({0}); generate a new one with the app's secret key")]
    Format(String),
    /// The UserSig was made for another app.
    #[error(
        "the UserSig was made for SDKAppID {found}, but this request is for SDKAppID {expected}; \
         sign it for SDKAppID {expected}"
    )]
    SdkAppId {
        /// The SDKAppID of the request.
        expected: u64,
        /// The SDKAppID inside the UserSig.
        found: u64,
    },
    /// The UserSig was made for another account.
    #[error(
        "the UserSig was made for identifier {}, but the request uses identifier {}; \
         sign it for the admin account named in the request",
        quoted(found),
        quoted(expected)
    )]
    Identifier {
        /// The identifier of the request.
        expected: String,
        /// The identifier inside the UserSig.
        found: String,
    },
    /// The signature does not match: the UserSig was signed with a different secret key.
    #[error(
        "the UserSig's signature does not match: it was signed with a different secret key; \
         check the secret key configured for this SDKAppID"
    )]
    Hmac,
    /// The UserSig's validity period is over.
    #[error("the UserSig expired at Unix time {expired_at} (it is now {now}); generate a new one")]
    Expired {
        /// The last second at which it was valid.
        expired_at: u64,
        /// The time of the check.
        now: u64,
    },
}

impl VerifyError {
    /// The error code the real service answers with for this failure.
    pub fn tim_code(&self) -> i64 {
        match self {
            VerifyError::Format(_) => 70003,
            VerifyError::Hmac => 70009,
            VerifyError::Identifier { .. } => 70013,
            VerifyError::SdkAppId { .. } => 70014,
            VerifyError::Expired { .. } => 70001,
        }
    }
}

/// Quotes an untrusted identifier for an error message: escapes control and other invisible
/// characters and shortens very long values.
fn quoted(text: &str) -> String {
    const MAX_CHARS: usize = 64;
    let mut out = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        if i == MAX_CHARS {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('"');
    out
}

/// The exact text that is HMAC'd: four lines, each ending in `\n`.
fn content_to_sign(identifier: &str, sdkappid: u64, time: u64, expire: u64) -> String {
    format!(
        "TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    )
}

fn new_mac(key: &SecretKey) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    HmacSha256::new_from_slice(key.expose().as_bytes()).expect("HMAC takes a key of any length")
}

fn compute_sig(key: &SecretKey, identifier: &str, sdkappid: u64, time: u64, expire: u64) -> String {
    let mut mac = new_mac(key);
    mac.update(content_to_sign(identifier, sdkappid, time, expire).as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Signs a UserSig for `identifier` in app `sdkappid`, made at Unix second `time` and valid for
/// `expire_secs` seconds. The result depends only on its inputs.
pub fn sign(
    key: &SecretKey,
    sdkappid: u64,
    identifier: &str,
    expire_secs: u64,
    time: u64,
) -> String {
    let sig = compute_sig(key, identifier, sdkappid, time, expire_secs);
    let identifier_json =
        serde_json::to_string(identifier).expect("a string always serializes to JSON");
    let document = format!(
        "{{\"TLS.ver\":\"{VERSION}\",\"TLS.identifier\":{identifier_json},\
         \"TLS.sdkappid\":{sdkappid},\"TLS.expire\":{expire_secs},\"TLS.time\":{time},\
         \"TLS.sig\":\"{sig}\"}}"
    );

    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(document.as_bytes())
        .expect("compressing into memory cannot fail");
    let compressed = encoder
        .finish()
        .expect("compressing into memory cannot fail");

    STANDARD
        .encode(compressed)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            other => other,
        })
        .collect()
}

/// [`sign`] with `time` taken from the system clock.
pub fn sign_now(key: &SecretKey, sdkappid: u64, identifier: &str, expire_secs: u64) -> String {
    sign(key, sdkappid, identifier, expire_secs, unix_now())
}

pub use crate::clock::unix_now;

/// Decodes a UserSig into its fields without checking the signature.
///
/// Accepts any key order and JSON escaping, a missing base64 padding, and `TLS.sdkappid`,
/// `TLS.time` and `TLS.expire` as numbers or decimal strings. Refuses documents that repeat a
/// field, because two readers could then disagree about which value counts.
pub fn decode(usersig: &str) -> Result<Claims, VerifyError> {
    let usersig = usersig.trim();
    if usersig.is_empty() {
        return Err(format_err("it is empty"));
    }
    if usersig.len() > MAX_USERSIG_CHARS {
        return Err(format_err(format!(
            "it is {} characters long, far more than a UserSig",
            usersig.len()
        )));
    }

    let standard: String = usersig
        .chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            other => other,
        })
        .collect();
    let compressed = LENIENT_BASE64
        .decode(standard.as_bytes())
        .map_err(|e| format_err(format!("not base64: {e}")))?;

    let mut document = Vec::new();
    ZlibDecoder::new(compressed.as_slice())
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_end(&mut document)
        .map_err(|e| format_err(format!("not zlib-compressed data: {e}")))?;
    if document.len() as u64 > MAX_INFLATED_BYTES {
        return Err(format_err(format!(
            "it inflates to more than {} KiB",
            MAX_INFLATED_BYTES / 1024
        )));
    }

    let fields: Fields = serde_json::from_slice(&document)
        .map_err(|e| format_err(format!("the document is not a JSON object: {e}")))?;
    let fields = fields.0;

    match field(&fields, "TLS.ver") {
        Some(Value::String(v)) if v == VERSION => {}
        Some(Value::String(v)) => {
            return Err(format_err(format!(
                "TLS.ver is {}, only version {VERSION} is supported",
                quoted(v)
            )));
        }
        Some(_) => return Err(format_err("TLS.ver is not a string")),
        None => return Err(format_err("TLS.ver is missing")),
    }

    let identifier = match field(&fields, "TLS.identifier") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(format_err("TLS.identifier is not a string")),
        None => return Err(format_err("TLS.identifier is missing")),
    };
    let sdkappid = number_field(&fields, "TLS.sdkappid")?;
    let time = number_field(&fields, "TLS.time")?;
    let expire = number_field(&fields, "TLS.expire")?;

    let sig = match field(&fields, "TLS.sig") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(format_err("TLS.sig is not a string")),
        None => return Err(format_err("TLS.sig is missing")),
    };
    match LENIENT_BASE64.decode(sig.as_bytes()) {
        Ok(bytes) if bytes.len() == HMAC_LEN => {}
        _ => {
            return Err(format_err("TLS.sig is not a base64 HMAC-SHA256 (32 bytes)"));
        }
    }

    Ok(Claims {
        identifier,
        sdkappid,
        time,
        expire,
        sig,
    })
}

/// Verifies a UserSig presented with `identifier` and `sdkappid` at Unix second `now`.
///
/// Checks, in this order: the format, the SDKAppID, the identifier, the signature (compared in
/// constant time) and the expiry (valid while `now <= time + expire`). The first failure is
/// returned.
pub fn verify(
    usersig: &str,
    key: &SecretKey,
    identifier: &str,
    sdkappid: u64,
    now: u64,
) -> Result<Claims, VerifyError> {
    let claims = decode(usersig)?;
    if claims.sdkappid != sdkappid {
        return Err(VerifyError::SdkAppId {
            expected: sdkappid,
            found: claims.sdkappid,
        });
    }
    if claims.identifier != identifier {
        return Err(VerifyError::Identifier {
            expected: identifier.to_owned(),
            found: claims.identifier,
        });
    }

    let presented = LENIENT_BASE64
        .decode(claims.sig.as_bytes())
        .map_err(|_| format_err("TLS.sig is not base64"))?;
    let content = content_to_sign(&claims.identifier, sdkappid, claims.time, claims.expire);
    let mut mac = new_mac(key);
    mac.update(content.as_bytes());
    mac.verify_slice(&presented)
        .map_err(|_| VerifyError::Hmac)?;

    let expired_at = claims.expires_at();
    if now > expired_at {
        return Err(VerifyError::Expired { expired_at, now });
    }
    Ok(claims)
}

fn format_err(detail: impl Into<String>) -> VerifyError {
    VerifyError::Format(detail.into())
}

/// Reads a non-negative integer written as a JSON number or as a string of decimal digits.
fn number_field(fields: &[(String, Value)], name: &str) -> Result<u64, VerifyError> {
    let value = field(fields, name).ok_or_else(|| format_err(format!("{name} is missing")))?;
    match value {
        Value::Number(n) => n.as_u64().ok_or_else(|| {
            format_err(format!(
                "{name} is {n}, not a whole number from 0 to {}",
                u64::MAX
            ))
        }),
        Value::String(s) => parse_decimal(s).ok_or_else(|| {
            format_err(format!(
                "{name} is the string {}, not a decimal number",
                quoted(s)
            ))
        }),
        _ => Err(format_err(format!(
            "{name} is neither a number nor a numeric string"
        ))),
    }
}

/// Parses canonical unsigned decimal text: digits only, no sign, no leading zeros. A stricter
/// reading than `u64::from_str` so that the value re-formats to the very text that was signed.
fn parse_decimal(s: &str) -> Option<u64> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if canonical { s.parse().ok() } else { None }
}

/// The members of a JSON object in document order, refusing a name that appears twice.
struct Fields(Vec<(String, Value)>);

/// The value of member `name`, if present.
fn field<'a>(fields: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;

        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut fields: Vec<(String, Value)> = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, Value>()? {
                    if fields.iter().any(|(k, _)| *k == name) {
                        return Err(serde::de::Error::custom(format!(
                            "field {} appears twice",
                            quoted(&name)
                        )));
                    }
                    fields.push((name, value));
                }
                Ok(Fields(fields))
            }
        }

        deserializer.deserialize_map(FieldsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = include_str!("../../tests/fixtures/usersig-vectors.tsv");

    struct Vector {
        lib: String,
        sdkappid: u64,
        key: SecretKey,
        identifier: String,
        expire: u64,
        time: u64,
        usersig: String,
        tls_sig: String,
    }

    fn vectors() -> Vec<Vector> {
        let mut lines = VECTORS.lines();
        let header = lines.next().expect("fixture has a header");
        assert_eq!(
            header.split('\t').collect::<Vec<_>>(),
            [
                "lib",
                "sdkappid",
                "key",
                "identifier",
                "expire",
                "time",
                "usersig",
                "tls_sig"
            ]
        );
        let rows: Vec<Vector> = lines
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let c: Vec<&str> = line.split('\t').collect();
                assert_eq!(c.len(), 8, "row {line:?}");
                Vector {
                    lib: c[0].to_owned(),
                    sdkappid: c[1].parse().unwrap(),
                    key: SecretKey::new(c[2].to_owned()).unwrap(),
                    identifier: c[3].to_owned(),
                    expire: c[4].parse().unwrap(),
                    time: c[5].parse().unwrap(),
                    usersig: c[6].to_owned(),
                    tls_sig: c[7].to_owned(),
                }
            })
            .collect();
        assert!(rows.len() >= 5, "expected the five reference vectors");
        rows
    }

    fn key(s: &str) -> SecretKey {
        SecretKey::new(s.to_owned()).unwrap()
    }

    /// Wraps a hand-written JSON document the way a UserSig is wrapped.
    fn wrap(document: &str) -> String {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(document.as_bytes()).unwrap();
        STANDARD
            .encode(encoder.finish().unwrap())
            .replace('+', "*")
            .replace('/', "-")
            .replace('=', "_")
    }

    #[test]
    fn reference_vectors_decode_to_their_fields() {
        for v in vectors() {
            let claims =
                decode(&v.usersig).unwrap_or_else(|e| panic!("{} {}: {e}", v.lib, v.identifier));
            assert_eq!(claims.identifier, v.identifier);
            assert_eq!(claims.sdkappid, v.sdkappid);
            assert_eq!(claims.time, v.time);
            assert_eq!(claims.expire, v.expire);
            assert_eq!(claims.sig, v.tls_sig);
        }
    }

    #[test]
    fn our_signature_matches_the_reference_vectors() {
        for v in vectors() {
            let ours = sign(&v.key, v.sdkappid, &v.identifier, v.expire, v.time);
            let claims = decode(&ours).unwrap();
            assert_eq!(claims.sig, v.tls_sig, "identifier {}", v.identifier);
            assert_eq!(claims.identifier, v.identifier);
            assert_eq!(claims.sdkappid, v.sdkappid);
            assert_eq!(claims.time, v.time);
            assert_eq!(claims.expire, v.expire);
        }
    }

    #[test]
    fn reference_vectors_verify_until_they_expire() {
        for v in vectors() {
            let ok = verify(&v.usersig, &v.key, &v.identifier, v.sdkappid, v.time).unwrap();
            assert_eq!(ok.sig, v.tls_sig);
            // The last valid second is time + expire itself.
            let last = v.time + v.expire;
            assert!(verify(&v.usersig, &v.key, &v.identifier, v.sdkappid, last).is_ok());
            let err = verify(&v.usersig, &v.key, &v.identifier, v.sdkappid, last + 1).unwrap_err();
            assert_eq!(
                err,
                VerifyError::Expired {
                    expired_at: last,
                    now: last + 1
                }
            );
            assert_eq!(err.tim_code(), 70001);
        }
    }

    #[test]
    fn our_usersig_verifies_with_our_verifier() {
        let k = key("secret");
        let s = sign(&k, 1400000000, "administrator", 86400, 1_700_000_000);
        let claims = verify(&s, &k, "administrator", 1400000000, 1_700_000_100).unwrap();
        assert_eq!(claims.expires_at(), 1_700_086_400);
        // Only characters of the URL-safe variant appear.
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"*-_".contains(&b)),
            "{s}"
        );
    }

    #[test]
    fn signing_is_deterministic_and_depends_on_every_input() {
        let k = key("secret");
        let base = sign(&k, 1, "a", 10, 100);
        assert_eq!(base, sign(&k, 1, "a", 10, 100));
        let sig_of = |s: &str| decode(s).unwrap().sig;
        let base_sig = sig_of(&base);
        assert_ne!(base_sig, sig_of(&sign(&k, 2, "a", 10, 100)));
        assert_ne!(base_sig, sig_of(&sign(&k, 1, "b", 10, 100)));
        assert_ne!(base_sig, sig_of(&sign(&k, 1, "a", 11, 100)));
        assert_ne!(base_sig, sig_of(&sign(&k, 1, "a", 10, 101)));
        assert_ne!(base_sig, sig_of(&sign(&key("other"), 1, "a", 10, 100)));
    }

    #[test]
    fn sign_now_uses_the_clock() {
        let k = key("secret");
        let before = unix_now();
        let claims = decode(&sign_now(&k, 7, "admin", 60)).unwrap();
        let after = unix_now();
        assert!(before <= claims.time && claims.time <= after);
        assert_eq!(claims.expire, 60);
    }

    #[test]
    fn identifiers_needing_json_escapes_round_trip() {
        let k = key("secret");
        for id in ["quo\"te", "back\\slash", "张三", "tab\there", "@RBT#bot"] {
            let s = sign(&k, 5, id, 100, 1000);
            assert_eq!(verify(&s, &k, id, 5, 1000).unwrap().identifier, id);
        }
    }

    /// A correct `TLS.sig` for the hand-written documents below.
    fn hand_sig() -> String {
        compute_sig(&key("k"), "admin", 1400000001, 1000, 3600)
    }

    #[test]
    fn any_key_order_and_spacing_verifies() {
        let doc = format!(
            "{{ \"TLS.sig\" : \"{}\", \"TLS.time\": 1000,\n \"TLS.identifier\": \"admin\", \
             \"TLS.expire\": 3600, \"TLS.sdkappid\": 1400000001, \"TLS.ver\": \"2.0\" }}",
            hand_sig()
        );
        verify(&wrap(&doc), &key("k"), "admin", 1400000001, 1000).unwrap();
    }

    #[test]
    fn slash_and_unicode_escapes_verify() {
        let sig = hand_sig().replace('/', "\\/");
        let doc = format!(
            "{{\"TLS.ver\":\"2\\u002e0\",\"TLS.identifier\":\"\\u0061dmi\\u006E\",\
             \"TLS.sdkappid\":1400000001,\"TLS.expire\":3600,\"TLS.time\":1000,\
             \"TLS.sig\":\"{sig}\"}}"
        );
        let claims = verify(&wrap(&doc), &key("k"), "admin", 1400000001, 1000).unwrap();
        assert_eq!(claims.sig, hand_sig());
    }

    #[test]
    fn non_ascii_identifier_escaped_as_unicode_verifies() {
        // A PHP-style document writes 张三 as \u5f20\u4e09.
        let k = key("5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e");
        let sig = compute_sig(&k, "张三", 1400000000, 1700000000, 3600);
        let doc = format!(
            "{{\"TLS.ver\":\"2.0\",\"TLS.identifier\":\"\\u5f20\\u4e09\",\"TLS.sdkappid\":1400000000,\
             \"TLS.expire\":3600,\"TLS.time\":1700000000,\"TLS.sig\":\"{}\"}}",
            sig.replace('/', "\\/")
        );
        verify(&wrap(&doc), &k, "张三", 1400000000, 1700000000).unwrap();
    }

    #[test]
    fn numbers_written_as_strings_verify() {
        let doc = format!(
            "{{\"TLS.ver\":\"2.0\",\"TLS.identifier\":\"admin\",\"TLS.sdkappid\":\"1400000001\",\
             \"TLS.expire\":\"3600\",\"TLS.time\":\"1000\",\"TLS.sig\":\"{}\"}}",
            hand_sig()
        );
        let claims = verify(&wrap(&doc), &key("k"), "admin", 1400000001, 4600).unwrap();
        assert_eq!(
            (claims.sdkappid, claims.time, claims.expire),
            (1400000001, 1000, 3600)
        );
    }

    #[test]
    fn userbuf_is_ignored_and_missing_padding_is_tolerated() {
        let doc = format!(
            "{{\"TLS.ver\":\"2.0\",\"TLS.identifier\":\"admin\",\"TLS.sdkappid\":1400000001,\
             \"TLS.expire\":3600,\"TLS.time\":1000,\"TLS.userbuf\":\"AAEC\",\"TLS.sig\":\"{}\"}}",
            hand_sig().trim_end_matches('=')
        );
        let wrapped = wrap(&doc);
        let unpadded = wrapped.trim_end_matches('_');
        verify(unpadded, &key("k"), "admin", 1400000001, 1000).unwrap();
        // Surrounding whitespace (a pasted value with a newline) is tolerated too.
        verify(
            &format!(" {wrapped}\n"),
            &key("k"),
            "admin",
            1400000001,
            1000,
        )
        .unwrap();
    }

    #[test]
    fn tampered_sig_gives_hmac_error() {
        let k = key("secret");
        let s = sign(&k, 9, "admin", 100, 1000);
        let claims = decode(&s).unwrap();
        let mut raw = STANDARD.decode(&claims.sig).unwrap();
        raw[0] ^= 1;
        let doc = format!(
            "{{\"TLS.ver\":\"2.0\",\"TLS.identifier\":\"admin\",\"TLS.sdkappid\":9,\
             \"TLS.expire\":100,\"TLS.time\":1000,\"TLS.sig\":\"{}\"}}",
            STANDARD.encode(&raw)
        );
        let err = verify(&wrap(&doc), &k, "admin", 9, 1000).unwrap_err();
        assert_eq!(err, VerifyError::Hmac);
        assert_eq!(err.tim_code(), 70009);
    }

    #[test]
    fn changed_time_or_expire_breaks_the_signature() {
        // Extending the validity without re-signing must not work.
        let sig = hand_sig();
        let doc = format!(
            "{{\"TLS.ver\":\"2.0\",\"TLS.identifier\":\"admin\",\"TLS.sdkappid\":1400000001,\
             \"TLS.expire\":999999,\"TLS.time\":1000,\"TLS.sig\":\"{sig}\"}}"
        );
        assert_eq!(
            verify(&wrap(&doc), &key("k"), "admin", 1400000001, 1000),
            Err(VerifyError::Hmac)
        );
    }

    #[test]
    fn wrong_key_gives_hmac_error_and_never_shows_a_key() {
        let s = sign(&key("the-right-key"), 9, "admin", 100, 1000);
        let err = verify(&s, &key("the-wrong-key"), "admin", 9, 1000).unwrap_err();
        assert_eq!(err, VerifyError::Hmac);
        let msg = err.to_string();
        assert!(
            !msg.contains("right-key") && !msg.contains("wrong-key"),
            "{msg}"
        );
        assert!(msg.contains("secret key"), "{msg}");
    }

    #[test]
    fn wrong_identifier_and_sdkappid_are_named() {
        let k = key("secret");
        let s = sign(&k, 9, "admin", 100, 1000);
        let err = verify(&s, &k, "root", 9, 1000).unwrap_err();
        assert_eq!(
            err,
            VerifyError::Identifier {
                expected: "root".into(),
                found: "admin".into()
            }
        );
        assert_eq!(err.tim_code(), 70013);
        assert!(err.to_string().contains("\"admin\""), "{err}");

        let err = verify(&s, &k, "admin", 10, 1000).unwrap_err();
        assert_eq!(
            err,
            VerifyError::SdkAppId {
                expected: 10,
                found: 9
            }
        );
        assert_eq!(err.tim_code(), 70014);
        assert!(err.to_string().contains("SDKAppID 9"), "{err}");
    }

    #[test]
    fn checks_run_in_the_documented_order() {
        // Everything is wrong at once: the SDKAppID is reported first...
        let s = sign(&key("a"), 9, "admin", 1, 1000);
        let err = verify(&s, &key("b"), "root", 10, 5000).unwrap_err();
        assert!(matches!(err, VerifyError::SdkAppId { .. }), "{err:?}");
        // ...then the identifier...
        let err = verify(&s, &key("b"), "root", 9, 5000).unwrap_err();
        assert!(matches!(err, VerifyError::Identifier { .. }), "{err:?}");
        // ...then the signature, before the expiry.
        let err = verify(&s, &key("b"), "admin", 9, 5000).unwrap_err();
        assert_eq!(err, VerifyError::Hmac);
        let err = verify(&s, &key("a"), "admin", 9, 5000).unwrap_err();
        assert!(matches!(
            err,
            VerifyError::Expired {
                expired_at: 1001,
                now: 5000
            }
        ));
    }

    #[test]
    fn expiry_saturates_instead_of_overflowing() {
        let k = key("secret");
        let s = sign(&k, 1, "a", u64::MAX, u64::MAX - 5);
        let claims = verify(&s, &k, "a", 1, u64::MAX).unwrap();
        assert_eq!(claims.expires_at(), u64::MAX);
    }

    fn assert_format(result: Result<Claims, VerifyError>, needle: &str) {
        match result {
            Err(VerifyError::Format(detail)) => {
                assert!(detail.contains(needle), "{detail:?} lacks {needle:?}");
                assert_eq!(VerifyError::Format(detail).tim_code(), 70003);
            }
            other => panic!("expected a format error about {needle:?}, got {other:?}"),
        }
    }

    #[test]
    fn garbage_gives_format_errors() {
        assert_format(decode(""), "empty");
        assert_format(decode("not a usersig!"), "not base64");
        assert_format(decode("aGVsbG8gd29ybGQ_"), "zlib");
        assert_format(
            decode(&"A".repeat(MAX_USERSIG_CHARS + 1)),
            "characters long",
        );
        assert_format(decode(&wrap("[1,2,3]")), "JSON object");
        assert_format(decode(&wrap("{\"TLS.ver\":")), "JSON object");
    }

    fn doc_with(overrides: &[(&str, &str)]) -> String {
        let mut fields = vec![
            ("TLS.ver", "\"2.0\"".to_owned()),
            ("TLS.identifier", "\"admin\"".to_owned()),
            ("TLS.sdkappid", "1400000001".to_owned()),
            ("TLS.expire", "3600".to_owned()),
            ("TLS.time", "1000".to_owned()),
            ("TLS.sig", format!("\"{}\"", hand_sig())),
        ];
        for (name, value) in overrides {
            fields.retain(|(n, _)| n != name);
            if !value.is_empty() {
                fields.push((name, (*value).to_owned()));
            }
        }
        let body: Vec<String> = fields.iter().map(|(n, v)| format!("\"{n}\":{v}")).collect();
        wrap(&format!("{{{}}}", body.join(",")))
    }

    #[test]
    fn hand_built_baseline_document_is_valid() {
        // Guards the helper used by the negative cases below.
        verify(&doc_with(&[]), &key("k"), "admin", 1400000001, 1000).unwrap();
    }

    #[test]
    fn bad_fields_give_format_errors_naming_the_field() {
        assert_format(
            decode(&doc_with(&[("TLS.ver", "\"1.0\"")])),
            "only version 2.0",
        );
        assert_format(
            decode(&doc_with(&[("TLS.ver", "2.0")])),
            "TLS.ver is not a string",
        );
        assert_format(decode(&doc_with(&[("TLS.ver", "")])), "TLS.ver is missing");
        assert_format(
            decode(&doc_with(&[("TLS.identifier", "")])),
            "TLS.identifier is missing",
        );
        assert_format(
            decode(&doc_with(&[("TLS.identifier", "7")])),
            "TLS.identifier is not",
        );
        assert_format(decode(&doc_with(&[("TLS.time", "-1")])), "TLS.time");
        assert_format(decode(&doc_with(&[("TLS.time", "1.5")])), "TLS.time");
        assert_format(
            decode(&doc_with(&[("TLS.expire", "\"+36\"")])),
            "TLS.expire",
        );
        assert_format(
            decode(&doc_with(&[("TLS.expire", "\"036\"")])),
            "TLS.expire",
        );
        assert_format(decode(&doc_with(&[("TLS.expire", "\"\"")])), "TLS.expire");
        assert_format(
            decode(&doc_with(&[("TLS.sdkappid", "null")])),
            "TLS.sdkappid",
        );
        assert_format(
            decode(&doc_with(&[("TLS.sdkappid", "")])),
            "TLS.sdkappid is missing",
        );
        assert_format(decode(&doc_with(&[("TLS.sig", "")])), "TLS.sig is missing");
        assert_format(decode(&doc_with(&[("TLS.sig", "\"c2hvcnQ=\"")])), "TLS.sig");
        assert_format(
            decode(&doc_with(&[("TLS.sig", "[]")])),
            "TLS.sig is not a string",
        );
    }

    #[test]
    fn repeated_fields_are_refused() {
        let doc = format!(
            "{{\"TLS.ver\":\"2.0\",\"TLS.identifier\":\"admin\",\"TLS.identifier\":\"root\",\
             \"TLS.sdkappid\":1400000001,\"TLS.expire\":3600,\"TLS.time\":1000,\"TLS.sig\":\"{}\"}}",
            hand_sig()
        );
        assert_format(decode(&wrap(&doc)), "appears twice");
    }

    #[test]
    fn zip_bombs_are_refused() {
        let doc = format!("{{\"pad\":\"{}\"}}", "a".repeat(200 * 1024));
        let bomb = wrap(&doc);
        assert!(
            bomb.len() < MAX_USERSIG_CHARS,
            "the test input must pass the length check"
        );
        assert_format(decode(&bomb), "inflates to more than 64 KiB");
    }

    #[test]
    fn claims_debug_hides_the_signature() {
        let claims = decode(&sign(&key("secret"), 1, "a", 10, 100)).unwrap();
        let shown = format!("{claims:?}");
        assert!(!shown.contains(&claims.sig), "{shown}");
        assert!(shown.contains("identifier: \"a\""), "{shown}");
    }

    #[test]
    fn identifier_in_messages_is_escaped_and_shortened() {
        let err = VerifyError::Identifier {
            expected: "admin".into(),
            found: format!("evil\u{1b}[2J\u{202e}{}", "x".repeat(100)),
        };
        let msg = err.to_string();
        assert!(
            !msg.contains('\u{1b}') && !msg.contains('\u{202e}'),
            "{msg:?}"
        );
        assert!(msg.contains("\\u{1b}"), "{msg}");
        assert!(msg.contains('…'), "{msg}");
    }

    #[test]
    fn every_error_maps_to_its_service_code() {
        assert_eq!(VerifyError::Format(String::new()).tim_code(), 70003);
        assert_eq!(VerifyError::Hmac.tim_code(), 70009);
        assert_eq!(
            VerifyError::Identifier {
                expected: String::new(),
                found: String::new()
            }
            .tim_code(),
            70013
        );
        assert_eq!(
            VerifyError::SdkAppId {
                expected: 1,
                found: 2
            }
            .tim_code(),
            70014
        );
        assert_eq!(
            VerifyError::Expired {
                expired_at: 1,
                now: 2
            }
            .tim_code(),
            70001
        );
    }
}
