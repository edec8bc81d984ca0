//! Resource IDs: `<prefix>-` and at least 8 lowercase letters or digits, globally unique.

/// The kinds of resource that carry an ID, with their prefixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    Havip,
    Vpc,
    Subnet,
    Vm,
    Project,
    Tenant,
    User,
    Token,
    Job,
    Operation,
    Event,
}

impl IdKind {
    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::Havip => "havip",
            IdKind::Vpc => "vpc",
            IdKind::Subnet => "subnet",
            IdKind::Vm => "vm",
            IdKind::Project => "proj",
            IdKind::Tenant => "tenant",
            IdKind::User => "user",
            IdKind::Token => "tok",
            IdKind::Job => "job",
            IdKind::Operation => "op",
            IdKind::Event => "evt",
        }
    }
}

/// Random characters after the prefix of the IDs we generate.
pub const ID_RANDOM_LEN: usize = 12;

/// Whether `id` has the shape of an ID of `kind`. Anything else cannot exist, so callers can
/// answer "not found" without asking the database.
pub fn is_well_formed(kind: IdKind, id: &str) -> bool {
    id.strip_prefix(kind.prefix()).and_then(|rest| rest.strip_prefix('-')).is_some_and(|tail| {
        tail.len() >= 8 && tail.len() <= 64 && tail.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// Builds an ID from random bytes (the caller supplies them so this stays free of I/O).
pub fn from_random_bytes(kind: IdKind, bytes: &[u8; ID_RANDOM_LEN]) -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let tail: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
    format!("{}-{tail}", kind.prefix())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(is_well_formed(IdKind::Havip, "havip-abcd1234"));
        assert!(!is_well_formed(IdKind::Havip, "havip-abc"));
        assert!(!is_well_formed(IdKind::Havip, "vm-abcd1234"));
        assert!(!is_well_formed(IdKind::Havip, "havip-ABCD1234"));
        assert!(!is_well_formed(IdKind::Vm, "vm-abcd1234'--"));
        let id = from_random_bytes(IdKind::Vm, &[255; ID_RANDOM_LEN]);
        assert!(is_well_formed(IdKind::Vm, &id), "{id}");
    }
}
