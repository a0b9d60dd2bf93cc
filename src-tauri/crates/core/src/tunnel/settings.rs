//! The tunnel settings row: what was last started (restarted with the app), the ngrok
//! domain, bore server and external URL, and the sealed ngrok authtoken and bore secret.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::bore::{DEFAULT_BORE_SERVER, bore_host};
use super::external::check_public_url;
use super::{Hidden, NGROK_AUTHTOKEN_ENV, TunnelConfig, TunnelError, TunnelKind};
use crate::registry::Registry;
use crate::store::StoreError;

/// The settings as the UI sees them: secrets only as "is one stored".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TunnelSettings {
    /// The tunnel last started; none once stopped.
    pub active: Option<TunnelKind>,
    pub ngrok_domain: Option<String>,
    pub has_ngrok_token: bool,
    /// `NGROK_AUTHTOKEN` is set, used when no token is stored.
    pub ngrok_token_in_env: bool,
    /// Host or host:port; none means `bore.pub`.
    pub bore_server: Option<String>,
    pub has_bore_secret: bool,
    pub external_url: Option<String>,
}

/// New settings. Text fields replace the stored ones (none or empty clears). Secrets: none
/// keeps the stored one, empty removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct TunnelSettingsInput {
    pub ngrok_domain: Option<String>,
    pub bore_server: Option<String>,
    pub external_url: Option<String>,
    pub ngrok_token: Option<String>,
    pub bore_secret: Option<String>,
}

/// Values given for one run (the CLI's flags), taking precedence over stored settings.
#[derive(Debug, Clone, Default)]
pub struct TunnelOverrides {
    pub ngrok_domain: Option<String>,
    pub bore_server: Option<String>,
    pub bore_secret: Option<Hidden>,
    pub public_url: Option<String>,
}

struct Row {
    active: Option<String>,
    ngrok_token_sealed: Option<Vec<u8>>,
    ngrok_domain: Option<String>,
    bore_server: Option<String>,
    bore_secret_sealed: Option<Vec<u8>>,
    external_url: Option<String>,
}

fn row(conn: &Connection) -> Result<Row, StoreError> {
    Ok(conn.query_row(
        "SELECT active, ngrok_token_sealed, ngrok_domain, bore_server, bore_secret_sealed,
            external_url FROM tunnel_settings WHERE id = 1",
        [],
        |r| {
            Ok(Row {
                active: r.get(0)?,
                ngrok_token_sealed: r.get(1)?,
                ngrok_domain: r.get(2)?,
                bore_server: r.get(3)?,
                bore_secret_sealed: r.get(4)?,
                external_url: r.get(5)?,
            })
        },
    )?)
}

fn env_token() -> Option<String> {
    std::env::var(NGROK_AUTHTOKEN_ENV).ok().filter(|t| !t.trim().is_empty())
}

pub fn load(registry: &Registry) -> Result<TunnelSettings, TunnelError> {
    let row = registry.store().read(row)?;
    Ok(TunnelSettings {
        active: row.active.as_deref().and_then(|a| a.parse().ok()),
        ngrok_domain: row.ngrok_domain,
        has_ngrok_token: row.ngrok_token_sealed.is_some(),
        ngrok_token_in_env: env_token().is_some(),
        bore_server: row.bore_server,
        has_bore_secret: row.bore_secret_sealed.is_some(),
        external_url: row.external_url,
    })
}

fn text(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Saves changed settings after checking them; returns the settings as stored.
pub fn save(
    registry: &Registry,
    input: &TunnelSettingsInput,
) -> Result<TunnelSettings, TunnelError> {
    let bore_server = text(input.bore_server.clone());
    if let Some(server) = &bore_server {
        bore_host(server)?;
    }
    let external_url =
        text(input.external_url.clone()).map(|u| check_public_url(&u)).transpose()?;
    let ngrok_domain = text(input.ngrok_domain.clone());
    let secrets = registry.secret_box();
    let seal = |value: &Option<String>| {
        value.as_ref().map(|v| (!v.is_empty()).then(|| secrets.seal(v.trim().as_bytes())))
    };
    let ngrok_token = seal(&input.ngrok_token);
    let bore_secret = seal(&input.bore_secret);
    registry.store().write(|conn| {
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE tunnel_settings SET ngrok_domain = ?1, bore_server = ?2, external_url = ?3
             WHERE id = 1",
            params![ngrok_domain, bore_server, external_url],
        )?;
        if let Some(sealed) = ngrok_token {
            tx.execute(
                "UPDATE tunnel_settings SET ngrok_token_sealed = ?1 WHERE id = 1",
                [sealed],
            )?;
        }
        if let Some(sealed) = bore_secret {
            tx.execute(
                "UPDATE tunnel_settings SET bore_secret_sealed = ?1 WHERE id = 1",
                [sealed],
            )?;
        }
        tx.commit()?;
        Ok(())
    })?;
    load(registry)
}

/// Stores (or with `None` removes) the ngrok authtoken alone.
pub fn set_ngrok_token(registry: &Registry, token: Option<&str>) -> Result<(), TunnelError> {
    let sealed = token.map(|t| registry.secret_box().seal(t.trim().as_bytes()));
    registry.store().write(|conn| {
        conn.execute("UPDATE tunnel_settings SET ngrok_token_sealed = ?1 WHERE id = 1", [sealed])?;
        Ok(())
    })?;
    Ok(())
}

