//! The incomplete-side rule: a finding that an incomplete side could explain is not judged.
//!
//! Capture caps only ever refuse; they never invent. So a side that a cap touched may *lack*
//! things it was sent, and nothing else. A finding is therefore left unjudged (shown at info,
//! its would-be severity and the reason kept in [`NotJudged`]) when it rests on that lack:
//!
//! - something smaller or absent in TO (an item, key, member or template removed, a count,
//!   rate or cardinality that fell) where TO is incomplete for that item;
//! - something larger or present only in TO (an item, key, member or template added, a growth,
//!   a key, name pattern or series count judged new or turned unbounded or near the SDK limit)
//!   where FROM is incomplete for that item: FROM may have been sent it and refused it.
//!
//! "Incomplete for that item" is, most precise first: the item itself carries an
//! [`Incomplete`] marker; the item is absent on that side and that session refused whole items
//! (`max_items`, the byte budget); the session ran past its byte budget, after which values of
//! existing keys stop counting anywhere; or the item is an attribute of the catalog, which sums
//! over every item, so any refusal can lower it. Type, unit, temporality, kind and scope
//! changes rest on values both sides have, and stay judged (bucket bounds too, unless a side's
//! bucket-bound cap refused some).

use std::collections::BTreeMap;

use serde::Serialize;

use super::evidence::Evidence;
use super::{ChangeType, ItemKind, Severity};
use crate::session::{Incomplete, Session};

/// A side of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The older session.
    From,
    /// The newer session.
    To,
}

impl Side {
    /// `FROM` or `TO`, as the header says it.
    pub fn upper(self) -> &'static str {
        match self {
            Side::From => "FROM",
            Side::To => "TO",
        }
    }
}

/// Why a finding was not judged: what made its side unable to show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Gap {
    /// The item itself is marked incomplete on that side.
    ItemIncomplete {
        /// The caps that refused part of it (`keys_per_item`, `key_budget`, …).
        caps: Vec<String>,
        /// Occurrences they refused.
        dropped: u64,
    },
    /// The item is absent on that side, and that session refused whole new items.
    ItemsRefused {
        /// Its refusals of new items (each counts, see `Completeness::refused_items`).
        refused_items: u64,
    },
    /// That session ran past its memory budget: values of existing keys stopped counting.
    ByteBudget,
    /// An attribute of the catalog, which sums over every item, on a session with refusals.
    Catalog,
}

/// A finding left unjudged by the incomplete-side rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotJudged {
    /// The incomplete side the finding could be an artifact of.
    pub side: Side,
    /// The severity its rule gave it before it was set to info.
    pub severity: Severity,
    /// What made that side incomplete for this item.
    #[serde(flatten)]
    pub gap: Gap,
}

/// One incomplete side of a diff, for the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncompleteSide {
    /// Which side.
    pub side: Side,
    /// Its session id.
    pub id: String,
    /// Items stored but marked incomplete.
    pub incomplete_items: u64,
    /// Refusals of whole new items (not in the file; each refusal counts).
    pub refused_items: u64,
    /// Occurrences refused, per cap.
    pub dropped_by_cap: BTreeMap<String, u64>,
    /// True when the session ran past its memory budget.
    pub byte_budget: bool,
    /// Findings (details) left unjudged because of this side, whatever their severity.
    pub not_judged: usize,
    /// Of those, how many a rule had put at warning or above.
    pub downgraded: usize,
}

/// Which way a finding points: what an under-reporting side could fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Less or absent in TO: an incomplete TO could explain it.
    Shrink,
    /// More or present only in TO: an incomplete FROM could explain it.
    Grow,
    /// Neither (a value that differs).
    Neither,
}

fn direction(e: &Evidence) -> Direction {
    let by = |grew: bool| {
        if grew {
            Direction::Grow
        } else {
            Direction::Shrink
        }
    };
    match e {
        Evidence::Cardinality { from, to, .. } => by(to > from),
        Evidence::Rate { from, to, .. } => by(to > from),
        Evidence::Member { added, .. } | Evidence::Item { added, .. } => by(*added),
        Evidence::KeyAdded { .. } => Direction::Grow,
        Evidence::KeyRemoved { .. } => Direction::Shrink,
        Evidence::Template {
            from_share,
            to_share,
            ..
        } => by(to_share.unwrap_or(0.0) > from_share.unwrap_or(0.0)),
        // A verdict finding says a key, name pattern or limit is new or turned in TO: what an
        // incomplete FROM may only have refused.
        Evidence::Verdict(_) => Direction::Grow,
        Evidence::Value { .. } | Evidence::Bounds { .. } => Direction::Neither,
    }
}

