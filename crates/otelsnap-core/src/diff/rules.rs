//! Diff rules: thresholds, floors, tolerances, per-rule severities and the ignore list.
//!
//! Found, in order: `--rules FILE` (or `OTELSNAP_RULES`, which clap folds into the same
//! argument), else `.otelsnap.toml` in the working directory or a parent, else the defaults.
//! Flags (`--tolerance`) beat the file. Unknown keys are an error naming the key and the file,
//! so a typo never silently leaves a default in force.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Change, Detail, ItemKind, Severity};

/// The file name looked for in the working directory and its parents.
pub const DISCOVERED_NAME: &str = ".otelsnap.toml";

/// A severity rule; each detail names the one that set its severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Estimated cardinality (label key, attribute, active series) grew ≥ the critical ratio.
    CardinalityCritical,
    /// Estimated cardinality grew ≥ the warning ratio.
    CardinalityWarning,
    /// Sample rate grew ≥ the sample-rate ratio.
    SampleRate,
    /// A new key, metric, span or log severity with more distinct values than the threshold.
    NewHighCardinality,
    /// A metric disappeared.
    MetricRemoved,
    /// A metric label key disappeared (queries grouping by it break).
    LabelRemoved,
    /// Metric type changed.
    TypeChanged,
    /// Metric unit changed.
    UnitChanged,
    /// Aggregation temporality changed.
    TemporalityChanged,
    /// Monotonicity of a sum changed (a counter became an up-down counter, or back).
    MonotonicityChanged,
    /// Histogram bucket bounds changed.
    BoundsChanged,
    /// A log body template's share of its severity's records moved beyond tolerance.
    TemplateShare,
    /// A new metric label or resource key judged unbounded, or an existing one that turned
    /// unbounded.
    UnboundedLabel,
    /// The same on span, event, link and log attributes (identifiers are normal there).
    UnboundedAttribute,
    /// A metric newly carrying `otel.metric.overflow`: the SDK's cardinality limit overflowed.
    SdkOverflow,
    /// A metric's series newly at or above the near-limit share of the SDK limit.
    NearSeriesLimit,
    /// Metric names with identifiers in them (`cache.hits.tenant_4711`): a name pattern judged
    /// unbounded on the newer side and not before.
    UnboundedMetricNames,
    /// The same for span names (`GET /orders/81723`).
    UnboundedSpanNames,
    /// Anything else that appeared.
    Added,
    /// Anything else that disappeared.
    Removed,
    /// Anything else that changed beyond tolerance.
    Changed,
}

impl Rule {
    /// Every rule, in documentation order.
    pub const ALL: [Rule; 21] = [
        Rule::CardinalityCritical,
        Rule::CardinalityWarning,
        Rule::SampleRate,
        Rule::NewHighCardinality,
        Rule::MetricRemoved,
        Rule::LabelRemoved,
        Rule::TypeChanged,
        Rule::UnitChanged,
        Rule::TemporalityChanged,
        Rule::MonotonicityChanged,
        Rule::BoundsChanged,
        Rule::TemplateShare,
        Rule::UnboundedLabel,
        Rule::UnboundedAttribute,
        Rule::SdkOverflow,
        Rule::NearSeriesLimit,
        Rule::UnboundedMetricNames,
        Rule::UnboundedSpanNames,
        Rule::Added,
        Rule::Removed,
        Rule::Changed,
    ];

