//! Every sample request and response of the seed documents parses into the wire types and
//! re-serialises to the very same JSON, field names included.

mod common {
    pub mod samples;
}

use blockdeck::tim::wire::{
    BlackListChangeRequest, BlackListChangeResponse, BlackListGetRequest, BlackListGetResponse,
};
use common::samples::{self, SeedApi};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn round_trip<T: DeserializeOwned + Serialize>(json: &Value) -> Value {
    let typed: T = serde_json::from_value(json.clone()).expect("sample parses");
    serde_json::to_value(&typed).expect("serialises")
}

#[test]
fn every_seed_sample_round_trips() {
    let all = samples::all();
    // 000 and 001: request + response each; 002: request + response; 003, 004: request + response.
    assert_eq!(
        all.len(),
        10,
        "samples found: {:?}",
        all.iter().map(|s| s.file).collect::<Vec<_>>()
    );
    for sample in &all {
        let back = match (sample.api, sample.is_response) {
            (SeedApi::Add | SeedApi::Delete, false) => {
                round_trip::<BlackListChangeRequest>(&sample.json)
            }
            (SeedApi::Add | SeedApi::Delete, true) => {
                round_trip::<BlackListChangeResponse>(&sample.json)
            }
            (SeedApi::Get, false) => round_trip::<BlackListGetRequest>(&sample.json),
            (SeedApi::Get, true) => round_trip::<BlackListGetResponse>(&sample.json),
        };
        assert_eq!(
            back, sample.json,
            "seed {} ({:?}) did not round-trip",
            sample.file, sample.api
        );
    }
}

#[test]
fn seed_samples_carry_the_documented_values() {
    let all = samples::all();
    let get = all
        .iter()
        .find(|s| s.api == SeedApi::Get && s.is_response)
        .unwrap();
    let resp: BlackListGetResponse = serde_json::from_value(get.json.clone()).unwrap();
    assert_eq!(resp.current_sequence, 13);
    assert_eq!(resp.start_index, 0);
    assert_eq!(resp.black_list_item[1].add_black_time_stamp, 1430000002);
    let add = all
        .iter()
        .find(|s| s.api == SeedApi::Add && s.is_response)
        .unwrap();
    let resp: BlackListChangeResponse = serde_json::from_value(add.json.clone()).unwrap();
    assert_eq!(resp.fail_account, vec!["id2", "id3"]);
    assert_eq!(
        resp.result_item[1].result_info,
        "Err_SNS_BlackListAdd_Already_Exist"
    );
    assert!(resp.envelope.is_ok());
}
