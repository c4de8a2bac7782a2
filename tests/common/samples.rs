#![allow(dead_code)]

//! The JSON samples of the seed documents (tests/fixtures/seeds, copied verbatim from the API pages).

use blockdeck::tim::wire::from_slice_lenient;
use serde_json::Value;

/// Which call a seed document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedApi {
    Add,
    Get,
    Delete,
}

pub struct Sample {
    pub file: &'static str,
    pub api: SeedApi,
    pub json: Value,
    pub is_response: bool,
    /// The sample exactly as the document writes it (it may hold no-break spaces between tokens).
    pub raw: &'static str,
}

const SEEDS: [(&str, SeedApi, &str); 5] = [
    (
        "000",
        SeedApi::Add,
        include_str!("../fixtures/seeds/000_9f18073d58c70671.txt"),
    ),
    (
        "001",
        SeedApi::Add,
        include_str!("../fixtures/seeds/001_611cd935518700e1.txt"),
    ),
    (
        "002",
        SeedApi::Get,
        include_str!("../fixtures/seeds/002_1b8fd1a97ba0afaa.txt"),
    ),
    (
        "003",
        SeedApi::Delete,
        include_str!("../fixtures/seeds/003_f8c7c554ae218e22.txt"),
    ),
    (
        "004",
        SeedApi::Delete,
        include_str!("../fixtures/seeds/004_23c267dccd5bfbfa.txt"),
    ),
];

/// Every JSON object in the seed documents: each `{` that starts a complete JSON value is taken.
pub fn all() -> Vec<Sample> {
    let mut out = Vec::new();
    for (file, api, text) in SEEDS {
        let bytes = text.as_bytes();
        let mut at = 0;
        while let Some(rel) = text[at..].find('{') {
            let start = at + rel;
            match balanced_end(&bytes[start..])
                .and_then(|len| from_slice_lenient::<Value>(&bytes[start..start + len]).ok())
            {
                Some(json) if json.is_object() && !json.as_object().unwrap().is_empty() => {
                    at = start + balanced_end(&bytes[start..]).unwrap();
                    let is_response = json.get("ActionStatus").is_some();
                    out.push(Sample {
                        file,
                        api,
                        json,
                        is_response,
                        raw: &text[start..at],
                    });
                }
                _ => at = start + 1,
            }
        }
    }
    out
}

/// Length of the brace-balanced text starting at `{`, strings respected.
fn balanced_end(bytes: &[u8]) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The set of key paths of a JSON value (`ResultItem[].To_Account`, ...), for comparing shapes.
pub fn shape(value: &Value) -> std::collections::BTreeSet<String> {
    fn walk(value: &Value, path: &str, out: &mut std::collections::BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    out.insert(format!("{p}:{}", kind(v)));
                    walk(v, &p, out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(item, &format!("{path}[]"), out);
                }
            }
            _ => {}
        }
    }
    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
    let mut out = std::collections::BTreeSet::new();
    walk(value, "", &mut out);
    out
}
