//! Log body templates mined with the Drain algorithm (He et al., 2017), as Drain3 does it.
//!
//! A body is first masked: quoted values (`"..."`, and `'...'` where the quote starts a token),
//! numbers (with an optional short unit: `35ms`, `30s`, `1.5GB`, `100%`), IP addresses (v4, v6,
//! with ports), UUIDs, hex values (`0x1f`, or 8+ hex digits with a digit among them), long
//! letter-and-digit ids (16+ chars), and digit-led tokens such as dates become `<*>`. Tokens
//! are split on `/ = : , ( ) [ ] { } ? & # | ;` first, so `/api/orders/42` becomes
//! `/api/orders/<*>` and `user_id=42` becomes `user_id=<*>`.
//!
//! The masked body is split on whitespace and routed down a fixed-depth prefix tree: token
//! count, then the first [`PREFIX_TOKENS`] tokens (a token holding a digit or `<*>` routes as
//! `<*>`; a node with [`MAX_CHILDREN`] children sends new tokens to `<*>`). In the leaf the most
//! similar cluster (share of equal positions, `<*>` not counting) is chosen; at or above
//! [`SIM_THRESHOLD`] it absorbs the body and positions that differ become `<*>`; below, a new
//! cluster starts. Everything is iterated in insertion order, so the result is deterministic.
//!
//! Hand-written scanners instead of regexes: masking runs on every log record, and a byte
//! scanner costs a fraction of a dozen regex passes.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::session::BodyTemplate;

/// The wildcard that replaces variable parts.
pub const WILDCARD: &str = "<*>";
/// Leading tokens used as prefix-tree levels (Drain3's depth 4 = 2 token levels).
pub const PREFIX_TOKENS: usize = 2;
/// Children per tree node before new tokens are routed to the `<*>` child.
pub const MAX_CHILDREN: usize = 100;
/// Minimum share of equal positions for a body to join a cluster.
pub const SIM_THRESHOLD: f64 = 0.5;
/// Bodies are cut to this many bytes before mining: templates and examples stay bounded.
pub const MAX_BODY: usize = 2048;

/// One template cluster.
#[derive(Debug, Clone)]
struct Cluster {
    tokens: Vec<String>,
    count: u64,
    example: String,
}

#[derive(Debug, Default, Clone)]
struct Node {
    children: HashMap<String, Node>,
    clusters: Vec<usize>,
}

/// A Drain template miner with a cap on the number of templates.
#[derive(Debug, Clone)]
pub struct Drain {
    max_clusters: usize,
    by_len: HashMap<usize, Node>,
    clusters: Vec<Cluster>,
}

impl Drain {
    /// A miner keeping at most `max_clusters` templates.
    pub fn new(max_clusters: usize) -> Self {
        Drain {
            max_clusters,
            by_len: HashMap::new(),
            clusters: Vec::new(),
        }
    }

    /// Adds one body; false when it needed a new template and the cap refused it.
    pub fn add(&mut self, body: &str) -> bool {
        self.add_with(body, true)
    }

    /// [`Drain::add`], refusing any new template unless `allow_new` (and still widening
    /// existing ones, which takes no memory).
    pub fn add_with(&mut self, body: &str, allow_new: bool) -> bool {
        let body = cut(body, MAX_BODY);
        let masked = mask(body);
        let tokens: Vec<&str> = masked.split_whitespace().collect();
        if let Some(id) = self.find(&tokens) {
            let c = &mut self.clusters[id];
            c.count += 1;
            for (t, s) in c.tokens.iter_mut().zip(&tokens) {
                if t != s && t != WILDCARD {
                    *t = WILDCARD.to_string();
                }
            }
            return true;
        }
        if !allow_new || self.clusters.len() >= self.max_clusters {
            return false;
        }
        let id = self.clusters.len();
        self.clusters.push(Cluster {
            tokens: tokens.iter().map(|t| (*t).to_string()).collect(),
            count: 1,
            example: body.to_string(),
        });
        let mut node = self.by_len.entry(tokens.len()).or_default();
        for tok in tokens.iter().take(PREFIX_TOKENS) {
            let key = route_key(tok);
            let key = if node.children.contains_key(key) {
                key
            } else if key != WILDCARD && node.children.len() + 1 >= MAX_CHILDREN {
                // Keep the last slot for the wildcard child so a flood of first tokens stays bounded.
                WILDCARD
            } else {
                key
            };
            node = node.children.entry(key.to_string()).or_default();
        }
        node.clusters.push(id);
        true
    }

