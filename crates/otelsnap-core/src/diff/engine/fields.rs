//! Field-level comparisons of a matched pair: each pushes at most a few details onto the
//! item, with its rule chosen here and its evidence as data.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{Cx, D, Item, ladder, pct_of, round, sides};
use crate::diff::evidence::{Counted, Evidence, ItemFacts, KeySet, MemberSet, Subject};
use crate::diff::{ChangeType, RateBasis, Rule};
use crate::session::{KeyStatsMap, LogMeta};

impl Cx<'_> {
    /// An estimated cardinality that exists on both sides.
    pub(super) fn cardinality(
        &self,
        it: &mut Item,
        field: String,
        subject: Subject,
        (f, t): (u64, u64),
        approximate: bool,
    ) {
        if f == t {
            return;
        }
        let (ff, tf) = (f as f64, t as f64);
        if (tf - ff).abs() <= self.rules.cardinality_tolerance * ff {
            return;
        }
        let r = self.rules;
        let ratio = if f > 0 { tf / ff } else { f64::INFINITY };
        let (rule, step) = ladder(
            t > f,
            ratio,
            t,
            r.ratio_floor,
            f == 0,
            &[
                (r.cardinality_critical, Rule::CardinalityCritical),
                (r.cardinality_warning, Rule::CardinalityWarning),
            ],
        );
        it.approximate |= approximate;
        let magnitude = if t >= f {
            ratio.min(tf)
        } else if t > 0 {
            ff / tf
        } else {
            ff
        };
        let key = match &subject {
            Subject::Key { key, .. } => Some(key.clone()),
            Subject::Attribute => Some(it.name.clone()),
            Subject::ActiveSeries => None,
        };
        it.push(
            self.rules,
            D {
                field,
                key,
                from: json!(f),
                to: json!(t),
                pct: pct_of(ff, tf),
                rule,
                evidence: Evidence::Cardinality {
                    subject,
                    from: f,
                    to: t,
                    ratio,
                    step,
                    approximate,
                    driver: None,
                },
                magnitude,
            },
        );
    }

    /// A sample count, compared per second when both sides have a capture window.
    pub(super) fn rate(
        &self,
        it: &mut Item,
        fields: (&str, &str),
        counted: Counted,
        f: u64,
        t: u64,
    ) {
        let (fv, tv, field) = match self.basis {
            RateBasis::PerSecond {
                from_window,
                to_window,
                ..
            } => (f as f64 / from_window, t as f64 / to_window, fields.0),
            RateBasis::RawCounts { .. } => (f as f64, t as f64, fields.1),
        };
        if fv == tv || (tv - fv).abs() <= self.rules.rate_tolerance * fv {
            return;
        }
        let r = self.rules;
        let ratio = if fv > 0.0 { tv / fv } else { f64::INFINITY };
        let (rule, step) = ladder(
            tv > fv,
            ratio,
            t,
            r.ratio_floor,
            fv <= 0.0,
            &[(r.sample_rate_warning, Rule::SampleRate)],
        );
        let (from, to) = match self.basis {
            RateBasis::PerSecond { .. } => (json!(round(fv, 3)), json!(round(tv, 3))),
            RateBasis::RawCounts { .. } => (json!(f), json!(t)),
        };
        let magnitude = if tv >= fv {
            ratio.min(t as f64)
        } else if tv > 0.0 {
            fv / tv
        } else {
            f as f64
        };
        it.push(
            self.rules,
            D {
                field: field.to_string(),
                key: None,
                from,
                to,
                pct: pct_of(fv, tv),
                rule,
                evidence: Evidence::Rate {
                    counted,
                    basis: self.basis,
                    from: fv,
                    to: tv,
                    ratio,
                    step,
                },
                magnitude,
            },
        );
    }

    /// A categorical value (type, unit, kind…) that differs.
    pub(super) fn value<T: PartialEq + serde::Serialize + std::fmt::Display>(
        &self,
        it: &mut Item,
        field: &str,
        rule: Rule,
        f: T,
        t: T,
    ) {
        if f == t {
            return;
        }
        it.push(
            self.rules,
            D {
                field: field.to_string(),
                key: None,
                from: json!(f),
                to: json!(t),
                pct: None,
                rule,
                evidence: Evidence::Value {
                    from: f.to_string(),
                    to: t.to_string(),
                },
                magnitude: 1.0,
            },
        );
    }

    /// Histogram bucket bounds that differ.
    pub(super) fn bounds(&self, it: &mut Item, f: &[f64], t: &[f64]) {
        if f == t {
            return;
        }
        it.push(
            self.rules,
            D {
                field: "explicit_bounds".into(),
                key: None,
                from: json!(f),
                to: json!(t),
                pct: None,
                rule: Rule::BoundsChanged,
                evidence: Evidence::Bounds {
                    from: f.to_vec(),
                    to: t.to_vec(),
                },
                magnitude: 1.0,
            },
        );
    }

    /// Members of a set (event names, status codes, signal types) that came or went.
    pub(super) fn members(
        &self,
        it: &mut Item,
        field: &str,
        set: MemberSet,
        f: &[String],
        t: &[String],
    ) {
        let fs: BTreeSet<&String> = f.iter().collect();
        let ts: BTreeSet<&String> = t.iter().collect();
        for m in fs.union(&ts) {
            let (from, to, rule, added) = match (fs.contains(m), ts.contains(m)) {
                (true, true) => continue,
                (false, _) => (Value::Null, json!(m), Rule::Added, true),
                (true, false) => (json!(m), Value::Null, Rule::Removed, false),
            };
            it.push(
                self.rules,
                D {
                    field: format!("{field}.{m}"),
                    key: None,
                    from,
                    to,
                    pct: None,
                    rule,
                    evidence: Evidence::Member {
                        set,
                        member: m.to_string(),
                        added,
                    },
                    magnitude: 1.0,
                },
            );
        }
    }

    /// Keys of a key map that came, went, or changed cardinality.
    pub(super) fn keys(
        &self,
        it: &mut Item,
        prefix: &str,
        set: KeySet,
        (f, t): (&KeyStatsMap, &KeyStatsMap),
        removed_rule: Rule,
    ) {
        if f.len() == t.len()
            && f.iter().zip(t).all(|((ka, a), (kb, b))| {
                ka == kb && a.estimated_cardinality == b.estimated_cardinality
            })
        {
            return;
        }
        for (k, a, b) in sides(f, t) {
            match (a, b) {
                (Some(a), Some(b)) => self.cardinality(
                    it,
                    format!("{prefix}.{k}.estimated_cardinality"),
                    Subject::Key {
                        set: set.clone(),
                        key: k.to_string(),
                    },
                    (a.estimated_cardinality, b.estimated_cardinality),
                    a.approximate || b.approximate,
                ),
                (None, Some(b)) => {
                    let card = b.estimated_cardinality;
                    let high = card > self.rules.new_high_cardinality;
                    it.push(
                        self.rules,
                        D {
                            field: format!("{prefix}.{k}"),
                            key: Some(k.to_string()),
                            from: Value::Null,
                            to: json!(card),
                            pct: None,
                            rule: if high {
                                Rule::NewHighCardinality
                            } else {
                                Rule::Added
                            },
                            evidence: Evidence::KeyAdded {
                                set: set.clone(),
                                key: k.to_string(),
                                cardinality: card,
                                over: high.then_some(self.rules.new_high_cardinality),
                            },
                            magnitude: card as f64,
                        },
                    );
                }
                (Some(a), None) => {
                    let card = a.estimated_cardinality;
                    it.push(
                        self.rules,
                        D {
                            field: format!("{prefix}.{k}"),
                            key: Some(k.to_string()),
                            from: json!(card),
                            to: Value::Null,
                            pct: None,
                            rule: removed_rule,
                            evidence: Evidence::KeyRemoved {
                                set: set.clone(),
                                key: k.to_string(),
                                cardinality: card,
                            },
                            magnitude: card as f64,
                        },
                    );
                }
                (None, None) => {}
            }
        }
    }

    /// A whole item that appeared or disappeared, sized by `size`.
    pub(super) fn whole(
        &self,
        it: &mut Item,
        (field, key): (&str, Option<&str>),
        item: ItemFacts,
        size: u64,
        removed_rule: Rule,
    ) {
        let added = it.ctype == ChangeType::Added;
        let high = added && size > self.rules.new_high_cardinality;
        let rule = if high {
            Rule::NewHighCardinality
        } else if added {
            Rule::Added
        } else {
            removed_rule
        };
        let (from, to) = if added {
            (Value::Null, json!(size))
        } else {
            (json!(size), Value::Null)
        };
        it.push(
            self.rules,
            D {
                field: field.to_string(),
                key: key.map(str::to_string),
                from,
                to,
                pct: None,
                rule,
                evidence: Evidence::Item {
                    item,
                    added,
                    size,
                    over: high.then_some(self.rules.new_high_cardinality),
                },
                magnitude: size as f64,
            },
        );
    }

    /// Body templates that came, went, or whose share of the severity's records moved.
    pub(super) fn templates(&self, it: &mut Item, a: &LogMeta, b: &LogMeta) {
        let share = |l: &LogMeta, c: u64| {
            if l.sample_count > 0 {
                c as f64 / l.sample_count as f64
            } else {
                0.0
            }
        };
        // Templates are matched by their comparable form, so two spellings of one template
        // (ours `<*> <*> <*>`, OCC's `<*>: <*>`) are one; a side's templates that share a form
        // add up. Each is shown as TO spells it (FROM's when gone), its most frequent spelling.
        let counts = |l: &LogMeta| -> BTreeMap<String, (u64, String)> {
            let mut m: BTreeMap<String, (u64, String, u64)> = BTreeMap::new();
            for t in &l.body_templates {
                let e = m
                    .entry(comparable_template(&t.template))
                    .or_insert_with(|| (0, t.template.clone(), t.count));
                e.0 = e.0.saturating_add(t.count);
                if t.count > e.2 || (t.count == e.2 && t.template < e.1) {
                    (e.1, e.2) = (t.template.clone(), t.count);
                }
            }
            m.into_iter().map(|(k, (n, t, _))| (k, (n, t))).collect()
        };
        let (fa, fb) = (counts(a), counts(b));
        for (_, x, y) in sides(&fa, &fb) {
            let Some((_, shown)) = y.or(x) else { continue };
            let field = format!("body_templates.{shown}");
            let template = shown.clone();
            let (x, y) = (x.map(|v| &v.0), y.map(|v| &v.0));
            let d = match (x, y) {
                (Some(&x), Some(&y)) => {
                    let (sx, sy) = (share(a, x), share(b, y));
                    if (sy - sx).abs() <= self.rules.template_share_tolerance || sx == sy {
                        continue;
                    }
                    D {
                        field,
                        key: None,
                        from: json!(round(sx, 4)),
                        to: json!(round(sy, 4)),
                        pct: pct_of(sx, sy),
                        rule: Rule::TemplateShare,
                        evidence: Evidence::Template {
                            template,
                            from_share: Some(sx),
                            to_share: Some(sy),
                        },
                        magnitude: if sx > 0.0 && sy > 0.0 {
                            (sy / sx).max(sx / sy)
                        } else {
                            1.0
                        },
                    }
                }
                (None, Some(&y)) => D {
                    field,
                    key: None,
                    from: Value::Null,
                    to: json!(y),
                    pct: None,
                    rule: Rule::Added,
                    evidence: Evidence::Template {
                        template,
                        from_share: None,
                        to_share: Some(share(b, y)),
                    },
                    magnitude: 1.0,
                },
                (Some(&x), None) => D {
                    field,
                    key: None,
                    from: json!(x),
                    to: Value::Null,
                    pct: None,
                    rule: Rule::Removed,
                    evidence: Evidence::Template {
                        template,
                        from_share: Some(share(a, x)),
                        to_share: None,
                    },
                    magnitude: 1.0,
                },
                (None, None) => continue,
            };
            it.push(self.rules, d);
        }
    }
}

