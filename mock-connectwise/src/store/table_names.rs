//! Interned member identifiers, so records hold a number instead of a name.

use std::collections::HashMap;

/// Interned member identifiers for `enteredBy`/`updatedBy`, so a million records entered by
/// one member hold one copy of its name.
#[derive(Debug, Default)]
pub(crate) struct Names {
    list: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl Names {
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list.push(name.into());
        self.index.insert(name.into(), i);
        i
    }

    /// The symbol of a name, if it was ever interned.
    pub(crate) fn lookup(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub(crate) fn name(&self, i: u32) -> &str {
        self.list.get(i as usize).map_or("", |s| s)
    }
}
