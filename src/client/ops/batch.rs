//! A journaled batch: the intent (every pair) is on disk before the first request, every
//! answered call is recorded as it comes, and the end is recorded when the run stops, so that
//! `blockdeck resume` can finish what an interruption left.

use std::io;
use std::time::SystemTime;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::client::engine::{Engine, Event, JournalTarget, Report, RunOptions};
use crate::client::journal::{self, BatchId, Claim, Intent, Journal, Location, Resume};
use crate::client::{Operation, Pair};
use crate::moderation::{Approval, Protected, Refused, Why};

/// Where batches are journaled, and what each intent records about the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalPlan {
    /// The journal: a file, or a team's PostgreSQL database.
    pub path: Location,
    pub profile: Option<String>,
    pub sdkappid: u64,
    pub base_url: String,
    /// Who makes the changes (see [`crate::moderation::moderator`]).
    pub moderator: String,
    /// A batch without a reason or a ticket is refused before anything is sent.
    pub require_reason: bool,
    /// A batch touching these accounts is refused unless they are named in its approval.
    pub protected: Protected,
}

/// A batch of this app that the journal holds unfinished: what `:resume` and `blockdeck resume`
/// finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteBatch {
    pub id: String,
    pub op: Operation,
    /// Unix seconds of its intent.
    pub time: u64,
    /// Who ran it (OS user), as the journal has it (untrusted text).
    pub by: String,
    /// Pairs not known to be done: what a resume re-checks.
    pub unfinished: Vec<Pair>,
}

/// A batch whose intent (or resumption) is on disk, ready to run.
pub struct Batch {
    journal: Journal,
    id: BatchId,
    /// Held while the batch runs: a second process cannot run or resume it at the same time.
    _claim: Claim,
}

impl JournalPlan {
    /// Opens the journal and records the intent of a new batch of `op` over `pairs`, synced to
    /// disk before anything is sent.
    ///
    /// Refused before anything is written or sent when the profile requires a reason and
    /// `approval` has none, or when a pair touches a protected account that `approval` does not
    /// name: the surfaces hold such pairs out and list them first; this is the last word.
    pub fn begin(&self, op: Operation, pairs: &[Pair], approval: &Approval) -> io::Result<Batch> {
        self.check(&approval.why)?;
        let (_, held) = self
            .protected
            .hold_out(pairs.to_vec(), &approval.include_protected);
        if !held.is_empty() {
            return Err(Refused::io(format!(
                "{} pair(s) touch protected accounts ({}{}); name an account to let it                      through (--include-protected ID); nothing was sent",
                held.len(),
                held.iter()
                    .take(5)
                    .map(|p| format!("{} → {}", p.from, p.to))
                    .collect::<Vec<_>>()
                    .join(", "),
                if held.len() > 5 { ", …" } else { "" }
            )));
        }
        let why = &approval.why;
        let mut journal = Journal::open(&self.path)?;
        let id = BatchId::generate(SystemTime::now());
        let mut intent = Intent::new(
            id.clone(),
            self.profile.clone(),
            self.sdkappid,
            &self.base_url,
            op,
            pairs.to_vec(),
        );
        intent.moderator = Some(self.moderator.clone());
        intent.why = why.clone();
        let claim = journal.claim(&id, &self.moderator)?;
        journal.intent(&intent)?;
        Ok(Batch {
            journal,
            id,
            _claim: claim,
        })
    }

    /// Refuses a change without a reason where one is required.
    fn check(&self, why: &Why) -> io::Result<()> {
        if self.require_reason && !why.is_given() {
            return Err(Refused::io(crate::moderation::reason_required(
                self.profile.as_deref(),
            )));
        }
        Ok(())
    }

    /// The batches of this app (its SDKAppID and endpoint) that the journal holds unfinished,
    /// newest first. No journal yet is none.
    pub fn incomplete(&self) -> Result<Vec<IncompleteBatch>, journal::JournalError> {
        if !journal::exists(&self.path) {
            return Ok(Vec::new());
        }
        let listing = journal::list(&self.path, None)?;
        // Only this endpoint's: a re-check elsewhere would read another service's state.
        let mut ids: Vec<BatchId> = listing
            .batches
            .iter()
            .filter(|b| {
                b.sdkappid == self.sdkappid
                    && journal::same_endpoint(&b.base_url, &self.base_url)
                    && b.is_incomplete()
            })
            .map(|b| b.id.clone())
            .collect();
        ids.reverse();
        Ok(journal::read_some(&self.path, &ids)?
            .into_iter()
            .map(|b| IncompleteBatch {
                id: b.id().to_string(),
                op: b.intent.operation,
                time: b.intent.time,
                by: b.intent.os_user.clone(),
                unfinished: b.unfinished(),
            })
            .filter(|b| !b.unfinished.is_empty())
            .collect())
    }

