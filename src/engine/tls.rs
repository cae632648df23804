//! TLS to the engine as the docker CLI speaks it with `DOCKER_TLS_VERIFY`:
//! the engine's certificate verified against `ca.pem` of `DOCKER_CERT_PATH`
//! (default `~/.docker`), and `cert.pem` with `key.pem` as the client's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::Error;

/// The most a certificate or key file may take.
const MOST_FILE: u64 = 1024 * 1024;

/// The client's TLS settings from `DOCKER_CERT_PATH`.
pub fn client_config() -> Result<Arc<rustls::ClientConfig>, Error> {
    let folder = match std::env::var_os("DOCKER_CERT_PATH").filter(|p| !p.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".docker"))
            .ok_or_else(|| {
                Error::Setup(
                    "DOCKER_TLS_VERIFY is set but neither DOCKER_CERT_PATH nor HOME names the \
                     folder of ca.pem, cert.pem and key.pem"
                        .to_string(),
                )
            })?,
    };
    let read = |name: &str| read_file(&folder.join(name));
    let ca = read("ca.pem")?;
    let mut roots = rustls::RootCertStore::empty();
    let mut found = 0;
    for cert in CertificateDer::pem_slice_iter(&ca) {
        let cert = cert.map_err(|e| bad(&folder, "ca.pem", &e.to_string()))?;
        roots
            .add(cert)
            .map_err(|e| bad(&folder, "ca.pem", &e.to_string()))?;
        found += 1;
    }
    if found == 0 {
        return Err(bad(&folder, "ca.pem", "no certificate in it"));
    }
    let chain = read("cert.pem")?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&chain)
        .collect::<Result<_, _>>()
        .map_err(|e| bad(&folder, "cert.pem", &e.to_string()))?;
    if chain.is_empty() {
        return Err(bad(&folder, "cert.pem", "no certificate in it"));
    }
    let key = PrivateKeyDer::from_pem_slice(&read("key.pem")?)
        .map_err(|e| bad(&folder, "key.pem", &e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Setup(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| bad(&folder, "cert.pem and key.pem", &e.to_string()))?;
    Ok(Arc::new(config))
}

/// The name the engine's certificate must carry.
pub fn server_name(host: &str) -> Result<ServerName<'static>, Error> {
    ServerName::try_from(host.to_string())
        .map_err(|_| Error::Setup(format!("DOCKER_HOST: {host} cannot name a TLS server")))
}

fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| {
        Error::Setup(format!(
            "DOCKER_TLS_VERIFY is set: cannot read {}: {e}",
            path.display()
        ))
    })?;
    let mut bytes = Vec::new();
    file.take(MOST_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Setup(format!("cannot read {}: {e}", path.display())))?;
    if bytes.len() as u64 > MOST_FILE {
        return Err(Error::Setup(format!(
            "{}: longer than {MOST_FILE} bytes; not a PEM file",
            path.display()
        )));
    }
    Ok(bytes)
}

fn bad(folder: &Path, name: &str, why: &str) -> Error {
    Error::Setup(format!(
        "{}: {why} (DOCKER_TLS_VERIFY reads PEM certificates and key there)",
        folder.join(name).display()
    ))
}
