//! Windows security identifiers (`S-1-5-21-a-b-c-RID`), the SID of the Adaxes surface.

use std::{fmt, str::FromStr};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a security identifier (expected S-1-<authority>-<sub-authorities>)")]
pub struct SidError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sid {
    authority: u64,
    sub_authorities: Vec<u32>,
}

impl Sid {
    /// The SID of an account: the installation's domain part plus its relative id.
    pub fn for_account(domain: [u32; 3], rid: u32) -> Self {
        Self {
            authority: 5,
            sub_authorities: vec![21, domain[0], domain[1], domain[2], rid],
        }
    }

    /// The relative id, if this SID is an account of `domain` (see [`Sid::for_account`]).
    pub fn rid_in(&self, domain: [u32; 3]) -> Option<u32> {
        match self.sub_authorities[..] {
            [21, a, b, c, rid] if self.authority == 5 && [a, b, c] == domain => Some(rid),
            _ => None,
        }
    }

    pub fn parse(raw: &str) -> Result<Self, SidError> {
        let rest = raw
            .strip_prefix("S-1-")
            .or_else(|| raw.strip_prefix("s-1-"))
            .ok_or(SidError)?;
        let mut parts = rest.split('-');
        let authority = parts
            .next()
            .ok_or(SidError)?
            .parse::<u64>()
            .map_err(|_| SidError)?;
        if authority >= 1 << 48 {
            return Err(SidError);
        }
        let sub_authorities = parts
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(SidError);
                }
                p.parse::<u32>().map_err(|_| SidError)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if sub_authorities.is_empty() || sub_authorities.len() > 15 {
            return Err(SidError);
        }
        Ok(Self {
            authority,
            sub_authorities,
        })
    }
}

impl FromStr for Sid {
    type Err = SidError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S-1-{}", self.authority)?;
        for s in &self.sub_authorities {
            write!(f, "-{s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_account_sid_has_the_domain_form() {
        let sid = Sid::for_account([1, 2, 3], 1001);
        assert_eq!(sid.to_string(), "S-1-5-21-1-2-3-1001");
        assert_eq!(Sid::parse("S-1-5-21-1-2-3-1001").unwrap(), sid);
    }

    #[test]
    fn malformed_sids_are_refused() {
        for bad in [
            "",
            "S-1",
            "S-1-5",
            "S-2-5-21",
            "S-1-5--1",
            "S-1-5-x",
            "S-1-5-99999999999",
        ] {
            assert!(Sid::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn sids_round_trip(d in any::<[u32; 3]>(), rid in any::<u32>()) {
            let sid = Sid::for_account(d, rid);
            prop_assert_eq!(Sid::parse(&sid.to_string()).unwrap(), sid);
        }
    }
}