    /// The snake_case name used in files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::CardinalityCritical => "cardinality_critical",
            Rule::CardinalityWarning => "cardinality_warning",
            Rule::SampleRate => "sample_rate",
            Rule::NewHighCardinality => "new_high_cardinality",
            Rule::MetricRemoved => "metric_removed",
            Rule::LabelRemoved => "label_removed",
            Rule::TypeChanged => "type_changed",
            Rule::UnitChanged => "unit_changed",
            Rule::TemporalityChanged => "temporality_changed",
            Rule::MonotonicityChanged => "monotonicity_changed",
            Rule::BoundsChanged => "bounds_changed",
            Rule::TemplateShare => "template_share",
            Rule::UnboundedLabel => "unbounded_label",
            Rule::UnboundedAttribute => "unbounded_attribute",
            Rule::SdkOverflow => "sdk_overflow",
            Rule::NearSeriesLimit => "near_series_limit",
            Rule::UnboundedMetricNames => "unbounded_metric_names",
            Rule::UnboundedSpanNames => "unbounded_span_names",
            Rule::Added => "added",
            Rule::Removed => "removed",
            Rule::Changed => "changed",
        }
    }

    /// The severity the rule has unless the rules file overrides it.
    pub fn default_severity(self) -> Severity {
        match self {
            Rule::CardinalityCritical
            | Rule::UnboundedLabel
            | Rule::SdkOverflow
            | Rule::UnboundedMetricNames => Severity::Critical,
            Rule::NearSeriesLimit
            | Rule::UnboundedSpanNames
            | Rule::CardinalityWarning
            | Rule::SampleRate
            | Rule::NewHighCardinality
            | Rule::MetricRemoved
            | Rule::LabelRemoved
            | Rule::TypeChanged
            | Rule::UnitChanged
            | Rule::TemporalityChanged
            | Rule::MonotonicityChanged
            | Rule::BoundsChanged => Severity::Warning,
            Rule::TemplateShare
            | Rule::UnboundedAttribute
            | Rule::Added
            | Rule::Removed
            | Rule::Changed => Severity::Info,
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the ignore list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignore {
    /// `kind:glob` on item names; `attribute:` also matches keys inside other items.
    Pattern {
        /// The kind of item it names.
        kind: ItemKind,
        /// `*` and `?` glob over the name (or key).
        glob: String,
    },
    /// A change's or a detail's fingerprint.
    Fingerprint(String),
}

impl Ignore {
    /// The text form, as written in the file.
    pub fn text(&self) -> String {
        match self {
            Ignore::Pattern { kind, glob } => format!("{}:{glob}", kind.as_str()),
            Ignore::Fingerprint(f) => f.clone(),
        }
    }
}

/// Everything that decides what counts as a change and how much it matters.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Cardinality growth ratio that is critical (10).
    pub cardinality_critical: f64,
    /// Cardinality growth ratio that is a warning (2).
    pub cardinality_warning: f64,
    /// Sample-rate growth ratio that is a warning (5).
    pub sample_rate_warning: f64,
    /// A new item or key with more distinct values/series than this is a warning (1,000).
    pub new_high_cardinality: u64,
    /// Ratio rules apply only when the new value is at least this (100).
    pub ratio_floor: u64,
    /// Relative change in cardinality that is not a change at all (0.10).
    pub cardinality_tolerance: f64,
    /// Relative change in sample rates and counts that is not a change at all (0.50).
    pub rate_tolerance: f64,
    /// Absolute change in a body template's share of records that is not a change (0.20).
    pub template_share_tolerance: f64,
    /// The SDK's cardinality limit per instrument (2,000, the OpenTelemetry SDKs' default).
    pub sdk_series_limit: u64,
    /// Share of that limit a metric's series must reach to be a warning (0.8).
    pub near_limit_share: f64,
    /// Per-rule severity overrides.
    pub severity: BTreeMap<Rule, Severity>,
    /// Known, accepted changes.
    pub ignore: Vec<Ignore>,
    /// Where the rules came from, if a file.
    pub source: Option<PathBuf>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            cardinality_critical: 10.0,
            cardinality_warning: 2.0,
            sample_rate_warning: 5.0,
            new_high_cardinality: 1000,
            ratio_floor: 100,
            cardinality_tolerance: 0.10,
            rate_tolerance: 0.50,
            template_share_tolerance: 0.20,
            sdk_series_limit: 2000,
            near_limit_share: 0.8,
            severity: BTreeMap::new(),
            ignore: Vec::new(),
            source: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRules {
    #[serde(default)]
    thresholds: FileThresholds,
    #[serde(default)]
    floors: FileFloors,
    #[serde(default)]
    tolerances: FileTolerances,
    #[serde(default)]
    severity: BTreeMap<Rule, Severity>,
    #[serde(default)]
    ignore: FileIgnore,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileThresholds {
    cardinality_critical: Option<f64>,
    cardinality_warning: Option<f64>,
    sample_rate_warning: Option<f64>,
    new_high_cardinality: Option<u64>,
    sdk_series_limit: Option<u64>,
    near_limit_share: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFloors {
    ratio_min_value: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTolerances {
    cardinality: Option<f64>,
    rate: Option<f64>,
    template_share: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIgnore {
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    fingerprints: Vec<String>,
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Severity::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown severity '{s}': expected info, warning or critical"
            ))
        })
    }
}

/// Parses an ignore pattern `kind:glob` (kind: metric, span, log, attribute).
pub fn parse_pattern(p: &str) -> Result<Ignore, String> {
    let Some((kind, glob)) = p.split_once(':') else {
        return Err(format!(
            "ignore pattern '{p}' has no kind: write metric:NAME, span:NAME, log:SEVERITY or attribute:KEY"
        ));
    };
    let kind = ItemKind::parse(kind).ok_or_else(|| {
        format!(
            "ignore pattern '{p}': unknown kind '{kind}', expected metric, span, log or attribute"
        )
    })?;
    if glob.is_empty() {
        return Err(format!("ignore pattern '{p}' has an empty name"));
    }
    Ok(Ignore::Pattern {
        kind,
        glob: glob.to_string(),
    })
}

/// Parses a fingerprint: 12 lowercase hex digits, as the JSON output prints them.
pub fn parse_fingerprint(f: &str) -> Result<Ignore, String> {
    let f = f.trim().to_ascii_lowercase();
    if f.len() == 12 && f.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(Ignore::Fingerprint(f))
    } else {
        Err(format!(
            "ignore fingerprint '{f}' is not 12 hex digits (copy it from a change's `fingerprint` in the diff's JSON)"
        ))
    }
}

