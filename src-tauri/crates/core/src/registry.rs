//! Endpoints with their secrets: settings live in the store, secret values sealed by the
//! [`SecretBox`]. Changing secrets re-verifies the endpoint's stored deliveries.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::params;

use crate::analysis::{self, Captured, EndpointRuntime};
use crate::providers::Secret;
use crate::secrets::{KeySource, SecretBox, SecretsError};
use crate::store::{EndpointInput, EndpointSettings, Store, StoreError, endpoints, headers, rules};

/// Deliveries re-verified per transaction.
const REVERIFY_BATCH: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error("endpoint {id} has no secret number {index}")]
    NoSuchSecret { id: i64, index: usize },
    #[error("a secret cannot be empty")]
    EmptySecret,
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// One entry of an endpoint's new secret list: a stored secret kept by its position, or a new
/// value. Keeping by position lets a window rotate secrets without reading them back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum SecretSlot {
    Keep { index: usize },
    New { value: String },
}

/// Cheap to clone.
#[derive(Clone)]
pub struct Registry {
    store: Store,
    secrets: Arc<SecretBox>,
}

impl Registry {
    pub fn open(store: Store, data_dir: &Path) -> Result<Self> {
        Ok(Self { store, secrets: Arc::new(SecretBox::open(data_dir)?) })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn key_source(&self) -> &KeySource {
        self.secrets.source()
    }

    /// The box that seals this data dir's secrets, for other holders of secrets to share.
    pub fn secret_box(&self) -> Arc<SecretBox> {
        Arc::clone(&self.secrets)
    }

    pub fn settings(&self) -> Result<Vec<EndpointSettings>> {
        Ok(self.store.read(endpoints::settings)?)
    }

    /// Changes whenever an endpoint or secret changes, in this process or another.
    pub fn version(&self) -> Result<i64> {
        Ok(self.store.read(endpoints::version)?)
    }

    /// Every endpoint with its secrets unsealed, for verification.
    pub fn runtimes(&self) -> Result<Vec<EndpointRuntime>> {
        let sealed = self.store.read(endpoints::sealed)?;
        sealed
            .into_iter()
            .map(|e| {
                let values = e
                    .sealed_secrets
                    .iter()
                    .map(|s| self.secrets.unseal(s))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(EndpointRuntime { settings: e.settings, secrets: Secret::ranked(values) })
            })
            .collect()
    }

    pub fn save(&self, input: &EndpointInput) -> Result<EndpointSettings> {
        let id = self.store.write(|c| endpoints::save(c, input, now_ms()))?;
        let saved = self.settings()?.into_iter().find(|e| e.id == id);
        saved.ok_or_else(|| StoreError::EndpointNotFound(id.to_string()).into())
    }

    pub fn delete(&self, id: i64) -> Result<()> {
        Ok(self.store.write(|c| endpoints::delete(c, id))?)
    }

    /// Replaces the endpoint's secrets (current first) and re-verifies its deliveries;
    /// returns how many were re-verified.
    pub fn set_secrets(&self, id: i64, values: &[String]) -> Result<u64> {
        let slots: Vec<SecretSlot> =
            values.iter().map(|v| SecretSlot::New { value: v.clone() }).collect();
        self.update_secrets(id, &slots)
    }

    /// Sets the endpoint's secrets from `slots` (current first): stored ones are kept sealed,
    /// new ones sealed now. Re-verifies the endpoint's deliveries; returns how many.
    pub fn update_secrets(&self, id: i64, slots: &[SecretSlot]) -> Result<u64> {
        let stored = self.store.read(endpoints::sealed)?;
        let stored = stored
            .into_iter()
            .find(|e| e.settings.id == id)
            .ok_or_else(|| StoreError::EndpointNotFound(id.to_string()))?
            .sealed_secrets;
        let sealed = slots
            .iter()
            .map(|slot| match slot {
                SecretSlot::Keep { index } => stored
                    .get(*index)
                    .cloned()
                    .ok_or(RegistryError::NoSuchSecret { id, index: *index }),
                SecretSlot::New { value } if value.is_empty() => Err(RegistryError::EmptySecret),
                SecretSlot::New { value } => Ok(self.secrets.seal(value.as_bytes())),
            })
            .collect::<Result<Vec<_>>>()?;
        self.store.write(|c| endpoints::set_sealed_secrets(c, id, &sealed))?;
        self.reverify(id)
    }

    /// One secret in the clear, for the user who asked to see it.
    pub fn reveal(&self, id: i64, index: usize) -> Result<String> {
        let sealed = self.store.read(endpoints::sealed)?;
        let endpoint = sealed
            .iter()
            .find(|e| e.settings.id == id)
            .ok_or_else(|| StoreError::EndpointNotFound(id.to_string()))?;
        let value =
            endpoint.sealed_secrets.get(index).ok_or(RegistryError::NoSuchSecret { id, index })?;
        Ok(String::from_utf8_lossy(&self.secrets.unseal(value)?).into_owned())
    }

    /// The endpoint's response rule and forward target.
    pub fn lab(&self, id: i64) -> Result<rules::EndpointLab> {
        Ok(self.store.read(|c| rules::get(c, id))?)
    }

    /// Every endpoint's response rule and forward target that is set, by endpoint id.
    pub fn labs(&self) -> Result<HashMap<i64, rules::EndpointLab>> {
        Ok(self.store.read(rules::all)?)
    }

    /// Sets (`None`: back to the default 200) the endpoint's response rule.
    pub fn set_response_rule(&self, id: i64, rule: Option<&rules::ResponseRule>) -> Result<()> {
        Ok(self.store.write(|c| rules::set_rule(c, id, rule))?)
    }

    /// Sets (`None`: stops) forwarding the endpoint's deliveries on arrival.
    pub fn set_forward(&self, id: i64, forward: Option<&rules::ForwardConfig>) -> Result<()> {
        Ok(self.store.write(|c| rules::set_forward(c, id, forward))?)
    }

    /// Verifies the endpoint's stored deliveries again with its current settings.
    pub fn reverify(&self, id: i64) -> Result<u64> {
        let runtimes = self.runtimes()?;
        let endpoint = runtimes.iter().find(|e| e.settings.id == id);
        let mut after = 0;
        let mut done = 0;
        loop {
            let batch = self.store.write(|conn| {
                let tx = conn.transaction()?;
                let rows: Vec<StoredRequest> = {
                    let mut stmt = tx.prepare_cached(
                        "SELECT d.id, d.method, d.path, d.headers_raw, d.received_at, d.body
                         FROM deliveries d
                         WHERE d.endpoint_id = ?1 AND d.id > ?2 ORDER BY d.id LIMIT ?3",
                    )?;
                    stmt.query_map(params![id, after, REVERIFY_BATCH], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                    })?
                    .collect::<rusqlite::Result<_>>()?
                };
                for (delivery, method, path, raw, received_at_ms, body) in &rows {
                    let headers = headers::decode(raw);
                    let captured = Captured {
                        method,
                        path,
                        headers: &headers,
                        body: body.as_deref(),
                        received_at_ms: *received_at_ms,
                    };
                    let (provider, analysis) = analysis::analyse(endpoint, &captured);
                    let verification = analysis.verification.as_ref();
                    tx.execute(
                        "UPDATE deliveries SET provider = ?2, signature = ?3, signature_detail = ?4
                         WHERE id = ?1",
                        params![
                            delivery,
                            provider.map(|p| p.as_str()),
                            verification.map(|v| crate::store::status_text(v.status)),
                            verification.and_then(|v| serde_json::to_string(v).ok()),
                        ],
                    )?;
                }
                if !rows.is_empty() {
                    crate::store::bump_changes(&tx, crate::store::DELIVERIES_KEY)?;
                }
                tx.commit()?;
                Ok(rows.last().map(|r| (r.0, rows.len() as u64)))
            })?;
            match batch {
                Some((last, count)) => {
                    after = last;
                    done += count;
                }
                None => return Ok(done),
            }
        }
    }
}

