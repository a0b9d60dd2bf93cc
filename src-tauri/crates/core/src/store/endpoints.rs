//! Endpoint settings and their sealed secrets. These writes are rare and small, so they use a
//! connection of their own instead of the delivery writer's queue.

use rusqlite::{Connection, OptionalExtension, params};

use super::{EndpointInput, EndpointSettings, Result, StoreError};
use crate::providers::{ProviderId, Secret};

pub(super) const VERSION_KEY: &str = "endpoints_version";

/// An endpoint as the listener uses it: settings plus sealed secret values, current first.
#[derive(Debug, Clone)]
pub struct SealedEndpoint {
    pub settings: EndpointSettings,
    pub sealed_secrets: Vec<Vec<u8>>,
}

pub fn settings(conn: &Connection) -> Result<Vec<EndpointSettings>> {
    Ok(sealed(conn)?.into_iter().map(|e| e.settings).collect())
}

pub fn sealed(conn: &Connection) -> Result<Vec<SealedEndpoint>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, path_prefix, provider, signature_header, tolerance_secs
         FROM endpoints ORDER BY id",
    )?;
    let mut secrets = conn.prepare_cached(
        "SELECT sealed FROM endpoint_secrets WHERE endpoint_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(EndpointSettings {
            id: r.get(0)?,
            name: r.get(1)?,
            path_prefix: r.get(2)?,
            provider: r.get::<_, Option<String>>(3)?.and_then(|p| p.parse::<ProviderId>().ok()),
            signature_header: r.get(4)?,
            tolerance_secs: r.get::<_, i64>(5)?.max(0) as u64,
            secret_labels: Vec::new(),
        })
    })?;
    let mut out = Vec::new();
    for settings in rows {
        let mut settings = settings?;
        let sealed: Vec<Vec<u8>> =
            secrets.query_map([settings.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        settings.secret_labels = (0..sealed.len()).map(Secret::label_for).collect();
        out.push(SealedEndpoint { settings, sealed_secrets: sealed });
    }
    Ok(out)
}

pub fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [VERSION_KEY], |r| r.get(0))?)
}

fn bump_version(conn: &Connection) -> Result<()> {
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = ?1", [VERSION_KEY])?;
    Ok(())
}

/// Checks what a user typed before it reaches the database.
fn validate(input: &EndpointInput) -> Result<(String, String, Option<String>)> {
    let invalid = |m: &str| Err(StoreError::Invalid(m.to_owned()));
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        return invalid("an endpoint needs a name");
    }
    let path = input.path_prefix.trim().to_owned();
    if !path.starts_with('/') || path.contains(['?', '#', ' ']) {
        return invalid("the path prefix must start with / and hold no spaces, ? or #");
    }
    let path = if path.len() > 1 { path.trim_end_matches('/').to_owned() } else { path };
    let header = input.signature_header.as_deref().map(str::trim).filter(|h| !h.is_empty());
    if let Some(h) = header
        && !h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    {
        return invalid("the signature header must be a header name like X-Flowella-Signature");
    }
    Ok((name, path, header.map(str::to_owned)))
}

/// Creates or updates an endpoint; returns its id.
pub fn save(conn: &mut Connection, input: &EndpointInput, now_ms: i64) -> Result<i64> {
    let (name, path, header) = validate(input)?;
    let tx = conn.transaction()?;
    let clash: Option<String> = tx
        .query_row(
            "SELECT name FROM endpoints WHERE (name = ?1 OR path_prefix = ?2) AND id IS NOT ?3",
            params![name, path, input.id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(other) = clash {
        return Err(StoreError::Invalid(format!(
            "endpoint {other:?} already uses that name or path prefix"
        )));
    }
    let provider = input.provider.map(|p| p.as_str());
    let tolerance = input.tolerance_secs.min(i64::MAX as u64) as i64;
    let id = match input.id {
        Some(id) => {
            let changed = tx.execute(
                "UPDATE endpoints SET name = ?2, path_prefix = ?3, provider = ?4,
                    signature_header = ?5, tolerance_secs = ?6 WHERE id = ?1",
                params![id, name, path, provider, header, tolerance],
            )?;
            if changed == 0 {
                return Err(StoreError::EndpointNotFound(id.to_string()));
            }
            id
        }
        None => {
            tx.execute(
                "INSERT INTO endpoints (name, path_prefix, provider, signature_header,
                    tolerance_secs, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![name, path, provider, header, tolerance, now_ms],
            )?;
            tx.last_insert_rowid()
        }
    };
    bump_version(&tx)?;
    tx.commit()?;
    Ok(id)
}

/// Removes an endpoint and its secrets; its deliveries stay, routed to no endpoint.
pub fn delete(conn: &mut Connection, id: i64) -> Result<()> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM endpoint_secrets WHERE endpoint_id = ?1", [id])?;
    tx.execute("UPDATE deliveries SET endpoint_id = NULL WHERE endpoint_id = ?1", [id])?;
    if tx.execute("DELETE FROM endpoints WHERE id = ?1", [id])? == 0 {
        return Err(StoreError::EndpointNotFound(id.to_string()));
    }
    bump_version(&tx)?;
    tx.commit()?;
    Ok(())
}

/// Replaces an endpoint's secrets (already sealed), current first.
pub fn set_sealed_secrets(conn: &mut Connection, id: i64, sealed: &[Vec<u8>]) -> Result<()> {
    let tx = conn.transaction()?;
    let exists: Option<i64> =
        tx.query_row("SELECT id FROM endpoints WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    if exists.is_none() {
        return Err(StoreError::EndpointNotFound(id.to_string()));
    }
    tx.execute("DELETE FROM endpoint_secrets WHERE endpoint_id = ?1", [id])?;
    for (position, value) in sealed.iter().enumerate() {
        tx.execute(
            "INSERT INTO endpoint_secrets (endpoint_id, position, sealed) VALUES (?1, ?2, ?3)",
            params![id, position as i64, value],
        )?;
    }
    bump_version(&tx)?;
    tx.commit()?;
    Ok(())
}

/// An endpoint's id by name, or by id given as text.
pub fn find(conn: &Connection, name_or_id: &str) -> Result<i64> {
    conn.query_row(
        "SELECT id FROM endpoints WHERE name = ?1 OR CAST(id AS TEXT) = ?1",
        [name_or_id],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::EndpointNotFound(name_or_id.to_owned()))
}
