//! `serve --ui`: the Hookscope window in a browser, on a port of its own behind a token.

use std::net::SocketAddr;

use anyhow::Result;
use hookscope_web::UiConfig;

use crate::{UsageError, secret_values};

/// `serve`'s browser UI flags.
#[derive(clap::Args, Clone)]
pub struct UiArgs {
    /// Also serve the Hookscope window to a browser on its own port; prints `ui: URL` (the URL
    /// holds the session token: open it, don't share it)
    #[arg(long)]
    ui: bool,
    /// Where the browser UI listens (port 0 picks a free port); beyond loopback anyone who can
    /// reach it and has the token controls Hookscope
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8788", requires = "ui")]
    ui_listen: SocketAddr,
    /// Environment variable holding the session token [default: a new random one each start]
    #[arg(long, value_name = "VAR", requires = "ui")]
    ui_token_env: Option<String>,
    /// A host name the browser may use to reach the UI, besides loopback names and IP
    /// addresses (repeatable); other names are refused against DNS rebinding
    #[arg(long, value_name = "NAME", requires = "ui")]
    ui_allow_host: Vec<String>,
}

impl UiArgs {
    /// The UI server's settings, checked before anything listens so usage errors exit 2.
    pub fn config(&self) -> Result<Option<UiConfig>> {
        if !self.ui {
            return Ok(None);
        }
        let token = match &self.ui_token_env {
            Some(var) => {
                let token = secret_values(&[], std::slice::from_ref(var))?.pop();
                if !token.as_deref().is_some_and(hookscope_web::token_is_usable) {
                    return Err(UsageError(format!(
                        "environment variable {var} must hold printable ASCII without spaces, \
                         '#', '&' or '%'"
                    ))
                    .into());
                }
                token
            }
            None => None,
        };
        Ok(Some(UiConfig {
            listen: self.ui_listen,
            token,
            allowed_hosts: self.ui_allow_host.clone(),
        }))
    }
}

/// The one-line stderr warning for a UI reachable from other machines.
pub fn exposure_warning(addr: &SocketAddr) -> Option<String> {
    (!addr.ip().is_loopback()).then(|| {
        format!(
            "warning: the browser UI listens on {addr}, beyond this machine: anyone who can \
             reach it and has the token can read every delivery and change every setting"
        )
    })
}