/// What one session's completeness account says, read once per diff.
#[derive(Debug, Clone, Default)]
pub(crate) struct Account {
    complete: bool,
    refused_items: u64,
    byte_budget: bool,
}

impl Account {
    pub(crate) fn of(s: &Session) -> Account {
        let c = s.completeness.as_ref();
        let byte_budget = c
            .is_some_and(|c| c.dropped_by_cap.get("byte_budget").is_some_and(|n| *n > 0))
            || s.capture.as_ref().is_some_and(|c| c.incomplete.is_some());
        // Only these caps refuse whole metrics, spans and severities; the catalog cap refuses
        // catalog keys alone, which the catalog rule covers.
        let whole = byte_budget
            || c.is_some_and(|c| c.dropped_by_cap.get("max_items").is_some_and(|n| *n > 0));
        Account {
            complete: s.is_complete() && !byte_budget,
            refused_items: if whole {
                c.map_or(0, |c| c.refused_items)
            } else {
                0
            },
            byte_budget,
        }
    }

    /// Why this side cannot show the lack a finding rests on, if it cannot.
    fn gap(&self, kind: ItemKind, absent: bool, marker: Option<&Incomplete>) -> Option<Gap> {
        if self.complete {
            return None;
        }
        if kind == ItemKind::Attribute {
            return Some(Gap::Catalog);
        }
        if absent && self.refused_items > 0 {
            return Some(Gap::ItemsRefused {
                refused_items: self.refused_items,
            });
        }
        if let Some(m) = marker {
            return Some(Gap::ItemIncomplete {
                caps: m.caps.clone(),
                dropped: m.dropped,
            });
        }
        self.byte_budget.then_some(Gap::ByteBudget)
    }
}

/// Both sides' accounts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Accounts {
    pub from: Account,
    pub to: Account,
}

impl Accounts {
    pub(crate) fn of(from: &Session, to: &Session) -> Accounts {
        Accounts {
            from: Account::of(from),
            to: Account::of(to),
        }
    }

    /// True when both sides are complete: nothing to judge.
    pub(crate) fn all_complete(&self) -> bool {
        self.from.complete && self.to.complete
    }

    /// The reason a detail of an item is not judged, if it is not. `markers` are the item's
    /// [`Incomplete`] markers on each side (FROM, TO).
    pub(crate) fn judge(
        &self,
        kind: ItemKind,
        ctype: ChangeType,
        evidence: &Evidence,
        markers: (Option<&Incomplete>, Option<&Incomplete>),
    ) -> Option<(Side, Gap)> {
        if self.all_complete() {
            return None;
        }
        match direction(evidence) {
            Direction::Shrink => self
                .to
                .gap(kind, ctype == ChangeType::Removed, markers.1)
                .map(|g| (Side::To, g)),
            Direction::Grow => self
                .from
                .gap(kind, ctype == ChangeType::Added, markers.0)
                .map(|g| (Side::From, g)),
            Direction::Neither => {
                // Bounds a side's cap cut short differ for that reason alone.
                let cut = |m: Option<&Incomplete>| {
                    m.filter(|m| m.caps.iter().any(|c| c == "bucket_bounds"))
                        .map(|m| Gap::ItemIncomplete {
                            caps: m.caps.clone(),
                            dropped: m.dropped,
                        })
                };
                if !matches!(evidence, Evidence::Bounds { .. }) {
                    return None;
                }
                cut(markers.1)
                    .map(|g| (Side::To, g))
                    .or_else(|| cut(markers.0).map(|g| (Side::From, g)))
            }
        }
    }
}

