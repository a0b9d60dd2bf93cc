//! The app's tunnel: the manager plus the stored settings, so that what the user starts is
//! remembered and restarts with the app.

use super::settings::{self, TunnelOverrides, TunnelSettings, TunnelSettingsInput};
use super::{TunnelError, TunnelKind, TunnelManager, TunnelStatus};
use crate::registry::Registry;

/// Cheap to clone. Its methods touch the store: call them off the async workers.
#[derive(Clone)]
pub struct TunnelService {
    registry: Registry,
    manager: TunnelManager,
}

impl TunnelService {
    pub fn new(registry: Registry, manager: TunnelManager) -> Self {
        Self { registry, manager }
    }

    pub fn manager(&self) -> &TunnelManager {
        &self.manager
    }

    pub fn settings(&self) -> Result<TunnelSettings, TunnelError> {
        settings::load(&self.registry)
    }

    pub fn save_settings(
        &self,
        input: &TunnelSettingsInput,
    ) -> Result<TunnelSettings, TunnelError> {
        settings::save(&self.registry, input)
    }

    /// Starts `kind` from the stored settings and remembers it. Settings that cannot work
    /// are an error and start nothing.
    pub fn start(&self, kind: TunnelKind) -> Result<TunnelStatus, TunnelError> {
        let config = settings::config(&self.registry, kind, &TunnelOverrides::default())?;
        settings::set_active(&self.registry, Some(kind))?;
        self.manager.start(config);
        Ok(self.manager.status())
    }

    pub fn stop(&self) -> Result<TunnelStatus, TunnelError> {
        settings::set_active(&self.registry, None)?;
        self.manager.stop();
        Ok(self.manager.status())
    }

    /// Restarts the tunnel that was running when the app last closed; when its settings no
    /// longer work, the status says why.
    pub fn restore(&self) -> Result<(), TunnelError> {
        let Some(kind) = settings::load(&self.registry)?.active else {
            return Ok(());
        };
        match settings::config(&self.registry, kind, &TunnelOverrides::default()) {
            Ok(config) => self.manager.start(config),
            Err(err) => self.manager.fail(kind, &err),
        }
        Ok(())
    }
}
