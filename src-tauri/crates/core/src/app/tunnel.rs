//! The public tunnel in the top bar: settings, start, stop and status.

use crate::tunnel::{
    TunnelError, TunnelKind, TunnelService, TunnelSettings, TunnelSettingsInput, TunnelStatus,
};

use super::{App, AppError, AppResult, blocking};

impl App {
    /// Runs a blocking tunnel call (settings, start, stop) off the async runtime's workers.
    async fn with_tunnel<T: Send + 'static>(
        &self,
        f: impl FnOnce(&TunnelService) -> Result<T, TunnelError> + Send + 'static,
    ) -> AppResult<T> {
        blocking(self.tunnel.clone().ok_or(AppError::NoListener)?, f).await
    }

    pub fn get_tunnel_status(&self) -> TunnelStatus {
        self.tunnel.as_ref().map_or(TunnelStatus::Stopped, |t| t.manager().status())
    }

    pub async fn get_tunnel_settings(&self) -> AppResult<TunnelSettings> {
        self.with_tunnel(|t| t.settings()).await
    }

    /// Secrets in `input`: none keeps the stored one, empty removes it. They never come back.
    pub async fn save_tunnel_settings(
        &self,
        input: TunnelSettingsInput,
    ) -> AppResult<TunnelSettings> {
        self.with_tunnel(move |t| t.save_settings(&input)).await
    }

    pub async fn start_tunnel(&self, kind: TunnelKind) -> AppResult<TunnelStatus> {
        self.with_tunnel(move |t| t.start(kind)).await
    }

    pub async fn stop_tunnel(&self) -> AppResult<TunnelStatus> {
        self.with_tunnel(|t| t.stop()).await
    }
}