/// The form two body templates are compared in: the same logs templated by two miners match,
/// genuinely different templates stay apart. Punctuation stuck to a placeholder (`<*>:`,
/// `(<*>)`) goes with it, a run of placeholders with only punctuation between them is one
/// placeholder (`<*>: <*>` and `<*> <*> <*>` are both `<*>`), and whitespace is one space.
/// Literal words are never touched, so `user <*> logged in` and `… logged out` differ.
pub(crate) fn comparable_template(t: &str) -> String {
    const W: &str = "<*>";
    let punct = |c: char| !c.is_alphanumeric() && c != '_';
    let norm = |tok: &str| -> String {
        if !tok.contains(W) {
            return tok.to_string();
        }
        let mut s = tok;
        while !s.starts_with(W) && s.starts_with(punct) {
            s = &s[s.chars().next().map_or(1, char::len_utf8)..];
        }
        while !s.ends_with(W) && s.ends_with(punct) {
            s = &s[..s.len() - s.chars().next_back().map_or(1, char::len_utf8)];
        }
        s.to_string()
    };
    let toks: Vec<String> = t.split_whitespace().map(norm).collect();
    let mut out: Vec<&str> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let tok = toks[i].as_str();
        if tok == W {
            if out.last() != Some(&W) {
                out.push(W);
            }
            // Skip punctuation-only tokens that lead to another placeholder.
            let mut j = i + 1;
            while j < toks.len() && toks[j].chars().all(punct) && toks[j] != W {
                j += 1;
            }
            if j > i + 1 && toks.get(j).is_some_and(|t| t == W) {
                i = j;
                continue;
            }
        } else {
            out.push(tok);
        }
        i += 1;
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::comparable_template as c;

    #[test]
    fn two_spellings_of_one_template_compare_equal() {
        assert_eq!(
            c("Payment declined for order <*>: <*>"),
            c("Payment declined for order <*> <*> <*>")
        );
        assert_eq!(c("took (<*>) ms"), c("took <*> ms"));
        assert_eq!(c("a <*> - <*> b"), c("a <*> b"));
        assert_eq!(c("  spaced\tout <*>  "), "spaced out <*>");
    }

    #[test]
    fn different_templates_stay_apart() {
        assert_ne!(c("user <*> logged in"), c("user <*> logged out"));
        assert_ne!(c("user_id=<*> done"), c("order_id=<*> done"));
        assert_ne!(c("<*> - x"), c("<*> + x"));
        assert_ne!(c("GET <*>"), c("POST <*>"));
        // Punctuation that is not next to a placeholder is literal.
        assert_ne!(c("done: ok"), c("done ok"));
    }
}
