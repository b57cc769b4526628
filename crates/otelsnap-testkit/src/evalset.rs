//! The evaluation set for key verdicts: labelled keys, bounded and unbounded, generated here
//! (never hand-written data), each sent through the real [`Analyzer`] at several numbers of
//! occurrences, with and without the repeats of cumulative re-export.
//!
//! - Without repeats, each occurrence is one span carrying the key.
//! - With repeats, each occurrence is one increment of a cumulative counter whose only label is
//!   the key, and an SDK-like exporter sends *every* series seen so far at each interval (ten
//!   exports per capture, at least five occurrences apart), as OpenTelemetry SDKs do.
//!
//! `cargo run --release --example eval_verdicts` prints precision and recall per level.

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::{
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, metric::Data, number_data_point,
};

use crate::testdata::{kv_str, resource, span, traces_request};
use otelsnap_core::analyze::{Analyzer, AnalyzerOptions};
use otelsnap_core::session::{KeyEvidence, Session, Verdict};

/// Occurrence counts the set is evaluated at.
pub const LEVELS: [u64; 4] = [20, 50, 200, 2000];

/// The evaluation set's generator: the testkit's splitmix64 ([`crate::rng::Rng`]) with this
/// set's own seed mixing, plus draws of identifier shapes.
#[derive(Debug, Clone)]
pub struct Rng(crate::rng::Rng);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Rng(crate::rng::Rng::from_state(seed ^ 0x2545_f491_4f6c_dd1d))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0.below(n)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }

    fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| char::from(A[self.below(A.len() as u64) as usize]))
            .collect()
    }

    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..]
        )
    }
}

/// One labelled key: its name, whether it is bounded, and how its values are drawn.
#[derive(Clone)]
pub struct EvalKey {
    pub name: &'static str,
    pub bounded: bool,
    /// What the values are, for the report.
    pub what: &'static str,
    draw: fn(&mut Rng) -> String,
}

impl std::fmt::Debug for EvalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name, self.what)
    }
}

impl EvalKey {
    /// One value.
    pub fn draw(&self, rng: &mut Rng) -> String {
        (self.draw)(rng)
    }
}

const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "sa-east-1",
    "me-south-1",
    "af-south-1",
    "ap-east-1",
];
const ADJ: &[&str] = &[
    "Ergonomic",
    "Rustic",
    "Sleek",
    "Small",
    "Large",
    "Handmade",
    "Refined",
    "Practical",
    "Gorgeous",
    "Fantastic",
    "Licensed",
    "Tasty",
    "Generic",
    "Intelligent",
    "Awesome",
];
const NOUN: &[&str] = &[
    "Chair", "Table", "Shoes", "Gloves", "Keyboard", "Mouse", "Towels", "Ball", "Hat", "Bike",
    "Car", "Pizza", "Salad", "Soap", "Computer", "Shirt", "Sausages", "Cheese", "Bacon", "Fish",
];
const COUNTRIES: &[&str] = &[
    "US", "DE", "FR", "GB", "IT", "ES", "NL", "BE", "AT", "CH", "SE", "NO", "DK", "FI", "PL", "CZ",
    "PT", "IE", "GR", "HU", "RO", "BG", "HR", "SI", "SK", "LT", "LV", "EE", "CA", "MX", "BR", "AR",
    "CL", "CO", "PE", "JP", "KR", "CN", "IN", "ID", "TH", "VN", "PH", "MY", "SG", "AU", "NZ", "ZA",
    "EG", "NG", "KE", "MA", "TR", "IL", "AE", "SA", "UA", "RS", "IS", "LU",
];
const CURRENCIES: &[&str] = &[
    "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK",
    "HUF", "RON", "BGN", "TRY", "ILS", "AED", "SAR", "INR", "CNY", "KRW", "SGD", "HKD", "MXN",
    "BRL", "ARS", "ZAR", "THB",
];

