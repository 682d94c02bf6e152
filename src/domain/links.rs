//! Small rules about links that the browser and the server must agree on.

/// A `next` target is followed only when it is a path on this site (no open redirects).
///
/// Browsers tidy a URL before they resolve it (WHATWG URL): they drop leading and trailing
/// control characters and spaces, remove every tab and newline, and read `\` as `/`. So
/// `/<TAB>/evil.example` is `//evil.example` to them — another host. The target is tidied the
/// same way first, then must be one `/` followed by anything but `/`; what is followed is the
/// tidied form, with anything unusual percent-encoded, so what the browser reads is what was
/// checked. The server also resolves it with a real URL parser against its own origin.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(raw) = next else {
        return "/".to_string();
    };
    let tidied: String = raw
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    let on_site = tidied.starts_with('/')
        && !tidied.starts_with("//")
        && !tidied.starts_with("/api/")
        && !tidied.chars().any(char::is_control);
    if !on_site {
        return "/".to_string();
    }
    let mut out = String::with_capacity(tidied.len());
    for ch in tidied.chars() {
        if ch.is_ascii_graphic() && !matches!(ch, '"' | '<' | '>' | '`' | '{' | '}' | '|' | '^') {
            out.push(ch);
        } else {
            let mut buf = [0u8; 4];
            for b in ch.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    #[cfg(feature = "ssr")]
    if !stays_on_origin(&out) {
        return "/".to_string();
    }
    out
}

/// Whether `path`, resolved by a WHATWG URL parser against a stand-in origin, stays on it.
#[cfg(feature = "ssr")]
fn stays_on_origin(path: &str) -> bool {
    let Ok(base) = url::Url::parse("https://crm.invalid/") else {
        return false;
    };
    base.join(path)
        .is_ok_and(|u| u.origin() == base.origin() && !u.path().starts_with("//"))
}

/// Text made safe to place between HTML tags or inside a quoted attribute.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
            // Every spelling browsers tidy into another host.
            "/\t/evil.example/x",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "\u{1}//evil.example",
            "/\\/evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "https:evil.example",
            "http:/evil.example",
            "java\tscript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
        // Encoded slashes stay a path on this site; odd characters are encoded, not dropped.
        assert_eq!(
            safe_next(Some("/%2F%2Fevil.example")),
            "/%2F%2Fevil.example"
        );
        assert_eq!(safe_next(Some("/leads?q=Zoë b")), "/leads?q=Zo%C3%AB%20b");
        assert_eq!(safe_next(Some("/a\"><script>")), "/a%22%3E%3Cscript%3E");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(urlencode("/leads?q=a b&x=1"), "/leads%3Fq%3Da%20b%26x%3D1");
    }
}
