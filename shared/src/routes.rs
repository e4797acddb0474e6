//! Every HTTP route, once: the local server builds its router from this table, and a test checks
//! that `template.yaml` gives API Gateway exactly these routes.

/// The Lambda functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Function {
    CalcomWebhook,
    CalendlyWebhook,
    Metrics,
    Sync,
}

impl Function {
    pub const ALL: [Function; 4] = [
        Function::CalcomWebhook,
        Function::CalendlyWebhook,
        Function::Metrics,
        Function::Sync,
    ];

    /// The function's crate and binary (`cargo lambda build`, SAM's `BuildProperties.Binary`).
    pub const fn binary(self) -> &'static str {
        match self {
            Function::CalcomWebhook => "calcom-webhook",
            Function::CalendlyWebhook => "calendly-webhook",
            Function::Metrics => "metrics",
            Function::Sync => "sync",
        }
    }

    /// The function's logical id in `template.yaml`.
    pub const fn logical_id(self) -> &'static str {
        match self {
            Function::CalcomWebhook => "CalcomWebhookFunction",
            Function::CalendlyWebhook => "CalendlyWebhookFunction",
            Function::Metrics => "MetricsFunction",
            Function::Sync => "SyncFunction",
        }
    }
}

/// One route: a method, a path (`{name}` marks a path parameter) and the function serving it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: Function,
}

const fn route(method: &'static str, path: &'static str, function: Function) -> Route {
    Route {
        method,
        path,
        function,
    }
}

/// SPEC §3's and §11's routes, the compatibility routes, the metrics routes' CORS preflights,
/// and the dashboard's page with its script and stylesheet.
pub const ROUTES: &[Route] = &[
    route(
        "POST",
        "/webhooks/calcom/{accountId}",
        Function::CalcomWebhook,
    ),
    route(
        "POST",
        "/api/webhooks/calendar/calcom",
        Function::CalcomWebhook,
    ),
    route(
        "POST",
        "/webhooks/calendly/{accountId}",
        Function::CalendlyWebhook,
    ),
    route(
        "POST",
        "/api/webhooks/calendar/calendly",
        Function::CalendlyWebhook,
    ),
    route("GET", "/metrics", Function::Metrics),
    route("OPTIONS", "/metrics", Function::Metrics),
    route("GET", "/api/metrics", Function::Metrics),
    route("OPTIONS", "/api/metrics", Function::Metrics),
    route("GET", "/explain", Function::Metrics),
    route("GET", "/dashboard", Function::Metrics),
    route("GET", "/dashboard/app.js", Function::Metrics),
    route("GET", "/dashboard/app.css", Function::Metrics),
    route("POST", "/sync", Function::Sync),
    route("GET", "/health", Function::Sync),
    route(
        "POST",
        "/appointments/{appointmentId}/cancel",
        Function::Sync,
    ),
    route(
        "POST",
        "/appointments/{appointmentId}/no-show",
        Function::Sync,
    ),
];

/// The methods a path answers, for 405 messages.
pub fn methods_of(path: &str) -> Vec<&'static str> {
    let matches = |pattern: &str| {
        let (mut a, mut b) = (pattern.split('/'), path.split('/'));
        loop {
            match (a.next(), b.next()) {
                (None, None) => return true,
                (Some(p), Some(s)) if p == s || (p.starts_with('{') && !s.is_empty()) => {}
                _ => return false,
            }
        }
    };
    ROUTES
        .iter()
        .filter(|r| matches(r.path))
        .map(|r| r.method)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_has_a_route_and_paths_match_methods() {
        for function in Function::ALL {
            assert!(
                ROUTES.iter().any(|r| r.function == function),
                "{function:?}"
            );
        }
        assert_eq!(methods_of("/webhooks/calcom/acme"), ["POST"]);
        assert_eq!(methods_of("/metrics"), ["GET", "OPTIONS"]);
        assert!(methods_of("/webhooks/calcom/").is_empty());
        assert!(methods_of("/nope").is_empty());
    }
}
