import Prometheus
import Synchronization

/// Requests and latencies per route and status in Prometheus' registry (swift-prometheus), written as the
/// Prometheus text format at /metrics. Routes are the router's patterns, so hostile paths add no series.
final class RequestMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private static let buckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(5),
    ]

    /// latent_http_requests_total and latent_http_request_duration_seconds.
    /// (MetricNameDescriptor is not Sendable, so these are made where they are used.)
    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "latent", subsystem: "http", metricName: "requests", unitName: "total",
            helpText: "HTTP requests answered, by route and status")
    }
    private static var durations: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "latent", subsystem: "http", metricName: "request_duration", unitName: "seconds",
            helpText: "Time to answer a request, by route")
    }

    /// Counts one request and its duration.
    func record(route: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("status", String(status))])
            .increment()
        registry.makeDurationHistogram(descriptor: Self.durations, labels: [("route", route)], buckets: Self.buckets)
            .record(duration)
    }

    /// The registry in Prometheus' text format.
    func text() -> [UInt8] {
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}