    /// The journal's batches, newest first, at most `limit` of them: every moderator's, of any
    /// app (the caller tells this app's apart by `intent.sdkappid` and `intent.base_url`). No
    /// journal yet is none. Only their records are read.
    pub fn recent(&self, limit: usize) -> Result<Vec<journal::BatchState>, journal::JournalError> {
        if !journal::exists(&self.path) {
            return Ok(Vec::new());
        }
        let listing = journal::list(&self.path, None)?;
        let ids: Vec<BatchId> = listing
            .batches
            .iter()
            .rev()
            .take(limit)
            .map(|b| b.id.clone())
            .collect();
        journal::read_some(&self.path, &ids)
    }

    /// Everything the journal says about batch `id`.
    pub fn batch(&self, id: &BatchId) -> Result<journal::BatchState, journal::JournalError> {
        journal::read_batch(&self.path, Some(id.as_str()))
    }

    /// Opens the journal and records that batch `id` is resumed.
    pub fn resume(&self, id: &BatchId, why: &Why) -> io::Result<Batch> {
        self.check(why)?;
        let mut journal = Journal::open(&self.path)?;
        let claim = journal.claim(id, &self.moderator)?;
        let mut resume = Resume::new(id.clone());
        resume.moderator = Some(self.moderator.clone());
        resume.why = why.clone();
        journal.resume(&resume)?;
        Ok(Batch {
            journal,
            id: id.clone(),
            _claim: claim,
        })
    }
}

impl Batch {
    pub fn id(&self) -> &BatchId {
        &self.id
    }

    pub fn journal_location(&self) -> &Location {
        self.journal.location()
    }

    /// Runs `op` over `pairs` through the engine, recording every answered call and the end.
    /// With `precheck` (a resumption), the real state of each pair is checked first and only what
    /// is still needed is applied.
    pub async fn run(
        &mut self,
        engine: &Engine,
        op: Operation,
        pairs: Vec<Pair>,
        precheck: bool,
        events: Option<mpsc::UnboundedSender<Event>>,
        cancel: CancellationToken,
    ) -> Report {
        engine
            .run(
                op,
                pairs,
                RunOptions {
                    precheck,
                    journal: Some(JournalTarget {
                        journal: &mut self.journal,
                        batch: self.id.clone(),
                    }),
                    events,
                    cancel,
                    ..RunOptions::default()
                },
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tim::ids::UserId;

    fn plan(dir: &std::path::Path) -> JournalPlan {
        JournalPlan {
            path: dir.join("journal.jsonl").into(),
            profile: Some("prod".to_owned()),
            sdkappid: 1,
            base_url: "http://127.0.0.1:9".to_owned(),
            moderator: "mod_ana".to_owned(),
            require_reason: false,
            protected: Protected::default(),
        }
    }

    fn id(s: &str) -> UserId {
        UserId::parse(s).unwrap()
    }

    #[test]
    fn a_batch_is_run_by_one_process_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan(dir.path());
        let batch = plan
            .begin(
                Operation::Block,
                &[Pair::new(id("a"), id("b"))],
                &Approval::default(),
            )
            .unwrap();
        let err = plan
            .resume(batch.id(), &Why::default())
            .err()
            .expect("claimed by the first");
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert!(
            err.to_string().contains("right now by mod_ana ("),
            "the holder is named: {err}"
        );
        let batch_id = batch.id().clone();
        drop(batch);
        // Let go: it may be resumed now.
        assert!(plan.resume(&batch_id, &Why::default()).is_ok());
    }

    /// Where the profile requires a reason, a batch without one is refused before its intent is
    /// written; a protected account is refused unless named; what is begun records the
    /// moderator and the reason.
    #[test]
    fn the_teams_rules_are_the_last_word_before_the_intent() {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = plan(dir.path());
        plan.require_reason = true;
        plan.protected = Protected::of([id("@RBT#support")]);
        let pairs = [Pair::new(id("a"), id("b"))];
        let err = plan
            .begin(Operation::Unblock, &pairs, &Approval::default())
            .err()
            .expect("refused without a reason");
        assert!(Refused::is(&err));
        assert!(err.to_string().contains("requires a reason"), "{err}");
        assert!(!plan.path.file().unwrap().exists(), "nothing was written");
        let why = Why::new(Some("raid cleanup"), Some("OPS-1")).unwrap();
        let bot = [Pair::new(id("@RBT#support"), id("b"))];
        let approval = Approval {
            why: why.clone(),
            include_protected: Vec::new(),
        };
        let err = plan
            .begin(Operation::Unblock, &bot, &approval)
            .err()
            .expect("refused for the protected account");
        assert!(err.to_string().contains("@RBT#support → b"), "{err}");
        let approval = Approval {
            why,
            include_protected: vec![id("@RBT#support")],
        };
        let batch = plan.begin(Operation::Unblock, &bot, &approval).unwrap();
        let text = std::fs::read_to_string(plan.path.file().unwrap()).unwrap();
        let intent: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(intent["moderator"], "mod_ana");
        assert_eq!(intent["reason"], "raid cleanup");
        assert_eq!(intent["ticket"], "OPS-1");
        drop(batch);
        assert!(
            plan.resume(&id_of(&intent), &Why::default()).is_err(),
            "a resume needs a reason too"
        );
    }

    fn id_of(intent: &serde_json::Value) -> BatchId {
        intent["batch"].as_str().unwrap().parse().unwrap()
    }
}
