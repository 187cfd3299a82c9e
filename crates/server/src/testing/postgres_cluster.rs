//! A throwaway PostgreSQL cluster for the tests of instances sharing one database (the server's
//! and the CLI's): `scripts/postgres.sh` in a temporary directory (initdb as the `postgres`
//! user, trust auth, a free loopback port), stopped and removed when dropped. Never a server the
//! machine runs. It needs the workspace's `scripts/` (the tests run from the repository).

use std::path::PathBuf;
use std::process::Command;

/// A cluster started by the test.
pub struct Postgres {
    dir: PathBuf,
    url: String,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres.sh")
}

fn run(args: &[&str]) -> String {
    let output = Command::new(script())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/postgres.sh: {e}"));
    assert!(
        output.status.success(),
        "scripts/postgres.sh {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}

impl Postgres {
    /// Starts one (installing Debian's postgresql when missing).
    pub fn start() -> Postgres {
        let dir =
            std::env::temp_dir().join(format!("hookpit-pg-test-{}", uuid::Uuid::new_v4().simple()));
        let dir_text = dir
            .to_str()
            .expect("a UTF-8 temporary directory")
            .to_owned();
        let url = run(&["start", &dir_text]);
        Postgres { dir, url }
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new, empty database on it; its URL.
    pub fn database(&self) -> String {
        let name = format!("shared_{}", uuid::Uuid::new_v4().simple());
        let url = self.url.clone();
        let create = name.clone();
        std::thread::spawn(move || {
            ::postgres::Client::connect(&url, ::postgres::NoTls)
                .and_then(|mut client| client.batch_execute(&format!("CREATE DATABASE {create}")))
                .expect("CREATE DATABASE");
        })
        .join()
        .expect("the database is created");
        format!("{}/{name}", self.url.trim_end_matches("/postgres"))
    }

    /// Stops it as a crash would (immediate shutdown), keeping its files.
    pub fn pause(&self) {
        run(&["pause", self.dir.to_str().expect("UTF-8")]);
    }

    /// Starts it again on the same port.
    pub fn resume(&self) {
        run(&["resume", self.dir.to_str().expect("UTF-8")]);
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.to_str() {
            let _ = Command::new(script()).args(["stop", dir]).output();
        }
    }
}
