//! A full disk: sends are refused with -1 (never acknowledged), `/readyz` says not ready, and
//! once space comes back the store writes again by itself; a final checkpoint that fails is
//! reported as such at shutdown, never as "flushed".
//!
//! Needs a small file system of its own: a tmpfs mounted for the test, which takes root. Without
//! root (or without `mount`) the test prints why and checks nothing else.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use hookpit_server::store::DEMO_GROUP;

use crate::support::{TestServer, text};

/// A tmpfs of `megabytes`, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Result<SmallDisk, String> {
        let uid = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix("Uid:"))
                    .and_then(|ids| ids.split_whitespace().next().map(str::to_owned))
            });
        if uid.as_deref() != Some("0") {
            return Err("not running as root, so no tmpfs can be mounted".to_owned());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !status.success() {
            return Err(format!("mount -t tmpfs failed ({status})"));
        }
        Ok(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the disk with one file; returns its path.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("filler");
        let chunk = vec![0_u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

async fn ready(server: &TestServer) -> u16 {
    server
        .http
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_full_disk_refuses_sends_flips_readiness_and_recovers_when_space_returns() {
    let disk = match SmallDisk::mount(8) {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let data = disk.path().join("data");
    // SQLite's store on a full disk: this test is about the local file, whatever backend the
    // rest of the suite runs on.
    let server = TestServer::start_with(|config| {
        config.database = None;
        config.data = data.clone();
        config.sync = hookpit_server::config::SyncMode::Full;
        config.limits = hookpit_server::config::LimitProfile::Off;
    })
    .await;
    assert_eq!(ready(&server).await, 200);

    let filler = disk.fill();
    let long = "满".repeat(1500);
    let mut refused = false;
    for _ in 0..2000 {
        match server.send(&text(Some(DEMO_GROUP), &long)).await.errcode() {
            0 => {}
            -1 => {
                refused = true;
                break;
            }
            other => panic!("unexpected errcode {other}"),
        }
    }
    assert!(refused, "a full disk refuses sends with -1");
    let stored_before = server.messages().await.len();
    // Not ready, whether or not the small write of the check still fits in space SQLite's
    // files hold (it may, after a checkpoint restarts the WAL): the disk has no room.
    let readiness = server.http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(readiness.status().as_u16(), 503, "not ready on a full disk");
    let why = readiness.text().await.unwrap();
    assert!(why.starts_with("disk full: "), "{why}");

    std::fs::remove_file(&filler).unwrap();
    let mut recovered = false;
    for _ in 0..100 {
        if ready(&server).await == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "ready again once space is back");
    assert_eq!(
        server
            .send(&text(Some(DEMO_GROUP), "after"))
            .await
            .errcode(),
        0
    );
    assert_eq!(server.messages().await.len(), stored_before + 1);

    // New pages in the WAL that the final checkpoint must copy, then no room to copy them. A
    // reader holds its snapshot meanwhile, so that the background checkpoints cannot copy the
    // new pages before the disk is full again.
    let reader = rusqlite::Connection::open(data.join("hookpit.db")).unwrap();
    reader
        .execute_batch("BEGIN; SELECT COUNT(*) FROM messages;")
        .unwrap();
    for _ in 0..50 {
        let reply = server.send(&text(Some(DEMO_GROUP), &long)).await;
        assert_eq!(reply.errcode(), 0, "{}", reply.text);
    }
    let filler = disk.fill();
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    let (running, relaunch) = server.split();
    let stopped = running.shutdown().await;
    assert!(
        matches!(stopped, Err(hookpit_server::ServeError::Flush(_))),
        "a failed final checkpoint is reported: {stopped:?}"
    );

    // Nothing acknowledged was lost: the WAL is replayed at the next start.
    std::fs::remove_file(&filler).unwrap();
    let again = relaunch.start().await;
    assert_eq!(again.messages().await.len(), stored_before + 51);
    again.stop().await;
    drop(disk);
}