/// Matches `*` (any run) and `?` (one character) against the whole text.
pub fn glob_match(glob: &str, text: &str) -> bool {
    let g: Vec<char> = glob.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut gi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == t[ti]) {
            gi += 1;
            ti += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some((gi, ti));
            gi += 1;
        } else if let Some((sg, st)) = star {
            gi = sg + 1;
            ti = st + 1;
            star = Some((sg, st + 1));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

/// Why a rules file could not be used. Says what is wrong; the command line adds which flag
/// or file fixes it.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The file could not be read.
    #[error("cannot read rules file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or holds a key or value the rules do not have.
    #[error("rules file {}{}: {message}", path.display(), line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line of the error, when the parser knows it.
        line: Option<usize>,
        /// What the parser said, on one line.
        message: String,
    },
    /// A value is out of its range, or an ignore entry does not parse.
    #[error("rules file {}: {what}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the setting.
        what: String,
    },
}

impl Rules {
    /// The severity a rule has under these rules.
    pub fn severity_of(&self, rule: Rule) -> Severity {
        self.severity
            .get(&rule)
            .copied()
            .unwrap_or_else(|| rule.default_severity())
    }

    /// Sets all three tolerances (what `--tolerance` does).
    pub fn set_tolerance(&mut self, t: f64) {
        self.cardinality_tolerance = t;
        self.rate_tolerance = t;
        self.template_share_tolerance = t;
    }

