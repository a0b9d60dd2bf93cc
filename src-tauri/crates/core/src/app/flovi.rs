//! The Flovi API panel: settings, offices, schedules and the call history.

use crate::flovi_api::{
    CALLS_LISTED, FieldError, FloviCall, FloviClient, FloviError, FloviOffice, FloviSettings,
    ScheduleRequest, ScheduleResult,
};

use super::{App, AppResult, blocking};

impl App {
    /// Runs a blocking Flovi client call (settings, validation, history) off the async
    /// runtime's workers.
    async fn with_flovi<T: Send + 'static>(
        &self,
        f: impl FnOnce(&FloviClient) -> Result<T, FloviError> + Send + 'static,
    ) -> AppResult<T> {
        blocking(self.flovi.clone(), f).await
    }

    pub async fn get_flovi_settings(&self) -> AppResult<FloviSettings> {
        self.with_flovi(|f| f.settings()).await
    }

    pub async fn set_flovi_base_url(&self, base_url: String) -> AppResult<FloviSettings> {
        self.with_flovi(move |f| f.set_base_url(&base_url)).await
    }

    /// An empty key removes the stored one. The key never comes back.
    pub async fn set_flovi_api_key(&self, key: String) -> AppResult<FloviSettings> {
        self.with_flovi(move |f| f.set_api_key(&key)).await
    }

    pub async fn list_flovi_offices(&self) -> AppResult<Vec<FloviOffice>> {
        Ok(self.flovi.offices().await?)
    }

    pub async fn validate_flovi_schedule(
        &self,
        request: ScheduleRequest,
    ) -> AppResult<Vec<FieldError>> {
        self.with_flovi(move |f| f.field_errors(&request)).await
    }

    pub async fn create_flovi_schedule(
        &self,
        request: ScheduleRequest,
    ) -> AppResult<ScheduleResult> {
        Ok(self.flovi.schedule(&request).await?)
    }

    pub async fn list_flovi_calls(&self) -> AppResult<Vec<FloviCall>> {
        self.with_flovi(|f| f.calls(CALLS_LISTED)).await
    }

    pub async fn rerun_flovi_call(&self, id: i64) -> AppResult<FloviCall> {
        Ok(self.flovi.rerun(id).await?)
    }
}