    /// The best cluster for `tokens`, if one is similar enough.
    fn find(&self, tokens: &[&str]) -> Option<usize> {
        let mut node = self.by_len.get(&tokens.len())?;
        for tok in tokens.iter().take(PREFIX_TOKENS) {
            node = node
                .children
                .get(route_key(tok))
                .or_else(|| node.children.get(WILDCARD))?;
        }
        let mut best: Option<(usize, f64, usize)> = None;
        for &id in &node.clusters {
            let c = &self.clusters[id];
            let (mut same, mut params) = (0usize, 0usize);
            for (t, s) in c.tokens.iter().zip(tokens) {
                if t == WILDCARD {
                    params += 1;
                } else if t == s {
                    same += 1;
                }
            }
            let sim = if tokens.is_empty() {
                1.0
            } else {
                same as f64 / tokens.len() as f64
            };
            // Ties go to the more general template (more wildcards), as in Drain3.
            if best.is_none_or(|(_, bs, bp)| sim > bs || (sim == bs && params > bp)) {
                best = Some((id, sim, params));
            }
        }
        best.filter(|(_, sim, _)| *sim >= SIM_THRESHOLD)
            .map(|(id, _, _)| id)
    }

    /// Number of templates.
    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    /// True when no body was added.
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    /// The templates, most frequent first (ties by template text).
    pub fn templates(&self) -> Vec<BodyTemplate> {
        let mut out: Vec<BodyTemplate> = self
            .clusters
            .iter()
            .map(|c| BodyTemplate {
                template: c.tokens.join(" "),
                count: c.count,
                example: c.example.clone(),
            })
            .collect();
        out.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.template.cmp(&b.template))
        });
        out
    }
}

fn route_key(tok: &str) -> &str {
    if tok.contains(WILDCARD) || tok.bytes().any(|b| b.is_ascii_digit()) {
        WILDCARD
    } else {
        tok
    }
}

/// Cuts at a char boundary at or below `max` bytes.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    &s[..i]
}

/// Masks the variable parts of a body with `<*>` (see the module docs for what counts).
pub fn mask(body: &str) -> String {
    let unquoted = mask_quotes(body);
    let mut out = String::with_capacity(unquoted.len());
    for (i, tok) in unquoted.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        mask_token(tok, &mut out);
    }
    out
}

fn mask_quotes(s: &str) -> Cow<'_, str> {
    if !s.contains(['"', '\'']) {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let q = b[i];
        let opens = match q {
            b'"' => true,
            // An apostrophe inside a word (`can't`) is not a quote.
            b'\'' => i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'=' | b':' | b'(' | b'[' | b','),
            _ => false,
        };
        if opens && let Some(end) = closing_quote(b, i + 1, q) {
            out.push_str(&s[copied..i]);
            out.push(q as char);
            out.push_str(WILDCARD);
            out.push(q as char);
            i = end + 1;
            copied = i;
            continue;
        }
        i += 1;
    }
    out.push_str(&s[copied..]);
    Cow::Owned(out)
}

fn closing_quote(b: &[u8], from: usize, q: u8) -> Option<usize> {
    let mut j = from;
    while j < b.len() {
        if b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q {
            let next_ok = q == b'"'
                || j + 1 == b.len()
                || matches!(
                    b[j + 1],
                    b' ' | b'\t' | b',' | b';' | b':' | b'.' | b')' | b']' | b'}' | b'!' | b'?'
                );
            if next_ok {
                return Some(j);
            }
        }
        j += 1;
    }
    None
}

fn is_delim(c: char) -> bool {
    matches!(
        c,
        '/' | '='
            | ':'
            | ','
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '?'
            | '&'
            | '#'
            | '|'
            | ';'
            | '"'
            | '\''
    )
}

