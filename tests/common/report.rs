//! Shared by the HTML report tests: the embedded JSON blocks of a page, and sessions whose
//! names carry markup.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or benchmark stops on what it cannot set up
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The fixture pair the README diffs.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The raw text of the block `id` and whether it is gzipped base64 (else plain JSON).
pub fn block_text<'a>(html: &'a str, id: &str) -> (&'a str, bool) {
    for (ty, packed) in [
        ("application/json", false),
        ("application/gzip+base64", true),
    ] {
        let open = format!("<script type=\"{ty}\" id=\"{id}\">");
        if let Some(at) = html.find(&open) {
            let start = at + open.len();
            let len = html[start..]
                .find("</script>")
                .unwrap_or_else(|| panic!("block {id} is not closed"));
            return (&html[start..start + len], packed);
        }
    }
    panic!("no block {id} in the page")
}

/// The JSON document embedded as `id`, inflated if it was packed.
pub fn block(html: &str, id: &str) -> Value {
    use base64::Engine as _;
    use std::io::Read as _;
    let (text, packed) = block_text(html, id);
    let json = if packed {
        let gz = base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap_or_else(|e| panic!("block {id} is not base64: {e}"));
        let mut s = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut s)
            .unwrap_or_else(|e| panic!("block {id} is not gzip: {e}"));
        s
    } else {
        text.to_string()
    };
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("block {id} is not JSON: {e}"))
}

/// A session page's items, `{"metrics": [...], "spans": [...], "logs": [...], "attributes":
/// [...]}`, joined from its chunk blocks (`otelsnap-items-KIND-N`, N from 0 until one is
/// missing), each inflated if it was packed.
pub fn session_items(html: &str) -> Value {
    let mut out = serde_json::Map::new();
    for kind in ["metrics", "spans", "logs", "attributes"] {
        let mut all = Vec::new();
        for n in 0.. {
            let id = format!("otelsnap-items-{kind}-{n}");
            if !html.contains(&format!("id=\"{id}\"")) {
                break;
            }
            match block(html, &id) {
                Value::Array(a) => {
                    assert!(!a.is_empty(), "chunk {id} is empty");
                    all.extend(a);
                }
                other => panic!("chunk {id} is not an array: {other}"),
            }
        }
        out.insert(kind.to_string(), Value::Array(all));
    }
    Value::Object(out)
}

/// Names holding markup: each must reach the page as text.
pub const MARKUP_NAMES: [&str; 3] = [
    "<img src=x onerror=alert(1)>",
    "</script><script>window.__xss=true</script>",
    "\"><svg onload=alert(3)>",
];

/// Writes `from.json` and `to.json` under `dir`: the bundled checkout pair (exported by the
/// binary) with a metric, a label key and a span renamed to [`MARKUP_NAMES`], so the diff has
/// changes about them and both session views list them. Returns both paths.
pub fn markup_pair(bin: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let export = |name: &str| -> Value {
        let out = std::process::Command::new(bin)
            .arg("--dir")
            .arg(dir.join("sessions"))
            .args(["export"])
            .arg(fixture(name))
            .output()
            .expect("run otelsnap export");
        assert!(
            out.status.success(),
            "export failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("export prints JSON")
    };
    let mut paths = Vec::new();
    for (name, file) in [
        ("checkout-v1.json.gz", "from.json"),
        ("checkout-v2.json.gz", "to.json"),
    ] {
        let mut s = export(name);
        let metrics = s["data"]["metrics"].as_array_mut().expect("metrics");
        for m in metrics.iter_mut() {
            if m["name"] == "http.server.request.duration" {
                m["name"] = Value::from(MARKUP_NAMES[0]);
                // The label key is new in TO, so the diff reports it too.
                if file == "to.json" {
                    let keys = m["label_keys"].as_object_mut().expect("label_keys");
                    let user = keys.get("user_id").cloned().expect("user_id label");
                    keys.insert(MARKUP_NAMES[1].to_string(), user);
                }
            }
        }
        let spans = s["data"]["spans"].as_array_mut().expect("spans");
        if let Some(sp) = spans.iter_mut().find(|x| x["name"] == "GET /cart") {
            sp["name"] = Value::from(MARKUP_NAMES[2]);
        }
        let path = dir.join(file);
        std::fs::write(&path, serde_json::to_vec(&s).expect("serialize")).expect("write session");
        paths.push(path);
    }
    (paths[0].clone(), paths[1].clone())
}
