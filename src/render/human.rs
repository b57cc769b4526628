//! Human-friendly numbers and durations: `~5.0k`, `×50.8`, `+12%`, `1.2 MiB`, `5m 0s`.

pub use crate::session::error::human_bytes;

/// A count, abbreviated past 9,999 (`12`, `9,999`, `12.3k`, `4.5M`).
pub fn count(n: u64) -> String {
    match n {
        0..=9_999 => with_commas(n),
        10_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{:.1}G", n as f64 / 1e9),
    }
}

/// An estimate (prefixed with `~` once abbreviated).
pub fn estimate(n: u64) -> String {
    if n >= 10_000 {
        format!("~{}", count(n))
    } else {
        with_commas(n)
    }
}

/// `1234567` → `1,234,567`.
pub fn with_commas(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio, `×50.8`.
pub fn ratio(r: f64) -> String {
    if r >= 100.0 {
        format!("×{r:.0}")
    } else {
        format!("×{r:.1}")
    }
}

/// A relative change, `+12%` / `-40%`.
pub fn pct(p: f64) -> String {
    if p.abs() >= 10.0 || p == 0.0 {
        format!("{p:+.0}%")
    } else {
        format!("{p:+.1}%")
    }
}

/// A length of time for reading, rounded: `42.5s`, `5m 0s`, `1h 2m`.
pub fn duration(secs: f64) -> String {
    let whole = secs.round() as u64;
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else if whole < 3600 {
        format!("{}m {}s", whole / 60, whole % 60)
    } else {
        format!("{}h {}m", whole / 3600, (whole % 3600) / 60)
    }
}

/// A duration exactly, in the syntax the flags take (`2m`, `1h`, `1.5s`), for echoing a
/// `--duration` or `--idle-timeout` back to the user.
pub fn duration_flag(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        return format!("{:.3}s", d.as_secs_f64())
            .trim_end_matches('0')
            .to_string();
    }
    let s = d.as_secs();
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(count(12), "12");
        assert_eq!(count(9_999), "9,999");
        assert_eq!(count(12_345), "12.3k");
        assert_eq!(estimate(5_000), "5,000");
        assert_eq!(estimate(50_000), "~50.0k");
        assert_eq!(ratio(50.83), "×50.8");
        assert_eq!(pct(12.0), "+12%");
        assert_eq!(pct(-40.0), "-40%");
        assert_eq!(pct(2.5), "+2.5%");
    }
}

/// `1 session`, `3 sessions`, `1,204 sessions`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", with_commas(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod plural_tests {
    #[test]
    fn plurals() {
        assert_eq!(super::plural(1, "name", "names"), "1 name");
        assert_eq!(super::plural(0, "name", "names"), "0 names");
        assert_eq!(super::plural(1234, "name", "names"), "1,234 names");
    }
}
