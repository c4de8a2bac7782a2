//! One export for the CLI and the dashboard: `blockdeck list alice --csv` (a child process) and the
//! dashboard's export of alice's list (the real worker and client against the same sandbox, the
//! model driven by `update`) write the same header and the same rows, byte for byte, hostile
//! nicknames included.

mod common {
    pub mod cli;
    pub mod harness;
}

use std::sync::Arc;
use std::time::Duration;

use blockdeck::app::model::{Connection, Model};
use blockdeck::app::{Effect, Msg, update};
use blockdeck::client::engine::EngineOptions;
use blockdeck::sandbox::Seed;
use blockdeck::worker::Worker;
use common::cli::{LocalSandbox, Workspace, run};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(text: &str) -> Vec<Msg> {
    text.chars().map(|c| key(KeyCode::Char(c))).collect()
}

/// The dashboard's export of `user`'s list as `path` names it, after the whole list and every
/// page's nicknames came in through the worker.
fn dashboard_export(url: &str, journal: std::path::PathBuf, user: &str, path: &str) -> String {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let engine = common::cli::engine(url, EngineOptions::default());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let plan = common::cli::journal_plan(url, journal);
        let mut worker = Worker::new(Arc::new(engine), plan, tx);
        let mut model = Model::new(Connection::default(), false, true, 0);
        let step = |model: &mut Model, worker: &mut Worker, msg: Msg| -> Vec<Effect> {
            let fx = update(model, msg);
            for effect in fx.iter().cloned() {
                if !matches!(effect, Effect::Export { .. }) {
                    worker.handle(effect);
                }
            }
            fx
        };
        step(&mut model, &mut worker, Msg::Resize(120, 40));
        for msg in typed(user).into_iter().chain([key(KeyCode::Enter)]) {
            step(&mut model, &mut worker, msg);
        }
        // Every page, and the nicknames of every page (one answer each).
        let (mut pages, mut nicks) = (0, 0);
        while !(model.list.complete && nicks == pages) {
            let msg = tokio::time::timeout(Duration::from_secs(20), rx.recv())
                .await
                .expect("the worker answers")
                .expect("the worker is there");
            match &msg {
                Msg::Page { .. } => pages += 1,
                Msg::Nicks { .. } => nicks += 1,
                Msg::LookupFailed { error, .. } => panic!("{error}"),
                _ => {}
            }
            step(&mut model, &mut worker, msg);
        }
        let line = format!(":export {path}");
        let mut exported = None;
        for msg in typed(&line).into_iter().chain([key(KeyCode::Enter)]) {
            for effect in step(&mut model, &mut worker, msg) {
                if let Effect::Export { contents, .. } = effect {
                    exported = Some(contents);
                }
            }
        }
        exported.unwrap_or_else(|| panic!("no export: {:?}", model.overlay))
    })
}

#[test]
fn cli_list_and_dashboard_export_write_the_same_rows() {
    let sb = LocalSandbox::on(Seed::demo());
    let ws = Workspace::new();
    let cli = run(ws.cmd(&sb.url(), &["list", "alice", "--csv"]));
    cli.assert_code(0, "list --csv");
    let dashboard = dashboard_export(&sb.url(), ws.path("journal.jsonl"), "alice", "alice.csv");
    assert_eq!(cli.stdout, dashboard);
    let rows: Vec<&str> = dashboard.lines().collect();
    assert_eq!(rows[0], "from,to,nickname,add_black_time_stamp,added_utc");
    // 250 entries; a nickname with a new line in it spans two lines of the file, quoted.
    assert!(rows.len() > 250, "{}", rows.len());
    assert!(dashboard.contains("\"line1\nline2\r\""), "{dashboard}");

    // The same in JSON Lines.
    let cli = run(ws.cmd(&sb.url(), &["list", "alice", "--json"]));
    cli.assert_code(0, "list --json");
    let dashboard = dashboard_export(&sb.url(), ws.path("journal.jsonl"), "alice", "alice.json");
    assert_eq!(cli.stdout, dashboard);
    assert_eq!(dashboard.lines().count(), 250);
}
