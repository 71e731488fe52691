//! Prometheus metrics, served at `/metrics` in the OpenMetrics text format that Prometheus scrapes.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Smallest latency bucket in seconds (250 microseconds); each further bucket doubles, up to
/// about 8 seconds, which covers the simulated acquirer's slow cards.
const LATENCY_FIRST_BUCKET_SECS: f64 = 0.000_25;
const LATENCY_BUCKET_COUNT: u16 = 16;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// Route template such as `/v1/payments/{id}`, never the raw path.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClassLabels {
    class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    event: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AuthorizationLabels {
    acquirer: String,
    outcome: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(
        LATENCY_FIRST_BUCKET_SECS,
        2.0,
        LATENCY_BUCKET_COUNT,
    ))
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    open_failures: Family<ClassLabels, Counter>,
    authorizations: Family<AuthorizationLabels, Counter>,
    suppressed_log_lines: Family<EventLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("cardseal");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let latency =
            Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register(
            "http_request_duration_seconds",
            "Time from receiving a request to sending the response head, by route template",
            latency.clone(),
        );
        let open_failures = Family::<ClassLabels, Counter>::default();
        registry.register(
            "envelope_open_failures",
            "Payment attempts rejected while checking or opening the envelope, by class",
            open_failures.clone(),
        );
        let authorizations = Family::<AuthorizationLabels, Counter>::default();
        registry.register(
            "authorizations",
            "Authorization requests sent to the acquirer, by outcome",
            authorizations.clone(),
        );
        let suppressed_log_lines = Family::<EventLabels, Counter>::default();
        registry.register(
            "suppressed_log_lines",
            "Log lines left out by the refusal log interval, by event",
            suppressed_log_lines.clone(),
        );
        Arc::new(Metrics {
            registry,
            requests,
            latency,
            open_failures,
            authorizations,
            suppressed_log_lines,
        })
    }

    /// Counts one finished request and its latency.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Counts one rejected envelope by failure class (the problem code, such as `envelope_stale`).
    pub fn open_failure(&self, class: &str) {
        self.open_failures
            .get_or_create(&ClassLabels {
                class: class.to_owned(),
            })
            .inc();
    }

    /// Counts one authorization by outcome (`approved` or a decline code).
    pub fn authorization(&self, acquirer: &str, outcome: &str) {
        self.authorizations
            .get_or_create(&AuthorizationLabels {
                acquirer: acquirer.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Counts one log line left out by the refusal log interval.
    pub fn suppressed_log_line(&self, event: &str) {
        self.suppressed_log_lines
            .get_or_create(&EventLabels {
                event: event.to_owned(),
            })
            .inc();
    }

    /// Renders all metrics as OpenMetrics text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_contains_observed_series() {
        let metrics = Metrics::new();
        metrics.observe_request("POST", "/v1/payments", 201, 0.002);
        metrics.open_failure("envelope_stale");
        metrics.authorization("simulated", "approved");

        let text = metrics.render();
        assert!(text.contains(
            r#"cardseal_http_requests_total{method="POST",route="/v1/payments",status="201"} 1"#
        ));
        assert!(
            text.contains(r#"cardseal_envelope_open_failures_total{class="envelope_stale"} 1"#)
        );
        assert!(text.contains(
            r#"cardseal_authorizations_total{acquirer="simulated",outcome="approved"} 1"#
        ));
        assert!(text.contains("cardseal_http_request_duration_seconds_bucket"));
    }
}