/// The labelled keys: 23 bounded, 21 unbounded.
pub fn keys() -> Vec<EvalKey> {
    fn k(
        name: &'static str,
        bounded: bool,
        what: &'static str,
        draw: fn(&mut Rng) -> String,
    ) -> EvalKey {
        EvalKey {
            name,
            bounded,
            what,
            draw,
        }
    }
    vec![
        // Bounded: closed sets, however much traffic.
        k("http.request.method", true, "HTTP methods", |r| {
            r.pick(&["GET", "POST", "PUT", "DELETE", "PATCH"]).into()
        }),
        k("http.response.status_code", true, "status codes", |r| {
            r.pick(&[
                "200", "201", "204", "301", "304", "400", "401", "403", "404", "409", "429", "500",
                "502", "503",
            ])
            .into()
        }),
        k("http.route", true, "templated routes", |r| {
            r.pick(&[
                "/api/orders",
                "/api/orders/{id}",
                "/api/orders/{id}/items",
                "/api/cart",
                "/api/cart/{itemId}",
                "/api/users/{userId}",
                "/api/users/{userId}/orders",
                "/health",
                "/metrics",
                "/api/v1/products",
                "/api/v1/products/:sku",
                "/login",
            ])
            .into()
        }),
        k("cloud.region", true, "cloud regions", |r| {
            r.pick(REGIONS).into()
        }),
        k("cloud.availability_zone", true, "availability zones", |r| {
            format!("{}{}", r.pick(&REGIONS[..10]), r.pick(&["a", "b", "c"]))
        }),
        k(
            "product.name",
            true,
            "a catalogue of 300 product names (skewed)",
            |r| {
                // Popular products sell more: index ~ 300·u².
                let u = (r.below(1 << 20) as f64) / f64::from(1 << 20);
                let i = ((u * u) * 300.0) as usize % 300;
                format!("{} {}", ADJ[i % ADJ.len()], NOUN[i / ADJ.len()])
            },
        ),
        k("feature_flag.enabled", true, "booleans", |r| {
            r.pick(&["true", "false"]).into()
        }),
        k("retry.count", true, "small retry counts", |r| {
            (r.below(6)).to_string()
        }),
        k("log.level", true, "log levels", |r| {
            r.pick(&["DEBUG", "INFO", "WARN", "ERROR", "FATAL"]).into()
        }),
        k("peer.service", true, "service names", |r| {
            r.pick(&[
                "checkout",
                "cart",
                "payment",
                "shipping",
                "inventory",
                "email",
                "ads",
                "frontend",
            ])
            .into()
        }),
        k("db.operation.name", true, "database operations", |r| {
            r.pick(&["SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT"])
                .into()
        }),
        k("messaging.destination.name", true, "topics", |r| {
            r.pick(&[
                "orders.created",
                "orders.paid",
                "orders.shipped",
                "cart.updated",
                "user.signup",
                "email.queued",
                "payment.failed",
                "stock.low",
                "refund.issued",
                "audit.log",
            ])
            .into()
        }),
        k("currency", true, "ISO currency codes", |r| {
            r.pick(CURRENCIES).into()
        }),
        k("client.country", true, "ISO country codes", |r| {
            r.pick(COUNTRIES).into()
        }),
        k("payment.method", true, "payment methods", |r| {
            r.pick(&[
                "card",
                "paypal",
                "apple_pay",
                "google_pay",
                "sepa",
                "invoice",
                "klarna",
            ])
            .into()
        }),
        k("customer.tier", true, "customer tiers", |r| {
            r.pick(&["free", "pro", "enterprise"]).into()
        }),
        k("rpc.method", true, "RPC methods", |r| {
            r.pick(&[
                "/shop.CartService/AddItem",
                "/shop.CartService/GetCart",
                "/shop.CartService/EmptyCart",
                "/shop.PaymentService/Charge",
                "/shop.ShippingService/GetQuote",
                "/shop.ShippingService/ShipOrder",
                "/shop.CurrencyService/Convert",
                "/shop.ProductCatalogService/ListProducts",
                "/shop.ProductCatalogService/GetProduct",
                "/shop.EmailService/SendOrderConfirmation",
                "/shop.AdService/GetAds",
                "/shop.RecommendationService/ListRecommendations",
                "/grpc.health.v1.Health/Check",
                "/shop.CheckoutService/PlaceOrder",
                "/shop.CurrencyService/GetSupportedCurrencies",
            ])
            .into()
        }),
        k("error.type", true, "exception types", |r| {
            r.pick(&[
                "TimeoutError",
                "ConnectionError",
                "ValueError",
                "KeyError",
                "java.net.SocketTimeoutException",
                "java.lang.NullPointerException",
                "io.grpc.StatusRuntimeException",
                "context.DeadlineExceeded",
                "sqlalchemy.exc.OperationalError",
                "PermissionDenied",
                "NotFound",
                "Unavailable",
            ])
            .into()
        }),
        k("host.name", true, "six hosts", |r| {
            r.pick(&[
                "ip-10-0-1-23",
                "ip-10-0-1-57",
                "ip-10-0-2-11",
                "ip-10-0-2-98",
                "ip-10-0-3-4",
                "ip-10-0-3-200",
            ])
            .into()
        }),
        k("deployment.environment", true, "environments", |r| {
            r.pick(&["production", "staging", "dev"]).into()
        }),
        k("cache.result", true, "hit or miss", |r| {
            r.pick(&["hit", "miss"]).into()
        }),
        k("network.protocol.version", true, "protocol versions", |r| {
            r.pick(&["1.1", "2", "3"]).into()
        }),
        k("shipping.carrier", true, "carriers", |r| {
            r.pick(&[
                "UPS",
                "FedEx",
                "DHL",
                "USPS",
                "Royal Mail",
                "La Poste",
                "PostNL",
                "GLS",
            ])
            .into()
        }),
        // Unbounded: a new value per request, user, session, …
        k("request.id", false, "UUIDs", |r| r.uuid()),
        k("session.id", false, "upper-case UUIDs", |r| {
            r.uuid().to_ascii_uppercase()
        }),
        k("trace.id", false, "32-hex trace ids", |r| r.hex(32)),
        k("span.id", false, "16-hex span ids", |r| r.hex(16)),
        k("order.id", false, "numeric ids", |r| {
            (100_000 + r.below(900_000_000)).to_string()
        }),
        k("user.id", false, "prefixed numeric ids", |r| {
            format!("user-{}", 1_000_000 + r.below(9_000_000))
        }),
        k("customer.email", false, "e-mail addresses", |r| {
            format!(
                "{}.{}{}@{}",
                r.pick(&["jane", "john", "ana", "li", "omar", "eva"]),
                r.pick(&["doe", "smith", "garcia", "chen", "khan"]),
                r.below(100_000),
                r.pick(&["example.com", "mail.test", "corp.example.org"])
            )
        }),
        k("client.address", false, "IPv4 addresses", |r| {
            format!(
                "{}.{}.{}.{}",
                1 + r.below(223),
                r.below(256),
                r.below(256),
                1 + r.below(254)
            )
        }),
        k("client.address.v6", false, "IPv6 addresses", |r| {
            format!(
                "2001:db8:{:x}:{:x}::{:x}",
                r.below(65536),
                r.below(65536),
                1 + r.below(65535)
            )
        }),
        k("event.time", false, "ISO timestamps", |r| {
            let ms = r.below(86_400_000);
            format!(
                "2026-12-02T{:02}:{:02}:{:02}.{:03}Z",
                ms / 3_600_000,
                ms / 60_000 % 60,
                ms / 1000 % 60,
                ms % 1000
            )
        }),
        k("event.epoch_ms", false, "epoch milliseconds", |r| {
            (1_764_633_600_000 + r.below(86_400_000)).to_string()
        }),
        k("url.path", false, "paths with numeric ids", |r| {
            format!("/orders/{}", 10_000 + r.below(90_000_000))
        }),
        k("url.full", false, "URLs with UUIDs", |r| {
            format!("https://shop.example.com/users/{}/cart", r.uuid())
        }),
        k("session.token", false, "base62 session tokens", |r| {
            r.alnum(32)
        }),
        k("api.key", false, "prefixed API keys", |r| {
            format!("sk_live_{}", r.alnum(24))
        }),
        k(
            "exception.message",
            false,
            "free-text errors with ids",
            |r| match r.below(3) {
                0 => format!("payment {} declined: card expired", r.below(10_000_000)),
                1 => format!(
                    "timeout after {} ms calling inventory for order {}",
                    100 + r.below(30_000),
                    r.below(10_000_000)
                ),
                _ => format!("user {} not found in tenant {}", r.uuid(), r.below(5000)),
            },
        ),
        k("db.query.text", false, "SQL with literals", |r| {
            format!(
                "SELECT * FROM orders WHERE id = {} AND status = 'paid'",
                r.below(10_000_000)
            )
        }),
        k("cart.id", false, "prefixed hex ids", |r| {
            format!("cart_{}", r.hex(12))
        }),
        k("job.id", false, "timestamped job ids", |r| {
            format!("20261202T{:06}Z-{}", r.below(240_000), r.below(1000))
        }),
        k("file.path", false, "upload paths with ids", |r| {
            format!("/var/data/uploads/{}.png", r.below(100_000_000))
        }),
        k("idempotency.key", false, "hyphenless UUIDs", |r| r.hex(32)),
    ]
}