    /// Parses rules from TOML text; `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &Path) -> Result<Rules, RulesError> {
        let f: FileRules = toml::from_str(text).map_err(|e| RulesError::Syntax {
            path: origin.to_path_buf(),
            line: e.span().map(|s| text[..s.start].matches('\n').count() + 1),
            message: e
                .message()
                .replace('\n', " ")
                .trim_end_matches('.')
                .to_string(),
        })?;
        let bad = |what: String| RulesError::Invalid {
            path: origin.to_path_buf(),
            what,
        };
        let mut r = Rules {
            source: Some(origin.to_path_buf()),
            ..Rules::default()
        };
        let t = &f.thresholds;
        r.cardinality_critical = t.cardinality_critical.unwrap_or(r.cardinality_critical);
        r.cardinality_warning = t.cardinality_warning.unwrap_or(r.cardinality_warning);
        r.sample_rate_warning = t.sample_rate_warning.unwrap_or(r.sample_rate_warning);
        r.new_high_cardinality = t.new_high_cardinality.unwrap_or(r.new_high_cardinality);
        r.sdk_series_limit = t.sdk_series_limit.unwrap_or(r.sdk_series_limit);
        r.near_limit_share = t.near_limit_share.unwrap_or(r.near_limit_share);
        if !(r.near_limit_share.is_finite()
            && r.near_limit_share > 0.0
            && r.near_limit_share <= 1.0)
        {
            return Err(bad(format!(
                "thresholds.near_limit_share = {} must be a fraction above 0 and at most 1",
                r.near_limit_share
            )));
        }
        r.ratio_floor = f.floors.ratio_min_value.unwrap_or(r.ratio_floor);
        r.cardinality_tolerance = f.tolerances.cardinality.unwrap_or(r.cardinality_tolerance);
        r.rate_tolerance = f.tolerances.rate.unwrap_or(r.rate_tolerance);
        r.template_share_tolerance = f
            .tolerances
            .template_share
            .unwrap_or(r.template_share_tolerance);
        for (name, v) in [
            ("thresholds.cardinality_critical", r.cardinality_critical),
            ("thresholds.cardinality_warning", r.cardinality_warning),
            ("thresholds.sample_rate_warning", r.sample_rate_warning),
        ] {
            if !(v.is_finite() && v >= 1.0) {
                return Err(bad(format!("{name} = {v} must be a ratio of at least 1")));
            }
        }
        for (name, v) in [
            ("tolerances.cardinality", r.cardinality_tolerance),
            ("tolerances.rate", r.rate_tolerance),
            ("tolerances.template_share", r.template_share_tolerance),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(bad(format!(
                    "{name} = {v} must be a fraction of at least 0"
                )));
            }
        }
        r.severity = f.severity;
        for p in &f.ignore.patterns {
            r.ignore.push(parse_pattern(p).map_err(bad)?);
        }
        for p in &f.ignore.fingerprints {
            r.ignore.push(parse_fingerprint(p).map_err(bad)?);
        }
        Ok(r)
    }

    /// Reads a rules file.
    pub fn load(path: &Path) -> Result<Rules, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Rules::from_toml(&text, path)
    }

    /// The explicit file if given, else `.otelsnap.toml` in `cwd` or a parent, else defaults.
    pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Rules, RulesError> {
        if let Some(p) = explicit {
            return Rules::load(p);
        }
        for dir in cwd.ancestors() {
            let candidate = dir.join(DISCOVERED_NAME);
            if candidate.is_file() {
                return Rules::load(&candidate);
            }
        }
        Ok(Rules::default())
    }

    /// Whether the ignore list drops this whole change.
    pub fn ignores_change(&self, c: &Change) -> bool {
        self.ignore.iter().any(|i| match i {
            Ignore::Fingerprint(f) => *f == c.fingerprint,
            Ignore::Pattern { kind, glob } => *kind == c.signal_type && glob_match(glob, &c.name),
        })
    }

    /// Whether the ignore list drops one detail of a change.
    pub fn ignores_detail(&self, _kind: ItemKind, _name: &str, d: &Detail) -> bool {
        self.ignore.iter().any(|i| match i {
            Ignore::Fingerprint(f) => *f == d.fingerprint,
            Ignore::Pattern {
                kind: ItemKind::Attribute,
                glob,
            } => d.key.as_deref().is_some_and(|k| glob_match(glob, k)),
            Ignore::Pattern { .. } => false,
        })
    }

    /// The rules in effect, for the JSON `options` block.
    pub fn view(&self) -> RulesView {
        RulesView {
            source: self.source.as_ref().map(|p| p.display().to_string()),
            thresholds: ThresholdsView {
                cardinality_critical: self.cardinality_critical,
                cardinality_warning: self.cardinality_warning,
                sample_rate_warning: self.sample_rate_warning,
                new_high_cardinality: self.new_high_cardinality,
                sdk_series_limit: self.sdk_series_limit,
                near_limit_share: self.near_limit_share,
            },
            floors: FloorsView {
                ratio_min_value: self.ratio_floor,
            },
            tolerances: TolerancesView {
                cardinality: self.cardinality_tolerance,
                rate: self.rate_tolerance,
                template_share: self.template_share_tolerance,
            },
            severity: Rule::ALL
                .iter()
                .map(|r| (r.as_str(), self.severity_of(*r)))
                .collect(),
            ignore: self.ignore.iter().map(Ignore::text).collect(),
        }
    }
}

