//! Past runs, kept whole so a later run can be compared with an earlier one ("did my fix turn
//! this red row green?").

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{CheckId, CheckOutcome, HandlerCheckError, HandlerCheckReport, Result};
use crate::providers::ProviderId;
use crate::store::{Store, StoreError};

/// Runs kept; older ones are pruned as new ones start.
pub const RUNS_KEPT: i64 = 200;

/// A run in a list of runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RunSummary {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub at: i64,
    pub provider: ProviderId,
    pub target: String,
    pub passed: bool,
}

/// One check's outcome in two runs; `None` where a run did not include it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckComparison {
    pub id: CheckId,
    pub before: Option<CheckOutcome>,
    pub after: Option<CheckOutcome>,
    pub changed: bool,
}

pub(crate) fn start(store: &Store, at: i64, provider: ProviderId, target: &str) -> Result<i64> {
    Ok(store.write(|c| {
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO handler_check_runs (at, provider, target, passed, report)
             VALUES (?1, ?2, ?3, 0, '{}')",
            params![at, provider.as_str(), target.trim()],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute("DELETE FROM handler_check_runs WHERE id <= ?1", [id - RUNS_KEPT])?;
        tx.commit()?;
        Ok(id)
    })?)
}

pub(crate) fn finish(store: &Store, report: &HandlerCheckReport) -> Result<()> {
    let json = serde_json::to_string(report)
        .map_err(|e| HandlerCheckError::Invalid(format!("cannot store the run: {e}")))?;
    store.write(|c| {
        c.execute(
            "UPDATE handler_check_runs SET passed = ?2, report = ?3 WHERE id = ?1",
            params![report.run_id, report.passed, json],
        )?;
        Ok(())
    })?;
    Ok(())
}

/// Finished runs, newest first.
pub fn list_runs(store: &Store, limit: u32) -> Result<Vec<RunSummary>> {
    let rows: Vec<(i64, i64, String, String, bool)> = store.read(|c| {
        let mut stmt = c.prepare(
            "SELECT id, at, provider, target, passed FROM handler_check_runs
             WHERE report <> '{}' ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([i64::from(limit)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at, provider, target, passed)| {
            Some(RunSummary { id, at, provider: provider.parse().ok()?, target, passed })
        })
        .collect())
}

/// A finished run's scorecard.
pub fn get_run(store: &Store, id: i64) -> Result<HandlerCheckReport> {
    let json: Option<String> = store.read(|c| {
        Ok(c.query_row("SELECT report FROM handler_check_runs WHERE id = ?1", [id], |r| r.get(0))
            .optional()?)
    })?;
    let json = json
        .filter(|j| j != "{}")
        .ok_or_else(|| HandlerCheckError::Invalid(format!("no finished handler check {id}")))?;
    serde_json::from_str(&json).map_err(|e| {
        HandlerCheckError::Store(StoreError::Invalid(format!("handler check {id} is damaged: {e}")))
    })
}

/// Each check of either run with its outcome in both, in the battery's order.
pub fn compare_runs(
    before: &HandlerCheckReport,
    after: &HandlerCheckReport,
) -> Vec<CheckComparison> {
    let outcome = |report: &HandlerCheckReport, id: CheckId| {
        report.results.iter().find(|r| r.id == id).map(|r| r.outcome)
    };
    CheckId::ALL
        .into_iter()
        .filter_map(|id| {
            let (b, a) = (outcome(before, id), outcome(after, id));
            (b.is_some() || a.is_some()).then_some(CheckComparison {
                id,
                before: b,
                after: a,
                changed: b != a,
            })
        })
        .collect()
}