/// What verification needs of a stored delivery: id, method, path, raw headers, arrival (ms)
/// and body (absent when refused).
type StoredRequest = (i64, String, String, Vec<u8>, i64, Option<Vec<u8>>);

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;
    use crate::store::StoreOptions;

    fn registry(dir: &Path) -> Registry {
        // A key file first, so tests never reach for the developer's keyring.
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        std::fs::write(dir.join(crate::secrets::KEY_FILE), key).unwrap();
        Registry::open(Store::open(dir, StoreOptions::default()).unwrap(), dir).unwrap()
    }

    fn fleiko_id(registry: &Registry) -> i64 {
        registry.settings().unwrap().into_iter().find(|e| e.name == "fleiko").unwrap().id
    }

    #[test]
    fn rotation_keeps_stored_secrets_without_reading_them() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        let id = fleiko_id(&registry);
        registry.set_secrets(id, &["old".into(), "older".into()]).unwrap();
        let slots = [SecretSlot::New { value: "new".into() }, SecretSlot::Keep { index: 0 }];
        registry.update_secrets(id, &slots).unwrap();
        assert_eq!(registry.reveal(id, 0).unwrap(), "new");
        assert_eq!(registry.reveal(id, 1).unwrap(), "old");
        assert!(matches!(registry.reveal(id, 2), Err(RegistryError::NoSuchSecret { .. })));
        let labels = registry.settings().unwrap().into_iter().find(|e| e.id == id).unwrap();
        assert_eq!(labels.secret_labels, ["current", "previous"]);
        let runtime = registry.runtimes().unwrap().into_iter().find(|e| e.settings.id == id);
        let values: Vec<Vec<u8>> = runtime.unwrap().secrets.into_iter().map(|s| s.value).collect();
        assert_eq!(values, [b"new".to_vec(), b"old".to_vec()]);
    }

    #[test]
    fn bad_slots_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        let id = fleiko_id(&registry);
        registry.set_secrets(id, &["kept".into()]).unwrap();
        let missing = registry.update_secrets(id, &[SecretSlot::Keep { index: 3 }]);
        assert!(matches!(missing, Err(RegistryError::NoSuchSecret { index: 3, .. })));
        let empty = registry.update_secrets(id, &[SecretSlot::New { value: String::new() }]);
        assert!(matches!(empty, Err(RegistryError::EmptySecret)));
        assert!(registry.update_secrets(9999, &[]).is_err());
        assert_eq!(registry.reveal(id, 0).unwrap(), "kept");
    }
}
