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
    let client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https();
    Some(aws_sdk_dynamodb::config::SharedHttpClient::new(
        ConnectorOnFirstRequest(client),
    ))
}

/// An HTTP client whose TLS connector is built by the first request, not by the SDK client's
/// construction. The SDK's hyper client builds a whole connector when a client is constructed
/// (`validate_base_client_config`: so that a system certificate store is read at start-up) and
/// drops it; the first request then builds and caches its own. With five embedded roots there
/// is no store to read early, so that first connector was pure start-up time: a tenth of a
/// function's cold start (BENCHMARKS.md, "Cold start"). Requests go to the wrapped client
/// unchanged, through its connector cache.
#[cfg(feature = "dynamodb")]
#[derive(Debug)]
struct ConnectorOnFirstRequest(aws_sdk_dynamodb::config::SharedHttpClient);

#[cfg(feature = "dynamodb")]
impl aws_sdk_dynamodb::config::HttpClient for ConnectorOnFirstRequest {
    fn http_connector(
        &self,
        settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        components: &aws_sdk_dynamodb::config::RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn validate_final_config(
        &self,
        components: &aws_sdk_dynamodb::config::RuntimeComponents,
        cfg: &aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
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

    #[tokio::test]
    async fn the_wrapped_client_serves_the_sdk_s_requests() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        // A loopback stand-in for DynamoDB: one `ListTables` answer, over plain HTTP (the
        // connector takes `http://` as well as `https://`).
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.ends_with(b"{}") {
                let n = socket.read(&mut buffer).await.unwrap();
                assert!(n > 0, "the request ended early");
                request.extend_from_slice(&buffer[..n]);
            }
            let body = r#"{"TableNames":["bt"]}"#;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
                 content-length: {}\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(response.as_bytes()).await.unwrap();
            String::from_utf8(request).unwrap()
        });

        let client = amazon_trust_services_client().expect("the embedded roots are valid");
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("eu-west-2"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "AKIDEXAMPLE",
                "example-secret",
                None,
                None,
                "test",
            ))
            .endpoint_url(endpoint)
            .http_client(client)
            .build();
        let tables = aws_sdk_dynamodb::Client::from_conf(config)
            .list_tables()
            .send()
            .await
            .expect("the request went through the wrapped client");
        assert_eq!(tables.table_names(), ["bt"]);
        let request = server.await.unwrap();
        assert!(request.starts_with("POST / HTTP/1.1"), "{request}");
        assert!(
            request.contains("DynamoDB_20120810.ListTables"),
            "{request}"
        );
    }
}
