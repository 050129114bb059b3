//! Just enough BER to read the password-policy response control: tag, length, contents.

/// One element: its tag byte and contents; `None` when the input is cut short.
pub fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, b| (a << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// A small non-negative integer's contents (an INTEGER or ENUMERATED value).
pub fn small_int(contents: &[u8]) -> Option<u32> {
    if contents.is_empty() || contents.len() > 4 {
        return None;
    }
    Some(contents.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths_and_refuses_cut_input() {
        assert_eq!(
            element(&[0x30, 0x01, 0x05, 0xff]),
            Some((0x30, &[5u8][..], &[0xffu8][..]))
        );
        let long = [&[0x04, 0x81, 0x02][..], &[1, 2]].concat();
        assert_eq!(element(&long), Some((0x04, &[1u8, 2][..], &[][..])));
        assert_eq!(element(&[0x30, 0x05, 0x01]), None);
        assert_eq!(small_int(&[0x01, 0x00]), Some(256));
    }
}
