//! Adaxes reads JSON leniently: its own cURL example has a trailing comma. This removes
//! commas that stand directly before `}` or `]` (outside strings) before parsing.

pub fn strip_trailing_commas(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in input.iter().enumerate() {
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                out.push(b);
            }
            b',' => {
                let next = input[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
                if !matches!(next, Some(b'}') | Some(b']')) {
                    out.push(b);
                }
            }
            _ => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::strip_trailing_commas as s;

    #[test]
    fn trailing_commas_go_and_strings_stay() {
        assert_eq!(
            s(br#"{ "a": "x", "b": [1, 2, ], }"#),
            br#"{ "a": "x", "b": [1, 2 ] }"#.to_vec()
        );
        assert_eq!(
            s(br#"{"a":"x,}","b":"q\",]"}"#),
            br#"{"a":"x,}","b":"q\",]"}"#.to_vec()
        );
        assert_eq!(s(b"[1,2]"), b"[1,2]".to_vec());
    }
}
