//! Locales as mail templates and the web page's catalogues look them up: `de-AT`, then
//! `de`, then English; a browser's `Accept-Language` in its order of preference.

/// A locale tag safe to use in a file name (letters, digits, `-`, `_`; at most 64).
pub fn safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `de_AT` → `["de-AT", "de"]`; nothing for a tag that is not safe.
pub fn chain(locale: &str) -> Vec<String> {
    let l = locale.trim().replace('_', "-");
    if !safe_segment(&l) {
        return vec![];
    }
    let mut out = vec![l.clone()];
    if let Some((lang, _)) = l.split_once('-') {
        out.push(lang.to_owned());
    }
    out
}

/// The tags of an `Accept-Language` header, most preferred first (`q=0` left out), each
/// followed by its language.
pub fn accept_language(header: &str) -> Vec<String> {
    let mut tags: Vec<(f32, usize, &str)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut it = part.split(';');
            let tag = it.next()?.trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (q > 0.0 && !tag.is_empty() && tag != "*").then_some((q, i, tag))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    tags.into_iter().flat_map(|(_, _, t)| chain(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_falls_back_to_its_language() {
        assert_eq!(chain("de_AT"), ["de-AT", "de"]);
        assert_eq!(chain("fr"), ["fr"]);
        assert!(chain("../etc").is_empty());
    }

    #[test]
    fn accept_language_is_read_in_order_of_preference() {
        assert_eq!(
            accept_language("fr;q=0.5, de-CH, en;q=0.8, es;q=0"),
            ["de-CH", "de", "en", "fr"]
        );
        assert!(accept_language("*").is_empty());
    }
}
