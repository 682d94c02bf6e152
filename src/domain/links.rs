//! Small rules about links that the browser and the server must agree on.

/// A `next` target is followed only when it is a path on this site (no open redirects).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.starts_with("/api/") =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Percent-encodes a query value (everything but unreserved characters and `/`).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets_stay_on_the_site() {
        assert_eq!(safe_next(Some("/leads?status=new")), "/leads?status=new");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "javascript:alert(1)",
            "/api/auth/logout",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(urlencode("/leads?q=a b&x=1"), "/leads%3Fq%3Da%20b%26x%3D1");
    }
}
