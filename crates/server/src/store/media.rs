//! Uploaded media: rows in `media`, bytes in files under the data directory's `media/`.

use std::io::Write;
use std::path::PathBuf;

use crate::store::db::{OptionalExtension, params};
use hookpit_protocol::MediaKind;

use super::{Store, StoreError};
use crate::domain::Media;

/// The columns [`media_from_row`] reads, in its order.
pub(super) const MEDIA_COLUMNS: &str = "media_id, bot_id, kind, filename, content_type, size, \
     created_at, expires_at, voice_duration_ms, placeholder";

/// An upload from a row of [`MEDIA_COLUMNS`].
pub(super) fn media_from_row(row: &crate::store::db::Row<'_>) -> crate::store::db::Result<Media> {
    let kind: String = row.get(2)?;
    let size: i64 = row.get(5)?;
    Ok(Media {
        media_id: row.get(0)?,
        bot_id: row.get(1)?,
        kind: MediaKind::from_wire(&kind).unwrap_or(MediaKind::File),
        filename: row.get(3)?,
        content_type: row.get(4)?,
        size: u64::try_from(size).unwrap_or(0),
        created_at: row.get(6)?,
        expires_at: row.get(7)?,
        voice_duration_ms: row.get(8)?,
        placeholder: row.get::<_, i64>(9)? != 0,
    })
}

impl Store {
    /// Where the bytes of `media_id` are kept (SQLite's store; a shared store keeps them in the
    /// database, [`Store::media_bytes`]).
    pub fn media_path(&self, media_id: &str) -> PathBuf {
        self.media_dir().join(media_id)
    }

    /// The bytes of an upload, `None` if they are gone (pruned).
    ///
    /// # Errors
    /// The file or the database could not be read.
    pub async fn media_bytes(&self, media_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if self.is_shared() {
            let media_id = media_id.to_owned();
            return self
                .read(move |conn| {
                    Ok(conn
                        .query_row(
                            "SELECT bytes FROM media_bytes WHERE media_id = ?1",
                            [&media_id],
                            |row| row.get(0),
                        )
                        .optional()?)
                })
                .await;
        }
        match tokio::fs::read(self.media_path(media_id)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(StoreError::Io(error)),
        }
    }

    /// Stores an upload: the file is written and fsynced before its row is committed, so an
    /// acknowledged media id always has its bytes. In a shared store the bytes go into the
    /// database with the row, in one transaction: any instance can serve and send them.
    pub async fn insert_media(&self, media: Media, bytes: Vec<u8>) -> Result<Media, StoreError> {
        if self.is_shared() {
            return self.insert_media_row(media, Some(bytes)).await;
        }
        let path = self.media_path(&media.media_id);
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&path)?;
            file.write_all(&bytes)?;
            file.sync_all()
        })
        .await
        .map_err(|_| StoreError::Closed)??;
        self.insert_media_row(media, None).await
    }

    /// Stores an upload already written to `temp` (a file under [`Store::temp_dir`]): it is
    /// fsynced and moved into the media folder, and the move made durable, before the row is
    /// committed.
    pub async fn insert_media_file(
        &self,
        media: Media,
        temp: PathBuf,
    ) -> Result<Media, StoreError> {
        if self.is_shared() {
            let bytes = tokio::fs::read(&temp).await?;
            let _ = tokio::fs::remove_file(&temp).await;
            return self.insert_media_row(media, Some(bytes)).await;
        }
        let path = self.media_path(&media.media_id);
        let media_dir = self.media_dir().to_owned();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::File::open(&temp)?.sync_all()?;
            std::fs::rename(&temp, &path)?;
            // The rename itself lives in the directory: fsync it too.
            std::fs::File::open(&media_dir)?.sync_all()
        })
        .await
        .map_err(|_| StoreError::Closed)??;
        self.insert_media_row(media, None).await
    }

    /// The media row, and with `bytes` (a shared store) its bytes, in one transaction.
    async fn insert_media_row(
        &self,
        media: Media,
        bytes: Option<Vec<u8>>,
    ) -> Result<Media, StoreError> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO media (media_id, bot_id, kind, filename, content_type, size, created_at,
                     expires_at, voice_duration_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    media.media_id,
                    media.bot_id,
                    media.kind.as_str(),
                    media.filename,
                    media.content_type,
                    i64::try_from(media.size).unwrap_or(i64::MAX),
                    media.created_at,
                    media.expires_at,
                    media.voice_duration_ms,
                ],
            )?;
            if let Some(bytes) = &bytes {
                conn.execute(
                    "INSERT INTO media_bytes (media_id, bytes) VALUES (?1, ?2)",
                    params![media.media_id, bytes],
                )?;
            }
            Ok(media)
        })
        .await
    }

    /// One upload by id (expired or not; the caller decides).
    pub async fn get_media(&self, media_id: &str) -> Result<Option<Media>, StoreError> {
        let media_id = media_id.to_owned();
        self.read(move |conn| {
            let sql = format!("SELECT {MEDIA_COLUMNS} FROM media WHERE media_id = ?1");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([&media_id], media_from_row)
                .optional()?)
        })
        .await
    }

    /// Forgets media that expired before `now` (Unix ms) and deletes their files, except those
    /// a stored message still shows: in WeCom a file sent to a chat stays downloadable after
    /// its media id expired, so the inbox keeps the bytes until the message itself is pruned or
    /// cleared. The webhook refuses expired ids either way.
    pub async fn prune_media(&self, now: i64) -> Result<u64, StoreError> {
        let shared = self.is_shared();
        let ids: Vec<String> = self
            .write(move |conn| {
                // A request with media has its own `requests` row (`deliver.rs`), which lives
                // as long as one of its messages does (`prune`).
                let ids = {
                    let mut statement = conn.prepare(
                        "SELECT media_id FROM media WHERE expires_at <= ?1 AND placeholder = 0
                         AND NOT EXISTS (SELECT 1 FROM media_uses u
                             JOIN requests r ON r.id = u.request_id
                             WHERE u.media_id = media.media_id)",
                    )?;
                    let rows = statement.query_map([now], |row| row.get(0))?;
                    rows.collect::<Result<Vec<String>, _>>()?
                };
                let mut delete = conn.prepare_cached("DELETE FROM media WHERE media_id = ?1")?;
                let mut forget =
                    conn.prepare_cached("DELETE FROM media_uses WHERE media_id = ?1")?;
                for id in &ids {
                    delete.execute([id])?;
                    forget.execute([id])?;
                }
                if shared {
                    let mut bytes =
                        conn.prepare_cached("DELETE FROM media_bytes WHERE media_id = ?1")?;
                    for id in &ids {
                        bytes.execute([id])?;
                    }
                }
                Ok(ids)
            })
            .await?;
        if !shared {
            for id in &ids {
                let _ = std::fs::remove_file(self.media_path(id));
            }
        }
        Ok(u64::try_from(ids.len()).unwrap_or(0))
    }
}