fn mask_token(tok: &str, out: &mut String) {
    // Sentence punctuation after a value (`in 35ms.`) is kept but not part of the value.
    let core = tok.trim_end_matches(['.', ',', ';', '!', '?']);
    let punct = &tok[core.len()..];
    if !core.is_empty() && whole_token_is_variable(core) {
        out.push_str(WILDCARD);
        out.push_str(punct);
        return;
    }
    let mut start = 0;
    for (i, c) in core.char_indices() {
        if is_delim(c) {
            push_segment(&core[start..i], out);
            out.push(c);
            start = i + c.len_utf8();
        }
    }
    push_segment(&core[start..], out);
    out.push_str(punct);
}

fn push_segment(seg: &str, out: &mut String) {
    if !seg.is_empty() && segment_is_variable(seg) {
        out.push_str(WILDCARD);
    } else {
        out.push_str(seg);
    }
}

fn whole_token_is_variable(t: &str) -> bool {
    // IPv6 addresses and socket addresses contain the `:` delimiter, so check them whole.
    t.contains(':')
        && (t.parse::<std::net::IpAddr>().is_ok()
            || t.parse::<std::net::SocketAddr>().is_ok()
            || (t.len() == 17 && is_mac(t)))
}

fn is_mac(t: &str) -> bool {
    t.split(':').count() == 6
        && t.split(':')
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn segment_is_variable(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return false;
    }
    if is_uuid(b) || is_hex(b) {
        return true;
    }
    let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
    // Digit-led: numbers, numbers with a short unit (35ms, 1.5GB), dates, IPv4, versions.
    let body = b
        .strip_prefix(b"-")
        .or_else(|| b.strip_prefix(b"+"))
        .unwrap_or(b);
    if body.first().is_some_and(u8::is_ascii_digit)
        && letters <= 3
        && body
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'+' | b'%'))
    {
        return true;
    }
    // Long generated ids mixing letters and digits (base62 ids, tokens).
    b.len() >= 16
        && letters > 0
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
}

fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn is_hex(b: &[u8]) -> bool {
    if let Some(rest) = b.strip_prefix(b"0x").or_else(|| b.strip_prefix(b"0X")) {
        return !rest.is_empty() && rest.iter().all(u8::is_ascii_hexdigit);
    }
    b.len() >= 8 && b.iter().all(u8::is_ascii_hexdigit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mine(bodies: &[&str]) -> Vec<(String, u64, String)> {
        let mut d = Drain::new(1000);
        for b in bodies {
            assert!(d.add(b));
        }
        d.templates()
            .into_iter()
            .map(|t| (t.template, t.count, t.example))
            .collect()
    }

    #[test]
    fn masks_the_usual_suspects() {
        assert_eq!(
            mask("User 1234 logged in from 10.0.0.1"),
            "User <*> logged in from <*>"
        );
        assert_eq!(
            mask("GET /api/orders/9f8e7d6c-5b4a-3c2d-1e0f-a1b2c3d4e5f6 200 in 35ms"),
            "GET /api/orders/<*> <*> in <*>"
        );
        assert_eq!(
            mask("Connection to db-3 timed out after 30s."),
            "Connection to db-3 timed out after <*>."
        );
        assert_eq!(
            mask(r#"user "alice smith" not found"#),
            r#"user "<*>" not found"#
        );
        assert_eq!(
            mask("can't open 'config.yaml': denied"),
            "can't open '<*>': denied"
        );
        assert_eq!(
            mask("peer [::1]:8080 and fe80::1 closed"),
            "peer <*> and <*> closed"
        );
        assert_eq!(
            mask("trace 4bf92f3577b34da6a3ce929d0e0e4736 span 0x1f"),
            "trace <*> span <*>"
        );
        assert_eq!(
            mask("at 2024-05-01T10:20:30.123Z id=XkPq9fL2mN8vB3zQ7w"),
            "at <*>:<*>:<*> id=<*>"
        );
        assert_eq!(mask("  spaces\tand\nnewlines  "), "spaces and newlines");
        assert_eq!(
            mask("status=ERROR code=-1 ratio=99.5%"),
            "status=ERROR code=<*> ratio=<*>"
        );
        assert_eq!(mask("disk deadbeef at 100%"), "disk deadbeef at <*>");
        assert_eq!(
            mask("unterminated \"quote here"),
            "unterminated \"quote here"
        );
    }

    #[test]
    fn mines_realistic_bodies() {
        let got = mine(&[
            "User 1234 logged in from 10.0.0.1",
            "User 99 logged in from 192.168.1.20",
            "GET /api/orders/9f8e7d6c-5b4a-3c2d-1e0f-a1b2c3d4e5f6 200 in 35ms",
            "GET /api/orders/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d 404 in 2ms",
            "Connection to db-3 timed out after 30s",
            "Connection to db-7 timed out after 5s",
            r#"payment for order "A-17" declined: "insufficient funds""#,
            r#"payment for order "B-99" declined: "card expired""#,
            "cache warmed",
        ]);
        assert_eq!(
            got,
            vec![
                (
                    "Connection to <*> timed out after <*>".into(),
                    2,
                    "Connection to db-3 timed out after 30s".into()
                ),
                (
                    "GET /api/orders/<*> <*> in <*>".into(),
                    2,
                    "GET /api/orders/9f8e7d6c-5b4a-3c2d-1e0f-a1b2c3d4e5f6 200 in 35ms".into()
                ),
                (
                    "User <*> logged in from <*>".into(),
                    2,
                    "User 1234 logged in from 10.0.0.1".into()
                ),
                (
                    r#"payment for order "<*>" declined: "<*>""#.into(),
                    2,
                    r#"payment for order "A-17" declined: "insufficient funds""#.into()
                ),
                ("cache warmed".into(), 1, "cache warmed".into()),
            ]
        );
    }

    #[test]
    fn dissimilar_bodies_stay_apart() {
        let got = mine(&[
            "order placed for customer",
            "order shipped to warehouse",
            "order placed for customer",
        ]);
        assert_eq!(
            got,
            vec![
                (
                    "order placed for customer".into(),
                    2,
                    "order placed for customer".into()
                ),
                (
                    "order shipped to warehouse".into(),
                    1,
                    "order shipped to warehouse".into()
                ),
            ]
        );
        // Half the positions equal meets the threshold: the differing half becomes wildcards.
        let got = mine(&["job started alpha ok", "job started beta fine"]);
        assert_eq!(
            got,
            vec![(
                "job started <*> <*>".into(),
                2,
                "job started alpha ok".into()
            )]
        );
        // The second token is a tree level (as in Drain3): different second words never merge.
        assert_eq!(
            mine(&["job alpha started ok", "job beta started ok"]).len(),
            2
        );
    }

    #[test]
    fn empty_and_long_bodies() {
        let long = "x".repeat(10_000);
        let got = mine(&["", "", &long]);
        assert_eq!(got[0], (String::new(), 2, String::new()));
        assert_eq!(got[1].0.len(), MAX_BODY);
        assert_eq!(got[1].2.len(), MAX_BODY);
    }

    #[test]
    fn cap_refuses_new_templates_but_still_counts_known_ones() {
        let mut d = Drain::new(2);
        assert!(d.add("alpha one"));
        assert!(d.add("beta two three"));
        assert!(!d.add("gamma four five six"));
        assert!(d.add("alpha one"));
        assert_eq!(d.len(), 2);
        assert_eq!(d.templates()[0].count, 2);
    }

    #[test]
    fn first_token_flood_stays_bounded() {
        let mut d = Drain::new(100_000);
        for i in 0..1000 {
            d.add(&format!(
                "word{}x{} happened",
                char::from(b'a' + (i % 26) as u8),
                "y".repeat(i / 26)
            ));
        }
        let root = &d.by_len[&2];
        assert!(root.children.len() <= MAX_CHILDREN);
    }

    #[test]
    fn deterministic() {
        let bodies: Vec<String> = (0..500)
            .map(|i| format!("worker {} processed {} items in {}ms", i % 7, i, i * 3))
            .collect();
        let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
        assert_eq!(mine(&refs), mine(&refs));
        assert_eq!(
            mine(&refs),
            vec![(
                "worker <*> processed <*> items in <*>".into(),
                500,
                bodies[0].clone()
            )]
        );
    }
}