/// The rules as the JSON output shows them (same layout as the TOML file).
#[derive(Debug, Clone, Serialize)]
pub struct RulesView {
    /// The rules file, if the rules came from one.
    pub source: Option<String>,
    /// `[thresholds]`.
    pub thresholds: ThresholdsView,
    /// `[floors]`.
    pub floors: FloorsView,
    /// `[tolerances]`.
    pub tolerances: TolerancesView,
    #[serde(serialize_with = "pairs_as_map")]
    /// Each rule and the severity it has.
    pub severity: Vec<(&'static str, Severity)>,
    /// The ignore list, as written in the file.
    pub ignore: Vec<String>,
}

fn pairs_as_map<S: serde::Serializer>(
    v: &[(&'static str, Severity)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for (k, x) in v {
        m.serialize_entry(k, x)?;
    }
    m.end()
}

/// `[thresholds]`.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdsView {
    /// Cardinality growth ratio that is critical.
    pub cardinality_critical: f64,
    /// Cardinality growth ratio that is a warning.
    pub cardinality_warning: f64,
    /// Sample-rate growth ratio that is a warning.
    pub sample_rate_warning: f64,
    /// Distinct values above which a new item or key is a warning.
    pub new_high_cardinality: u64,
    /// Series per instrument at which an SDK starts collapsing into the overflow series.
    pub sdk_series_limit: u64,
    /// Share of that limit at which a metric is near it.
    pub near_limit_share: f64,
}

/// `[floors]`.
#[derive(Debug, Clone, Serialize)]
pub struct FloorsView {
    /// Ratio rules apply only when the new value is at least this.
    pub ratio_min_value: u64,
}

/// `[tolerances]`.
#[derive(Debug, Clone, Serialize)]
pub struct TolerancesView {
    /// Relative cardinality change that is not a change.
    pub cardinality: f64,
    /// Relative rate change that is not a change.
    pub rate: f64,
    /// Absolute template-share change that is not a change.
    pub template_share: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("legacy.*", "legacy.requests"));
        assert!(!glob_match("legacy.*", "http.legacy.requests"));
        assert!(glob_match("GET /health*", "GET /healthz"));
        assert!(glob_match("k8s.pod.uid", "k8s.pod.uid"));
        assert!(!glob_match("k8s.pod.uid", "k8s.pod.uidx"));
        assert!(glob_match("a?c*", "abcdef"));
        assert!(glob_match("*", ""));
        assert!(glob_match("*x*y", "axbxxy"));
    }

    #[test]
    fn full_file_parses() {
        let text = r#"
[thresholds]
cardinality_critical = 20.0
cardinality_warning = 3
sample_rate_warning = 4.5
new_high_cardinality = 500

[floors]
ratio_min_value = 50

[tolerances]
cardinality = 0.2
rate = 0.25
template_share = 0.1

[severity]
label_removed = "info"
metric_removed = "critical"

[ignore]
patterns = ["metric:legacy.*", "attribute:k8s.pod.uid", "span:GET /health*"]
fingerprints = ["0123456789AB"]
"#;
        let r = Rules::from_toml(text, Path::new("x.toml")).unwrap();
        assert_eq!(r.cardinality_critical, 20.0);
        assert_eq!(r.cardinality_warning, 3.0);
        assert_eq!(r.sample_rate_warning, 4.5);
        assert_eq!(r.new_high_cardinality, 500);
        assert_eq!(r.ratio_floor, 50);
        assert_eq!(r.cardinality_tolerance, 0.2);
        assert_eq!(r.rate_tolerance, 0.25);
        assert_eq!(r.template_share_tolerance, 0.1);
        assert_eq!(r.severity_of(Rule::LabelRemoved), Severity::Info);
        assert_eq!(r.severity_of(Rule::MetricRemoved), Severity::Critical);
        assert_eq!(r.severity_of(Rule::TypeChanged), Severity::Warning);
        assert_eq!(r.ignore.len(), 4);
        assert_eq!(r.ignore[3], Ignore::Fingerprint("0123456789ab".into()));
        assert_eq!(
            r.ignore[2],
            Ignore::Pattern {
                kind: ItemKind::Span,
                glob: "GET /health*".into()
            }
        );
    }

    #[test]
    fn unknown_key_names_key_and_file() {
        let e = Rules::from_toml(
            "[thresholds]\ncardinality_critcal = 5\n",
            Path::new("r.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("cardinality_critcal"), "{e}");
        assert!(e.contains("r.toml"), "{e}");
        assert!(e.contains("line 2"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        let e = Rules::from_toml("colour = 1\n", Path::new("r.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour") && e.contains("r.toml"), "{e}");
        let e = Rules::from_toml("[severity]\nnot_a_rule = \"info\"\n", Path::new("r.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not_a_rule"), "{e}");
    }

    #[test]
    fn bad_values_rejected() {
        let e = Rules::from_toml("[severity]\nadded = \"loud\"\n", Path::new("r.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("loud"), "{e}");
        let e = Rules::from_toml("[ignore]\npatterns = [\"legacy.*\"]\n", Path::new("r.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no kind"), "{e}");
        let e = Rules::from_toml("[ignore]\nfingerprints = [\"xyz\"]\n", Path::new("r.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("12 hex"), "{e}");
        let e = Rules::from_toml("[tolerances]\nrate = -1.0\n", Path::new("r.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("tolerances.rate"), "{e}");
    }

    #[test]
    fn discovery_walks_parents() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        assert_eq!(Rules::discover(None, &sub).unwrap().source, None);
        std::fs::write(
            dir.path().join(DISCOVERED_NAME),
            "[floors]\nratio_min_value = 7\n",
        )
        .unwrap();
        let r = Rules::discover(None, &sub).unwrap();
        assert_eq!(r.ratio_floor, 7);
        assert_eq!(r.source, Some(dir.path().join(DISCOVERED_NAME)));
        let explicit = dir.path().join("other.toml");
        std::fs::write(&explicit, "[floors]\nratio_min_value = 9\n").unwrap();
        assert_eq!(
            Rules::discover(Some(&explicit), &sub).unwrap().ratio_floor,
            9
        );
        let e = Rules::discover(Some(&dir.path().join("missing.toml")), &sub)
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.toml"), "{e}");
    }
}
