//! Handler check: the battery run against the user's own handler, its past runs and their
//! comparison. Secrets stay in the store: the caller names the endpoint whose secrets sign.

use crate::handler_check::{
    self, CheckComparison, HandlerCheckError, HandlerCheckInput, HandlerCheckReport, RunSummary,
};
use crate::registry::Registry;

use super::{App, AppResult, blocking};

/// Past runs listed in the window.
const RUNS_LISTED: u32 = 50;

impl App {
    async fn with_checks<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Registry) -> Result<T, HandlerCheckError> + Send + 'static,
    ) -> AppResult<T> {
        blocking(self.registry.clone(), f).await
    }

    /// Async all through, so a run of many requests (and a retry simulation) holds no thread.
    pub async fn run_handler_check(
        &self,
        input: HandlerCheckInput,
    ) -> AppResult<HandlerCheckReport> {
        let spec = self.with_checks(move |r| handler_check::input::spec(r, &input)).await?;
        Ok(handler_check::run(&self.registry, &spec).await?)
    }

    pub async fn list_handler_check_runs(&self) -> AppResult<Vec<RunSummary>> {
        self.with_checks(|r| handler_check::list_runs(r.store(), RUNS_LISTED)).await
    }

    pub async fn get_handler_check_run(&self, id: i64) -> AppResult<HandlerCheckReport> {
        self.with_checks(move |r| handler_check::get_run(r.store(), id)).await
    }

    /// Each check of either run with its outcome in both; `before` is the older run.
    pub async fn compare_handler_check_runs(
        &self,
        before: i64,
        after: i64,
    ) -> AppResult<Vec<CheckComparison>> {
        self.with_checks(move |r| {
            let (before, after) = (
                handler_check::get_run(r.store(), before)?,
                handler_check::get_run(r.store(), after)?,
            );
            Ok(handler_check::compare_runs(&before, &after))
        })
        .await
    }
}
