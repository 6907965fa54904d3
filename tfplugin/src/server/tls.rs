//! AutoMTLS as go-plugin does it: a fresh self-signed server certificate for `localhost`, and the
//! client certificate Terraform handed over in PLUGIN_CLIENT_CERT required on every connection.
//!
//! The client's certificate is self-signed and marked as a CA, which webpki refuses as an
//! end-entity certificate, so the verifier pins it instead: the presented certificate must be
//! byte-for-byte the one Terraform gave, and the handshake signature is verified with aws-lc-rs
//! (which, unlike ring, verifies the ECDSA P-521 signatures Terraform's certificate makes).
//!
//! Everything else — the server key, its certificate's signature and the TLS session itself — uses
//! ring. aws-lc seeds its random generator from CPU jitter entropy on first use, about 30 ms of
//! CPU before the handshake line could be printed; verifying a signature draws no randomness, so
//! with ring doing the rest a provider process never pays it (unless it calls AWS over HTTPS).

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose, PublicKeyData, SigningKey};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// Errors setting up TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// PLUGIN_CLIENT_CERT held no PEM certificate.
    #[error("reading PLUGIN_CLIENT_CERT: no PEM certificate found")]
    NoClientCertificate,
    /// The server certificate could not be made.
    #[error("generating the server certificate")]
    Generate(#[from] rcgen::Error),
    /// The server key could not be made.
    #[error("generating the server key")]
    Key,
    /// rustls refused the configuration.
    #[error("configuring TLS")]
    Config(#[from] rustls::Error),
}

/// A server certificate and the TLS configuration that presents it.
pub struct ServerTls {
    /// DER of the server certificate, handed to Terraform in the handshake line.
    pub certificate_der: Vec<u8>,
    pub config: Arc<rustls::ServerConfig>,
}

/// The crypto provider the TLS session uses: ring (see the module comment).
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The algorithms client signatures are verified with: aws-lc-rs, for P-521.
pub fn verification_algorithms() -> WebPkiSupportedAlgorithms {
    rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms
}

/// Builds the server side of AutoMTLS for the client certificate `client_cert_pem`.
///
/// # Errors
/// When the PEM holds no certificate or a certificate cannot be generated.
pub fn server_tls(client_cert_pem: &str) -> Result<ServerTls, TlsError> {
    let client_cert = CertificateDer::pem_slice_iter(client_cert_pem.as_bytes())
        .flatten()
        .next()
        .ok_or(TlsError::NoClientCertificate)?;
    let (certificate, key) = generate_certificate()?;
    let verifier = Arc::new(PinnedClientCert { expected: client_cert.into_owned(), algorithms: verification_algorithms() });
    let mut config = rustls::ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![certificate.clone()], key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ServerTls { certificate_der: certificate.to_vec(), config: Arc::new(config) })
}

/// An ECDSA P-256 key held by ring, signing the certificate for rcgen.
struct ServerKey {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl PublicKeyData for ServerKey {
    fn der_bytes(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl SigningKey for ServerKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.pair.sign(&self.rng, msg).map(|s| s.as_ref().to_vec()).map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

/// A self-signed certificate for `localhost`, shaped like go-plugin's own (CA, server and client use).
///
/// # Errors
/// When key or certificate generation fails.
pub fn generate_certificate() -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).map_err(|_| TlsError::Key)?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).map_err(|_| TlsError::Key)?;
    let key = ServerKey { pair, rng };
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params.distinguished_name.push(DnType::CommonName, "localhost");
    params.distinguished_name.push(DnType::OrganizationName, "HashiCorp");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment, KeyUsagePurpose::KeyCertSign];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth, ExtendedKeyUsagePurpose::ServerAuth];
    let certificate = params.self_signed(&key)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8.as_ref().to_vec()));
    Ok((certificate.der().clone(), key_der))
}

/// Accepts exactly one client certificate.
#[derive(Debug)]
struct PinnedClientCert {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::General("client certificate is not the one Terraform handed over".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_certificate_names_localhost() {
        let (certificate, _) = generate_certificate().unwrap_or_else(|e| panic!("{e}"));
        // The DNS SAN "localhost" appears in the DER as its ASCII bytes.
        assert!(certificate.as_ref().windows(9).any(|w| w == b"localhost"));
    }

    #[test]
    fn p521_signatures_are_supported() {
        let schemes = verification_algorithms().supported_schemes();
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }

    #[test]
    fn missing_pem_is_an_error() {
        assert!(matches!(server_tls("not a certificate"), Err(TlsError::NoClientCertificate)));
    }
}