/// The verdict on one key at one level.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub key: &'static str,
    pub bounded: bool,
    pub level: u64,
    pub repeats: bool,
    pub verdict: Verdict,
    pub evidence: Option<KeyEvidence>,
}

fn seed(key: &str, level: u64, repeats: bool) -> u64 {
    otelsnap_core::sketch::hash_value(format!("{key}/{level}/{repeats}").as_bytes())
}

/// Sends `level` occurrences of `key` through an analyzer and returns the key's evidence.
pub fn run_key(key: &EvalKey, level: u64, repeats: bool) -> Outcome {
    let mut rng = Rng::new(seed(key.name, level, repeats));
    let mut a = Analyzer::new(AnalyzerOptions {
        samples: 0,
        ..Default::default()
    });
    let t0 = DateTime::<Utc>::UNIX_EPOCH;
    let res = || resource(Some("eval"), vec![]);
    let evidence = if repeats {
        // Cumulative counter: value per series, re-exported in full each interval.
        let interval = (level / 10).max(5);
        let mut series: Vec<(String, i64)> = Vec::new();
        let mut exports = 0u64;
        let export = |series: &[(String, i64)], a: &mut Analyzer, n: u64| {
            let points = series
                .iter()
                .map(|(v, c)| NumberDataPoint {
                    attributes: vec![kv_str(key.name, v)],
                    start_time_unix_nano: 1_700_000_000_000_000_000,
                    time_unix_nano: 1_700_000_000_000_000_000 + n * 10_000_000_000,
                    value: Some(number_data_point::Value::AsInt(*c)),
                    ..Default::default()
                })
                .collect();
            let req = ExportMetricsServiceRequest {
                resource_metrics: vec![ResourceMetrics {
                    resource: Some(res()),
                    scope_metrics: vec![ScopeMetrics {
                        metrics: vec![Metric {
                            name: "eval.requests".into(),
                            data: Some(Data::Sum(Sum {
                                data_points: points,
                                aggregation_temporality: 2,
                                is_monotonic: true,
                            })),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
            };
            a.ingest_metrics(&req, t0);
        };
        for i in 1..=level {
            let v = key.draw(&mut rng);
            match series.iter_mut().find(|(s, _)| *s == v) {
                Some(s) => s.1 += 1,
                None => series.push((v, 1)),
            }
            if i % interval == 0 || i == level {
                exports += 1;
                export(&series, &mut a, exports);
            }
        }
        let mut s = Session::new("eval");
        a.finish(&mut s);
        s.data
            .metrics
            .first()
            .and_then(|m| m.label_keys.get(key.name))
            .and_then(|k| k.evidence.as_deref().cloned())
    } else {
        let mut spans = Vec::new();
        for i in 1..=level {
            spans.push(span(
                "eval",
                2,
                vec![kv_str(key.name, &key.draw(&mut rng))],
                0,
            ));
            if i % 10 == 0 || i == level {
                a.ingest_traces(&traces_request(res(), std::mem::take(&mut spans)), t0);
            }
        }
        let mut s = Session::new("eval");
        a.finish(&mut s);
        s.data
            .spans
            .first()
            .and_then(|sp| sp.attribute_keys.get(key.name))
            .and_then(|k| k.evidence.as_deref().cloned())
    };
    Outcome {
        key: key.name,
        bounded: key.bounded,
        level,
        repeats,
        verdict: evidence.as_ref().map_or(Verdict::Unknown, |e| e.verdict),
        evidence,
    }
}

/// Every key at every level, with and without repeats.
pub fn run_all() -> Vec<Outcome> {
    let keys = keys();
    let mut out = Vec::new();
    for level in LEVELS {
        for repeats in [false, true] {
            for k in &keys {
                out.push(run_key(k, level, repeats));
            }
        }
    }
    out
}

/// Precision and recall of `unbounded` over some outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Score {
    /// Unbounded keys called unbounded.
    pub true_pos: u64,
    /// Bounded keys called unbounded.
    pub false_pos: u64,
    /// Unbounded keys not called unbounded.
    pub false_neg: u64,
    /// Bounded keys called bounded.
    pub bounded_ok: u64,
    /// Keys called unknown.
    pub unknown: u64,
    pub total: u64,
}

impl Score {
    /// Scores outcomes.
    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Score {
        let mut s = Score::default();
        for o in outcomes {
            s.total += 1;
            match (o.bounded, o.verdict) {
                (false, Verdict::Unbounded) => s.true_pos += 1,
                (true, Verdict::Unbounded) => s.false_pos += 1,
                (false, _) => s.false_neg += 1,
                (true, Verdict::Bounded) => s.bounded_ok += 1,
                (true, Verdict::Unknown) => {}
            }
            if o.verdict == Verdict::Unknown {
                s.unknown += 1;
            }
        }
        s
    }

    /// Share of `unbounded` verdicts that were right (1 when there were none).
    pub fn precision(&self) -> f64 {
        let called = self.true_pos + self.false_pos;
        if called == 0 {
            1.0
        } else {
            self.true_pos as f64 / called as f64
        }
    }

    /// Share of unbounded keys called unbounded.
    pub fn recall(&self) -> f64 {
        let all = self.true_pos + self.false_neg;
        if all == 0 {
            1.0
        } else {
            self.true_pos as f64 / all as f64
        }
    }
}
