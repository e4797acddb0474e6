//! Trust roots for outbound HTTPS, chosen so that no client reads or parses the system's
//! certificate store at start-up. That store is what the SDK's and reqwest's defaults load: on
//! a cold start it cost 1 ms (one bundle, as on Lambda) to 4 ms (a Debian `/etc/ssl/certs`) per
//! client, more than the rest of a function's init together (BENCHMARKS.md, "Cold start").
//!
//! - AWS endpoints (DynamoDB, and STS or SSO when the credential chain needs them) present
//!   certificates from Amazon Trust Services, so the SDK trusts exactly its roots: five
//!   certificates, parsed in microseconds. A custom `AWS_ENDPOINT_URL*` may be anything (a
//!   proxy, LocalStack), so with one set the SDK keeps its default, the system store.
//! - The providers' APIs (Cal.com, Calendly, Google) are reached through reqwest with Mozilla's
//!   roots compiled in (`webpki-roots`): trust anchors already in memory, nothing to parse.

/// Amazon Root CA 1-4 and the Starfield Services G2 root that cross-signs them: the roots of
/// every AWS service endpoint (<https://www.amazontrust.com/repository/>).
#[cfg(feature = "dynamodb")]
const AMAZON_TRUST_SERVICES: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// The SDK's HTTPS client trusting only Amazon Trust Services' roots. For AWS endpoints only:
/// with an endpoint override (a proxy, LocalStack) the caller keeps the SDK's default.
#[cfg(feature = "dynamodb")]
pub(crate) fn amazon_trust_services_client() -> Option<aws_sdk_dynamodb::config::SharedHttpClient> {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};

    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_TRUST_SERVICES);
    let context = TlsContext::builder().with_trust_store(trust).build().ok()?;
    Some(
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context)
            .build_https(),
    )
}

/// The rustls configuration reqwest uses: Mozilla's roots as compiled-in trust anchors.
#[cfg(feature = "sync")]
pub(crate) fn provider_tls() -> Result<rustls::ClientConfig, rustls::Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

#[cfg(all(test, feature = "dynamodb"))]
mod tests {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    use super::*;

    #[test]
    fn the_embedded_roots_are_the_five_amazon_trust_services_roots_mozilla_trusts() {
        let embedded = CertificateDer::pem_slice_iter(AMAZON_TRUST_SERVICES)
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(embedded.len(), 5);
        for cert in &embedded {
            assert!(
                webpki_root_certs::TLS_SERVER_ROOT_CERTS.contains(cert),
                "an embedded root is not in Mozilla's current list"
            );
        }
    }

    #[test]
    fn the_sdk_accepts_the_client() {
        // Building the client validates the HTTP client, which parses the trust store.
        let client = amazon_trust_services_client().expect("the embedded roots are valid");
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("eu-west-2"))
            .http_client(client)
            .build();
        drop(aws_sdk_dynamodb::Client::from_conf(config));
    }
}