/// The header entries for the incomplete sides, counting the findings each left unjudged.
pub(crate) fn sides(
    from: &Session,
    to: &Session,
    details: impl Iterator<Item = (Side, Severity)>,
) -> Vec<IncompleteSide> {
    let mut out: Vec<IncompleteSide> = Vec::new();
    for (side, s) in [(Side::From, from), (Side::To, to)] {
        let a = Account::of(s);
        if a.complete {
            continue;
        }
        let c = s.completeness.clone().unwrap_or_default();
        out.push(IncompleteSide {
            side,
            id: s.id.clone(),
            incomplete_items: c.incomplete_items,
            refused_items: c.refused_items,
            dropped_by_cap: c.dropped_by_cap,
            byte_budget: a.byte_budget,
            not_judged: 0,
            downgraded: 0,
        });
    }
    for (side, sev) in details {
        if let Some(e) = out.iter_mut().find(|e| e.side == side) {
            e.not_judged += 1;
            if sev >= Severity::Warning {
                e.downgraded += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::evidence::{KeySet, Step, Subject};
    use crate::session::Completeness;

    fn incomplete(refused: u64) -> Session {
        let mut s = Session::new("t");
        s.completeness = Some(Completeness {
            incomplete_items: 1,
            refused_items: refused,
            dropped_by_cap: [
                ("keys_per_item".to_string(), 3),
                ("max_items".to_string(), refused),
            ]
            .into(),
        });
        s
    }

    fn removed_key() -> Evidence {
        Evidence::KeyRemoved {
            set: KeySet::Label,
            key: "k".into(),
            cardinality: 5,
        }
    }

    #[test]
    fn a_removal_on_an_incomplete_item_of_to_is_not_judged() {
        let a = Accounts::of(&Session::new("f"), &incomplete(0));
        let m = Incomplete {
            dropped: 3,
            caps: vec!["keys_per_item".into()],
        };
        let got = a.judge(
            ItemKind::Metric,
            ChangeType::Changed,
            &removed_key(),
            (None, Some(&m)),
        );
        assert_eq!(
            got,
            Some((
                Side::To,
                Gap::ItemIncomplete {
                    caps: vec!["keys_per_item".into()],
                    dropped: 3
                }
            ))
        );
        // The same removal on an item TO holds whole is judged: the cap did not touch it.
        assert_eq!(
            a.judge(
                ItemKind::Metric,
                ChangeType::Changed,
                &removed_key(),
                (None, None)
            ),
            None
        );
    }

    #[test]
    fn growth_is_judged_against_to_but_not_against_an_incomplete_from() {
        let grew = Evidence::Cardinality {
            subject: Subject::ActiveSeries,
            from: 10,
            to: 1000,
            ratio: 100.0,
            step: Step::Crossed { threshold: 10.0 },
            approximate: false,
            driver: None,
        };
        let m = Incomplete::default();
        let to_inc = Accounts::of(&Session::new("f"), &incomplete(0));
        assert_eq!(
            to_inc.judge(
                ItemKind::Metric,
                ChangeType::Changed,
                &grew,
                (None, Some(&m))
            ),
            None
        );
        let from_inc = Accounts::of(&incomplete(0), &Session::new("t"));
        assert!(matches!(
            from_inc.judge(
                ItemKind::Metric,
                ChangeType::Changed,
                &grew,
                (Some(&m), None)
            ),
            Some((Side::From, Gap::ItemIncomplete { .. }))
        ));
    }

    #[test]
    fn whole_items_follow_the_refusing_side() {
        let gone = Evidence::Item {
            item: crate::diff::evidence::ItemFacts::Log { widest_key: None },
            added: false,
            size: 1,
            over: None,
        };
        let a = Accounts::of(&Session::new("f"), &incomplete(7));
        assert_eq!(
            a.judge(ItemKind::Log, ChangeType::Removed, &gone, (None, None)),
            Some((Side::To, Gap::ItemsRefused { refused_items: 7 }))
        );
        // TO refused nothing whole: a removed item is judged even though TO is incomplete.
        let b = Accounts::of(&Session::new("f"), &incomplete(0));
        assert_eq!(
            b.judge(ItemKind::Log, ChangeType::Removed, &gone, (None, None)),
            None
        );
        // The catalog sums over all items: any refusal makes its decreases unprovable.
        assert!(matches!(
            b.judge(
                ItemKind::Attribute,
                ChangeType::Removed,
                &gone,
                (None, None)
            ),
            Some((Side::To, Gap::Catalog))
        ));
    }

    #[test]
    fn catalog_refusals_alone_do_not_excuse_a_removed_metric() {
        let mut to = Session::new("t");
        to.completeness = Some(Completeness {
            incomplete_items: 0,
            refused_items: 4,
            dropped_by_cap: [("catalog".to_string(), 9)].into(),
        });
        let a = Accounts::of(&Session::new("f"), &to);
        let gone = Evidence::Item {
            item: crate::diff::evidence::ItemFacts::Metric {
                metric_type: crate::session::MetricType::Sum,
            },
            added: false,
            size: 1,
            over: None,
        };
        assert_eq!(
            a.judge(ItemKind::Metric, ChangeType::Removed, &gone, (None, None)),
            None
        );
        assert!(
            a.judge(
                ItemKind::Attribute,
                ChangeType::Removed,
                &gone,
                (None, None)
            )
            .is_some()
        );
    }

    #[test]
    fn complete_sessions_judge_everything() {
        let a = Accounts::of(&Session::new("f"), &Session::new("t"));
        assert!(a.all_complete());
        let m = Incomplete::default();
        assert_eq!(
            a.judge(
                ItemKind::Metric,
                ChangeType::Changed,
                &removed_key(),
                (Some(&m), Some(&m))
            ),
            None
        );
    }
}
