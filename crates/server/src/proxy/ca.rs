//! Hookpit's own certificate authority, in the data directory: it issues the certificate of
//! `qyapi.weixin.qq.com` that the capture proxy and `--tls-listen` present, so a sender that
//! trusts it (and only such a sender) talks to Hookpit as if to WeCom.
//!
//! Created on first use: `ca/hookpit-ca.pem` (the certificate to trust) and
//! `ca/hookpit-ca-key.pem` (its private key, readable by the owner only: whoever holds it can
//! impersonate any host to machines that trust the CA). The CA's name carries a fingerprint of
//! its key, so two Hookpits' CAs are never confused by a client that trusts both. The server's
//! certificate is issued anew at each start from the stored key (the CA itself never changes).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use sha2::{Digest, Sha256};

/// The host names Hookpit answers for: WeCom's, and this machine's (for `--tls-listen`).
pub const SERVED_NAMES: &[&str] = &[
    "qyapi.weixin.qq.com",
    "in.qyapi.weixin.qq.com",
    "localhost",
    "127.0.0.1",
    "::1",
];

/// Why the CA could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("cannot read or write {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a key this CA can use; remove the ca folder to start a new CA", path.display())]
    BadKey {
        path: PathBuf,
        #[source]
        source: rcgen::Error,
    },
    #[error("cannot issue a certificate")]
    Issue(#[source] rcgen::Error),
}

/// The CA, loaded.
pub struct Ca {
    key: KeyPair,
    params: CertificateParams,
    cert_pem: String,
    cert_path: PathBuf,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Ca")
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

/// A certificate for [`SERVED_NAMES`], with its key.
pub struct Leaf {
    /// DER of the certificate, then of the CA (the chain a server sends).
    pub chain: Vec<Vec<u8>>,
    /// PKCS#8 DER of the private key.
    pub key_der: Vec<u8>,
}

impl Ca {
    /// The CA of `data_dir`, created there on first use.
    ///
    /// # Errors
    /// The files cannot be read or written, or the stored key is unusable.
    pub fn load_or_create(data_dir: &Path, now: SystemTime) -> Result<Ca, CaError> {
        let dir = data_dir.join("ca");
        let cert_path = dir.join("hookpit-ca.pem");
        let key_path = dir.join("hookpit-ca-key.pem");
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| CaError::Io { path, source }
        };
        if key_path.exists() && cert_path.exists() {
            let key_pem = std::fs::read_to_string(&key_path).map_err(io(&key_path))?;
            let key = KeyPair::from_pem(&key_pem).map_err(|source| CaError::BadKey {
                path: key_path.clone(),
                source,
            })?;
            let cert_pem = std::fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
            return Ok(Ca {
                params: ca_params(&key, now),
                key,
                cert_pem,
                cert_path,
            });
        }
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let key = KeyPair::generate().map_err(CaError::Issue)?;
        let params = ca_params(&key, now);
        let cert = params.self_signed(&key).map_err(CaError::Issue)?;
        let cert_pem = cert.pem();
        write_private(&key_path, &key.serialize_pem()).map_err(io(&key_path))?;
        std::fs::write(&cert_path, &cert_pem).map_err(io(&cert_path))?;
        tracing::info!(path = %cert_path.display(), "created Hookpit's certificate authority");
        Ok(Ca {
            key,
            params,
            cert_pem,
            cert_path,
        })
    }

    /// The CA certificate, PEM: what senders must trust.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Where the CA certificate is.
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// A certificate for [`SERVED_NAMES`], valid from yesterday for a year (browsers refuse
    /// longer-lived server certificates).
    ///
    /// # Errors
    /// The certificate cannot be made.
    pub fn issue(&self, now: SystemTime) -> Result<Leaf, CaError> {
        let names: Vec<String> = SERVED_NAMES.iter().map(|&name| name.to_owned()).collect();
        let mut params = CertificateParams::new(names).map_err(CaError::Issue)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "qyapi.weixin.qq.com");
        valid(
            &mut params,
            now - Duration::from_secs(24 * 3600),
            now + Duration::from_secs(397 * 24 * 3600),
        );
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().map_err(CaError::Issue)?;
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).map_err(CaError::Issue)?;
        let ca_der = pem_der(&self.cert_pem).unwrap_or_default();
        Ok(Leaf {
            chain: vec![cert.der().to_vec(), ca_der],
            key_der: key.serialize_der(),
        })
    }
}

/// The CA's parameters: always the same for the same key, so a stored key signs as the stored
/// certificate names it.
fn ca_params(key: &KeyPair, now: SystemTime) -> CertificateParams {
    let fingerprint: String = Sha256::digest(key.public_key_raw())
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "Hookpit");
    name.push(
        DnType::CommonName,
        format!("Hookpit local CA {fingerprint}"),
    );
    let mut params = CertificateParams::default();
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    valid(
        &mut params,
        now - Duration::from_secs(24 * 3600),
        now + Duration::from_secs(10 * 365 * 24 * 3600),
    );
    params
}

/// The calendar day of `time` (UTC): year, month, day, as `rcgen::date_time_ymd` takes them.
fn ymd(time: SystemTime) -> (i32, u8, u8) {
    let text = humantime::format_rfc3339_seconds(time).to_string();
    let year = text.get(0..4).and_then(|s| s.parse().ok()).unwrap_or(2026);
    let month = text.get(5..7).and_then(|s| s.parse().ok()).unwrap_or(1);
    let day = text.get(8..10).and_then(|s| s.parse().ok()).unwrap_or(1);
    (year, month, day)
}

/// Sets the validity of `params` from `from` to `until`, by calendar day.
fn valid(params: &mut CertificateParams, from: SystemTime, until: SystemTime) {
    let (year, month, day) = ymd(from);
    params.not_before = rcgen::date_time_ymd(year, month, day);
    let (year, month, day) = ymd(until);
    params.not_after = rcgen::date_time_ymd(year, month, day);
}

/// The DER inside a PEM certificate.
fn pem_der(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// Writes a secret: created readable by the owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_is_made_once_and_its_key_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let first = Ca::load_or_create(dir.path(), now).unwrap();
        assert!(first.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        let again = Ca::load_or_create(dir.path(), now).unwrap();
        assert_eq!(first.cert_pem(), again.cert_pem());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("ca/hookpit-ca-key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        let leaf = again.issue(now).unwrap();
        assert_eq!(leaf.chain.len(), 2);
        assert_eq!(leaf.chain[1], pem_der(first.cert_pem()).unwrap());
        assert!(format!("{again:?}").contains("cert_path"));
    }
}