/// Remembers the tunnel last started (none once stopped), so it restarts with the app.
pub fn set_active(registry: &Registry, kind: Option<TunnelKind>) -> Result<(), TunnelError> {
    registry.store().write(|conn| {
        conn.execute(
            "UPDATE tunnel_settings SET active = ?1 WHERE id = 1",
            [kind.map(TunnelKind::as_str)],
        )?;
        Ok(())
    })?;
    Ok(())
}

/// Everything needed to start a `kind` tunnel, from `overrides`, then the stored settings,
/// then (for the ngrok authtoken) `NGROK_AUTHTOKEN`.
pub fn config(
    registry: &Registry,
    kind: TunnelKind,
    overrides: &TunnelOverrides,
) -> Result<TunnelConfig, TunnelError> {
    let row = registry.store().read(row)?;
    let unseal = |sealed: Option<Vec<u8>>| -> Result<Option<Hidden>, TunnelError> {
        sealed
            .map(|s| registry.secret_box().unseal(&s))
            .transpose()?
            .map(|bytes| Ok(Hidden::new(String::from_utf8_lossy(&bytes).into_owned())))
            .transpose()
    };
    Ok(match kind {
        TunnelKind::Ngrok => {
            let authtoken = match unseal(row.ngrok_token_sealed)? {
                Some(token) => token,
                None => Hidden::new(env_token().ok_or_else(|| {
                    TunnelError::Config(format!(
                        "no ngrok authtoken: store one in the tunnel settings or set \
                         {NGROK_AUTHTOKEN_ENV}"
                    ))
                })?),
            };
            let domain = text(overrides.ngrok_domain.clone()).or(row.ngrok_domain);
            TunnelConfig::Ngrok { authtoken, domain }
        }
        TunnelKind::Bore => {
            let server = text(overrides.bore_server.clone())
                .or(row.bore_server)
                .unwrap_or_else(|| DEFAULT_BORE_SERVER.to_owned());
            bore_host(&server)?;
            let secret = match &overrides.bore_secret {
                Some(secret) => Some(secret.clone()),
                None => unseal(row.bore_secret_sealed)?,
            };
            TunnelConfig::Bore { server, secret }
        }
        TunnelKind::External => {
            let url = text(overrides.public_url.clone()).or(row.external_url).ok_or_else(|| {
                TunnelError::Config("no public URL: enter the URL your tunnel serves".into())
            })?;
            TunnelConfig::External { url: check_public_url(&url)? }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreOptions};

    fn registry(dir: &std::path::Path) -> Registry {
        // A key file first, so tests never reach for the developer's keyring.
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        std::fs::write(dir.join(crate::secrets::KEY_FILE), key).unwrap();
        Registry::open(Store::open(dir, StoreOptions::default()).unwrap(), dir).unwrap()
    }

    #[test]
    fn settings_round_trip_with_secrets_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        let saved = save(
            &registry,
            &TunnelSettingsInput {
                bore_server: Some(" hooks.example.com ".into()),
                external_url: Some("https://x.example.com/".into()),
                ngrok_token: Some("tok-SECRET".into()),
                bore_secret: Some("bore-SECRET".into()),
                ..TunnelSettingsInput::default()
            },
        )
        .unwrap();
        assert_eq!(saved.bore_server.as_deref(), Some("hooks.example.com"));
        assert_eq!(saved.external_url.as_deref(), Some("https://x.example.com"));
        assert!(saved.has_ngrok_token && saved.has_bore_secret);

        let raw = std::fs::read(registry.store().path()).unwrap();
        assert!(!raw.windows(6).any(|w| w == b"SECRET"), "secrets are sealed at rest");

        let TunnelConfig::Bore { server, secret } =
            config(&registry, TunnelKind::Bore, &TunnelOverrides::default()).unwrap()
        else {
            panic!("a bore config")
        };
        assert_eq!(server, "hooks.example.com");
        assert_eq!(secret.unwrap().expose(), "bore-SECRET");

        // Keeping the secret (None) then removing it (empty).
        save(&registry, &TunnelSettingsInput { bore_secret: None, ..Default::default() }).unwrap();
        assert!(load(&registry).unwrap().has_bore_secret);
        save(
            &registry,
            &TunnelSettingsInput { bore_secret: Some(String::new()), ..Default::default() },
        )
        .unwrap();
        assert!(!load(&registry).unwrap().has_bore_secret);
    }

    #[test]
    fn the_last_tunnel_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        set_active(&registry, Some(TunnelKind::Bore)).unwrap();
        assert_eq!(load(&registry).unwrap().active, Some(TunnelKind::Bore));
        set_active(&registry, None).unwrap();
        assert_eq!(load(&registry).unwrap().active, None);
    }

    #[test]
    fn bad_settings_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        let bad_url =
            TunnelSettingsInput { external_url: Some("nope".into()), ..Default::default() };
        assert!(matches!(save(&registry, &bad_url), Err(TunnelError::Config(_))));
        assert!(matches!(
            config(&registry, TunnelKind::External, &TunnelOverrides::default()),
            Err(TunnelError::Config(_))
        ));
    }
}
