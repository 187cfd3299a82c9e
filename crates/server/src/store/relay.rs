//! The relay's state: each bot's upstream, the media already uploaded to an upstream, and a
//! request's raw body (what is forwarded).

use crate::store::db::{Connection, OptionalExtension, params};

use super::{Store, StoreError, bots};
use crate::domain::{RelayConfig, RelayMode};

fn config_from_row(row: &crate::store::db::Row<'_>) -> crate::store::db::Result<RelayConfig> {
    let mode: String = row.get(2)?;
    Ok(RelayConfig {
        bot_id: row.get(0)?,
        upstream: row.get(1)?,
        mode: RelayMode::parse(&mode).unwrap_or(RelayMode::All),
        created_at: row.get(3)?,
    })
}

pub(super) fn all(conn: &Connection) -> Result<Vec<RelayConfig>, StoreError> {
    let mut statement =
        conn.prepare_cached("SELECT bot_id, upstream, mode, created_at FROM bot_relays")?;
    let rows = statement.query_map([], config_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

impl Store {
    /// Every bot's upstream.
    pub async fn relays(&self) -> Result<Vec<RelayConfig>, StoreError> {
        self.read(all).await
    }

    /// Sets (or replaces) a bot's upstream.
    pub async fn set_relay(&self, config: RelayConfig) -> Result<RelayConfig, StoreError> {
        self.write(move |conn| {
            if bots::get(conn, &config.bot_id)?.is_none() {
                return Err(StoreError::not_found("bot", &config.bot_id));
            }
            conn.prepare_cached(
                "INSERT INTO bot_relays (bot_id, upstream, mode, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (bot_id) DO UPDATE SET upstream = excluded.upstream,
                     mode = excluded.mode",
            )?
            .execute(params![
                config.bot_id,
                config.upstream,
                config.mode.as_str(),
                config.created_at
            ])?;
            Ok(config)
        })
        .await
    }

    /// Removes a bot's upstream (messages still queued for it then fail).
    pub async fn delete_relay(&self, bot_id: &str) -> Result<bool, StoreError> {
        let bot_id = bot_id.to_owned();
        self.write(move |conn| {
            Ok(conn
                .prepare_cached("DELETE FROM bot_relays WHERE bot_id = ?1")?
                .execute([&bot_id])?
                > 0)
        })
        .await
    }

    /// The media id an upstream gave `media_id`, if still valid at `now`.
    pub async fn relayed_media(
        &self,
        upstream: &str,
        media_id: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let (upstream, media_id) = (upstream.to_owned(), media_id.to_owned());
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT upstream_media_id FROM relay_media
                     WHERE upstream = ?1 AND media_id = ?2 AND expires_at > ?3",
                )?
                .query_row(params![upstream, media_id, now], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    /// Remembers the media id an upstream gave `media_id` until `expires_at`.
    pub async fn remember_relayed_media(
        &self,
        upstream: &str,
        media_id: &str,
        upstream_media_id: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let (upstream, media_id, upstream_media_id) = (
            upstream.to_owned(),
            media_id.to_owned(),
            upstream_media_id.to_owned(),
        );
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO relay_media (upstream, media_id, upstream_media_id, expires_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (upstream, media_id) DO UPDATE SET
                     upstream_media_id = excluded.upstream_media_id,
                     expires_at = excluded.expires_at",
            )?
            .execute(params![upstream, media_id, upstream_media_id, expires_at])?;
            Ok(())
        })
        .await
    }

    /// The raw body of request `request_id`, byte for byte as it arrived (an image's picture
    /// spliced back in), if it is still stored. A relayed request always has its own row in
    /// `requests` (only requests without a relay entry are kept in their message's row).
    pub async fn raw_request(&self, request_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        /// The stored body, and where an image's picture was cut out of it.
        type Found = (Vec<u8>, Option<i64>, Option<Vec<u8>>);
        let request_id = request_id.to_owned();
        self.read(move |conn| {
            let found: Option<Found> = conn
                .prepare_cached(
                    "SELECT r.raw_body, i.base64_at, i.bytes FROM requests r
                     LEFT JOIN images i ON i.request_id = r.id AND i.base64_at IS NOT NULL
                     WHERE r.id = ?1",
                )?
                .query_row([&request_id], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()?;
            Ok(found.map(|(raw, at, picture)| match (at, picture) {
                (Some(at), Some(picture)) => super::raw_body::rebuild(
                    &raw,
                    usize::try_from(at).unwrap_or(usize::MAX),
                    &picture,
                ),
                _ => raw,
            }))
        })
        .await
    }
}
